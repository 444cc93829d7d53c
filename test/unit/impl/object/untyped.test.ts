// Untyped of the concrete kernel: Retype decoding against the spec's on random arguments, the free
// index in 16-byte units, and reset (memory zeroed, ghost objects, names and delivered records of
// the region forgotten).

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ROOT_SLOTS, bootLayout } from '../../../../abi/boot';
import { defaultConfig } from '../../../../abi/config';
import { LABEL } from '../../../../abi/invocations';
import { OBJECT_TYPES, objectTypeNumber } from '../../../../abi/objecttype';
import { bootKernel } from '../../../../impl';
import type { Kernel } from '../../../../impl/model/state';
import { capFreeIndex, readCap } from '../../../../impl/object/cap';
import { cteRevoke } from '../../../../impl/object/cnode';
import { CTE_BYTES } from '../../../../impl/object/structures';
import { decodeUntypedInvocation, invokeUntyped } from '../../../../impl/object/untyped';
import { bootState, setSpecFreeze } from '../../../../spec';
import type { KernelState } from '../../../../spec';
import * as SU from '../../../../spec/object/untyped';

const config = defaultConfig();
const L = bootLayout(config);
const slot = (i: number): number => L.rootCNode + i * CTE_BYTES;
const UT = slot(ROOT_SLOTS.firstUntyped);
const CN = slot(ROOT_SLOTS.cnode);

function args(k: Kernel, words: number[], withRoot = true) {
  return { label: LABEL.UntypedRetype, words, extraCaps: withRoot ? [{ cap: readCap(k, CN), slot: CN }] : [] };
}

function retype(k: Kernel, type: (typeof OBJECT_TYPES)[number], sizeBits: number, offset: number, n: number, ut = UT): void {
  const d = decodeUntypedInvocation(k, args(k, [objectTypeNumber(type), sizeBits, 0, 0, offset, n]), readCap(k, ut), ut, L.rootTCB);
  if (!d.ok) throw new Error(`retype: ${d.error.tag}`);
  invokeUntyped(k, d.value, L.rootTCB);
}

describe('Retype and reset', () => {
  it('the free index counts 16-byte units and objects are aligned to their size', () => {
    const k = bootKernel(config);
    retype(k, 'Endpoint', 0, 40, 1);
    expect(capFreeIndex(readCap(k, UT))).toBe(1);
    retype(k, 'TCB', 0, 41, 2);
    // TCBs are 512-byte aligned: 512 + 2 * 512 bytes used.
    expect(capFreeIndex(readCap(k, UT))).toBe((512 + 1024) / 16);
    expect(k.objects.get(config.untyped[0]!.paddr + 512)).toEqual({ type: 'TCB', sizeBits: 9 });
  });

  it('a retype after the children are gone resets: memory zeroed, ghost records of the region forgotten', () => {
    const k = bootKernel(config);
    const base = config.untyped[0]!.paddr;
    retype(k, 'SmallPage', 0, 40, 1);
    retype(k, 'TCB', 0, 41, 1);
    const tcb = base + 4096;
    k.m.store32(base + 8, 0xdeadbeef);
    k.names.set(tcb, 'worker');
    k.delivered.set(tcb, { badge: 1 });
    cteRevoke(k, UT);
    expect(k.objects.has(base)).toBe(true); // until the reset
    retype(k, 'Endpoint', 0, 40, 1);
    expect(k.m.peek32(base + 8)).toBe(0);
    expect(k.objects.has(tcb)).toBe(false);
    expect(k.names.has(tcb)).toBe(false);
    expect(k.delivered.has(tcb)).toBe(false);
    expect([...k.objects.keys()].filter((p) => p >= base && p < base + 2 ** 21)).toEqual([base]);
    expect(k.objects.get(base)).toEqual({ type: 'Endpoint', sizeBits: 4 });
    expect(capFreeIndex(readCap(k, UT))).toBe(1);
  });
});

describe('decodeUntypedInvocation agrees with the spec', () => {
  setSpecFreeze(false);
  const k = bootKernel(config);
  const s: KernelState = bootState(config);
  // The same setup in both: the impl through its own code, the spec through its own.
  retype(k, 'Endpoint', 0, 40, 1);
  retype(k, 'CNode', 2, 41, 1);
  {
    const r = SU.decodeUntypedInvocation(s, { label: LABEL.UntypedRetype, words: [objectTypeNumber('Endpoint'), 0, 0, 0, 40, 1], extraCaps: [{ cap: s.ctes[CN]!.cap, slot: CN }] }, s.ctes[UT]!.cap as never, UT, L.rootTCB);
    if (r.ok) SU.invokeUntyped(s, r.value, L.rootTCB);
    const r2 = SU.decodeUntypedInvocation(s, { label: LABEL.UntypedRetype, words: [objectTypeNumber('CNode'), 2, 0, 0, 41, 1], extraCaps: [{ cap: s.ctes[CN]!.cap, slot: CN }] }, s.ctes[UT]!.cap as never, UT, L.rootTCB);
    if (r2.ok) SU.invokeUntyped(s, r2.value, L.rootTCB);
  }
  const small = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.nat({ max: 0xffffffff }));
  const utSlots = [17, 18, 19].map(slot);

  test.prop(
    [
      fc.constantFrom(...utSlots), fc.integer({ min: LABEL.UntypedRetype - 1, max: LABEL.UntypedRetype + 1 }),
      fc.integer({ min: 0, max: 12 }), fc.oneof(fc.integer({ min: 0, max: 30 }), small),
      fc.constantFrom(0, 40, 41, 42, 4095), fc.constantFrom(0, 32, 31, 12), fc.oneof(fc.integer({ min: 0, max: 4100 }), small),
      fc.oneof(fc.integer({ min: 0, max: 300 }), small), fc.integer({ min: 0, max: 6 }), fc.boolean(),
    ],
    { seed: 0x7e7, numRuns: 3000 },
  )('on random arguments', (ut, label, type, sizeBits, index, depth, offset, n, len, withRoot) => {
    const words = [type, sizeBits, index, depth, offset, n].slice(0, len);
    const implArgs = { ...args(k, words, withRoot), label };
    const specArgs = { label, words, extraCaps: withRoot ? [{ cap: s.ctes[CN]!.cap, slot: CN }] : [] };
    const i = decodeUntypedInvocation(k, implArgs, readCap(k, ut), ut, L.rootTCB);
    const sp = SU.decodeUntypedInvocation(s, specArgs, s.ctes[ut]!.cap as never, ut, L.rootTCB);
    expect(i).toEqual(sp);
  });
});
