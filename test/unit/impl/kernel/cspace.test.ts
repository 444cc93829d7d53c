// CSpace lookups of the concrete kernel: direct cases on a booted kernel, and a differential test
// against the spec's lookups on the same two-level tree (scenarios/cnode-lookup.json's setup).

import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ROOT_SLOTS, bootLayout } from '../../../../abi/boot';
import { defaultConfig } from '../../../../abi/config';
import { parseTraceText } from '../../../../abi/trace';
import { bootKernel, stepKernel } from '../../../../impl';
import {
  lastBitsRemaining, lookupCap, lookupSlot, lookupSlotForCNodeOp, resolveAddressBits, resolveAddressBitsRaw,
} from '../../../../impl/kernel/cspace';
import { makeCNodeCap, makeEndpointCap, readCap, writeCap } from '../../../../impl/object/cap';
import { CTE_BYTES } from '../../../../impl/object/structures';
import { bootState, setSpecFreeze, step } from '../../../../spec';
import * as SpecCSpace from '../../../../spec/kernel/cspace';

const config = defaultConfig();
const L = bootLayout(config);
const slot = (i: number): number => L.rootCNode + i * CTE_BYTES;

describe('lookups on the boot CSpace', () => {
  const k = bootKernel(config);

  it('a CPtr names a root slot (20-bit guard 0, radix 12)', () => {
    expect(lookupSlot(k, L.rootTCB, 20)).toEqual({ ok: true, value: slot(20) });
    expect(lookupSlot(k, L.rootTCB, ROOT_SLOTS.cnode)).toEqual({ ok: true, value: slot(ROOT_SLOTS.cnode) });
    const c = lookupCap(k, L.rootTCB, ROOT_SLOTS.tcb);
    expect(c.ok && c.value.slot).toBe(slot(ROOT_SLOTS.tcb));
  });

  it('a non-zero guard bit is a GuardMismatch with the root cap\'s guard', () => {
    expect(lookupSlot(k, L.rootTCB, 0x80000000)).toEqual({ ok: false, error: { tag: 'GuardMismatch', bitsLeft: 32, guardFound: 0, guardSize: 20 } });
  });

  it('InvalidRoot for a root that is not a CNode cap', () => {
    expect(resolveAddressBits(k, makeEndpointCap(0x200000, 0, 15), 0, 32)).toEqual({ ok: false, error: { tag: 'InvalidRoot' } });
  });

  it('DepthMismatch when fewer bits remain than a level takes', () => {
    const root = readCap(k, slot(ROOT_SLOTS.cnode));
    expect(resolveAddressBits(k, root, 5, 31)).toEqual({ ok: false, error: { tag: 'DepthMismatch', bitsLeft: 31, bitsFound: 32 } });
  });

  it('stops early at a slot that holds no CNode cap, reporting the bits left', () => {
    const noGuard = makeCNodeCap(L.rootCNode, 12, 0, 0);
    expect(resolveAddressBits(k, noGuard, (ROOT_SLOTS.tcb << 20) | 0x12345, 32)).toEqual({ ok: true, value: { slot: slot(ROOT_SLOTS.tcb), bitsRemaining: 20 } });
    expect(resolveAddressBitsRaw(k, noGuard.w0, noGuard.w1, ROOT_SLOTS.tcb << 20, 32)).toBe(slot(ROOT_SLOTS.tcb));
    expect(lastBitsRemaining()).toBe(20);
  });

  it('lookupSlotForCNodeOp: depth range, then resolution, then leftover bits', () => {
    const root = readCap(k, slot(ROOT_SLOTS.cnode));
    expect(lookupSlotForCNodeOp(k, true, root, 20, 0)).toEqual({ ok: false, error: { tag: 'RangeError', min: 1, max: 32 } });
    expect(lookupSlotForCNodeOp(k, true, root, 20, 33)).toEqual({ ok: false, error: { tag: 'RangeError', min: 1, max: 32 } });
    expect(lookupSlotForCNodeOp(k, false, makeEndpointCap(0x200000, 0, 15), 20, 32)).toEqual({
      ok: false, error: { tag: 'FailedLookup', source: false, failure: { tag: 'InvalidRoot' } },
    });
    expect(lookupSlotForCNodeOp(k, false, root, 20, 32)).toEqual({ ok: true, value: slot(20) });
    // A two-level walk that ends early is a DepthMismatch with bitsFound 0.
    const k2 = bootKernel(config);
    const noGuard = makeCNodeCap(L.rootCNode, 12, 0, 0);
    writeCap(k2, slot(50), noGuard);
    expect(lookupSlotForCNodeOp(k2, true, noGuard, (ROOT_SLOTS.tcb << 20), 32)).toEqual({
      ok: false, error: { tag: 'FailedLookup', source: true, failure: { tag: 'DepthMismatch', bitsLeft: 20, bitsFound: 0 } },
    });
  });
});

describe('lookups agree with the spec on a two-level tree', () => {
  const trace = parseTraceText(readFileSync('scenarios/cnode-lookup.json', 'utf8'));
  setSpecFreeze(false);
  let s = bootState(trace.config);
  const k = bootKernel(trace.config);
  // The setup: an EP, a 16-slot CNode, the root CNode cap with a 14-bit guard in slot 41, the inner
  // CNode cap with guard 1 of size 2 in slot 42, and EP copies inside the inner CNode.
  trace.events.slice(0, 6).forEach((ev, i) => {
    s = step(s, ev.event, i + 1).state;
    stepKernel(k, ev.event, i + 1);
  });
  const Lt = bootLayout(trace.config);
  const roots = [41, 42, ROOT_SLOTS.cnode, 20].map((i) => Lt.rootCNode + i * CTE_BYTES);

  test.prop(
    [fc.constantFrom(...roots), fc.oneof(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffff }).map((i) => (42 << 6) | i)), fc.integer({ min: 0, max: 34 }), fc.boolean()],
    { seed: 0xc5, numRuns: 500 },
  )('resolveAddressBits and lookupSlotForCNodeOp', (rootSlot, cptr, depth, isSource) => {
    const implRoot = readCap(k, rootSlot);
    const specRoot = s.ctes[rootSlot]!.cap;
    if (depth >= 1 && depth <= 32) {
      expect(resolveAddressBits(k, implRoot, cptr, depth)).toEqual(SpecCSpace.resolveAddressBits(s, specRoot, cptr, depth));
    }
    expect(lookupSlotForCNodeOp(k, isSource, implRoot, cptr, depth)).toEqual(SpecCSpace.lookupSlotForCNodeOp(s, isSource, specRoot, cptr, depth));
  });
});
