// CNode invocations and the mapping database of the concrete kernel (seL4 src/object/cnode.c).
//
// The MDB is seL4's: each CTE's mdbPrev/mdbNext words (CTE_LAYOUT) thread every non-null slot into
// one doubly linked list in derivation order, a cap's descendants following it contiguously;
// parenthood is computed (isMDBParentOf) from the revocable/firstBadged bits and the caps.
// An empty slot is four zero words.
//
// Deletion is seL4's finaliseSlot / reduceZombie / capSwapForDelete with Zombie caps in the slots
// (zombie_cap, structures.ts); a nested CNode or TCB keeps its cyclic Zombie until a later
// deletion reaches it. Only preemption is missing (docs/deviations/cspace.md).

import { LABEL } from '../../abi/invocations';
import {
  type Decoded, OK_VOID, deleteFirst, failedLookup, illegalOperation, ok, truncatedMessage,
} from '../api/failures';
import type { InvocationArgs } from '../api/types';
import type { Kernel } from '../model/state';
import {
  type Cap, CAP_TAG, NULL_CAP, capBlockSize, capEPBadge, capEPPtr, capIRQ, capNtfnBadge, capReplyMaster,
  CTE_NEXT, CTE_PREV, capSetFreeIndex, capType, capUntypedPtr, capZombieNumber, capZombiePtr, capZombieSetNumber,
  capZombieType, mdbFirstBadged, mdbFirstBadgedOf, mdbNext, mdbNextOf, mdbNextWord, mdbPrev, mdbPrevOf, mdbRevocable, readCap, setMdbNext, setMdbPrev, slotCapType, withMdbFirstBadged,
  withMdbNext, withMdbPrev, writeCap, writeMdb,
} from './cap';
import { CTE_BYTES } from './structures';
import { TCB_CNODE_SLOT, tcbSlotAddr } from './tcb-fields';
import { lookupPivotSlot, lookupSourceSlot, lookupTargetSlot } from '../kernel/cspace';
import {
  deriveCap, finaliseCap, hasCancelSendRights, isCapRevocable, maskCapRights, sameObjectAs, sameRegionAs,
  updateCapData,
} from './objecttype';
import { cancelBadgedSends } from './endpoint';
import { deletedIRQHandler } from './interrupt';

/** The CNode invocations (l4v CNodeInvocation), slots as addresses. */
export type CNodeInvocation =
  | { tag: 'Insert'; cap: Cap; sourceSlot: number; targetSlot: number }
  | { tag: 'Rotate'; moveCap1: Cap; moveCap2: Cap; sourceSlot: number; pivotSlot: number; targetSlot: number }
  | { tag: 'Revoke'; targetSlot: number }
  | { tag: 'Move'; cap: Cap; sourceSlot: number; targetSlot: number }
  | { tag: 'CancelBadgedSends'; epCap: Cap }
  | { tag: 'SaveCaller'; targetSlot: number }
  | { tag: 'Delete'; targetSlot: number };

function bug(what: string): never {
  throw new Error(`kernel bug: ${what}`);
}

const hex = (p: number): string => `0x${p.toString(16)}`;

// ---------------------------------------------------------------------------------------------
// MDB queries

/** spec: isMDBParentOf — is the cap at b (following a in the list) a child of the cap at a? */
export function isMDBParentOf(k: Kernel, a: number, b: number): boolean {
  if (!mdbRevocable(k, a)) return false;
  const capA = readCap(k, a);
  const capB = readCap(k, b);
  if (!sameRegionAs(capA, capB)) return false;
  switch (capType(capA)) {
    case CAP_TAG.endpoint: {
      const badge = capEPBadge(capA);
      if (badge === 0) return true;
      return badge === capEPBadge(capB) && !mdbFirstBadged(k, b);
    }
    case CAP_TAG.notification: {
      const badge = capNtfnBadge(capA);
      if (badge === 0) return true;
      return badge === capNtfnBadge(capB) && !mdbFirstBadged(k, b);
    }
    default:
      return true;
  }
}

/** spec: ensureNoChildren (as a predicate: true = no children) */
export function ensureNoChildren(k: Kernel, slot: number): boolean {
  const next = mdbNext(k, slot);
  return next === 0 || !isMDBParentOf(k, slot, next);
}

