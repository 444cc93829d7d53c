// CSpace addressing (seL4 src/kernel/cspace.c, l4v SEL4/Kernel/CSpace.lhs): a CPtr is resolved
// through a tree of guarded CNodes, each level consuming guardSize + radix bits. Lookups never
// mutate the state; their failures are values with the fields seL4 reports to the user.

import { type Cap, type Decoded, type PPtr } from '../api/types';
import { type LookupFailure, type Result, err, ok } from '../api/failures';
import { type KernelState, assert, cnodeSlot, tcbSlot, readCTE } from '../model/state';
import { TCB_SLOT } from '../object/structures';

const WORD_BITS = 32;

/** The low `bits` bits set (bits in 0..32). */
function mask(bits: number): number {
  return bits === 0 ? 0 : 0xffffffff >>> (WORD_BITS - bits);
}

export interface ResolvedSlot {
  slot: PPtr;
  bitsRemaining: number;
}

/**
 * seL4 resolveAddressBits: resolve the top `nBits` bits of `cptr` starting at `nodeCap`. The walk
 * stops early (bitsRemaining > 0) at the first slot whose cap is not a CNode cap; callers decide
 * whether that is acceptable. Guard bits are compared before the depth check, as in seL4.
 */
export function resolveAddressBits(
  s: KernelState,
  nodeCap: Cap,
  cptr: number,
  nBits: number,
): Result<ResolvedSlot, LookupFailure> {
  if (nodeCap.tag !== 'CNodeCap') return err({ tag: 'InvalidRoot' });
  let cap = nodeCap;
  let n = nBits;
  const ptr = cptr >>> 0;
  for (;;) {
    const radix = cap.radix;
    const guardSize = cap.guardSize;
    const level = radix + guardSize;
    // seL4 asserts this: every CNode resolves at least one bit (radix >= 1 by construction).
    assert(level !== 0, 'resolveAddressBits: a CNode cap resolving no bits');
    const guard = (ptr >>> ((n - guardSize) & (WORD_BITS - 1))) & mask(guardSize);
    if (guardSize > n || guard !== cap.guard) {
      return err({ tag: 'GuardMismatch', bitsLeft: n, guardFound: cap.guard, guardSize });
    }
    if (level > n) return err({ tag: 'DepthMismatch', bitsLeft: n, bitsFound: level });
    const offset = (ptr >>> (n - level)) & mask(radix);
    const slot = cnodeSlot(cap.ptr, offset);
    if (n === level) return ok({ slot, bitsRemaining: 0 });
    n -= level;
    const next = readCTE(s, slot).cap;
    if (next.tag !== 'CNodeCap') return ok({ slot, bitsRemaining: n });
    cap = next;
  }
}

/** seL4 lookupSlot: a whole-word lookup in the thread's CSpace; early termination is accepted. */
export function lookupSlot(s: KernelState, thread: PPtr, cptr: number): Result<PPtr, LookupFailure> {
  const root = readCTE(s, tcbSlot(thread, TCB_SLOT.cTable)).cap;
  const r = resolveAddressBits(s, root, cptr, WORD_BITS);
  return r.ok ? ok(r.value.slot) : r;
}

/** seL4 lookupCapAndSlot (the cap found may be NullCap: that is not a lookup failure here). */
export function lookupCap(
  s: KernelState,
  thread: PPtr,
  cptr: number,
): Result<{ cap: Cap; slot: PPtr }, LookupFailure> {
  const r = lookupSlot(s, thread, cptr);
  return r.ok ? ok({ cap: readCTE(s, r.value).cap as Cap, slot: r.value }) : r;
}

export const lookupCapAndSlot = lookupCap;

/**
 * seL4 lookupSlotForCNodeOp: the slot named by (cptr, depth) under `root`, which must resolve
 * exactly `depth` bits. Order of checks as in seL4: root type, depth range, resolution, leftover bits.
 */
export function lookupSlotForCNodeOp(
  s: KernelState,
  isSource: boolean,
  root: Cap,
  cptr: number,
  depth: number,
): Decoded<PPtr> {
  if (root.tag !== 'CNodeCap') {
    return err({ tag: 'FailedLookup', source: isSource, failure: { tag: 'InvalidRoot' } });
  }
  const d = depth >>> 0;
  if (d < 1 || d > WORD_BITS) return err({ tag: 'RangeError', min: 1, max: WORD_BITS });
  const r = resolveAddressBits(s, root, cptr, d);
  if (!r.ok) return err({ tag: 'FailedLookup', source: isSource, failure: r.error });
  if (r.value.bitsRemaining !== 0) {
    return err({
      tag: 'FailedLookup',
      source: isSource,
      failure: { tag: 'DepthMismatch', bitsLeft: r.value.bitsRemaining, bitsFound: 0 },
    });
  }
  return ok(r.value.slot);
}

export function lookupSourceSlot(s: KernelState, root: Cap, cptr: number, depth: number): Decoded<PPtr> {
  return lookupSlotForCNodeOp(s, true, root, cptr, depth);
}

export function lookupTargetSlot(s: KernelState, root: Cap, cptr: number, depth: number): Decoded<PPtr> {
  return lookupSlotForCNodeOp(s, false, root, cptr, depth);
}

/** The pivot of Rotate is looked up as a source, as in seL4 (its failures report source = 1). */
export function lookupPivotSlot(s: KernelState, root: Cap, cptr: number, depth: number): Decoded<PPtr> {
  return lookupSlotForCNodeOp(s, true, root, cptr, depth);
}
