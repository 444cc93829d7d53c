// CNode invocations and the mapping database (seL4 src/object/cnode.c; l4v SEL4/Object/CNode.lhs).
//
// The MDB is seL4's: one doubly linked list through every non-null slot (CTE.mdb.prev/next, slot
// addresses, 0 = none) in derivation order, a node's descendants following it contiguously.
// Parent/child is computed (isMDBParentOf) from the revocable and firstBadged bits and the caps.
//
// Deletion is seL4's Zombie algorithm (finaliseSlot / reduceZombie / capSwapForDelete): a final
// CNode or Thread cap becomes a Zombie cap in its slot, and a CNode or TCB whose last cap sat
// inside an object being deleted is left with a cyclic Zombie in its first slot, its other slots
// untouched until a later deletion reaches that Zombie. Only preemption is missing: a deletion
// runs to completion in one kernel entry (docs/deviations/cspace.md).

import { LABEL } from '../../abi/invocations';
import { rightsFromWord } from '../../abi/rights';
import { type Cap, type CapOf, type Decoded, type InvocationArgs, NULL_CAP, type PPtr, type ZombieType } from '../api/types';
import { err, ok } from '../api/failures';
import { CTE_SIZE, type KernelState, KernelBug, assert, cnodeSlot, getCTE, readCTE, liveCTEOrUndefined, markCTE, tcbSlot } from '../model/state';
import { type CTE, type MDBNode, TCB_SLOT } from './structures';
import { lookupPivotSlot, lookupSourceSlot, lookupTargetSlot } from '../kernel/cspace';
import {
  deriveCap, finaliseCap, hasCancelSendRights, isCapRevocable, maskCapRights, sameObjectAs, sameRegionAs,
  updateCapData,
} from './objecttype';
import { cancelBadgedSends } from './endpoint';
import { deletedIRQHandler } from './interrupt';

/** l4v Invocation.lhs CNodeInvocation. */
export type CNodeInvocation =
  | { tag: 'Insert'; cap: Cap; sourceSlot: PPtr; targetSlot: PPtr }
  | { tag: 'Rotate'; moveCap1: Cap; moveCap2: Cap; sourceSlot: PPtr; pivotSlot: PPtr; targetSlot: PPtr }
  | { tag: 'Revoke'; targetSlot: PPtr }
  | { tag: 'Move'; cap: Cap; sourceSlot: PPtr; targetSlot: PPtr }
  | { tag: 'CancelBadgedSends'; epCap: CapOf<'EndpointCap'> }
  | { tag: 'SaveCaller'; targetSlot: PPtr }
  | { tag: 'Delete'; targetSlot: PPtr };

// ---------------------------------------------------------------------------------------------
// Slot access. A slot is present in s.ctes iff its cap is not NullCap (then its MDB node is null).

const NULL_MDB: MDBNode = Object.freeze({ prev: 0, next: 0, revocable: false, firstBadged: false });

function liveCTE(s: KernelState, slot: PPtr): CTE {
  const cte = liveCTEOrUndefined(s, slot);
  if (cte === undefined) throw new KernelBug(`MDB link to the empty slot 0x${slot.toString(16)}`);
  return cte;
}

function setMDBNext(s: KernelState, slot: PPtr, next: PPtr): void {
  if (slot !== 0) liveCTE(s, slot).mdb.next = next;
}

function setMDBPrev(s: KernelState, slot: PPtr, prev: PPtr): void {
  if (slot !== 0) liveCTE(s, slot).mdb.prev = prev;
}

function isNullMDB(m: MDBNode): boolean {
  return m.prev === 0 && m.next === 0 && !m.revocable && !m.firstBadged;
}

/** Writes a whole slot; a NullCap empties it (its MDB node must then be null). */
function setCTE(s: KernelState, slot: PPtr, cap: Cap, mdb: MDBNode): void {
  if (cap.tag === 'NullCap') {
    if (!isNullMDB(mdb)) throw new KernelBug(`a null cap with MDB links at 0x${slot.toString(16)}`);
    markCTE(s, slot);
    delete s.ctes[slot];
  } else {
    markCTE(s, slot);
    s.ctes[slot] = { cap, mdb: { ...mdb } };
  }
}