/** spec: ensureEmptySlot */
export function ensureEmptySlot(k: Kernel, slot: number): Decoded<void> {
  return slotCapType(k, slot) === CAP_TAG.null ? OK_VOID : deleteFirst();
}

/** spec: isFinalCapability — caps to one object are adjacent, so the neighbours decide. */
export function isFinalCapability(k: Kernel, slot: number): boolean {
  return isFinalCap(k, slot, readCap(k, slot));
}

/** isFinalCapability for the cap the caller already read from `slot`. */
function isFinalCap(k: Kernel, slot: number, cap: Cap): boolean {
  const prev = mdbPrev(k, slot);
  if (prev !== 0 && sameObjectAs(readCap(k, prev), cap)) return false;
  const next = mdbNext(k, slot);
  return next === 0 || !sameObjectAs(cap, readCap(k, next));
}

/** spec: slotCapLongRunningDelete */
export function slotCapLongRunningDelete(k: Kernel, slot: number): boolean {
  const t = slotCapType(k, slot);
  if (t === CAP_TAG.null || !isFinalCapability(k, slot)) return false;
  return t === CAP_TAG.thread || t === CAP_TAG.cnode || t === CAP_TAG.zombie;
}

// ---------------------------------------------------------------------------------------------
// MDB updates

/** seL4 setUntypedCapAsFull: copying a whole untyped forbids further retypes from the source. */
function setUntypedCapAsFull(k: Kernel, srcCap: Cap, newCap: Cap, srcSlot: number): void {
  if (capType(srcCap) !== CAP_TAG.untyped || capType(newCap) !== CAP_TAG.untyped) return;
  if (capUntypedPtr(srcCap) !== capUntypedPtr(newCap) || capBlockSize(srcCap) !== capBlockSize(newCap)) return;
  writeCap(k, srcSlot, capSetFreeIndex(srcCap, 2 ** (capBlockSize(srcCap) - 4)));
}

function assertEmptyDest(k: Kernel, dest: number, what: string): void {
  if (slotCapType(k, dest) !== CAP_TAG.null) bug(`${what} to non-empty destination ${hex(dest)}`);
  if (mdbNext(k, dest) !== 0 || mdbPrev(k, dest) !== 0) bug(`${what}: mdb entry of ${hex(dest)} must be empty`);
}

/** spec: cteInsert — newCap into the empty dest, right after its source. */
export function cteInsert(k: Kernel, newCap: Cap, srcSlot: number, destSlot: number): void {
  const srcCap = readCap(k, srcSlot);
  const srcW3 = k.m.load32(srcSlot + CTE_NEXT);
  const next = mdbNextOf(srcW3);
  const revocable = isCapRevocable(newCap, srcCap);
  assertEmptyDest(k, destSlot, 'cteInsert');
  setUntypedCapAsFull(k, srcCap, newCap, srcSlot);
  writeCap(k, destSlot, newCap);
  k.m.store32(destSlot + CTE_PREV, withMdbPrev(0, srcSlot));
  k.m.store32(destSlot + CTE_NEXT, mdbNextWord(next, revocable, revocable));
  k.m.store32(srcSlot + CTE_NEXT, withMdbNext(srcW3, destSlot));
  if (next !== 0) k.m.store32(next + CTE_PREV, withMdbPrev(k.m.load32(next + CTE_PREV), destSlot));
}

/** spec: insertNewCap — a cap to a new object, revocable and firstBadged, right after its parent. */
export function insertNewCap(k: Kernel, parentSlot: number, slot: number, cap: Cap): void {
  const next = mdbNext(k, parentSlot);
  assertEmptyDest(k, slot, 'insertNewCap');
  writeCap(k, slot, cap);
  writeMdb(k, slot, parentSlot, next, true, true);
  if (next !== 0) setMdbPrev(k, next, slot);
  setMdbNext(k, parentSlot, slot);
}

