// Small combinators and the pools of world slots that the world-aware arbitraries draw from.

import fc from 'fast-check';
import { u32 } from './basic';
import { LAST_SLOT, ROOT_FREE, type World } from './world';

export const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);

/** `good` `goodWeight` times in `goodWeight + 1` draws, else `bad`. */
export const often = <T, U = T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>, goodWeight = 6): fc.Arbitrary<T | U> =>
  fc.oneof({ weight: goodWeight, arbitrary: good as fc.Arbitrary<T | U> }, { weight: 1, arbitrary: bad as fc.Arbitrary<T | U> });

/** `x` once in `n` draws, otherwise null (fc.option's freq counts the other way). */
export const rarely = <T>(x: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: x });

/** The free slots every CSpace has at the same index (from the first free one to an own CNode's last). */
export function sharedFreeSlots(w: World): number[] {
  return Array.from({ length: LAST_SLOT - w.firstFree + 1 }, (_, i) => w.firstFree + i);
}

/** Everything the world-aware arbitraries draw cap pointers from. */
export function slotPools(w: World) {
  // Slots every CSpace has, and as many again that only the root CNode has.
  const shared = sharedFreeSlots(w);
  const free = [...shared, ...Array.from({ length: shared.length }, (_, i) => ROOT_FREE.first + i * Math.floor(ROOT_FREE.count / shared.length))];
  const all = [...w.slotNames.keys()].filter((x) => !w.harness.includes(x)).sort((a, b) => a - b);
  const any = often(pick(all), fc.oneof(pick(free), fc.constant(0), u32), 5);
  return {
    free, all, any,
    ipc: often(pick([...w.eps, ...w.badgedEps, ...w.ntfns, ...w.badgedNtfns, w.epReduced, w.epDoomed, w.epNoWrite]), any, 8),
    freeSlot: often(pick(free), pick(all), 3),
  };
}

export type SlotPools = ReturnType<typeof slotPools>;