// ---------------------------------------------------------------------------------------------
// MDB queries

/**
 * seL4 isMDBParentOf: is the cap at `b` (which follows `a` in the list) a child of the one at `a`?
 * `a` must be revocable and cover b's region; a badged EP/notification cap has as children only
 * caps of the same badge that do not start a badged subtree of their own (firstBadged).
 */
export function isMDBParentOf(s: KernelState, a: PPtr, b: PPtr): boolean {
  const ca = readCTE(s, a);
  const cb = readCTE(s, b);
  if (!ca.mdb.revocable) return false;
  if (!sameRegionAs(ca.cap, cb.cap)) return false;
  switch (ca.cap.tag) {
    case 'EndpointCap':
    case 'NotificationCap': {
      const badge = ca.cap.badge;
      if (badge === 0) return true;
      return cb.cap.tag === ca.cap.tag && cb.cap.badge === badge && !cb.mdb.firstBadged;
    }
    default:
      return true;
  }
}

/** seL4 ensureNoChildren as a predicate: true when the slot's next entry is not its child. */
export function ensureNoChildren(s: KernelState, slot: PPtr): boolean {
  const next = readCTE(s, slot).mdb.next;
  return next === 0 || !isMDBParentOf(s, slot, next);
}

/** seL4 ensureEmptySlot: DeleteFirst unless the slot is empty. */
export function ensureEmptySlot(s: KernelState, slot: PPtr): Decoded<void> {
  return readCTE(s, slot).cap.tag === 'NullCap' ? ok(undefined) : err({ tag: 'DeleteFirst' });
}

/**
 * seL4 isFinalCapability: no other cap names the object. All caps to one object are contiguous
 * in the list, so the two neighbours are enough.
 */
export function isFinalCapability(s: KernelState, slot: PPtr): boolean {
  const cte = readCTE(s, slot);
  const { prev, next } = cte.mdb;
  if (prev !== 0 && sameObjectAs(readCTE(s, prev).cap, cte.cap)) return false;
  return next === 0 || !sameObjectAs(cte.cap, readCTE(s, next).cap);
}

/** seL4 slotCapLongRunningDelete: would deleting this slot's cap have to empty other slots? */
export function slotCapLongRunningDelete(s: KernelState, slot: PPtr): boolean {
  const cap = readCTE(s, slot).cap;
  if (cap.tag === 'NullCap' || !isFinalCapability(s, slot)) return false;
  return cap.tag === 'ThreadCap' || cap.tag === 'CNodeCap' || cap.tag === 'ZombieCap';
}

// ---------------------------------------------------------------------------------------------
// MDB updates

/** seL4 setUntypedCapAsFull: a copy of a whole untyped forbids further retypes from the source. */
function setUntypedCapAsFull(s: KernelState, srcCap: Cap, newCap: Cap, srcSlot: PPtr): void {
  if (srcCap.tag !== 'UntypedCap' || newCap.tag !== 'UntypedCap') return;
  if (srcCap.ptr !== newCap.ptr || srcCap.sizeBits !== newCap.sizeBits) return;
  const cte = liveCTE(s, srcSlot);
  cte.cap = { ...srcCap, freeIndex: 2 ** srcCap.sizeBits };
}

/**
 * seL4 cteInsert: put `newCap` (derived from the cap at `srcSlot`) into the empty `destSlot`,
 * right after its source in the list, revocable/firstBadged as isCapRevocable says.
 */
export function cteInsert(s: KernelState, newCap: Cap, srcSlot: PPtr, destSlot: PPtr): void {
  const src = liveCTE(s, srcSlot);
  const srcCap = src.cap;
  const next = src.mdb.next;
  const revocable = isCapRevocable(newCap, srcCap);
  const dest = getCTE(s, destSlot);
  assert(dest.cap.tag === 'NullCap', 'cteInsert to non-empty destination');
  assert(dest.mdb.next === 0 && dest.mdb.prev === 0, 'cteInsert: mdb entry must be empty');
  setUntypedCapAsFull(s, srcCap, newCap, srcSlot);
  setCTE(s, destSlot, newCap, { prev: srcSlot, next, revocable, firstBadged: revocable });
  setMDBNext(s, srcSlot, destSlot);
  setMDBPrev(s, next, destSlot);
}