/** spec: cteMove — newCap goes to the empty dest, which takes over the source's list position. */
export function cteMove(k: Kernel, newCap: Cap, srcSlot: number, destSlot: number): void {
  assertEmptyDest(k, destSlot, 'cteMove');
  const prev = mdbPrev(k, srcSlot);
  const next = mdbNext(k, srcSlot);
  const revocable = mdbRevocable(k, srcSlot);
  const firstBadged = mdbFirstBadged(k, srcSlot);
  writeCap(k, destSlot, newCap);
  writeCap(k, srcSlot, NULL_CAP);
  writeMdb(k, destSlot, prev, next, revocable, firstBadged);
  writeMdb(k, srcSlot, 0, 0, false, false);
  if (prev !== 0) setMdbNext(k, prev, destSlot);
  if (next !== 0) setMdbPrev(k, next, destSlot);
}

/**
 * spec: cteSwap — cap1 (from slot1) goes to slot2 and cap2 the other way, each slot taking the
 * other's list position; seL4's update order, which handles adjacent entries. Either slot may be
 * empty (capSwapForDelete).
 */
export function cteSwap(k: Kernel, cap1: Cap, slot1: number, cap2: Cap, slot2: number): void {
  writeCap(k, slot1, cap2);
  writeCap(k, slot2, cap1);
  const prev1 = mdbPrev(k, slot1);
  const next1 = mdbNext(k, slot1);
  const rev1 = mdbRevocable(k, slot1);
  const fb1 = mdbFirstBadged(k, slot1);
  if (prev1 !== 0) setMdbNext(k, prev1, slot2);
  if (next1 !== 0) setMdbPrev(k, next1, slot2);
  const prev2 = mdbPrev(k, slot2);
  const next2 = mdbNext(k, slot2);
  const rev2 = mdbRevocable(k, slot2);
  const fb2 = mdbFirstBadged(k, slot2);
  writeMdb(k, slot1, prev2, next2, rev2, fb2);
  writeMdb(k, slot2, prev1, next1, rev1, fb1);
  if (prev2 !== 0) setMdbNext(k, prev2, slot1);
  if (next2 !== 0) setMdbPrev(k, next2, slot1);
}

/**
 * spec: emptySlot — unlink the slot (the next entry inherits firstBadged), clear it, then the
 * cleanup finaliseCap asked for. An empty slot is left alone.
 */
export function emptySlot(k: Kernel, slot: number, cleanupInfo: Cap = NULL_CAP): void {
  if (slotCapType(k, slot) === CAP_TAG.null) return;
  const prev = mdbPrevOf(k.m.load32(slot + CTE_PREV));
  const w3 = k.m.load32(slot + CTE_NEXT);
  const next = mdbNextOf(w3);
  if (prev !== 0) k.m.store32(prev + CTE_NEXT, withMdbNext(k.m.load32(prev + CTE_NEXT), next));
  if (next !== 0) {
    k.m.store32(next + CTE_PREV, withMdbPrev(k.m.load32(next + CTE_PREV), prev));
    if (mdbFirstBadgedOf(w3)) k.m.store32(next + CTE_NEXT, withMdbFirstBadged(k.m.load32(next + CTE_NEXT), true));
  }
  writeCap(k, slot, NULL_CAP);
  k.m.store32(slot + CTE_PREV, 0);
  k.m.store32(slot + CTE_NEXT, 0);
  postCapDeletion(k, cleanupInfo);
}

/** seL4 postCapDeletion: the line of a deleted final IRQHandler cap becomes inactive. */
function postCapDeletion(k: Kernel, cleanupInfo: Cap): void {
  if (capType(cleanupInfo) === CAP_TAG.irqHandler) deletedIRQHandler(k, capIRQ(cleanupInfo));
}

// ---------------------------------------------------------------------------------------------
// Deletion

/** seL4 capRemovable: NULL_CAP, or a Zombie covering no slot or only the slot it sits in. */
function capRemovable(cap: Cap, slot: number): boolean {
  switch (capType(cap)) {
    case CAP_TAG.null:
      return true;
    case CAP_TAG.zombie: {
      const n = capZombieNumber(cap);
      return n === 0 || (n === 1 && capZombiePtr(cap) === slot);
    }
    default:
      return bug('finaliseCap should only return Zombie or NullCap');
  }
}

/** seL4 capCyclicZombie */
function capCyclicZombie(cap: Cap, slot: number): boolean {
  return capType(cap) === CAP_TAG.zombie && capZombiePtr(cap) === slot;
}

/** seL4 capSwapForDelete */
function capSwapForDelete(k: Kernel, slot1: number, slot2: number): void {
  if (slot1 === slot2) return;
  cteSwap(k, readCap(k, slot1), slot1, readCap(k, slot2), slot2);
}

