// Operations on caps of every type for the concrete kernel (seL4 src/object/objecttype.c and
// src/arch/arm/32/object/objecttype.c): the region/object comparisons the MDB relies on, rights
// and data updates, derivation, finalisation, and object creation (which zeroes the object's
// memory through the machine and records it in the ghost table k.objects).

import { CPSR_USER } from '../../abi/boot';
import { type FrameSize, type ObjectTypeName, SIZE_BITS, objectSizeBits } from '../../abi/objecttype';
import { REG } from '../../abi/registers';
import { defineLayout, field, getField } from '../../machine';
import { type Decoded, err, illegalOperation, ok } from '../api/failures';
import type { GhostObjectType, Kernel } from '../model/state';
import {
  type Cap, CAP_TAG, FRAME_SIZE_BITS, FRAME_SIZE_NAMES, NULL_CAP, RIGHT_GRANT, RIGHT_GRANT_REPLY, RIGHT_READ, RIGHT_WRITE,
  capASIDBase, capASIDPool, capBlockSize, capCNodePtr, capCNodeRadix, capEPBadge, capEPPtr, capEPRights, capFBasePtr,
  capFMappedASID, capFMappedAddress, capFSetMapping, capFSetVMRights, capFSize, capFVMRights, capIRQ, capNtfnBadge,
  capNtfnPtr, capNtfnRights, capPDBasePtr, capPDIsMapped, capPDMappedASID, capPTBasePtr, capPTIsMapped, capPTMappedASID,
  capPTMappedAddress, capReplyCanGrant, capReplyMaster, capReplyTCBPtr, capSetEPBadge, capSetNtfnBadge, capTCBPtr,
  capType, capUntypedPtr, capZombieBits, capZombiePtr, capZombieType, makeCNodeCap, makeEndpointCap, makeFrameCap,
  makeNotificationCap, makePageDirectoryCap, makePageTableCap, makeReplyCap, makeThreadCap, makeUntypedCap, makeZombieCap,
  ZOMBIE_TYPE_TCB,
} from './cap';
import { ensureNoChildren, insertNewCap } from './cnode';
import { VM_RIGHTS } from './structures';
import { getBoundNotification, setRegister, setTimeSlice } from './tcb-fields';
import { cancelAllIPC } from './endpoint';
import { cancelAllSignals, ntfnBoundTCB, unbindMaybeNotification, unbindNotification } from './notification';
import { deletingIRQHandler } from './interrupt';
import { suspend } from '../kernel/thread';
import { deleteASID, deleteASIDPool, unmapPage, unmapPageTable } from '../kernel/vspace';

const WORD_BITS = 32;
/** Badges are 28 bits wide (the cap's badge field). */
export const BADGE_BITS = 28;
const BADGE_MASK = 2 ** BADGE_BITS - 1;

/** seL4_CNode_CapData on 32-bit (libsel4 shared_types.bf): Mint/Mutate/Rotate data for CNode caps. */
export const CNODE_CAP_DATA_LAYOUT = defineLayout('cnode_capdata', 'CNode cap data word (guard and guard size)', [
  { name: 'guardSize', low: 3, width: 5 },
  { name: 'guard', low: 8, width: 18 },
]);
const CD_GUARD_SIZE = field(CNODE_CAP_DATA_LAYOUT, 'guardSize');
const CD_GUARD = field(CNODE_CAP_DATA_LAYOUT, 'guard');


// ---------------------------------------------------------------------------------------------
// Memory a cap covers (seL4 cap_get_capIsPhysical, cap_get_capPtr, cap_get_capSizeBits)

/** Base address of the memory a physical cap covers (0 for caps without memory). */
export function capBase(cap: Cap): number {
  switch (capType(cap)) {
    case CAP_TAG.untyped: return capUntypedPtr(cap);
    case CAP_TAG.endpoint: return capEPPtr(cap);
    case CAP_TAG.notification: return capNtfnPtr(cap);
    case CAP_TAG.cnode: return capCNodePtr(cap);
    case CAP_TAG.thread: return capTCBPtr(cap);
    case CAP_TAG.zombie: return capZombiePtr(cap);
    case CAP_TAG.smallFrame:
    case CAP_TAG.frame: return capFBasePtr(cap);
    case CAP_TAG.pageTable: return capPTBasePtr(cap);
    case CAP_TAG.pageDirectory: return capPDBasePtr(cap);
    case CAP_TAG.asidPool: return capASIDPool(cap);
    default: return 0;
  }
}