/** seL4 insertNewCap: a cap to a new object (retype, MakePool), revocable, right after its parent. */
export function insertNewCap(s: KernelState, parentSlot: PPtr, slot: PPtr, cap: Cap): void {
  const next = liveCTE(s, parentSlot).mdb.next;
  const old = getCTE(s, slot);
  assert(old.cap.tag === 'NullCap' && old.mdb.next === 0 && old.mdb.prev === 0, 'insertNewCap: slot and mdb entry must be empty');
  setCTE(s, slot, cap, { prev: parentSlot, next, revocable: true, firstBadged: true });
  setMDBPrev(s, next, slot);
  setMDBNext(s, parentSlot, slot);
}

/** seL4 cteMove: `newCap` goes to the empty `destSlot`, taking over the source's list position. */
export function cteMove(s: KernelState, newCap: Cap, srcSlot: PPtr, destSlot: PPtr): void {
  const dest = getCTE(s, destSlot);
  assert(dest.cap.tag === 'NullCap', 'cteMove to non-empty destination');
  assert(dest.mdb.next === 0 && dest.mdb.prev === 0, 'cteMove: mdb entry must be empty');
  const mdb = { ...liveCTE(s, srcSlot).mdb };
  setCTE(s, destSlot, newCap, mdb);
  markCTE(s, srcSlot);
  delete s.ctes[srcSlot];
  setMDBNext(s, mdb.prev, destSlot);
  setMDBPrev(s, mdb.next, destSlot);
}

/**
 * seL4 cteSwap: exchange two slots' caps (as `cap1` at slot1 goes to slot2 and `cap2` the other
 * way) together with their list positions. The updates run in seL4's order, which is what makes
 * the swap of two adjacent entries come out right. Either slot may be empty (capSwapForDelete).
 */
export function cteSwap(s: KernelState, cap1: Cap, slot1: PPtr, cap2: Cap, slot2: PPtr): void {
  for (const p of [slot1, slot2]) {
    markCTE(s, p);
    if (s.ctes[p] === undefined) s.ctes[p] = { cap: NULL_CAP, mdb: { ...NULL_MDB } };
  }
  s.ctes[slot1].cap = cap2;
  s.ctes[slot2].cap = cap1;
  const mdb1 = { ...liveCTEOrUndefined(s, slot1)!.mdb };
  setMDBNext(s, mdb1.prev, slot2);
  setMDBPrev(s, mdb1.next, slot2);
  const mdb2 = { ...liveCTEOrUndefined(s, slot2)!.mdb };
  s.ctes[slot1].mdb = { ...mdb2 };
  s.ctes[slot2].mdb = { ...mdb1 };
  setMDBNext(s, mdb2.prev, slot1);
  setMDBPrev(s, mdb2.next, slot1);
  for (const p of [slot1, slot2]) {
    const cte = liveCTEOrUndefined(s, p)!;
    if (cte.cap.tag === 'NullCap') setCTE(s, p, NULL_CAP, cte.mdb);
  }
}

/**
 * seL4 emptySlot: unlink the slot from the list (the next entry inherits firstBadged, so that a
 * badged subtree keeps its first marker), clear it, then the cleanup finaliseCap asked for
 * (deletedIRQHandler for a final IRQHandler cap). An empty slot is left alone.
 */
export function emptySlot(s: KernelState, slot: PPtr, cleanupInfo: Cap = NULL_CAP): void {
  const cte = liveCTEOrUndefined(s, slot);
  if (cte === undefined) return;
  const node = { ...cte.mdb };
  setMDBNext(s, node.prev, node.next);
  setMDBPrev(s, node.next, node.prev);
  if (node.next !== 0 && node.firstBadged) liveCTE(s, node.next).mdb.firstBadged = true;
  markCTE(s, slot);
  delete s.ctes[slot];
  postCapDeletion(s, cleanupInfo);
}

