// absCTE: a slot's cap and MDB node. The spec keeps only non-null slots.

import { field, getField } from '../../machine';
import type { CTE } from '../../spec/object/structures';
import type { Kernel } from '../../impl';
import { CTE_LAYOUT } from '../../impl/object/structures';
import { absCap } from '../api/types';

const PREV = field(CTE_LAYOUT.words[2], 'mdbPrev');
const NEXT = field(CTE_LAYOUT.words[3], 'mdbNext');
const REVOCABLE = field(CTE_LAYOUT.words[3], 'mdbRevocable');
const FIRST_BADGED = field(CTE_LAYOUT.words[3], 'mdbFirstBadged');

/** The slot at `slot` as the spec's CTE, or undefined for an empty slot (null cap, null MDB node). */
export function absCTE(k: Kernel, slot: number, problem: (what: string) => void): CTE | undefined {
  const w0 = k.m.peek32(slot);
  const w1 = k.m.peek32(slot + 4);
  const m0 = k.m.peek32(slot + 8);
  const m1 = k.m.peek32(slot + 12);
  const cap = absCap({ w0, w1 });
  if (cap.tag === 'NullCap') {
    if (m0 !== 0 || m1 !== 0) problem(`empty slot 0x${slot.toString(16)} has MDB words 0x${m0.toString(16)} 0x${m1.toString(16)}`);
    return undefined;
  }
  const next = getField(m1, NEXT);
  if (next !== 0 && getField(k.m.peek32(next + 8), PREV) !== slot) problem(`MDB: slot 0x${next.toString(16)} (next of 0x${slot.toString(16)}) does not point back`);
  return {
    cap,
    mdb: { prev: getField(m0, PREV), next, revocable: getField(m1, REVOCABLE) === 1, firstBadged: getField(m1, FIRST_BADGED) === 1 },
  };
}
