// Random sequences of MDB operations (copy, mint, move, swap, delete, revoke) on endpoint caps keep
// seL4's list well formed: links symmetric, no cycles, only non-null slots linked; revoke leaves
// no children; delete empties the slot; a new badge always starts a firstBadged subtree.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { bootLayout } from '../../../../abi/boot';
import { ALL_RIGHTS } from '../../../../abi/rights';
import type { PPtr } from '../../../../spec/api/types';
import { bootState } from '../../../../spec/kernel/boot';
import { type KernelState, cnodeSlot, getCTE } from '../../../../spec/model/state';
import { cteDelete, cteInsert, cteMove, cteRevoke, cteSwap, ensureNoChildren } from '../../../../spec/object/cnode';

const config = defaultConfig();
const L = bootLayout(config);
const EPS = [0x00900000, 0x00900010];
const N = 12;
const slotOf = (i: number): PPtr => cnodeSlot(L.rootCNode, 40 + i);

type Op =
  | { op: 'copy' | 'move' | 'swap'; a: number; b: number }
  | { op: 'mint'; a: number; b: number; badge: number }
  | { op: 'delete' | 'revoke'; a: number };

const idx = fc.integer({ min: 0, max: N - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('copy' as const, 'move' as const, 'swap' as const), a: idx, b: idx }),
  fc.record({ op: fc.constant('mint' as const), a: idx, b: idx, badge: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ op: fc.constantFrom('delete' as const, 'revoke' as const), a: idx }),
);

function start(): KernelState {
  const s = structuredClone(bootState(config));
  EPS.forEach((ep, i) => {
    s.objects[ep] = { tag: 'Endpoint', state: 'Idle', queue: [] };
    s.ctes[slotOf(i)] = { cap: { tag: 'EndpointCap', ptr: ep, badge: 0, rights: ALL_RIGHTS }, mdb: { prev: 0, next: 0, revocable: true, firstBadged: true } };
  });
  return s;
}

function apply(s: KernelState, o: Op): void {
  const a = slotOf(o.a);
  const ca = getCTE(s, a).cap;
  switch (o.op) {
    case 'copy':
    case 'mint': {
      const b = slotOf(o.b);
      if (ca.tag !== 'EndpointCap' || getCTE(s, b).cap.tag !== 'NullCap') return;
      if (o.op === 'mint' && ca.badge !== 0) return;
      cteInsert(s, o.op === 'mint' ? { ...ca, badge: o.badge } : ca, a, b);
      return;
    }
    case 'move': {
      const b = slotOf(o.b);
      if (ca.tag === 'NullCap' || getCTE(s, b).cap.tag !== 'NullCap') return;
      cteMove(s, ca, a, b);
      return;
    }
    case 'swap': {
      const b = slotOf(o.b);
      const cb = getCTE(s, b).cap;
      if (a === b || ca.tag === 'NullCap' || cb.tag === 'NullCap') return;
      cteSwap(s, ca, a, cb, b);
      return;
    }
    case 'delete':
      cteDelete(s, a, true);
      expect(s.ctes[a]).toBeUndefined();
      return;
    case 'revoke':
      cteRevoke(s, a);
      expect(ensureNoChildren(s, a)).toBe(true);
      return;
  }
}

/** Links symmetric and acyclic; returns the lists (head first). */
function checkLists(s: KernelState): PPtr[][] {
  const lists: PPtr[][] = [];
  for (const [k, cte] of Object.entries(s.ctes)) {
    const p = Number(k);
    expect(cte.cap.tag).not.toBe('NullCap');
    if (cte.mdb.next !== 0) expect(s.ctes[cte.mdb.next]?.mdb.prev).toBe(p);
    if (cte.mdb.prev !== 0) expect(s.ctes[cte.mdb.prev]?.mdb.next).toBe(p);
    if (cte.mdb.prev === 0) {
      const list: PPtr[] = [];
      for (let q = p; q !== 0; q = s.ctes[q].mdb.next) {
        expect(list.length).toBeLessThan(Object.keys(s.ctes).length);
        list.push(q);
      }
      lists.push(list);
    }
  }
  expect(lists.reduce((n, l) => n + l.length, 0)).toBe(Object.keys(s.ctes).length);
  return lists;
}

describe('MDB operations keep the derivation list well formed', () => {
  it('random copy/mint/move/swap/delete/revoke', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const s = start();
        for (const o of ops) {
          apply(s, o);
          for (const list of checkLists(s)) {
            // Haskell valid_badges: an entry following a cap to the same endpoint with a
            // different non-zero badge starts its own badged subtree (firstBadged).
            for (let k = 1; k < list.length; k++) {
              const p = getCTE(s, list[k - 1]).cap;
              const q = s.ctes[list[k]];
              if (p.tag === 'EndpointCap' && q.cap.tag === 'EndpointCap' && p.ptr === q.cap.ptr && q.cap.badge !== 0 && q.cap.badge !== p.badge) {
                expect(q.mdb.firstBadged).toBe(true);
              }
            }
          }
        }
      }),
      { seed: 0x5eed, numRuns: 300 },
    );
  });
});