/** seL4 postCapDeletion: the IRQ of a deleted final IRQHandler cap becomes inactive. */
function postCapDeletion(s: KernelState, cleanupInfo: Cap): void {
  if (cleanupInfo.tag === 'IRQHandlerCap') deletedIRQHandler(s, cleanupInfo.irq);
}

// ---------------------------------------------------------------------------------------------
// Deletion

/** Slot i of the object a Zombie stands for (CNode slots and TCB slots are both 16 bytes apart). */
function zombieSlot(z: CapOf<'ZombieCap'>, i: number): PPtr {
  return cnodeSlot(z.ptr, i);
}

/** seL4 capRemovable: NullCap, or a Zombie that covers no slot, or only the slot it sits in. */
function capRemovable(cap: Cap, slot: PPtr): boolean {
  switch (cap.tag) {
    case 'NullCap':
      return true;
    case 'ZombieCap':
      return cap.number === 0 || (cap.number === 1 && cap.ptr === slot);
    default:
      throw new KernelBug('finaliseCap should only return Zombie or NullCap');
  }
}

/** seL4 capCyclicZombie: a Zombie sitting in the first slot of its own object. */
function capCyclicZombie(cap: Cap, slot: PPtr): boolean {
  return cap.tag === 'ZombieCap' && cap.ptr === slot;
}

/** Replaces the cap of a non-empty slot, keeping its MDB node (seL4 updateCap). */
function updateCap(s: KernelState, slot: PPtr, cap: Cap): void {
  liveCTE(s, slot).cap = cap;
}

/** seL4 capSwapForDelete: exchange two slots (either may be empty) with their list positions. */
function capSwapForDelete(s: KernelState, slot1: PPtr, slot2: PPtr): void {
  if (slot1 === slot2) return;
  cteSwap(s, readCTE(s, slot1).cap, slot1, readCTE(s, slot2).cap, slot2);
}

/**
 * seL4 finaliseSlot: finalise the slot's cap until it can be removed. A final CNode or Thread cap
 * turns into a Zombie, written into the slot, that is reduced one slot at a time. An unexposed
 * deletion (a slot inside an object being emptied) stops at a cyclic Zombie (one in the first
 * slot of its own object): that is the Zombie the enclosing deletion is reducing, or one that
 * reduceZombie has just moved aside, to wait there for a later deletion.
 */
function finaliseSlot(s: KernelState, slot: PPtr, exposed: boolean): { success: boolean; cleanupInfo: Cap } {
  for (;;) {
    const cap = readCTE(s, slot).cap;
    if (cap.tag === 'NullCap') return { success: true, cleanupInfo: NULL_CAP };
    const { remainder, cleanupInfo } = finaliseCap(s, cap, isFinalCapability(s, slot), false);
    if (capRemovable(remainder, slot)) return { success: true, cleanupInfo };
    assert(remainder.tag === 'ZombieCap', 'finaliseSlot: unremovable remainder is a Zombie');
    updateCap(s, slot, remainder);
    if (!exposed && capCyclicZombie(remainder, slot)) return { success: false, cleanupInfo: NULL_CAP };
    reduceZombie(s, remainder, slot, exposed);
  }
}

function sameZombieType(a: ZombieType, b: ZombieType): boolean {
  return a.tag === 'ZombieTCB' ? b.tag === 'ZombieTCB' : b.tag === 'ZombieCNode' && a.radix === b.radix;
}

/**
 * seL4 reduceZombie. Exposed: delete the Zombie's last slot, then shrink it, unless that deletion
 * changed our slot (cleared it, or swapped in a Zombie of our own object). Unexposed: swap the
 * Zombie into the first slot of its own object; the slot being deleted gets that slot's cap
 * instead, and the object's other slots stay as they are until the Zombie itself is deleted.
 */
