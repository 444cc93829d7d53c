// The packed layouts of the concrete kernel round-trip, keep their tags and never overlap; the
// MDB list operations of impl/object/cnode.ts keep the list doubly linked and in derivation order.

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ROOT_SLOTS, bootLayout } from '../../../../abi/boot';
import { defaultConfig } from '../../../../abi/config';
import { LABEL } from '../../../../abi/invocations';
import { type ObjectTypeName, objectTypeNumber } from '../../../../abi/objecttype';
import { type Layout, decode, encode, fieldMask, matches } from '../../../../machine';
import { bootKernel } from '../../../../impl/kernel/boot';
import type { Kernel } from '../../../../impl/model/state';
import {
  CAP_TAG, NULL_CAP, capEPBadge, capType, mdbFirstBadged, mdbNext, mdbPrev, mdbRevocable, readCap,
} from '../../../../impl/object/cap';
import { cteDelete, cteInsert, cteMove, cteRevoke, cteSwap, emptySlot, isMDBParentOf } from '../../../../impl/object/cnode';
import { updateCapData } from '../../../../impl/object/objecttype';
import { ALL_LAYOUTS, CTE_BYTES } from '../../../../impl/object/structures';
import { decodeUntypedInvocation, invokeUntyped } from '../../../../impl/object/untyped';

const SEED = 0x5eed4;

/** Random values for the non-tag fields of a word layout (high fields in place). */
function valuesOf(layout: Layout): fc.Arbitrary<Record<string, number>> {
  const rec: Record<string, fc.Arbitrary<number>> = {};
  for (const f of layout.fields) {
    if (f.tag !== undefined) continue;
    const max = 2 ** f.width - 1;
    rec[f.name] = f.high ? fc.integer({ min: 0, max }).map((v) => (v * 2 ** f.low) >>> 0) : fc.integer({ min: 0, max });
  }
  return fc.record(rec);
}

