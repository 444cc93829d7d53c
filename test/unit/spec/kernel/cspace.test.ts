import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { ROOT_SLOTS, bootLayout } from '../../../../abi/boot';
import type { Cap, CapOf, PPtr } from '../../../../spec/api/types';
import { bootState } from '../../../../spec/kernel/boot';
import {
  lookupCap, lookupPivotSlot, lookupSlot, lookupSlotForCNodeOp, lookupSourceSlot, lookupTargetSlot, resolveAddressBits,
} from '../../../../spec/kernel/cspace';
import { type KernelState, cnodeSlot, tcbSlot } from '../../../../spec/model/state';
import { TCB_SLOT } from '../../../../spec/object/structures';

// A second-level CNode of radix 4 at a free address, and a view of the root CNode with a shorter
// guard (16 bits), so that a 32-bit CPtr resolves 12 bits in the root and 4 in the child.
const CHILD = 0x00900000;
const config = defaultConfig();
const L = bootLayout(config);

function setup(child: Partial<CapOf<'CNodeCap'>> = {}): { s: KernelState; root: CapOf<'CNodeCap'>; childCap: CapOf<'CNodeCap'> } {
  const s = structuredClone(bootState(config));
  s.objects[CHILD] = { tag: 'CNode', radix: 4 };
  const childCap: CapOf<'CNodeCap'> = { tag: 'CNodeCap', ptr: CHILD, radix: 4, guardSize: 0, guard: 0, ...child };
  s.ctes[cnodeSlot(L.rootCNode, 30)] = { cap: childCap, mdb: { prev: 0, next: 0, revocable: true, firstBadged: true } };
  s.ctes[cnodeSlot(CHILD, 5)] = { cap: { tag: 'DomainCap' }, mdb: { prev: 0, next: 0, revocable: true, firstBadged: true } };
  const root: CapOf<'CNodeCap'> = { tag: 'CNodeCap', ptr: L.rootCNode, radix: 12, guardSize: 16, guard: 0 };
  return { s, root, childCap };
}

describe('resolveAddressBits', () => {
  it('resolves a slot number at depth 32 in the root CNode (guard 0 of 20 bits)', () => {
    const s = bootState(config);
    const r = lookupSlot(s, L.rootTCB, ROOT_SLOTS.cnode);
    expect(r).toEqual({ ok: true, value: cnodeSlot(L.rootCNode, ROOT_SLOTS.cnode) });
    const c = lookupCap(s, L.rootTCB, ROOT_SLOTS.tcb);
    expect(c.ok && c.value.cap).toEqual({ tag: 'ThreadCap', ptr: L.rootTCB });
  });

  it('walks two levels: 16 guard + 12 radix, then 4 radix', () => {
    const { s, root } = setup();
    const r = resolveAddressBits(s, root, (30 << 4) | 5, 32);
    expect(r).toEqual({ ok: true, value: { slot: cnodeSlot(CHILD, 5), bitsRemaining: 0 } });
  });

  it('stops early at a slot that does not hold a CNode cap', () => {
    const { s, root } = setup();
    const r = resolveAddressBits(s, root, (ROOT_SLOTS.tcb << 4) | 5, 32);
    expect(r).toEqual({ ok: true, value: { slot: cnodeSlot(L.rootCNode, ROOT_SLOTS.tcb), bitsRemaining: 4 } });
  });

  it('reports a guard mismatch with the bits left, the guard found and the guard size', () => {
    const { s, root } = setup();
    expect(resolveAddressBits(s, root, 0x00100000 | 30, 32)).toEqual({
      ok: false, error: { tag: 'GuardMismatch', bitsLeft: 32, guardFound: 0, guardSize: 16 },
    });
    // A guard longer than the bits left is a guard mismatch too (checked before the depth).
    expect(resolveAddressBits(s, root, 0, 12)).toEqual({
      ok: false, error: { tag: 'GuardMismatch', bitsLeft: 12, guardFound: 0, guardSize: 16 },
    });
  });

  it('reports a guard mismatch at the second level', () => {
    const { s, root } = setup({ guardSize: 2, guard: 1, radix: 2 });
    s.objects[CHILD] = { tag: 'CNode', radix: 2 };
    expect(resolveAddressBits(s, root, (30 << 4) | 0b0001, 32)).toEqual({
      ok: false, error: { tag: 'GuardMismatch', bitsLeft: 4, guardFound: 1, guardSize: 2 },
    });
    expect(resolveAddressBits(s, root, (30 << 4) | 0b0110, 32)).toEqual({
      ok: true, value: { slot: cnodeSlot(CHILD, 2), bitsRemaining: 0 },
    });
  });

  it('reports a depth mismatch when a level needs more bits than are left', () => {
    const { s, root } = setup({ radix: 8 });
    expect(resolveAddressBits(s, root, 30 << 4, 32)).toEqual({
      ok: false, error: { tag: 'DepthMismatch', bitsLeft: 4, bitsFound: 8 },
    });
  });

  it('reports InvalidRoot for a root that is not a CNode cap', () => {
    const s = bootState(config);
    expect(resolveAddressBits(s, { tag: 'NullCap' }, 0, 32)).toEqual({ ok: false, error: { tag: 'InvalidRoot' } });
    const t = structuredClone(s);
    delete t.ctes[tcbSlot(L.rootTCB, TCB_SLOT.cTable)];
    expect(lookupSlot(t, L.rootTCB, 2)).toEqual({ ok: false, error: { tag: 'InvalidRoot' } });
  });
});

