// Operations on capabilities of every type (seL4 src/object/objecttype.c and its ARM part
// src/arch/arm/32/object/objecttype.c; l4v SEL4/Object/ObjectType.lhs): derivation, rights and
// data updates, the region/object comparisons the MDB relies on, finalisation, and the creation
// of new objects by Retype.

import { type Field, getField } from '../../abi/bitfield';
import { type ObjectTypeName, SIZE_BITS, objectSizeBits } from '../../abi/objecttype';
import type { CapRights } from '../../abi/rights';
import { type Cap, type CapOf, type Decoded, NULL_CAP, type PPtr, type ZombieType } from '../api/types';
import { err, ok } from '../api/failures';
import { type KernelState, assert, getObject, markObject, tcbSlot } from '../model/state';
import { type KernelObject, TCB_SLOT_COUNT } from './structures';
import { ensureNoChildren, insertNewCap } from './cnode';
import { cancelAllIPC } from './endpoint';
import { cancelAllSignals, unbindMaybeNotification, unbindNotification } from './notification';
import { deletingIRQHandler } from './interrupt';
import { suspend } from '../kernel/thread';
import { newTCB } from '../kernel/boot';
import { deleteASID, deleteASIDPool, maskVMRights, pageBitsForSize, unmapPage, unmapPageTable } from '../kernel/vspace';

const WORD_BITS = 32;
/** Badges are 28 bits wide on 32-bit platforms (the cap's badge field). */
export const BADGE_BITS = 28;

/** seL4_CNode_CapData on 32-bit (libsel4 shared_types.bf): the data word of Mint/Mutate/Rotate on CNode caps. */
export const CNODE_CAP_DATA_LAYOUT = {
  guardSize: { name: 'guardSize', lsb: 3, width: 5 },
  guard: { name: 'guard', lsb: 8, width: 18 },
} as const satisfies Record<string, Field>;

// ---------------------------------------------------------------------------------------------
// Kinds of caps

export type ArchCapTag = 'FrameCap' | 'PageTableCap' | 'PageDirectoryCap' | 'ASIDControlCap' | 'ASIDPoolCap';

export function isArchCap(cap: Cap): cap is CapOf<ArchCapTag> {
  switch (cap.tag) {
    case 'FrameCap':
    case 'PageTableCap':
    case 'PageDirectoryCap':
    case 'ASIDControlCap':
    case 'ASIDPoolCap':
      return true;
    default:
      return false;
  }
}

/**
 * The memory a cap covers (seL4 cap_get_capIsPhysical / capPtr / capSizeBits), or null for caps
 * without memory. A Thread cap covers the whole TCB block, its slots included.
 */
export function capRegion(cap: Cap): { base: PPtr; sizeBits: number } | null {
  switch (cap.tag) {
    case 'UntypedCap':
      return { base: cap.ptr, sizeBits: cap.sizeBits };
    case 'EndpointCap':
      return { base: cap.ptr, sizeBits: SIZE_BITS.Endpoint };
    case 'NotificationCap':
      return { base: cap.ptr, sizeBits: SIZE_BITS.Notification };
    case 'CNodeCap':
      return { base: cap.ptr, sizeBits: cap.radix + SIZE_BITS.Slot };
    case 'ThreadCap':
      return { base: cap.ptr, sizeBits: SIZE_BITS.TCB };
    case 'ZombieCap':
      // The object being finalised (seL4 cap_get_capSizeBits of a Zombie): an untyped still covers it.
      return { base: cap.ptr, sizeBits: zombieObjectBits(cap.zombieType) };
    case 'FrameCap':
      return { base: cap.ptr, sizeBits: pageBitsForSize(cap.size) };
    case 'PageTableCap':
      return { base: cap.ptr, sizeBits: SIZE_BITS.PageTable };
    case 'PageDirectoryCap':
      return { base: cap.ptr, sizeBits: SIZE_BITS.PageDirectory };
    case 'ASIDPoolCap':
      return { base: cap.ptr, sizeBits: SIZE_BITS.ASIDPool };
    case 'NullCap':
    case 'ReplyCap':
    case 'IRQControlCap':
    case 'IRQHandlerCap':
    case 'DomainCap':
    case 'ASIDControlCap':
      return null;
  }
}