function reduceZombie(s: KernelState, z: CapOf<'ZombieCap'>, slot: PPtr, exposed: boolean): void {
  assert(z.number > 0, 'reduceZombie expected unremovable Zombie');
  if (!exposed) {
    assert(z.ptr !== slot, 'Cyclic zombie passed to unexposed reduceZombie');
    const there = readCTE(s, z.ptr).cap;
    assert(there.tag !== 'ZombieCap' || there.ptr !== z.ptr, 'Moving self-referential Zombie aside');
    capSwapForDelete(s, z.ptr, slot);
    return;
  }
  const endSlot = zombieSlot(z, z.number - 1);
  if (s.ctes[endSlot] === undefined && z.number > SKIP_EMPTY_FROM) {
    // Deleting an empty slot changes nothing but the count: jump over the empty run at once.
    updateCap(s, slot, { ...z, number: highestOccupiedBelow(s, z.ptr, z.number) + 1 });
    return;
  }
  cteDelete(s, endSlot, false);
  const now = readCTE(s, slot).cap;
  switch (now.tag) {
    case 'NullCap':
      return;
    case 'ZombieCap':
      if (now.ptr === z.ptr && now.number === z.number && sameZombieType(now.zombieType, z.zombieType)) {
        assert(readCTE(s, endSlot).cap.tag === 'NullCap', 'Expected cteDelete to clear slot or overwrite existing');
        updateCap(s, slot, { ...z, number: z.number - 1 });
      } else {
        assert(now.ptr === slot && z.ptr !== slot, 'Expected new Zombie to be self-referential');
      }
      return;
    default:
      throw new KernelBug('Expected recursion to result in Zombie');
  }
}

/** Zombies over more slots than this skip runs of empty slots (big CNodes are mostly empty). */
const SKIP_EMPTY_FROM = 256;

/** The highest index i < n whose slot (from ptr) is occupied, or -1. */
function highestOccupiedBelow(s: KernelState, ptr: PPtr, n: number): number {
  const end = cnodeSlot(ptr, n);
  let best = -1;
  for (const key in s.ctes) {
    const p = Number(key);
    if (p >= ptr && p < end) best = Math.max(best, (p - ptr) / CTE_SIZE);
  }
  return best;
}

/**
 * seL4 cteDelete: delete the slot's cap, finalising the object if it was the last cap. An exposed
 * deletion (an invocation's, a revoke's) always empties the slot; an unexposed one (a slot of an
 * object being emptied) may leave a cyclic Zombie behind in a nested CNode or TCB, whose slots
 * then wait for a later deletion of that Zombie. Not preempted in the model.
 */
export function cteDelete(s: KernelState, slot: PPtr, exposed: boolean): void {
  const r = finaliseSlot(s, slot, exposed);
  if (exposed || r.success) emptySlot(s, slot, r.cleanupInfo);
}

/**
 * seL4 cteDeleteOne: delete a cap known to finalise at once (reply caps, the notification caps
 * of IRQ handlers, endpoint and notification caps); anything else is a kernel bug.
 */
export function cteDeleteOne(s: KernelState, slot: PPtr): void {
  // Looked at before it is taken for writing: most calls find the slot empty (deleteCallerCap).
  if (readCTE(s, slot).cap.tag === 'NullCap') return;
  const cte = liveCTEOrUndefined(s, slot)!;
  const r = finaliseCap(s, cte.cap, isFinalCapability(s, slot), true);
  assert(capRemovable(r.remainder, slot) && r.cleanupInfo.tag === 'NullCap', 'cteDeleteOne: cap should be removable');
  emptySlot(s, slot, NULL_CAP);
}

/**
 * seL4 cteRevoke: delete the entries following the slot for as long as they are its children
 * (its descendants, the list being in derivation order). Not preempted in the model.
 */
export function cteRevoke(s: KernelState, slot: PPtr): void {
  for (;;) {
    const cte = liveCTEOrUndefined(s, slot);
    if (cte === undefined || cte.mdb.next === 0) return;
    const next = cte.mdb.next;
    if (!isMDBParentOf(s, slot, next)) return;
    cteDelete(s, next, true);
  }
}

// ---------------------------------------------------------------------------------------------
// Invocations

const isNull = (s: KernelState, slot: PPtr): boolean => readCTE(s, slot).cap.tag === 'NullCap';

/**
 * seL4 decodeCNodeInvocation: every method names a destination slot (words 0, 1) in the invoked
 * CNode, looked up first; then the method's own checks, in seL4's order.
 */