/** The cleanupInfo of the last finaliseSlot (seL4 returns it in finaliseSlot_ret). */
let finaliseCleanup: Cap = NULL_CAP;

/**
 * seL4 finaliseSlot: finalise the slot's cap until it is removable; true on success. A final
 * CNode or Thread cap becomes a Zombie in the slot, reduced one slot at a time; an unexposed
 * deletion stops at a cyclic Zombie.
 */
function finaliseSlot(k: Kernel, slot: number, exposed: boolean): boolean {
  for (;;) {
    const cap = readCap(k, slot);
    if (capType(cap) === CAP_TAG.null) {
      finaliseCleanup = NULL_CAP;
      return true;
    }
    const r = finaliseCap(k, cap, isFinalCap(k, slot, cap), false);
    if (capRemovable(r.remainder, slot)) {
      finaliseCleanup = r.cleanupInfo;
      return true;
    }
    writeCap(k, slot, r.remainder);
    if (!exposed && capCyclicZombie(r.remainder, slot)) {
      finaliseCleanup = NULL_CAP;
      return false;
    }
    reduceZombie(k, r.remainder, slot, exposed);
  }
}

/**
 * seL4 reduceZombie. Exposed: delete the Zombie's last slot and shrink it, unless that changed our
 * slot. Unexposed: swap the Zombie into its own object's first slot, where it stays.
 */
function reduceZombie(k: Kernel, z: Cap, slot: number, exposed: boolean): void {
  const ptr = capZombiePtr(z);
  const n = capZombieNumber(z);
  if (n <= 0) bug('reduceZombie expected unremovable Zombie');
  if (!exposed) {
    if (ptr === slot) bug('Cyclic zombie passed to unexposed reduceZombie');
    const there = readCap(k, ptr);
    if (capType(there) === CAP_TAG.zombie && capZombiePtr(there) === ptr) bug('Moving self-referential Zombie aside');
    capSwapForDelete(k, ptr, slot);
    return;
  }
  const endSlot = ptr + (n - 1) * CTE_BYTES;
  if (slotCapType(k, endSlot) === CAP_TAG.null) {
    // Deleting an empty slot only shrinks the Zombie: pass the whole run of empty slots at once.
    let m = n - 1;
    while (m > 0 && slotCapType(k, ptr + (m - 1) * CTE_BYTES) === CAP_TAG.null) m--;
    writeCap(k, slot, capZombieSetNumber(z, m));
    return;
  }
  cteDelete(k, endSlot, false);
  const now = readCap(k, slot);
  switch (capType(now)) {
    case CAP_TAG.null:
      return;
    case CAP_TAG.zombie:
      if (capZombiePtr(now) === ptr && capZombieNumber(now) === n && capZombieType(now) === capZombieType(z)) {
        if (slotCapType(k, endSlot) !== CAP_TAG.null) bug('Expected cteDelete to clear slot or overwrite existing');
        writeCap(k, slot, capZombieSetNumber(z, n - 1));
      } else if (!(capZombiePtr(now) === slot && ptr !== slot)) {
        bug('Expected new Zombie to be self-referential');
      }
      return;
    default:
      bug('Expected recursion to result in Zombie');
  }
}

/**
 * spec: cteDelete — delete the slot's cap, finalising the object if it was the last cap. An
 * unexposed deletion may leave a cyclic Zombie in a nested CNode or TCB; not preempted.
 */
export function cteDelete(k: Kernel, slot: number, exposed: boolean): void {
  const success = finaliseSlot(k, slot, exposed);
  if (exposed || success) emptySlot(k, slot, finaliseCleanup);
}

/** spec: cteDeleteOne — delete a cap that finalises at once (reply, endpoint, notification caps). */
export function cteDeleteOne(k: Kernel, slot: number): void {
  const cap = readCap(k, slot);
  if (capType(cap) === CAP_TAG.null) return;
  const r = finaliseCap(k, cap, isFinalCap(k, slot, cap), true);
  if (!capRemovable(r.remainder, slot) || capType(r.cleanupInfo) !== CAP_TAG.null) bug('cteDeleteOne: cap should be removable');
  emptySlot(k, slot, NULL_CAP);
}