describe('lookupSlotForCNodeOp', () => {
  const rootCap = (s: KernelState): Cap => s.ctes[cnodeSlot(L.rootCNode, ROOT_SLOTS.cnode)].cap;

  it('checks the root type before the depth', () => {
    const s = bootState(config);
    expect(lookupSlotForCNodeOp(s, true, { tag: 'DomainCap' }, 0, 0)).toEqual({
      ok: false, error: { tag: 'FailedLookup', source: true, failure: { tag: 'InvalidRoot' } },
    });
  });

  it('gives RangeError(1, 32) for a depth outside 1..32', () => {
    const s = bootState(config);
    for (const d of [0, 33, 255, 0xffffffff]) {
      expect(lookupTargetSlot(s, rootCap(s), 5, d)).toEqual({ ok: false, error: { tag: 'RangeError', min: 1, max: 32 } });
    }
  });

  it('reports leftover bits as DepthMismatch(bitsLeft, 0)', () => {
    const { s, root } = setup();
    expect(lookupSourceSlot(s, root, ROOT_SLOTS.tcb << 4, 32)).toEqual({
      ok: false, error: { tag: 'FailedLookup', source: true, failure: { tag: 'DepthMismatch', bitsLeft: 4, bitsFound: 0 } },
    });
    // The same CPtr at depth 28 names the slot itself.
    expect(lookupTargetSlot(s, root, ROOT_SLOTS.tcb, 28)).toEqual({ ok: true, value: cnodeSlot(L.rootCNode, ROOT_SLOTS.tcb) });
  });

  it('marks target lookups as not source and pivot lookups as source', () => {
    const s = bootState(config);
    const bad = { ok: false, error: { tag: 'FailedLookup', failure: { tag: 'GuardMismatch', bitsLeft: 12, guardFound: 0, guardSize: 20 } } };
    expect(lookupTargetSlot(s, rootCap(s), 5, 12)).toMatchObject({ ...bad, error: { ...bad.error, source: false } });
    expect(lookupPivotSlot(s, rootCap(s), 5, 12)).toMatchObject({ ...bad, error: { ...bad.error, source: true } });
  });

  it('finds an empty slot (a lookup does not care what the slot holds)', () => {
    const s = bootState(config);
    const r = lookupTargetSlot(s, rootCap(s), 100, 32);
    expect(r).toEqual({ ok: true, value: cnodeSlot(L.rootCNode, 100) as PPtr });
  });
});