export function decodeCNodeInvocation(
  s: KernelState,
  args: InvocationArgs,
  cap: CapOf<'CNodeCap'>,
  _slot: PPtr,
  _thread: PPtr,
): Decoded<CNodeInvocation> {
  const label = args.label;
  if (label < LABEL.CNodeRevoke || label > LABEL.CNodeSaveCaller) return err({ tag: 'IllegalOperation' });
  const w = args.words;
  if (w.length < 2) return err({ tag: 'TruncatedMessage' });
  const dest = lookupTargetSlot(s, cap, w[0], w[1]);
  if (!dest.ok) return dest;
  const destSlot = dest.value;
  if (label >= LABEL.CNodeCopy && label <= LABEL.CNodeMutate) return decodeCNodeCopyLike(s, args, destSlot);
  switch (label) {
    case LABEL.CNodeRevoke:
      return ok({ tag: 'Revoke', targetSlot: destSlot });
    case LABEL.CNodeDelete:
      return ok({ tag: 'Delete', targetSlot: destSlot });
    case LABEL.CNodeSaveCaller: {
      const e = ensureEmptySlot(s, destSlot);
      return e.ok ? ok({ tag: 'SaveCaller', targetSlot: destSlot }) : e;
    }
    case LABEL.CNodeCancelBadgedSends: {
      const target = readCTE(s, destSlot).cap;
      if (!hasCancelSendRights(target)) return err({ tag: 'IllegalOperation' });
      return ok({ tag: 'CancelBadgedSends', epCap: target });
    }
    case LABEL.CNodeRotate:
      return decodeCNodeRotate(s, args, destSlot);
    default:
      assert(false, `decodeCNodeInvocation: unhandled label ${label}`);
  }
}