/** The size in bits of the object a Zombie stands for. */
function zombieObjectBits(t: ZombieType): number {
  switch (t.tag) {
    case 'ZombieTCB':
      return SIZE_BITS.TCB;
    case 'ZombieCNode':
      return t.radix + SIZE_BITS.Slot;
  }
}

/** [base, top] (inclusive) of a region: top = base + 2^bits - 1, computed without overflow. */
function regionTop(r: { base: PPtr; sizeBits: number }): number {
  return r.base + 2 ** r.sizeBits - 1;
}

// ---------------------------------------------------------------------------------------------
// Comparisons the MDB relies on

/** seL4 Arch_sameRegionAs (ARM): frames by containment, the rest by object identity. */
function archSameRegionAs(a: CapOf<ArchCapTag>, b: CapOf<ArchCapTag>): boolean {
  switch (a.tag) {
    case 'FrameCap': {
      if (b.tag !== 'FrameCap') return false;
      const ra = capRegion(a)!;
      const rb = capRegion(b)!;
      return ra.base <= rb.base && regionTop(ra) >= regionTop(rb) && rb.base <= regionTop(rb);
    }
    case 'PageTableCap':
      return b.tag === 'PageTableCap' && a.ptr === b.ptr;
    case 'PageDirectoryCap':
      return b.tag === 'PageDirectoryCap' && a.ptr === b.ptr;
    case 'ASIDControlCap':
      return b.tag === 'ASIDControlCap';
    case 'ASIDPoolCap':
      return b.tag === 'ASIDPoolCap' && a.ptr === b.ptr;
  }
}

/**
 * seL4 sameRegionAs: could `b` be derived from `a`? An untyped covers every physical cap inside
 * its region; IRQControl covers every IRQHandler; other caps cover caps to the same object.
 */
export function sameRegionAs(a: Cap, b: Cap): boolean {
  switch (a.tag) {
    case 'UntypedCap': {
      const rb = capRegion(b);
      if (rb === null) return false;
      const ra = capRegion(a)!;
      return ra.base <= rb.base && regionTop(rb) <= regionTop(ra) && rb.base <= regionTop(rb);
    }
    case 'EndpointCap':
      return b.tag === 'EndpointCap' && a.ptr === b.ptr;
    case 'NotificationCap':
      return b.tag === 'NotificationCap' && a.ptr === b.ptr;
    case 'CNodeCap':
      return b.tag === 'CNodeCap' && a.ptr === b.ptr && a.radix === b.radix;
    case 'ThreadCap':
      return b.tag === 'ThreadCap' && a.ptr === b.ptr;
    case 'ReplyCap':
      return b.tag === 'ReplyCap' && a.tcb === b.tcb;
    case 'DomainCap':
      return b.tag === 'DomainCap';
    case 'IRQControlCap':
      return b.tag === 'IRQControlCap' || b.tag === 'IRQHandlerCap';
    case 'IRQHandlerCap':
      return b.tag === 'IRQHandlerCap' && a.irq === b.irq;
    case 'NullCap':
    case 'ZombieCap':
      // A Zombie covers nothing, not even itself, so it is always final and never a parent.
      return false;
    case 'FrameCap':
    case 'PageTableCap':
    case 'PageDirectoryCap':
    case 'ASIDControlCap':
    case 'ASIDPoolCap':
      return isArchCap(b) && archSameRegionAs(a, b);
  }
}

/**
 * seL4 sameObjectAs: do `a` and `b` name the same object (isFinalCapability's test)? Untyped and
 * IRQControl caps are never "the same object"; frames must also agree in size.
 */
export function sameObjectAs(a: Cap, b: Cap): boolean {
  if (a.tag === 'UntypedCap' || a.tag === 'IRQControlCap') return false;
  if (a.tag === 'FrameCap' && b.tag === 'FrameCap') return a.ptr === b.ptr && a.size === b.size;
  return sameRegionAs(a, b);
}

/**
 * seL4 isCapRevocable: does a cap derived from `srcCap` start a new subtree (revocable and
 * firstBadged)? A freshly badged EP/notification cap, an IRQ handler issued by IRQControl and
 * every untyped cap do; on ARM no arch cap does (those made by retype are inserted by insertNewCap).
 */
