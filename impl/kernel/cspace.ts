// CSpace addressing of the concrete kernel (seL4 src/kernel/cspace.c): a CPtr is resolved through
// guarded CNodes read from memory, each level consuming guardSize + radix bits.
//
// The walk itself allocates nothing: the *Raw functions return a slot address (or -1) and leave
// the bits remaining and the failure in module variables, as seL4 leaves them in
// current_lookup_fault; the Result-returning wrappers are the contract's shape.

import { type Decoded, type LookupFailure, type Result, err, failedLookup, ok, rangeError } from '../api/failures';
import {
  type Cap, CAP_TAG, capType, cnodeW0Ptr, cnodeW1Guard, cnodeW1GuardSize, cnodeW1Radix, readCap,
} from '../object/cap';
import { CTE_BYTES, capTagOf } from '../object/structures';
import { TCB_CNODE_SLOT, tcbSlotAddr } from '../object/tcb-fields';
import type { Kernel } from '../model/state';

const WORD_BITS = 32;

/** The low `bits` bits set (0..32). */
function mask(bits: number): number {
  return bits === 0 ? 0 : 0xffffffff >>> (WORD_BITS - bits);
}

// Failure of the last raw lookup (seL4 current_lookup_fault), and the bits left on success.
let lufTag: 0 | 1 | 2 | 3 = 0; // 0 InvalidRoot, 1 MissingCapability, 2 DepthMismatch, 3 GuardMismatch
let lufBitsLeft = 0;
let lufBitsFound = 0;
let lufGuardFound = 0;
let lufGuardSize = 0;
let rawBitsRemaining = 0;

/** The failure of the last raw lookup that returned -1, as a value. */
export function lastLookupFailure(): LookupFailure {
  switch (lufTag) {
    case 0:
      return { tag: 'InvalidRoot' };
    case 1:
      return { tag: 'MissingCapability', bitsLeft: lufBitsLeft };
    case 2:
      return { tag: 'DepthMismatch', bitsLeft: lufBitsLeft, bitsFound: lufBitsFound };
    default:
      return { tag: 'GuardMismatch', bitsLeft: lufBitsLeft, guardFound: lufGuardFound, guardSize: lufGuardSize };
  }
}

/** Bits left unresolved by the last successful raw resolution (0 = resolved exactly). */
export function lastBitsRemaining(): number {
  return rawBitsRemaining;
}

/**
 * seL4 resolveAddressBits on the cap words: the slot reached, or -1 (lastLookupFailure()). Stops
 * early at the first slot not holding a CNode cap (lastBitsRemaining() > 0); guards are checked
 * before depth, as in seL4.
 */
export function resolveAddressBitsRaw(k: Kernel, nodeW0: number, nodeW1: number, cptr: number, nBits: number): number {
  if (capTagOf(nodeW0) !== CAP_TAG.cnode) {
    lufTag = 0;
    return -1;
  }
  const ptr = cptr >>> 0;
  let n = nBits;
  let w0 = nodeW0;
  let w1 = nodeW1;
  for (;;) {
    const radix = cnodeW1Radix(w1);
    const guardSize = cnodeW1GuardSize(w1);
    const level = radix + guardSize;
    if (level === 0) throw new Error('resolveAddressBits: a CNode cap resolving no bits');
    const capGuard = cnodeW1Guard(w1);
    const guard = ((ptr >>> ((n - guardSize) & (WORD_BITS - 1))) & mask(guardSize)) >>> 0;
    if (guardSize > n || guard !== capGuard) {
      lufTag = 3;
      lufBitsLeft = n;
      lufGuardFound = capGuard;
      lufGuardSize = guardSize;
      return -1;
    }
    if (level > n) {
      lufTag = 2;
      lufBitsLeft = n;
      lufBitsFound = level;
      return -1;
    }
    const offset = ((ptr >>> (n - level)) & mask(radix)) >>> 0;
    const slot = cnodeW0Ptr(w0) + offset * CTE_BYTES;
    if (n === level) {
      rawBitsRemaining = 0;
      return slot;
    }
    n -= level;
    w0 = k.m.load32(slot);
    if (capTagOf(w0) !== CAP_TAG.cnode) {
      rawBitsRemaining = n;
      return slot;
    }
    w1 = k.m.load32(slot + 4);
  }
}

export interface ResolvedSlot {
  slot: number;
  bitsRemaining: number;
}

/** spec: resolveAddressBits */
export function resolveAddressBits(k: Kernel, nodeCap: Cap, cptr: number, nBits: number): Result<ResolvedSlot, LookupFailure> {
  const slot = resolveAddressBitsRaw(k, nodeCap.w0, nodeCap.w1, cptr, nBits);
  return slot < 0 ? err(lastLookupFailure()) : ok({ slot, bitsRemaining: rawBitsRemaining });
}

/** seL4 lookupSlot without allocation: the slot, or -1 (lastLookupFailure()). */
export function lookupSlotRaw(k: Kernel, thread: number, cptr: number): number {
  const root = tcbSlotAddr(thread, TCB_CNODE_SLOT.cTable);
  return resolveAddressBitsRaw(k, k.m.load32(root), k.m.load32(root + 4), cptr, WORD_BITS);
}

/** spec: lookupSlot */
export function lookupSlot(k: Kernel, thread: number, cptr: number): Result<number, LookupFailure> {
  const slot = lookupSlotRaw(k, thread, cptr);
  return slot < 0 ? err(lastLookupFailure()) : ok(slot);
}

/** spec: lookupCap (seL4 lookupCapAndSlot; a NullCap found is not a failure here) */
export function lookupCap(k: Kernel, thread: number, cptr: number): Result<{ cap: Cap; slot: number }, LookupFailure> {
  const slot = lookupSlotRaw(k, thread, cptr);
  return slot < 0 ? err(lastLookupFailure()) : ok({ cap: readCap(k, slot), slot });
}

export const lookupCapAndSlot = lookupCap;

/** spec: lookupSlotForCNodeOp */
export function lookupSlotForCNodeOp(k: Kernel, isSource: boolean, root: Cap, cptr: number, depth: number): Decoded<number> {
  if (capType(root) !== CAP_TAG.cnode) return failedLookup(isSource, { tag: 'InvalidRoot' });
  const d = depth >>> 0;
  if (d < 1 || d > WORD_BITS) return rangeError(1, WORD_BITS);
  const slot = resolveAddressBitsRaw(k, root.w0, root.w1, cptr, d);
  if (slot < 0) return failedLookup(isSource, lastLookupFailure());
  if (rawBitsRemaining !== 0) {
    return failedLookup(isSource, { tag: 'DepthMismatch', bitsLeft: rawBitsRemaining, bitsFound: 0 });
  }
  return ok(slot);
}

/** spec: lookupSourceSlot */
export function lookupSourceSlot(k: Kernel, root: Cap, cptr: number, depth: number): Decoded<number> {
  return lookupSlotForCNodeOp(k, true, root, cptr, depth);
}

/** spec: lookupTargetSlot */
export function lookupTargetSlot(k: Kernel, root: Cap, cptr: number, depth: number): Decoded<number> {
  return lookupSlotForCNodeOp(k, false, root, cptr, depth);
}

/** spec: lookupPivotSlot (seL4 looks the pivot up as a source) */
export function lookupPivotSlot(k: Kernel, root: Cap, cptr: number, depth: number): Decoded<number> {
  return lookupSlotForCNodeOp(k, true, root, cptr, depth);
}