/** Copy, Mint, Move and Mutate: (dest, src root, src index, src depth, [rights], [data]). */
function decodeCNodeCopyLike(s: KernelState, args: InvocationArgs, destSlot: PPtr): Decoded<CNodeInvocation> {
  const w = args.words;
  const srcRoot = args.extraCaps[0];
  if (w.length < 4 || srcRoot === undefined) return err({ tag: 'TruncatedMessage' });
  const srcIndex = w[2];
  const srcDepth = w[3];
  const empty = ensureEmptySlot(s, destSlot);
  if (!empty.ok) return empty;
  const src = lookupSourceSlot(s, srcRoot.cap, srcIndex, srcDepth);
  if (!src.ok) return src;
  const srcSlot = src.value;
  const srcCap = readCTE(s, srcSlot).cap;
  if (srcCap.tag === 'NullCap') {
    return err({ tag: 'FailedLookup', source: true, failure: { tag: 'MissingCapability', bitsLeft: srcDepth >>> 0 } });
  }
  let newCap: Cap;
  let isMove: boolean;
  switch (args.label) {
    case LABEL.CNodeCopy: {
      if (w.length < 5) return err({ tag: 'TruncatedMessage' });
      const d = deriveCap(s, srcSlot, maskCapRights(rightsFromWord(w[4]), srcCap));
      if (!d.ok) return d;
      newCap = d.value;
      isMove = false;
      break;
    }
    case LABEL.CNodeMint: {
      if (w.length < 6) return err({ tag: 'TruncatedMessage' });
      const masked = maskCapRights(rightsFromWord(w[4]), srcCap);
      const d = deriveCap(s, srcSlot, updateCapData(false, w[5], masked));
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
      if (w.length < 5) return err({ tag: 'TruncatedMessage' });
      newCap = updateCapData(true, w[4], srcCap);
      isMove = true;
      break;
    default:
      assert(false, `decodeCNodeCopyLike: label ${args.label}`);
  }
  if (newCap.tag === 'NullCap') return err({ tag: 'IllegalOperation' });
  return ok(isMove ? { tag: 'Move', cap: newCap, sourceSlot: srcSlot, targetSlot: destSlot } : { tag: 'Insert', cap: newCap, sourceSlot: srcSlot, targetSlot: destSlot });
}

/**
 * Rotate (dest, destData, pivot root/index/depth, pivotData, src root/index/depth): the pivot's cap
 * goes to dest and the source's to the pivot. Word 2 updates the cap landing in dest, word 5 the
 * one landing in the pivot (seL4 calls them pivotNewData and srcNewData). A missing pivot cap
 * reports source = 0, as seL4 does.
 */
function decodeCNodeRotate(s: KernelState, args: InvocationArgs, destSlot: PPtr): Decoded<CNodeInvocation> {
  const w = args.words;
  const pivotRoot = args.extraCaps[0];
  const srcRoot = args.extraCaps[1];
  if (w.length < 8 || pivotRoot === undefined || srcRoot === undefined) return err({ tag: 'TruncatedMessage' });
  const [pivotNewData, pivotIndex, pivotDepth, srcNewData, srcIndex, srcDepth] = w.slice(2, 8);
  const src = lookupSourceSlot(s, srcRoot.cap, srcIndex, srcDepth);
  if (!src.ok) return src;
  const pivot = lookupPivotSlot(s, pivotRoot.cap, pivotIndex, pivotDepth);
  if (!pivot.ok) return pivot;
  const srcSlot = src.value;
  const pivotSlot = pivot.value;
  if (pivotSlot === srcSlot || pivotSlot === destSlot) return err({ tag: 'IllegalOperation' });
  if (srcSlot !== destSlot) {
    const e = ensureEmptySlot(s, destSlot);
    if (!e.ok) return e;
  }
  if (isNull(s, srcSlot)) {
    return err({ tag: 'FailedLookup', source: true, failure: { tag: 'MissingCapability', bitsLeft: srcDepth >>> 0 } });
  }
  if (isNull(s, pivotSlot)) {
    return err({ tag: 'FailedLookup', source: false, failure: { tag: 'MissingCapability', bitsLeft: pivotDepth >>> 0 } });
  }
  const newSrcCap = updateCapData(true, srcNewData, readCTE(s, srcSlot).cap);
  const newPivotCap = updateCapData(true, pivotNewData, readCTE(s, pivotSlot).cap);
  if (newSrcCap.tag === 'NullCap' || newPivotCap.tag === 'NullCap') return err({ tag: 'IllegalOperation' });
  return ok({ tag: 'Rotate', moveCap1: newSrcCap, moveCap2: newPivotCap, sourceSlot: srcSlot, pivotSlot, targetSlot: destSlot });
}

/** seL4 invokeCNode*: perform a decoded CNode invocation (cannot fail). */
export function invokeCNode(s: KernelState, inv: CNodeInvocation, thread: PPtr): void {
  switch (inv.tag) {
    case 'Revoke':
      return cteRevoke(s, inv.targetSlot);
    case 'Delete':
      return cteDelete(s, inv.targetSlot, true);
    case 'CancelBadgedSends':
      if (inv.epCap.badge !== 0) cancelBadgedSends(s, inv.epCap.ptr, inv.epCap.badge);
      return;
    case 'Insert':
      return cteInsert(s, inv.cap, inv.sourceSlot, inv.targetSlot);
    case 'Move':
      return cteMove(s, inv.cap, inv.sourceSlot, inv.targetSlot);
    case 'Rotate':
      if (inv.sourceSlot === inv.targetSlot) {
        cteSwap(s, inv.moveCap1, inv.sourceSlot, inv.moveCap2, inv.pivotSlot);
      } else {
        cteMove(s, inv.moveCap2, inv.pivotSlot, inv.targetSlot);
        cteMove(s, inv.moveCap1, inv.sourceSlot, inv.pivotSlot);
      }
      return;
    case 'SaveCaller':
      return invokeCNodeSaveCaller(s, inv.targetSlot, thread);
    default:
      return assertNever(inv);
  }
}

/** seL4 invokeCNodeSaveCaller: move the thread's reply cap (if any) out of its caller slot. */
function invokeCNodeSaveCaller(s: KernelState, destSlot: PPtr, thread: PPtr): void {
  const callerSlot = tcbSlot(thread, TCB_SLOT.caller);
  const cap = readCTE(s, callerSlot).cap;
  switch (cap.tag) {
    case 'NullCap':
      return;
    case 'ReplyCap':
      if (!cap.master) cteMove(s, cap, callerSlot, destSlot);
      return;
    default:
      assert(false, 'caller capability must be null or reply');
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}