describe('packed layouts', () => {
  for (const obj of ALL_LAYOUTS) {
    obj.words.forEach((layout, i) => {
      if (layout.fields.length === 0) return;
      test.prop([valuesOf(layout)], { seed: SEED + i, numRuns: 200 })(`${obj.name} word ${i}: encode/decode round trip`, (vals) => {
        const w = encode(layout, vals);
        expect(w).toBe(w >>> 0);
        const back = decode(layout, w);
        for (const f of layout.fields) expect(back[f.name]).toBe(f.tag !== undefined ? f.tag : vals[f.name]);
        expect(matches(layout, w)).toBe(true);
        // Bits outside every field stay 0.
        expect((w & ~layout.definedMask) >>> 0).toBe(0);
      });

      it(`${obj.name} word ${i}: fields are disjoint and each field changes only its own bits`, () => {
        const masks = layout.fields.map((f) => fieldMask(f.low, f.width));
        for (let a = 0; a < masks.length; a++) {
          for (let b = a + 1; b < masks.length; b++) expect((masks[a]! & masks[b]!) >>> 0).toBe(0);
        }
        for (const f of layout.fields) {
          if (f.tag !== undefined) continue;
          const full = f.high ? fieldMask(f.low, f.width) : 2 ** f.width - 1;
          const back = decode(layout, encode(layout, { [f.name]: full }));
          for (const g of layout.fields) expect(back[g.name]).toBe(g === f ? full : (g.tag ?? 0));
        }
      });
    });
  }

  it('cap tags are distinct and every cap layout matches only its own tag', () => {
    const caps = ALL_LAYOUTS.filter((o) => o.name.endsWith('_cap'));
    const tags = caps.map((o) => o.words[0]!.tagValue);
    expect(new Set(tags).size).toBe(tags.length);
    for (const a of caps) {
      for (const b of caps) {
        if (a !== b) expect(matches(a.words[0]!, b.words[0]!.tagValue)).toBe(false);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// MDB list operations on a booted kernel

const config = defaultConfig();
const L = bootLayout(config);
const slot = (i: number): number => L.rootCNode + i * CTE_BYTES;
const UT = slot(ROOT_SLOTS.firstUntyped);

/** Retype `n` objects from the first untyped into root slots [offset, offset + n). */
function retype(k: Kernel, type: ObjectTypeName, offset: number, n: number, sizeBits = 0): void {
  const cnodeSlot = slot(ROOT_SLOTS.cnode);
  const d = decodeUntypedInvocation(
    k,
    { label: LABEL.UntypedRetype, words: [objectTypeNumber(type), sizeBits, 0, 0, offset, n], extraCaps: [{ cap: readCap(k, cnodeSlot), slot: cnodeSlot }] },
    readCap(k, UT), UT, L.rootTCB,
  );
  if (!d.ok) throw new Error(`retype failed: ${d.error.tag}`);
  invokeUntyped(k, d.value, L.rootTCB);
}

/** The list from `start` forwards (start included), checking every back link on the way. */
function walk(k: Kernel, start: number): number[] {
  const out: number[] = [];
  let p = start;
  while (p !== 0) {
    out.push(p);
    const n = mdbNext(k, p);
    if (n !== 0) expect(mdbPrev(k, n)).toBe(p);
    p = n;
    if (out.length > 10_000) throw new Error('MDB cycle');
  }
  return out;
}

const isEmpty = (k: Kernel, s: number): boolean =>
  [0, 4, 8, 12].every((o) => k.m.peek32(s + o) === 0);

function mint(k: Kernel, src: number, dest: number, badge: number): void {
  const c = updateCapData(false, badge, readCap(k, src));
  cteInsert(k, c, src, dest);
}

function copy(k: Kernel, src: number, dest: number): void {
  cteInsert(k, readCap(k, src), src, dest);
}

describe('MDB list operations', () => {
  it('retype inserts new caps right after the untyped, last created first, revocable', () => {
    const k = bootKernel(config);
    retype(k, 'Endpoint', 100, 3);
    expect(walk(k, UT)).toEqual([UT, slot(102), slot(101), slot(100)]);
    for (const i of [100, 101, 102]) {
      expect(mdbRevocable(k, slot(i))).toBe(true);
      expect(mdbFirstBadged(k, slot(i))).toBe(true);
      expect(isMDBParentOf(k, UT, slot(i))).toBe(true);
    }
  });

  it('cteInsert puts the copy right after its source; a badged copy starts a subtree', () => {
    const k = bootKernel(config);
    retype(k, 'Endpoint', 100, 2); // UT -> 101 -> 100
    copy(k, slot(101), slot(110));
    expect(walk(k, UT)).toEqual([UT, slot(101), slot(110), slot(100)]);
    expect(mdbRevocable(k, slot(110))).toBe(false);
    expect(isMDBParentOf(k, slot(101), slot(110))).toBe(true);
    mint(k, slot(101), slot(111), 7);
    expect(walk(k, UT)).toEqual([UT, slot(101), slot(111), slot(110), slot(100)]);
    expect(capEPBadge(readCap(k, slot(111)))).toBe(7);
    expect(mdbRevocable(k, slot(111))).toBe(true);
    expect(mdbFirstBadged(k, slot(111))).toBe(true);
    // A copy of the badged cap is its child; the unbadged copy is no child of the badged one.
    copy(k, slot(111), slot(112));
    expect(isMDBParentOf(k, slot(111), slot(112))).toBe(true);
    expect(isMDBParentOf(k, slot(112), slot(110))).toBe(false);
  });

  it('cteMove keeps the list position and empties the source', () => {
    const k = bootKernel(config);
    retype(k, 'Endpoint', 100, 2);
    copy(k, slot(101), slot(110)); // UT 101 110 100
    const before = { rev: mdbRevocable(k, slot(110)), fb: mdbFirstBadged(k, slot(110)), cap: readCap(k, slot(110)) };
    cteMove(k, before.cap, slot(110), slot(120));
    expect(walk(k, UT)).toEqual([UT, slot(101), slot(120), slot(100)]);
    expect(isEmpty(k, slot(110))).toBe(true);
    expect(mdbRevocable(k, slot(120))).toBe(before.rev);
    expect(mdbFirstBadged(k, slot(120))).toBe(before.fb);
    expect(readCap(k, slot(120))).toEqual(before.cap);
  });

  it('cteSwap exchanges positions, for distant and adjacent entries alike', () => {
    const k = bootKernel(config);
    retype(k, 'Endpoint', 100, 3); // UT 102 101 100
    const c100 = readCap(k, slot(100));
    const c102 = readCap(k, slot(102));
    cteSwap(k, c102, slot(102), c100, slot(100));
    expect(walk(k, UT)).toEqual([UT, slot(100), slot(101), slot(102)]);
    expect(readCap(k, slot(100))).toEqual(c102);
    expect(readCap(k, slot(102))).toEqual(c100);
    // Adjacent: UT 100 101 102 -> swap 100 and 101.
    cteSwap(k, readCap(k, slot(100)), slot(100), readCap(k, slot(101)), slot(101));
    expect(walk(k, UT)).toEqual([UT, slot(101), slot(100), slot(102)]);
    cteSwap(k, readCap(k, slot(100)), slot(100), readCap(k, slot(101)), slot(101));
    expect(walk(k, UT)).toEqual([UT, slot(100), slot(101), slot(102)]);
  });

  it('emptySlot unlinks, clears the slot and passes firstBadged on', () => {
    const k = bootKernel(config);
    retype(k, 'Endpoint', 100, 1); // UT 100
    mint(k, slot(100), slot(110), 5); // UT 100 110(fb)
    copy(k, slot(110), slot(111)); // UT 100 110 111
    expect(mdbFirstBadged(k, slot(111))).toBe(false);
    emptySlot(k, slot(110), NULL_CAP);
    expect(isEmpty(k, slot(110))).toBe(true);
    expect(walk(k, UT)).toEqual([UT, slot(100), slot(111)]);
    expect(mdbFirstBadged(k, slot(111))).toBe(true);
    // 111 still is not a child of the unbadged original: its badged subtree is kept apart.
    expect(isMDBParentOf(k, slot(100), slot(111))).toBe(true);
    cteDelete(k, slot(111), true);
    expect(walk(k, UT)).toEqual([UT, slot(100)]);
    expect(isEmpty(k, slot(111))).toBe(true);
  });

  it('cteRevoke deletes exactly the descendants, in list order, and nothing else', () => {
    const k = bootKernel(config);
    retype(k, 'Endpoint', 100, 2); // UT 101 100
    const A = slot(101);
    copy(k, A, slot(110)); //  A 110
    mint(k, A, slot(111), 3); // A 111 110
    copy(k, slot(111), slot(112)); // A 111 112 110
    // A badged cap cannot be re-badged (Mint would answer IllegalOperation).
    expect(capType(updateCapData(false, 9, readCap(k, slot(111))))).toBe(CAP_TAG.null);
    mint(k, A, slot(114), 4); // A 114 111 112 110
    expect(walk(k, UT)).toEqual([UT, A, slot(114), slot(111), slot(112), slot(110), slot(100)]);
    // Revoking the badged cap 111 removes only its own copy 112.
    cteRevoke(k, slot(111));
    expect(walk(k, UT)).toEqual([UT, A, slot(114), slot(111), slot(110), slot(100)]);
    // Revoking A removes every cap derived from it, in list order, and stops at the sibling 100.
    const order: number[] = [];
    const watched = new Set([110, 111, 114, 100].map(slot));
    const store32 = k.m.store32.bind(k.m);
    k.m.store32 = (p: number, v: number): void => {
      if (watched.has(p) && v === 0 && k.m.peek32(p) !== 0) order.push(p);
      store32(p, v);
    };
    cteRevoke(k, A);
    k.m.store32 = store32;
    expect(order).toEqual([slot(114), slot(111), slot(110)]);
    expect(walk(k, UT)).toEqual([UT, A, slot(100)]);
    for (const i of [110, 111, 112, 114]) expect(isEmpty(k, slot(i))).toBe(true);
    // Revoking the untyped removes both endpoints and their ghost records.
    expect(k.objects.size).toBeGreaterThan(0);
    const before = k.objects.size;
    cteRevoke(k, UT);
    expect(walk(k, UT)).toEqual([UT]);
    expect(k.objects.size).toBe(before); // ghost objects stay until the untyped is reset
  });

  it('revoking an untyped deletes a tree of CNodes holding caps, and a later retype resets it', () => {
    const k = bootKernel(config);
    retype(k, 'CNode', 100, 1, 2); // a 4-slot CNode at root slot 100
    retype(k, 'Endpoint', 101, 1);
    const cn = readCap(k, slot(100));
    const cnPtr = k.m.peek32(slot(100)) & ~0x1f;
    // Put a copy of the endpoint and a copy of the CNode cap itself into the CNode.
    copy(k, slot(101), cnPtr + 0 * CTE_BYTES);
    cteInsert(k, cn, slot(100), cnPtr + 3 * CTE_BYTES);
    cteRevoke(k, UT);
    expect(walk(k, UT)).toEqual([UT]);
    for (let i = 0; i < 4; i++) expect(isEmpty(k, cnPtr + i * CTE_BYTES)).toBe(true);
    expect(isEmpty(k, slot(100))).toBe(true);
    const objectsBefore = k.objects.size;
    retype(k, 'Notification', 100, 1);
    expect(k.objects.size).toBe(objectsBefore - 2 + 1);
    expect(walk(k, UT)).toEqual([UT, slot(100)]);
  });
});