/** Size in bits of the memory a cap covers, or -1 for caps without memory. */
export function capSizeBits(cap: Cap): number {
  switch (capType(cap)) {
    case CAP_TAG.untyped: return capBlockSize(cap);
    case CAP_TAG.endpoint: return SIZE_BITS.Endpoint;
    case CAP_TAG.notification: return SIZE_BITS.Notification;
    case CAP_TAG.cnode: return capCNodeRadix(cap) + SIZE_BITS.Slot;
    case CAP_TAG.thread: return SIZE_BITS.TCB;
    case CAP_TAG.zombie: return capZombieType(cap) === ZOMBIE_TYPE_TCB ? SIZE_BITS.TCB : capZombieBits(cap) + SIZE_BITS.Slot;
    case CAP_TAG.smallFrame:
    case CAP_TAG.frame: return FRAME_SIZE_BITS[capFSize(cap)]!;
    case CAP_TAG.pageTable: return SIZE_BITS.PageTable;
    case CAP_TAG.pageDirectory: return SIZE_BITS.PageDirectory;
    case CAP_TAG.asidPool: return SIZE_BITS.ASIDPool;
    default: return -1;
  }
}

/** spec: capRegion (null for caps without memory) */
export function capRegion(cap: Cap): { base: number; sizeBits: number } | null {
  const bits = capSizeBits(cap);
  return bits < 0 ? null : { base: capBase(cap), sizeBits: bits };
}

/** Does region b lie inside region a (inclusive tops, computed without overflow)? */
function regionContains(aBase: number, aBits: number, bBase: number, bBits: number): boolean {
  const aTop = aBase + 2 ** aBits - 1;
  const bTop = bBase + 2 ** bBits - 1;
  return aBase <= bBase && bTop <= aTop && bBase <= bTop;
}

const isFrameTag = (t: number): boolean => t === CAP_TAG.smallFrame || t === CAP_TAG.frame;

// ---------------------------------------------------------------------------------------------
// Comparisons

/** spec: sameRegionAs */
export function sameRegionAs(a: Cap, b: Cap): boolean {
  const ta = capType(a);
  const tb = capType(b);
  switch (ta) {
    case CAP_TAG.untyped: {
      const bBits = capSizeBits(b);
      if (bBits < 0) return false;
      return regionContains(capUntypedPtr(a), capBlockSize(a), capBase(b), bBits);
    }
    case CAP_TAG.endpoint:
      return tb === CAP_TAG.endpoint && capEPPtr(a) === capEPPtr(b);
    case CAP_TAG.notification:
      return tb === CAP_TAG.notification && capNtfnPtr(a) === capNtfnPtr(b);
    case CAP_TAG.cnode:
      return tb === CAP_TAG.cnode && capCNodePtr(a) === capCNodePtr(b) && capCNodeRadix(a) === capCNodeRadix(b);
    case CAP_TAG.thread:
      return tb === CAP_TAG.thread && capTCBPtr(a) === capTCBPtr(b);
    case CAP_TAG.reply:
      return tb === CAP_TAG.reply && capReplyTCBPtr(a) === capReplyTCBPtr(b);
    case CAP_TAG.domain:
      return tb === CAP_TAG.domain;
    case CAP_TAG.irqControl:
      return tb === CAP_TAG.irqControl || tb === CAP_TAG.irqHandler;
    case CAP_TAG.irqHandler:
      return tb === CAP_TAG.irqHandler && capIRQ(a) === capIRQ(b);
    case CAP_TAG.smallFrame:
    case CAP_TAG.frame:
      if (!isFrameTag(tb)) return false;
      return regionContains(capFBasePtr(a), capSizeBits(a), capFBasePtr(b), capSizeBits(b));
    case CAP_TAG.pageTable:
      return tb === CAP_TAG.pageTable && capPTBasePtr(a) === capPTBasePtr(b);
    case CAP_TAG.pageDirectory:
      return tb === CAP_TAG.pageDirectory && capPDBasePtr(a) === capPDBasePtr(b);
    case CAP_TAG.asidControl:
      return tb === CAP_TAG.asidControl;
    case CAP_TAG.asidPool:
      return tb === CAP_TAG.asidPool && capASIDPool(a) === capASIDPool(b);
    default:
      return false;
  }
}