/** spec: cteRevoke — delete the following entries while they are the slot's children. */
export function cteRevoke(k: Kernel, slot: number): void {
  for (;;) {
    if (slotCapType(k, slot) === CAP_TAG.null) return;
    const next = mdbNext(k, slot);
    if (next === 0 || !isMDBParentOf(k, slot, next)) return;
    cteDelete(k, next, true);
  }
}

// ---------------------------------------------------------------------------------------------
// Invocations

const isNullSlot = (k: Kernel, slot: number): boolean => slotCapType(k, slot) === CAP_TAG.null;

/** spec: decodeCNodeInvocation */
export function decodeCNodeInvocation(
  k: Kernel, args: InvocationArgs, cap: Cap, _slot: number, _thread: number,
): Decoded<CNodeInvocation> {
  const label = args.label;
  if (label < LABEL.CNodeRevoke || label > LABEL.CNodeSaveCaller) return illegalOperation();
  const w = args.words;
  if (w.length < 2) return truncatedMessage();
  const dest = lookupTargetSlot(k, cap, w[0]!, w[1]!);
  if (!dest.ok) return dest;
  const destSlot = dest.value;
  if (label >= LABEL.CNodeCopy && label <= LABEL.CNodeMutate) return decodeCopyLike(k, args, destSlot);
  switch (label) {
    case LABEL.CNodeRevoke:
      return ok({ tag: 'Revoke', targetSlot: destSlot });
    case LABEL.CNodeDelete:
      return ok({ tag: 'Delete', targetSlot: destSlot });
    case LABEL.CNodeSaveCaller: {
      const e = ensureEmptySlot(k, destSlot);
      return e.ok ? ok({ tag: 'SaveCaller', targetSlot: destSlot }) : e;
    }
    case LABEL.CNodeCancelBadgedSends: {
      const target = readCap(k, destSlot);
      if (!hasCancelSendRights(target)) return illegalOperation();
      return ok({ tag: 'CancelBadgedSends', epCap: target });
    }
    case LABEL.CNodeRotate:
      return decodeRotate(k, args, destSlot);
    default:
      return bug(`decodeCNodeInvocation: unhandled label ${label}`);
  }
}

/** Copy, Mint, Move, Mutate: (dest index, dest depth, src index, src depth, [rights], [data]; src root). */
function decodeCopyLike(k: Kernel, args: InvocationArgs, destSlot: number): Decoded<CNodeInvocation> {
  const w = args.words;
  const srcRoot = args.extraCaps[0];
  if (w.length < 4 || srcRoot === undefined) return truncatedMessage();
  const srcIndex = w[2]!;
  const srcDepth = w[3]!;
  const empty = ensureEmptySlot(k, destSlot);
  if (!empty.ok) return empty;
  const src = lookupSourceSlot(k, srcRoot.cap, srcIndex, srcDepth);
  if (!src.ok) return src;
  const srcSlot = src.value;
  const srcCap = readCap(k, srcSlot);
  if (capType(srcCap) === CAP_TAG.null) return failedLookup(true, { tag: 'MissingCapability', bitsLeft: srcDepth >>> 0 });
  let newCap: Cap;
  let isMove: boolean;
  switch (args.label) {
    case LABEL.CNodeCopy: {
      if (w.length < 5) return truncatedMessage();
      const d = deriveCap(k, srcSlot, maskCapRights(w[4]!, srcCap));
      if (!d.ok) return d;
      newCap = d.value;
      isMove = false;
      break;
    }
    case LABEL.CNodeMint: {
      if (w.length < 6) return truncatedMessage();
      const d = deriveCap(k, srcSlot, updateCapData(false, w[5]!, maskCapRights(w[4]!, srcCap)));
      if (!d.ok) return d;
      newCap = d.value;
      isMove = false;
      break;
    }
    case LABEL.CNodeMove:
      newCap = srcCap;
      isMove = true;
      break;
    case LABEL.CNodeMutate:
      if (w.length < 5) return truncatedMessage();
      newCap = updateCapData(true, w[4]!, srcCap);
      isMove = true;
      break;
    default:
      return bug(`decodeCopyLike: label ${args.label}`);
  }
  if (capType(newCap) === CAP_TAG.null) return illegalOperation();
  return ok(isMove
    ? { tag: 'Move', cap: newCap, sourceSlot: srcSlot, targetSlot: destSlot }
    : { tag: 'Insert', cap: newCap, sourceSlot: srcSlot, targetSlot: destSlot });
}

