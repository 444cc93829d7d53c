import { describe, expect, it } from 'vitest';
import { produce } from 'immer';
import { bootLayout } from '../../../../abi/boot';
import { defaultConfig } from '../../../../abi/config';
import { LABEL } from '../../../../abi/invocations';
import { objectTypeNumber } from '../../../../abi/objecttype';
import { bootState } from '../../../../spec/kernel/boot';
import { decodeUntypedInvocation, invokeUntyped, resetUntypedCap } from '../../../../spec/object/untyped';
import { type KernelState, cnodeSlot } from '../../../../spec/model/state';
import type { CapOf, ExtraCap } from '../../../../spec/api/types';

const config = defaultConfig();
const L = bootLayout(config);
const slot = (i: number) => cnodeSlot(L.rootCNode, i);
const UT = 17; // 0x00200000, 2^21

function untyped(s: KernelState): CapOf<'UntypedCap'> {
  return s.ctes[slot(UT)].cap as CapOf<'UntypedCap'>;
}
const root = (s: KernelState): ExtraCap => ({ cap: s.ctes[slot(2)].cap, slot: slot(2) });

function retype(s: KernelState, type: number, size: number, offset: number, n: number, words?: number[]) {
  return decodeUntypedInvocation(
    s, { label: LABEL.UntypedRetype, words: words ?? [type, size, 0, 0, offset, n], extraCaps: [root(s)] }, untyped(s), slot(UT), L.rootTCB,
  );
}

function run(s: KernelState, type: number, size: number, offset: number, n: number): void {
  const d = retype(s, type, size, offset, n);
  if (!d.ok) throw new Error(`retype failed: ${d.error.tag}`);
  invokeUntyped(s, d.value, L.rootTCB);
}

const T = objectTypeNumber;

describe('decodeUntypedInvocation', () => {
  it('checks in seL4 order and never changes the state', () => {
    const s = bootState(config);
    const e = (r: ReturnType<typeof retype>) => (r.ok ? 'ok' : r.error);
    expect(e(retype(s, 99, 0, 20, 1, [99, 0, 0, 0, 20]))).toEqual({ tag: 'TruncatedMessage' });
    expect(e(retype(s, 11, 0, 20, 1))).toEqual({ tag: 'InvalidArgument', argument: 0 });
    expect(e(retype(s, T('CNode'), 26, 20, 1))).toEqual({ tag: 'RangeError', min: 0, max: 29 });
    expect(e(retype(s, T('CNode'), 0, 20, 1))).toEqual({ tag: 'InvalidArgument', argument: 1 });
    expect(e(retype(s, T('Untyped'), 3, 20, 1))).toEqual({ tag: 'InvalidArgument', argument: 1 });
    expect(e(retype(s, T('Endpoint'), 0, 4096, 1))).toEqual({ tag: 'RangeError', min: 0, max: 4095 });
    expect(e(retype(s, T('Endpoint'), 0, 20, 0))).toEqual({ tag: 'RangeError', min: 1, max: 256 });
    expect(e(retype(s, T('Endpoint'), 0, 4095, 2))).toEqual({ tag: 'RangeError', min: 1, max: 1 });
    expect(e(retype(s, T('Endpoint'), 0, 1, 1))).toEqual({ tag: 'DeleteFirst' });
    expect(e(retype(s, T('SuperSection'), 0, 20, 1))).toEqual({ tag: 'NotEnoughMemory', available: 2 ** 21 });
    const after = produce(s, (d) => {
      retype(d, T('TCB'), 0, 20, 4);
    });
    expect(after).toBe(s);
  });

  it('places objects at the free index aligned up to their size', () => {
    const s = bootState(config);
    run(s, T('Endpoint'), 0, 20, 1);
    expect(untyped(s).freeIndex).toBe(16);
    const d = retype(s, T('TCB'), 0, 21, 2);
    expect(d.ok && d.value.retypeBase).toBe(0x00200200);
    if (d.ok) invokeUntyped(s, d.value, L.rootTCB);
    expect(untyped(s).freeIndex).toBe(0x600);
    expect(s.objects[0x00200400]?.tag).toBe('TCB');
  });
});

describe('resetUntypedCap', () => {
  it('forgets every object of the region and returns the free index to 0', () => {
    const s = bootState(config);
    run(s, T('SmallPage'), 0, 20, 2);
    s.objects[0x00200000] = { tag: 'Frame', size: 'SmallPage', words: { 3: 7 } };
    // the caps go (as a revoke would), the objects stay until the reset
    delete s.ctes[slot(20)];
    delete s.ctes[slot(21)];
    s.ctes[slot(UT)].mdb.next = 0;
    resetUntypedCap(s, slot(UT));
    expect(untyped(s).freeIndex).toBe(0);
    expect(s.objects[0x00200000]).toBeUndefined();
    expect(s.objects[0x00201000]).toBeUndefined();
    expect(s.objects[L.rootTCB]).toBeDefined();
  });
});