/** spec: sameObjectAs (frames by base and size; the model has no device bit in the comparison) */
export function sameObjectAs(a: Cap, b: Cap): boolean {
  const ta = capType(a);
  if (ta === CAP_TAG.untyped || ta === CAP_TAG.irqControl) return false;
  if (isFrameTag(ta) && isFrameTag(capType(b))) {
    return capFBasePtr(a) === capFBasePtr(b) && capFSize(a) === capFSize(b);
  }
  return sameRegionAs(a, b);
}

/** spec: isCapRevocable */
export function isCapRevocable(newCap: Cap, srcCap: Cap): boolean {
  switch (capType(newCap)) {
    case CAP_TAG.endpoint:
      return capType(srcCap) === CAP_TAG.endpoint && capEPBadge(newCap) !== capEPBadge(srcCap);
    case CAP_TAG.notification:
      return capType(srcCap) === CAP_TAG.notification && capNtfnBadge(newCap) !== capNtfnBadge(srcCap);
    case CAP_TAG.irqHandler:
      return capType(srcCap) === CAP_TAG.irqControl;
    case CAP_TAG.untyped:
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Rights, data, derivation

/** spec: hasCancelSendRights (an endpoint cap with all four rights) */
export function hasCancelSendRights(cap: Cap): boolean {
  return capType(cap) === CAP_TAG.endpoint && capEPRights(cap) === (RIGHT_WRITE | RIGHT_READ | RIGHT_GRANT | RIGHT_GRANT_REPLY);
}

/** seL4 maskVMRights: the VM rights left after a seL4_CapRights mask. */
export function maskVMRights(vm: number, rights: number): number {
  if (vm === VM_RIGHTS.VMNoAccess) return VM_RIGHTS.VMNoAccess;
  const read = (rights & RIGHT_READ) !== 0;
  if (vm === VM_RIGHTS.VMReadOnly && read) return VM_RIGHTS.VMReadOnly;
  if (vm === VM_RIGHTS.VMReadWrite && read) return (rights & RIGHT_WRITE) !== 0 ? VM_RIGHTS.VMReadWrite : VM_RIGHTS.VMReadOnly;
  return VM_RIGHTS.VMKernelOnly;
}

/** spec: maskCapRights (`rights` is a seL4_CapRights word) */
export function maskCapRights(rights: number, cap: Cap): Cap {
  switch (capType(cap)) {
    case CAP_TAG.endpoint:
      return makeEndpointCap(capEPPtr(cap), capEPBadge(cap), capEPRights(cap) & rights);
    case CAP_TAG.notification:
      return makeNotificationCap(capNtfnPtr(cap), capNtfnBadge(cap), capNtfnRights(cap) & rights);
    case CAP_TAG.reply:
      return makeReplyCap(capReplyTCBPtr(cap), capReplyMaster(cap), capReplyCanGrant(cap) && (rights & RIGHT_GRANT) !== 0);
    case CAP_TAG.smallFrame:
    case CAP_TAG.frame:
      return capFSetVMRights(cap, maskVMRights(capFVMRights(cap), rights));
    default:
      return cap;
  }
}

/** spec: updateCapData */
export function updateCapData(preserve: boolean, data: number, cap: Cap): Cap {
  switch (capType(cap)) {
    case CAP_TAG.endpoint:
      if (preserve || capEPBadge(cap) !== 0) return NULL_CAP;
      return capSetEPBadge(cap, (data & BADGE_MASK) >>> 0);
    case CAP_TAG.notification:
      if (preserve || capNtfnBadge(cap) !== 0) return NULL_CAP;
      return capSetNtfnBadge(cap, (data & BADGE_MASK) >>> 0);
    case CAP_TAG.cnode: {
      const d = data >>> 0;
      const guardSize = getField(d, CD_GUARD_SIZE);
      const radix = capCNodeRadix(cap);
      if (guardSize + radix > WORD_BITS) return NULL_CAP;
      const guardMask = guardSize === 0 ? 0 : 0xffffffff >>> (WORD_BITS - guardSize);
      const guard = (getField(d, CD_GUARD) & guardMask) >>> 0;
      return makeCNodeCap(capCNodePtr(cap), radix, guardSize, guard);
    }
    default:
      return cap;
  }
}

/** spec: deriveCap */
export function deriveCap(k: Kernel, slot: number, cap: Cap): Decoded<Cap> {
  switch (capType(cap)) {
    case CAP_TAG.zombie:
    case CAP_TAG.irqControl:
    case CAP_TAG.reply:
      return ok(NULL_CAP);
    case CAP_TAG.untyped:
      return ensureNoChildren(k, slot) ? ok(cap) : err({ tag: 'RevokeFirst' });
    case CAP_TAG.pageTable:
      return capPTIsMapped(cap) ? ok(cap) : illegalOperation();
    case CAP_TAG.pageDirectory:
      return capPDIsMapped(cap) ? ok(cap) : illegalOperation();
    case CAP_TAG.smallFrame:
    case CAP_TAG.frame:
      return ok(capFSetMapping(cap, 0, 0));
    default:
      return ok(cap);
  }
}

// ---------------------------------------------------------------------------------------------
// Finalisation

const TCB_CNODE_SLOT_COUNT = 5;

export interface FinaliseResult {
  /** NULL_CAP when the cap is gone, else the Zombie whose slots must be emptied first. */
  remainder: Cap;
  /** What emptySlot cleans up after clearing the slot: the final IRQHandler cap, else NULL_CAP. */
  cleanupInfo: Cap;
}

const DONE: FinaliseResult = Object.freeze({ remainder: NULL_CAP, cleanupInfo: NULL_CAP });

/** seL4 Arch_finaliseCap (ARM): a frame cap unmaps its own mapping on every deletion. */
function archFinaliseCap(k: Kernel, cap: Cap, final: boolean): FinaliseResult {
  switch (capType(cap)) {
    case CAP_TAG.asidPool:
      if (final) deleteASIDPool(k, capASIDBase(cap), capASIDPool(cap));
      break;
    case CAP_TAG.pageDirectory:
      if (final && capPDIsMapped(cap)) deleteASID(k, capPDMappedASID(cap), capPDBasePtr(cap));
      break;
    case CAP_TAG.pageTable:
      if (final && capPTIsMapped(cap)) unmapPageTable(k, capPTMappedASID(cap), capPTMappedAddress(cap), capPTBasePtr(cap));
      break;
    case CAP_TAG.smallFrame:
    case CAP_TAG.frame: {
      const asid = capFMappedASID(cap);
      if (asid !== 0) unmapPage(k, FRAME_SIZE_NAMES[capFSize(cap)]!, asid, capFMappedAddress(cap), capFBasePtr(cap));
      break;
    }
    default:
      break;
  }
  return DONE;
}

/** spec: finaliseCap */
export function finaliseCap(k: Kernel, cap: Cap, final: boolean, exposed: boolean): FinaliseResult {
  const t = capType(cap);
  switch (t) {
    case CAP_TAG.smallFrame:
    case CAP_TAG.frame:
    case CAP_TAG.pageTable:
    case CAP_TAG.pageDirectory:
    case CAP_TAG.asidControl:
    case CAP_TAG.asidPool:
      return archFinaliseCap(k, cap, final);
    case CAP_TAG.endpoint:
      if (final) cancelAllIPC(k, capEPPtr(cap));
      return DONE;
    case CAP_TAG.notification:
      if (final) {
        const ntfn = capNtfnPtr(cap);
        if (ntfnBoundTCB(k, ntfn) !== 0) unbindMaybeNotification(k, ntfn);
        cancelAllSignals(k, ntfn);
      }
      return DONE;
    case CAP_TAG.reply:
    case CAP_TAG.null:
    case CAP_TAG.domain:
      return DONE;
    default:
      break;
  }
  if (exposed) throw new Error(`finaliseCap: cap type ${t} cannot be finalised immediately`);
  switch (t) {
    case CAP_TAG.cnode:
      if (final) {
        const radix = capCNodeRadix(cap);
        return { remainder: makeZombieCap(2 ** radix, radix, capCNodePtr(cap)), cleanupInfo: NULL_CAP };
      }
      return DONE;
    case CAP_TAG.thread:
      if (final) {
        const tcb = capTCBPtr(cap);
        if (getBoundNotification(k, tcb) !== 0) unbindNotification(k, tcb);
        suspend(k, tcb);
        return { remainder: makeZombieCap(TCB_CNODE_SLOT_COUNT, ZOMBIE_TYPE_TCB, tcb), cleanupInfo: NULL_CAP };
      }
      return DONE;
    case CAP_TAG.zombie:
      // Always final (sameObjectAs never matches a Zombie): it is its own remainder.
      return { remainder: cap, cleanupInfo: NULL_CAP };
    case CAP_TAG.irqHandler:
      if (final) {
        deletingIRQHandler(k, capIRQ(cap));
        return { remainder: NULL_CAP, cleanupInfo: cap };
      }
      return DONE;
    default:
      // Untyped and IRQControl caps: nothing (untyped memory is reclaimed by the next reset).
      return DONE;
  }
}

// ---------------------------------------------------------------------------------------------
// Object creation

const isFrameType = (t: ObjectTypeName): t is FrameSize =>
  t === 'SmallPage' || t === 'LargePage' || t === 'Section' || t === 'SuperSection';

/**
 * spec: createObject — zero a kernel object's memory, initialise what is not zero (a TCB's CPSR
 * and time slice), record the object in the ghost table and return its cap.
 */
export function createObject(k: Kernel, type: ObjectTypeName, ptr: number, userSizeBits: number, isDevice = false): Cap {
  const bits = objectSizeBits(type, userSizeBits);
  if (type === 'Untyped') return makeUntypedCap(ptr, userSizeBits, 0, isDevice);
  if (k.objects.has(ptr)) throw new Error(`createObject: 0x${ptr.toString(16)} already holds an object`);
  // Kernel objects are zeroed here. Frames are not (nor in seL4): the memory of an untyped above
  // its free index is always zero (boot memory is, and resetUntypedCap clears what was used), so a
  // new frame already reads 0 — zeroing up to 16 MiB again per Retype would dominate the run time.
  if (!isFrameType(type)) k.m.zero(ptr, 2 ** bits);
  k.objects.set(ptr, { type: type as GhostObjectType, sizeBits: bits });
  switch (type) {
    case 'TCB':
      setRegister(k, ptr, REG.cpsr, CPSR_USER);
      setTimeSlice(k, ptr, k.config.timeslice);
      k.names.delete(ptr);
      k.delivered.delete(ptr);
      return makeThreadCap(ptr);
    case 'Endpoint':
      return makeEndpointCap(ptr, 0, RIGHT_WRITE | RIGHT_READ | RIGHT_GRANT | RIGHT_GRANT_REPLY);
    case 'Notification':
      return makeNotificationCap(ptr, 0, RIGHT_WRITE | RIGHT_READ);
    case 'CNode':
      return makeCNodeCap(ptr, userSizeBits, 0, 0);
    case 'PageTable':
      return makePageTableCap(ptr, false, 0, 0);
    case 'PageDirectory':
      return makePageDirectoryCap(ptr, false, 0);
    default:
      return makeFrameCap(ptr, FRAME_SIZE_NAMES.indexOf(type as FrameSize), VM_RIGHTS.VMReadWrite, isDevice, 0, 0);
  }
}

/**
 * spec: createNewObjects — object i at regionBase + i * 2^size, its cap into destSlots[i] right
 * after the parent (so the list holds the new caps last-created first, as in seL4).
 */
export function createNewObjects(
  k: Kernel, type: ObjectTypeName, parentSlot: number, destSlots: readonly number[], regionBase: number, userSizeBits: number,
  isDevice = false,
): void {
  const size = 2 ** objectSizeBits(type, userSizeBits);
  for (let i = 0; i < destSlots.length; i++) {
    insertNewCap(k, parentSlot, destSlots[i]!, createObject(k, type, regionBase + i * size, userSizeBits, isDevice));
  }
}