/**
 * Rotate (dest index, dest depth, pivot data, pivot index, pivot depth, src data, src index,
 * src depth; pivot root, src root): pivot's cap to dest, source's to pivot.
 */
function decodeRotate(k: Kernel, args: InvocationArgs, destSlot: number): Decoded<CNodeInvocation> {
  const w = args.words;
  const pivotRoot = args.extraCaps[0];
  const srcRoot = args.extraCaps[1];
  if (w.length < 8 || pivotRoot === undefined || srcRoot === undefined) return truncatedMessage();
  const pivotNewData = w[2]!;
  const pivotIndex = w[3]!;
  const pivotDepth = w[4]!;
  const srcNewData = w[5]!;
  const srcIndex = w[6]!;
  const srcDepth = w[7]!;
  const src = lookupSourceSlot(k, srcRoot.cap, srcIndex, srcDepth);
  if (!src.ok) return src;
  const pivot = lookupPivotSlot(k, pivotRoot.cap, pivotIndex, pivotDepth);
  if (!pivot.ok) return pivot;
  const srcSlot = src.value;
  const pivotSlot = pivot.value;
  if (pivotSlot === srcSlot || pivotSlot === destSlot) return illegalOperation();
  if (srcSlot !== destSlot) {
    const e = ensureEmptySlot(k, destSlot);
    if (!e.ok) return e;
  }
  if (isNullSlot(k, srcSlot)) return failedLookup(true, { tag: 'MissingCapability', bitsLeft: srcDepth >>> 0 });
  if (isNullSlot(k, pivotSlot)) return failedLookup(false, { tag: 'MissingCapability', bitsLeft: pivotDepth >>> 0 });
  const newSrcCap = updateCapData(true, srcNewData, readCap(k, srcSlot));
  const newPivotCap = updateCapData(true, pivotNewData, readCap(k, pivotSlot));
  if (capType(newSrcCap) === CAP_TAG.null || capType(newPivotCap) === CAP_TAG.null) return illegalOperation();
  return ok({ tag: 'Rotate', moveCap1: newSrcCap, moveCap2: newPivotCap, sourceSlot: srcSlot, pivotSlot, targetSlot: destSlot });
}

/** spec: invokeCNode */
export function invokeCNode(k: Kernel, inv: CNodeInvocation, thread: number): void {
  switch (inv.tag) {
    case 'Revoke':
      return cteRevoke(k, inv.targetSlot);
    case 'Delete':
      return cteDelete(k, inv.targetSlot, true);
    case 'CancelBadgedSends': {
      const badge = capEPBadge(inv.epCap);
      if (badge !== 0) cancelBadgedSends(k, capEPPtr(inv.epCap), badge);
      return;
    }
    case 'Insert':
      return cteInsert(k, inv.cap, inv.sourceSlot, inv.targetSlot);
    case 'Move':
      return cteMove(k, inv.cap, inv.sourceSlot, inv.targetSlot);
    case 'Rotate':
      if (inv.sourceSlot === inv.targetSlot) {
        cteSwap(k, inv.moveCap1, inv.sourceSlot, inv.moveCap2, inv.pivotSlot);
      } else {
        cteMove(k, inv.moveCap2, inv.pivotSlot, inv.targetSlot);
        cteMove(k, inv.moveCap1, inv.sourceSlot, inv.pivotSlot);
      }
      return;
    case 'SaveCaller':
      return saveCaller(k, inv.targetSlot, thread);
  }
}

/** seL4 invokeCNodeSaveCaller: move the thread's reply cap (if any) out of its caller slot. */
function saveCaller(k: Kernel, destSlot: number, thread: number): void {
  const callerSlot = tcbSlotAddr(thread, TCB_CNODE_SLOT.caller);
  const cap = readCap(k, callerSlot);
  switch (capType(cap)) {
    case CAP_TAG.null:
      return;
    case CAP_TAG.reply:
      if (!capReplyMaster(cap)) cteMove(k, cap, callerSlot, destSlot);
      return;
    default:
      bug('caller capability must be null or reply');
  }
}