export function isCapRevocable(newCap: Cap, srcCap: Cap): boolean {
  switch (newCap.tag) {
    case 'EndpointCap':
      return srcCap.tag === 'EndpointCap' && newCap.badge !== srcCap.badge;
    case 'NotificationCap':
      return srcCap.tag === 'NotificationCap' && newCap.badge !== srcCap.badge;
    case 'IRQHandlerCap':
      return srcCap.tag === 'IRQControlCap';
    case 'UntypedCap':
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Rights, data, derivation

/** seL4 hasCancelSendRights: an endpoint cap with all four rights. */
export function hasCancelSendRights(cap: Cap): cap is CapOf<'EndpointCap'> {
  return cap.tag === 'EndpointCap' && cap.rights.write && cap.rights.read && cap.rights.grant && cap.rights.grantReply;
}

/** seL4 maskCapRights: rights only shrink; caps without rights are unchanged. */
export function maskCapRights(rights: CapRights, cap: Cap): Cap {
  switch (cap.tag) {
    case 'EndpointCap':
      return {
        ...cap,
        rights: {
          write: cap.rights.write && rights.write,
          read: cap.rights.read && rights.read,
          grant: cap.rights.grant && rights.grant,
          grantReply: cap.rights.grantReply && rights.grantReply,
        },
      };
    case 'NotificationCap':
      // A notification cap has only send (write) and receive (read) rights.
      return {
        ...cap,
        rights: { write: cap.rights.write && rights.write, read: cap.rights.read && rights.read, grant: false, grantReply: false },
      };
    case 'ReplyCap':
      return { ...cap, canGrant: cap.canGrant && rights.grant };
    case 'FrameCap':
      return { ...cap, rights: maskVMRights(cap.rights, rights) };
    default:
      return cap;
  }
}

/**
 * seL4 updateCapData: Mint (preserve = false) may badge an unbadged EP/notification cap (the badge
 * is cut to 28 bits); a badged one, or any EP/notification cap under Mutate/Rotate (preserve =
 * true), gives NullCap. On a CNode cap the data sets guard and guard size, NullCap when guard
 * size + radix exceeds the word. Other caps are unchanged.
 */
export function updateCapData(preserve: boolean, data: number, cap: Cap): Cap {
  switch (cap.tag) {
    case 'EndpointCap':
    case 'NotificationCap':
      if (preserve || cap.badge !== 0) return NULL_CAP;
      return { ...cap, badge: (data & (2 ** BADGE_BITS - 1)) >>> 0 };
    case 'CNodeCap': {
      const guardSize = getField(CNODE_CAP_DATA_LAYOUT.guardSize, data);
      if (guardSize + cap.radix > WORD_BITS) return NULL_CAP;
      const guardMask = guardSize === 0 ? 0 : 0xffffffff >>> (WORD_BITS - guardSize);
      const guard = (getField(CNODE_CAP_DATA_LAYOUT.guard, data) & guardMask) >>> 0;
      return { ...cap, guard, guardSize };
    }
    default:
      return cap;
  }
}

/**
 * seL4 deriveCap: the cap a copy of `cap` (held in `slot`) gets. Zombie, IRQControl and reply
 * caps cannot be copied (NullCap); an untyped with children cannot be (RevokeFirst); page tables and page
 * directories only when mapped (IllegalOperation); a frame copy starts unmapped.
 */
export function deriveCap(s: KernelState, slot: PPtr, cap: Cap): Decoded<Cap> {
  switch (cap.tag) {
    case 'ZombieCap':
    case 'IRQControlCap':
    case 'ReplyCap':
      return ok(NULL_CAP);
    case 'UntypedCap':
      return ensureNoChildren(s, slot) ? ok(cap) : err({ tag: 'RevokeFirst' });
    case 'PageTableCap':
    case 'PageDirectoryCap':
      return cap.mapped !== null ? ok(cap) : err({ tag: 'IllegalOperation' });
    case 'FrameCap':
      return ok({ ...cap, mapped: null });
    default:
      return ok(cap);
  }
}

// ---------------------------------------------------------------------------------------------
// Finalisation

export interface FinaliseResult {
  /** NullCap, or the Zombie whose slots must be emptied before the slot can be. */
  remainder: Cap;
  /** What emptySlot must clean up after the slot is cleared (the IRQHandler cap, else NullCap). */
  cleanupInfo: Cap;
}

/** seL4 Zombie_new for a final CNode cap: all 2^radix slots are still to be emptied. */
function cnodeZombie(ptr: PPtr, radix: number): CapOf<'ZombieCap'> {
  return { tag: 'ZombieCap', ptr, zombieType: { tag: 'ZombieCNode', radix }, number: 2 ** radix };
}

/** seL4 Zombie_new for a final Thread cap: the TCB's slots from its CSpace root slot. */
function tcbZombie(tcb: PPtr): CapOf<'ZombieCap'> {
  return { tag: 'ZombieCap', ptr: tcbSlot(tcb, 0), zombieType: { tag: 'ZombieTCB' }, number: TCB_SLOT_COUNT };
}

const DONE: FinaliseResult = { remainder: NULL_CAP, cleanupInfo: NULL_CAP };

/** seL4 Arch_finaliseCap (ARM). Frame caps unmap their own mapping on every deletion. */
function archFinaliseCap(s: KernelState, cap: CapOf<ArchCapTag>, final: boolean): FinaliseResult {
  switch (cap.tag) {
    case 'ASIDPoolCap':
      if (final) deleteASIDPool(s, cap.asidBase, cap.ptr);
      break;
    case 'PageDirectoryCap':
      if (final && cap.mapped !== null) deleteASID(s, cap.mapped, cap.ptr);
      break;
    case 'PageTableCap':
      if (final && cap.mapped !== null) unmapPageTable(s, cap.mapped.asid, cap.mapped.vaddr, cap.ptr);
      break;
    case 'FrameCap':
      if (cap.mapped !== null) unmapPage(s, cap.size, cap.mapped.asid, cap.mapped.vaddr, cap.ptr);
      break;
    case 'ASIDControlCap':
      break;
  }
  return DONE;
}

/**
 * seL4 finaliseCap: what deleting `cap` does to its object. `final` says it is the last cap to
 * the object. A final endpoint cancels all its IPC; a final notification is unbound and cancels
 * its waiters; a final thread cap unbinds and suspends the thread and a final CNode cap changes
 * nothing yet: both return a Zombie over their slots, and a Zombie (always final) returns itself.
 * `exposed` (cteDeleteOne) promises the cap finalises at once; a cap that cannot is a kernel bug,
 * as in seL4.
 */
export function finaliseCap(s: KernelState, cap: Cap, final: boolean, exposed: boolean): FinaliseResult {
  if (isArchCap(cap)) return archFinaliseCap(s, cap, final);
  switch (cap.tag) {
    case 'EndpointCap':
      if (final) cancelAllIPC(s, cap.ptr);
      return DONE;
    case 'NotificationCap':
      if (final) {
        if (getObject(s, cap.ptr, 'Notification').boundTCB !== null) unbindMaybeNotification(s, cap.ptr);
        cancelAllSignals(s, cap.ptr);
      }
      return DONE;
    case 'ReplyCap':
    case 'NullCap':
    case 'DomainCap':
      return DONE;
    default:
      break;
  }
  assert(!exposed, `finaliseCap: a ${cap.tag} cannot be finalised immediately`);
  switch (cap.tag) {
    case 'CNodeCap':
      if (final) return { remainder: cnodeZombie(cap.ptr, cap.radix), cleanupInfo: NULL_CAP };
      return DONE;
    case 'ThreadCap':
      if (final) {
        if (getObject(s, cap.ptr, 'TCB').boundNotification !== null) unbindNotification(s, cap.ptr);
        suspend(s, cap.ptr);
        return { remainder: tcbZombie(cap.ptr), cleanupInfo: NULL_CAP };
      }
      return DONE;
    case 'ZombieCap':
      // l4v: "Finalising a non-final zombie cap" fails; no cap shares a Zombie's object.
      assert(final, 'finaliseCap: a Zombie that is not final');
      return { remainder: cap, cleanupInfo: NULL_CAP };
    case 'IRQHandlerCap':
      if (final) {
        deletingIRQHandler(s, cap.irq);
        return { remainder: NULL_CAP, cleanupInfo: cap };
      }
      return DONE;
    default:
      // Untyped and IRQControl caps: nothing (untyped memory is reclaimed by the next reset).
      return DONE;
  }
}

// ---------------------------------------------------------------------------------------------
// Object creation (Untyped_Retype)

/** The object a fresh retype leaves at `ptr` (all zero, as seL4's createObject sees memory). */
function newObject(s: KernelState, type: ObjectTypeName, userSizeBits: number): KernelObject | null {
  switch (type) {
    case 'Untyped':
      return null;
    case 'TCB':
      return newTCB(s.config);
    case 'Endpoint':
      return { tag: 'Endpoint', state: 'Idle', queue: [] };
    case 'Notification':
      return { tag: 'Notification', state: 'Idle', queue: [], word: 0, boundTCB: null };
    case 'CNode':
      return { tag: 'CNode', radix: userSizeBits };
    case 'SmallPage':
    case 'LargePage':
    case 'Section':
    case 'SuperSection':
      return { tag: 'Frame', size: type, words: {} };
    case 'PageTable':
      return { tag: 'PageTable', entries: {} };
    case 'PageDirectory':
      // The kernel window's global mappings are not part of the model's page directories.
      return { tag: 'PageDirectory', entries: {} };
  }
}

/** The cap seL4's createObject returns for a new object. */
function newObjectCap(type: ObjectTypeName, ptr: PPtr, userSizeBits: number, isDevice: boolean): Cap {
  switch (type) {
    case 'Untyped':
      return { tag: 'UntypedCap', ptr, sizeBits: userSizeBits, freeIndex: 0, isDevice };
    case 'TCB':
      return { tag: 'ThreadCap', ptr };
    case 'Endpoint':
      return { tag: 'EndpointCap', ptr, badge: 0, rights: { write: true, read: true, grant: true, grantReply: true } };
    case 'Notification':
      return { tag: 'NotificationCap', ptr, badge: 0, rights: { write: true, read: true, grant: false, grantReply: false } };
    case 'CNode':
      return { tag: 'CNodeCap', ptr, radix: userSizeBits, guardSize: 0, guard: 0 };
    case 'SmallPage':
    case 'LargePage':
    case 'Section':
    case 'SuperSection':
      return { tag: 'FrameCap', ptr, size: type, rights: 'VMReadWrite', mapped: null };
    case 'PageTable':
      return { tag: 'PageTableCap', ptr, mapped: null };
    case 'PageDirectory':
      return { tag: 'PageDirectoryCap', ptr, mapped: null };
  }
}

/**
 * seL4 createObject: make a zeroed object of `type` at `ptr` and return its cap. A TCB is
 * Inactive with priority and MCP 0, the configured timeslice and only CPSR set; it has no master
 * reply cap yet (non-MCS seL4 makes that in restart/setupReplyMaster). The region must be free.
 */
export function createObject(s: KernelState, type: ObjectTypeName, ptr: PPtr, userSizeBits: number, isDevice = false): Cap {
  const obj = newObject(s, type, userSizeBits);
  if (obj !== null) {
    assert(s.objects[ptr] === undefined, `createObject: 0x${ptr.toString(16)} already holds an object`);
    markObject(s, ptr);
    s.objects[ptr] = obj;
  }
  return newObjectCap(type, ptr, userSizeBits, isDevice);
}

/**
 * seL4 createNewObjects: object i goes at regionBase + i * 2^objectSize and its cap into
 * destSlots[i] as a revocable child of the untyped. Each insert goes right after the parent, so
 * the MDB lists the new caps last-created first, as in seL4.
 */
export function createNewObjects(
  s: KernelState,
  type: ObjectTypeName,
  parentSlot: PPtr,
  destSlots: PPtr[],
  regionBase: PPtr,
  userSizeBits: number,
  isDevice = false,
): void {
  const bits = objectSizeBits(type, userSizeBits);
  destSlots.forEach((slot, i) => {
    const cap = createObject(s, type, regionBase + i * 2 ** bits, userSizeBits, isDevice);
    insertNewCap(s, parentSlot, slot, cap);
  });
}
