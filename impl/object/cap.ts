// Capabilities of the concrete kernel as their two packed words (seL4 cap_t), and the CTE's MDB
// node words (seL4 mdb_node_t). Every accessor is derived from the layout tables in
// structures.ts: a field's mask and shift are computed once from its FieldSpec.
//
// Rights arguments are seL4_CapRights words (abi/rights.ts wordFromRights): bit 0 write, 1 read,
// 2 grant, 3 grant-reply. Frame sizes are seL4 vm_page_size codes: 0 SmallPage, 1 LargePage,
// 2 Section, 3 SuperSection. VM rights are VM_RIGHTS codes (structures.ts).

import type { FrameSize } from '../../abi/objecttype';
import { type FieldSpec, type Layout, field, setField, fieldMask } from '../../machine';
import type { Kernel } from '../model/state';
import { CAP_LAYOUTS, CAP_TAG, CTE_LAYOUT, FRAME_SIZE_CODE, type ObjectLayout, capTagOf } from './structures';

export interface Cap {
  readonly w0: number;
  readonly w1: number;
}

export const NULL_CAP: Cap = Object.freeze({ w0: 0, w1: 0 });

export { CAP_TAG };

// ---- field access derived from the layouts ----

type Getter = (w: number) => number;

function getterOf(f: FieldSpec): Getter {
  const m = fieldMask(f.low, f.width);
  const low = f.low;
  return f.high ? (w) => (w & m) >>> 0 : (w) => ((w & m) >>> 0) >>> low;
}

type Setter = (w: number, v: number) => number;

/**
 * The field's setter with mask and shift computed once; a value that does not fit is a kernel bug
 * (setField's MachineException, raised by the slow path).
 */
function setterOf(f: FieldSpec): Setter {
  const m = fieldMask(f.low, f.width);
  const low = f.low;
  const max = 2 ** f.width - 1;
  if (f.high) return (w, v) => ((v & ~m) !== 0 || v < 0 || v > 0xffffffff ? setField(w, f, v) : ((w & ~m) | v) >>> 0);
  return (w, v) => (v > max || v < 0 || v !== Math.floor(v) ? setField(w, f, v) : ((w & ~m) | (v << low)) >>> 0);
}

function fld(l: ObjectLayout, word: 0 | 1 | 2 | 3, name: string): FieldSpec {
  return field(l.words[word] as Layout, name);
}

const L = CAP_LAYOUTS;

const SETTERS = new WeakMap<FieldSpec, Setter>();
function setterFor(f: FieldSpec): Setter {
  let s = SETTERS.get(f);
  if (s === undefined) {
    s = setterOf(f);
    SETTERS.set(f, s);
  }
  return s;
}

/** Encodes one word of a cap from (field, value) pairs, tags from the layout. */
function word(layout: Layout, ...pairs: (FieldSpec | number)[]): number {
  let w = layout.tagValue;
  for (let i = 0; i < pairs.length; i += 2) w = setterFor(pairs[i] as FieldSpec)(w, pairs[i + 1] as number);
  return w;
}

export function capType(cap: Cap): number {
  return capTagOf(cap.w0);
}

export function isNullCap(cap: Cap): boolean {
  return capTagOf(cap.w0) === CAP_TAG.null;
}

export function capEquals(a: Cap, b: Cap): boolean {
  return a.w0 === b.w0 && a.w1 === b.w1;
}

const TAG_NAMES: Record<number, string> = {
  [CAP_TAG.null]: 'NullCap', [CAP_TAG.untyped]: 'UntypedCap', [CAP_TAG.endpoint]: 'EndpointCap',
  [CAP_TAG.notification]: 'NotificationCap', [CAP_TAG.reply]: 'ReplyCap', [CAP_TAG.cnode]: 'CNodeCap',
  [CAP_TAG.thread]: 'ThreadCap', [CAP_TAG.irqControl]: 'IRQControlCap', [CAP_TAG.irqHandler]: 'IRQHandlerCap',
  [CAP_TAG.domain]: 'DomainCap', [CAP_TAG.zombie]: 'ZombieCap', [CAP_TAG.smallFrame]: 'FrameCap', [CAP_TAG.frame]: 'FrameCap',
  [CAP_TAG.pageTable]: 'PageTableCap', [CAP_TAG.pageDirectory]: 'PageDirectoryCap',
  [CAP_TAG.asidControl]: 'ASIDControlCap', [CAP_TAG.asidPool]: 'ASIDPoolCap',
};

/** The spec's tag name of a cap ('EndpointCap', ...); 'InvalidCap' for words no layout matches. */
export function capTypeName(cap: Cap): string {
  return TAG_NAMES[capTagOf(cap.w0)] ?? 'InvalidCap';
}

/** Frame caps have two tags (small frame, other frames). */
export function isFrameCap(cap: Cap): boolean {
  const t = capTagOf(cap.w0);
  return t === CAP_TAG.smallFrame || t === CAP_TAG.frame;
}

/** seL4 isArchCap: the ARM caps (tags with bit 0 set, 4-bit tags). */
export function isArchCap(cap: Cap): boolean {
  const t = capTagOf(cap.w0);
  return t === CAP_TAG.smallFrame || t === CAP_TAG.frame || t === CAP_TAG.pageTable ||
    t === CAP_TAG.pageDirectory || t === CAP_TAG.asidControl || t === CAP_TAG.asidPool;
}

// ---- untyped ----
const UT_PTR = fld(L.untyped, 0, 'capPtr');
const UT_BITS = fld(L.untyped, 1, 'capBlockSize');
const UT_DEV = fld(L.untyped, 1, 'capIsDevice');
const UT_FREE = fld(L.untyped, 1, 'capFreeIndex');
const gUtPtr = getterOf(UT_PTR), gUtBits = getterOf(UT_BITS), gUtDev = getterOf(UT_DEV), gUtFree = getterOf(UT_FREE);
export const capUntypedPtr = (c: Cap): number => gUtPtr(c.w0);
export const capBlockSize = (c: Cap): number => gUtBits(c.w1);
export const capIsDevice = (c: Cap): boolean => gUtDev(c.w1) === 1;
/** Free index in 16-byte units (seL4 capFreeIndex; bytes = index << 4). */
export const capFreeIndex = (c: Cap): number => gUtFree(c.w1);
/** 16-byte units <-> bytes (seL4 FREE_INDEX_TO_OFFSET / GET_FREE_INDEX). */
export const FREE_INDEX_SHIFT = 4;
export function makeUntypedCap(ptr: number, blockSize: number, freeIndex: number, isDevice: boolean): Cap {
  return {
    w0: word(L.untyped.words[0] as Layout, UT_PTR, ptr),
    w1: word(L.untyped.words[1] as Layout, UT_BITS, blockSize, UT_DEV, isDevice ? 1 : 0, UT_FREE, freeIndex),
  };
}
export function capSetFreeIndex(c: Cap, freeIndex: number): Cap {
  return { w0: c.w0, w1: setterFor(UT_FREE)(c.w1, freeIndex) };
}

// ---- endpoint ----
const EP_PTR = fld(L.endpoint, 1, 'capEPPtr');
const EP_BADGE = fld(L.endpoint, 0, 'capEPBadge');
const EP_SEND = fld(L.endpoint, 1, 'capCanSend');
const EP_RECV = fld(L.endpoint, 1, 'capCanReceive');
const EP_GRANT = fld(L.endpoint, 1, 'capCanGrant');
const EP_GRANT_REPLY = fld(L.endpoint, 1, 'capCanGrantReply');
const gEpPtr = getterOf(EP_PTR), gEpBadge = getterOf(EP_BADGE), gEpSend = getterOf(EP_SEND);
const gEpRecv = getterOf(EP_RECV), gEpGrant = getterOf(EP_GRANT), gEpGrantReply = getterOf(EP_GRANT_REPLY);
export const capEPPtr = (c: Cap): number => gEpPtr(c.w1);
export const capEPBadge = (c: Cap): number => gEpBadge(c.w0);
export const capCanSend = (c: Cap): boolean => gEpSend(c.w1) === 1;
export const capCanReceive = (c: Cap): boolean => gEpRecv(c.w1) === 1;
export const capCanGrant = (c: Cap): boolean => gEpGrant(c.w1) === 1;
export const capCanGrantReply = (c: Cap): boolean => gEpGrantReply(c.w1) === 1;

// seL4_CapRights word bits (abi/rights.ts CAP_RIGHTS_LAYOUT).
export const RIGHT_WRITE = 1;
export const RIGHT_READ = 2;
export const RIGHT_GRANT = 4;
export const RIGHT_GRANT_REPLY = 8;
export const ALL_RIGHTS_WORD = 0xf;
const bit = (rights: number, r: number): number => ((rights & r) !== 0 ? 1 : 0);

export function makeEndpointCap(ptr: number, badge: number, rights: number): Cap {
  return {
    w0: word(L.endpoint.words[0] as Layout, EP_BADGE, badge),
    w1: word(L.endpoint.words[1] as Layout, EP_PTR, ptr, EP_SEND, bit(rights, RIGHT_WRITE), EP_RECV, bit(rights, RIGHT_READ),
      EP_GRANT, bit(rights, RIGHT_GRANT), EP_GRANT_REPLY, bit(rights, RIGHT_GRANT_REPLY)),
  };
}
export function capSetEPBadge(c: Cap, badge: number): Cap {
  return { w0: setterFor(EP_BADGE)(c.w0, badge), w1: c.w1 };
}
/** The endpoint cap's rights as a seL4_CapRights word. */
export function capEPRights(c: Cap): number {
  return (gEpSend(c.w1) ? RIGHT_WRITE : 0) | (gEpRecv(c.w1) ? RIGHT_READ : 0) | (gEpGrant(c.w1) ? RIGHT_GRANT : 0) |
    (gEpGrantReply(c.w1) ? RIGHT_GRANT_REPLY : 0);
}

// ---- notification ----
const NT_PTR = fld(L.notification, 0, 'capNtfnPtr');
const NT_BADGE = fld(L.notification, 1, 'capNtfnBadge');
const NT_SEND = fld(L.notification, 1, 'capNtfnCanSend');
const NT_RECV = fld(L.notification, 1, 'capNtfnCanReceive');
const gNtPtr = getterOf(NT_PTR), gNtBadge = getterOf(NT_BADGE), gNtSend = getterOf(NT_SEND), gNtRecv = getterOf(NT_RECV);
export const capNtfnPtr = (c: Cap): number => gNtPtr(c.w0);
export const capNtfnBadge = (c: Cap): number => gNtBadge(c.w1);
export const capNtfnCanSend = (c: Cap): boolean => gNtSend(c.w1) === 1;
export const capNtfnCanReceive = (c: Cap): boolean => gNtRecv(c.w1) === 1;
/** Notification caps carry only send (write) and receive (read). */
export function makeNotificationCap(ptr: number, badge: number, rights: number): Cap {
  return {
    w0: word(L.notification.words[0] as Layout, NT_PTR, ptr),
    w1: word(L.notification.words[1] as Layout, NT_BADGE, badge, NT_SEND, bit(rights, RIGHT_WRITE), NT_RECV, bit(rights, RIGHT_READ)),
  };
}
export function capSetNtfnBadge(c: Cap, badge: number): Cap {
  return { w0: c.w0, w1: setterFor(NT_BADGE)(c.w1, badge) };
}
export function capNtfnRights(c: Cap): number {
  return (gNtSend(c.w1) ? RIGHT_WRITE : 0) | (gNtRecv(c.w1) ? RIGHT_READ : 0);
}

// ---- reply ----
const RP_TCB = fld(L.reply, 0, 'capTCBPtr');
const RP_MASTER = fld(L.reply, 0, 'capReplyMaster');
const RP_GRANT = fld(L.reply, 0, 'capReplyCanGrant');
const gRpTcb = getterOf(RP_TCB), gRpMaster = getterOf(RP_MASTER), gRpGrant = getterOf(RP_GRANT);
/** The thread (TCB block address, like every thread pointer) the reply goes to. */
export const capReplyTCBPtr = (c: Cap): number => gRpTcb(c.w0);
export const capReplyMaster = (c: Cap): boolean => gRpMaster(c.w0) === 1;
export const capReplyCanGrant = (c: Cap): boolean => gRpGrant(c.w0) === 1;
export function makeReplyCap(tcb: number, master: boolean, canGrant: boolean): Cap {
  return { w0: word(L.reply.words[0] as Layout, RP_TCB, tcb, RP_MASTER, master ? 1 : 0, RP_GRANT, canGrant ? 1 : 0), w1: 0 };
}

// ---- cnode ----
const CN_PTR = fld(L.cnode, 0, 'capCNodePtr');
const CN_GUARD = fld(L.cnode, 1, 'capCNodeGuard');
const CN_RADIX = fld(L.cnode, 1, 'capCNodeRadix');
const CN_GSIZE = fld(L.cnode, 1, 'capCNodeGuardSize');
const gCnPtr = getterOf(CN_PTR), gCnGuard = getterOf(CN_GUARD), gCnRadix = getterOf(CN_RADIX), gCnGSize = getterOf(CN_GSIZE);
export const capCNodePtr = (c: Cap): number => gCnPtr(c.w0);
export const capCNodeGuard = (c: Cap): number => gCnGuard(c.w1);
export const capCNodeRadix = (c: Cap): number => gCnRadix(c.w1);
export const capCNodeGuardSize = (c: Cap): number => gCnGSize(c.w1);
/** Word-level CNode cap getters for allocation-free walks (ptr from word 0, the rest from word 1). */
export const cnodeW0Ptr: Getter = gCnPtr;
export const cnodeW1Guard: Getter = gCnGuard;
export const cnodeW1Radix: Getter = gCnRadix;
export const cnodeW1GuardSize: Getter = gCnGSize;
export function makeCNodeCap(ptr: number, radix: number, guardSize: number, guard: number): Cap {
  return {
    w0: word(L.cnode.words[0] as Layout, CN_PTR, ptr),
    w1: word(L.cnode.words[1] as Layout, CN_GUARD, guard, CN_RADIX, radix, CN_GSIZE, guardSize),
  };
}

// ---- thread ----
const TH_PTR = fld(L.thread, 0, 'capTCBPtr');
const gThPtr = getterOf(TH_PTR);
/** The TCB block address (the TCB CNode's slot 0; the tcb_t is at + TCB_OFFSET). */
export const capTCBPtr = (c: Cap): number => gThPtr(c.w0);
export function makeThreadCap(tcbBlock: number): Cap {
  return { w0: word(L.thread.words[0] as Layout, TH_PTR, tcbBlock), w1: 0 };
}

// ---- zombie (seL4 structures.h Zombie_new and the capZombie* helpers) ----
const ZB_TYPE = fld(L.zombie, 0, 'capZombieType');
const ZB_ID = fld(L.zombie, 1, 'capZombieID');
const gZbType = getterOf(ZB_TYPE), gZbID = getterOf(ZB_ID);
/** capZombieType of a TCB's Zombie (seL4 ZombieType_ZombieTCB = BIT(wordRadix)); a CNode's is its radix. */
export const ZOMBIE_TYPE_TCB = 32;
/** The TCB's slots as a CNode radix (seL4 TCB_CNODE_RADIX). */
const TCB_CNODE_RADIX = 4;
export const capZombieType = (c: Cap): number => gZbType(c.w0);
/** The radix whose slots the Zombie covers: the CNode's, or the TCB CNode's. */
export function capZombieBits(c: Cap): number {
  const t = capZombieType(c);
  return t === ZOMBIE_TYPE_TCB ? TCB_CNODE_RADIX : t;
}
/** The low radix+1 bits of capZombieID hold the count; the object is aligned far above them. */
const zombieCountMask = (radix: number): number => 2 ** (radix + 1) - 1;
export const capZombieNumber = (c: Cap): number => gZbID(c.w1) % (zombieCountMask(capZombieBits(c)) + 1);
/** The object's first slot (a CNode's base, a TCB block's CSpace root slot). */
export const capZombiePtr = (c: Cap): number => gZbID(c.w1) - capZombieNumber(c);
/** seL4 Zombie_new(number, type, ptr). */
export function makeZombieCap(number: number, type: number, ptr: number): Cap {
  const m = zombieCountMask(type === ZOMBIE_TYPE_TCB ? TCB_CNODE_RADIX : type) + 1;
  const id = ptr - (ptr % m) + (number % m);
  return { w0: word(L.zombie.words[0] as Layout, ZB_TYPE, type), w1: word(L.zombie.words[1] as Layout, ZB_ID, id) };
}
export function capZombieSetNumber(c: Cap, number: number): Cap {
  return makeZombieCap(number, capZombieType(c), capZombiePtr(c));
}

// ---- IRQ, domain, ASID control ----
const IRQ = fld(L.irqHandler, 1, 'capIRQ');
const gIrq = getterOf(IRQ);
export const capIRQ = (c: Cap): number => gIrq(c.w1);
export const makeIRQControlCap = (): Cap => ({ w0: (L.irqControl.words[0] as Layout).tagValue, w1: 0 });
export const makeIRQHandlerCap = (irq: number): Cap => ({
  w0: (L.irqHandler.words[0] as Layout).tagValue,
  w1: word(L.irqHandler.words[1] as Layout, IRQ, irq),
});
export const makeDomainCap = (): Cap => ({ w0: (L.domain.words[0] as Layout).tagValue, w1: 0 });
export const makeASIDControlCap = (): Cap => ({ w0: (L.asidControl.words[0] as Layout).tagValue, w1: 0 });

// ---- frames (small_frame_cap for 4 KiB, frame_cap for the others) ----
const SF_AH = fld(L.smallFrame, 0, 'capFMappedASIDHigh');
const SF_DEV = fld(L.smallFrame, 0, 'capFIsDevice');
const SF_BASE = fld(L.smallFrame, 0, 'capFBasePtr');
const SF_AL = fld(L.smallFrame, 1, 'capFMappedASIDLow');
const SF_RIGHTS = fld(L.smallFrame, 1, 'capFVMRights');
const SF_ADDR = fld(L.smallFrame, 1, 'capFMappedAddress');
const FR_AH = fld(L.frame, 0, 'capFMappedASIDHigh');
const FR_DEV = fld(L.frame, 0, 'capFIsDevice');
const FR_SIZE = fld(L.frame, 0, 'capFSize');
const FR_BASE = fld(L.frame, 0, 'capFBasePtr');
const FR_AL = fld(L.frame, 1, 'capFMappedASIDLow');
const FR_RIGHTS = fld(L.frame, 1, 'capFVMRights');
const FR_ADDR = fld(L.frame, 1, 'capFMappedAddress');
const gSfAH = getterOf(SF_AH), gSfDev = getterOf(SF_DEV), gSfBase = getterOf(SF_BASE), gSfAL = getterOf(SF_AL);
const gSfRights = getterOf(SF_RIGHTS), gSfAddr = getterOf(SF_ADDR);
const gFrAH = getterOf(FR_AH), gFrDev = getterOf(FR_DEV), gFrSize = getterOf(FR_SIZE), gFrBase = getterOf(FR_BASE);
const gFrAL = getterOf(FR_AL), gFrRights = getterOf(FR_RIGHTS), gFrAddr = getterOf(FR_ADDR);
/** Bits of the ASID kept in capFMappedASIDLow. */
const ASID_LOW_WIDTH = SF_AL.width;

const isSmall = (c: Cap): boolean => capTagOf(c.w0) === CAP_TAG.smallFrame;
/** vm_page_size code: 0 SmallPage, 1 LargePage, 2 Section, 3 SuperSection. */
export const capFSize = (c: Cap): number => (isSmall(c) ? 0 : gFrSize(c.w0));
export const capFBasePtr = (c: Cap): number => (isSmall(c) ? gSfBase(c.w0) : gFrBase(c.w0));
export const capFIsDevice = (c: Cap): boolean => (isSmall(c) ? gSfDev(c.w0) : gFrDev(c.w0)) === 1;
export const capFVMRights = (c: Cap): number => (isSmall(c) ? gSfRights(c.w1) : gFrRights(c.w1));
export const capFMappedAddress = (c: Cap): number => (isSmall(c) ? gSfAddr(c.w1) : gFrAddr(c.w1));
/** The mapped ASID (0 = unmapped), reassembled from its two halves. */
export function capFMappedASID(c: Cap): number {
  return isSmall(c)
    ? gSfAH(c.w0) * 2 ** ASID_LOW_WIDTH + gSfAL(c.w1)
    : gFrAH(c.w0) * 2 ** ASID_LOW_WIDTH + gFrAL(c.w1);
}

export const FRAME_SIZE_NAMES: readonly FrameSize[] = ['SmallPage', 'LargePage', 'Section', 'SuperSection'];
export function frameSizeCode(s: FrameSize): number {
  return s === 'SmallPage' ? 0 : FRAME_SIZE_CODE[s];
}
/** log2 of the frame size for a vm_page_size code. */
export const FRAME_SIZE_BITS: readonly number[] = [12, 16, 20, 24];

export function makeFrameCap(ptr: number, sizeCode: number, vmRights: number, isDevice: boolean, asid: number, vaddr: number): Cap {
  const hi = Math.floor(asid / 2 ** ASID_LOW_WIDTH);
  const lo = asid % 2 ** ASID_LOW_WIDTH;
  if (sizeCode === 0) {
    return {
      w0: word(L.smallFrame.words[0] as Layout, SF_AH, hi, SF_DEV, isDevice ? 1 : 0, SF_BASE, ptr),
      w1: word(L.smallFrame.words[1] as Layout, SF_AL, lo, SF_RIGHTS, vmRights, SF_ADDR, vaddr),
    };
  }
  return {
    w0: word(L.frame.words[0] as Layout, FR_AH, hi, FR_DEV, isDevice ? 1 : 0, FR_SIZE, sizeCode, FR_BASE, ptr),
    w1: word(L.frame.words[1] as Layout, FR_AL, lo, FR_RIGHTS, vmRights, FR_ADDR, vaddr),
  };
}
/** The frame cap with a new mapping (asid 0, vaddr 0 = unmapped). */
export function capFSetMapping(c: Cap, asid: number, vaddr: number): Cap {
  return makeFrameCap(capFBasePtr(c), capFSize(c), capFVMRights(c), capFIsDevice(c), asid, vaddr);
}
export function capFSetVMRights(c: Cap, vmRights: number): Cap {
  return makeFrameCap(capFBasePtr(c), capFSize(c), vmRights, capFIsDevice(c), capFMappedASID(c), capFMappedAddress(c));
}

// ---- page table ----
const PT_MAPPED = fld(L.pageTable, 0, 'capPTIsMapped');
const PT_BASE = fld(L.pageTable, 0, 'capPTBasePtr');
const PT_ASID = fld(L.pageTable, 1, 'capPTMappedASID');
const PT_ADDR = fld(L.pageTable, 1, 'capPTMappedAddress');
const gPtMapped = getterOf(PT_MAPPED), gPtBase = getterOf(PT_BASE), gPtAsid = getterOf(PT_ASID), gPtAddr = getterOf(PT_ADDR);
export const capPTIsMapped = (c: Cap): boolean => gPtMapped(c.w0) === 1;
export const capPTBasePtr = (c: Cap): number => gPtBase(c.w0);
export const capPTMappedASID = (c: Cap): number => gPtAsid(c.w1);
export const capPTMappedAddress = (c: Cap): number => gPtAddr(c.w1);
export function makePageTableCap(ptr: number, isMapped: boolean, asid: number, vaddr: number): Cap {
  return {
    w0: word(L.pageTable.words[0] as Layout, PT_MAPPED, isMapped ? 1 : 0, PT_BASE, ptr),
    w1: word(L.pageTable.words[1] as Layout, PT_ASID, asid, PT_ADDR, vaddr),
  };
}

// ---- page directory ----
const PD_MAPPED = fld(L.pageDirectory, 0, 'capPDIsMapped');
const PD_BASE = fld(L.pageDirectory, 0, 'capPDBasePtr');
const PD_ASID = fld(L.pageDirectory, 1, 'capPDMappedASID');
const gPdMapped = getterOf(PD_MAPPED), gPdBase = getterOf(PD_BASE), gPdAsid = getterOf(PD_ASID);
export const capPDIsMapped = (c: Cap): boolean => gPdMapped(c.w0) === 1;
export const capPDBasePtr = (c: Cap): number => gPdBase(c.w0);
export const capPDMappedASID = (c: Cap): number => gPdAsid(c.w1);
export function makePageDirectoryCap(ptr: number, isMapped: boolean, asid: number): Cap {
  return {
    w0: word(L.pageDirectory.words[0] as Layout, PD_MAPPED, isMapped ? 1 : 0, PD_BASE, ptr),
    w1: word(L.pageDirectory.words[1] as Layout, PD_ASID, asid),
  };
}

// ---- ASID pool ----
const AP_POOL = fld(L.asidPool, 0, 'capASIDPool');
const AP_BASE = fld(L.asidPool, 1, 'capASIDBase');
const gApPool = getterOf(AP_POOL), gApBase = getterOf(AP_BASE);
export const capASIDPool = (c: Cap): number => gApPool(c.w0);
export const capASIDBase = (c: Cap): number => gApBase(c.w1);
export function makeASIDPoolCap(pool: number, base: number): Cap {
  return { w0: word(L.asidPool.words[0] as Layout, AP_POOL, pool), w1: word(L.asidPool.words[1] as Layout, AP_BASE, base) };
}

// ---- CTEs: cap words and MDB node (CTE_LAYOUT) ----

const CTE_W0 = 0;
const CTE_W1 = 4;
/** Byte offsets of the MDB node's two words in a CTE (CTE_LAYOUT words 2 and 3). */
export const CTE_PREV = 8;
export const CTE_NEXT = 12;
const MDB_PREV = fld(CTE_LAYOUT, 2, 'mdbPrev');
const MDB_NEXT = fld(CTE_LAYOUT, 3, 'mdbNext');
const MDB_REVOCABLE = fld(CTE_LAYOUT, 3, 'mdbRevocable');
const MDB_FIRST_BADGED = fld(CTE_LAYOUT, 3, 'mdbFirstBadged');
const gPrev = getterOf(MDB_PREV), gNext = getterOf(MDB_NEXT), gRev = getterOf(MDB_REVOCABLE), gFB = getterOf(MDB_FIRST_BADGED);
const sPrev = setterOf(MDB_PREV), sNext = setterOf(MDB_NEXT), sRev = setterOf(MDB_REVOCABLE), sFB = setterOf(MDB_FIRST_BADGED);

export function readCap(k: Kernel, slot: number): Cap {
  return { w0: k.m.load32(slot + CTE_W0), w1: k.m.load32(slot + CTE_W1) };
}
export function writeCap(k: Kernel, slot: number, cap: Cap): void {
  k.m.store32(slot + CTE_W0, cap.w0);
  k.m.store32(slot + CTE_W1, cap.w1);
}
/** The tag of the cap in a slot (one load). */
export function slotCapType(k: Kernel, slot: number): number {
  return capTagOf(k.m.load32(slot + CTE_W0));
}

/** Word-level MDB access (one load per word): prev from word 2; next and the bits from word 3. */
export const mdbPrevOf: Getter = gPrev;
export const mdbNextOf: Getter = gNext;
export const mdbRevocableOf = (w3: number): boolean => gRev(w3) === 1;
export const mdbFirstBadgedOf = (w3: number): boolean => gFB(w3) === 1;
export const withMdbPrev: Setter = sPrev;
export const withMdbNext: Setter = sNext;
export const withMdbFirstBadged = (w3: number, v: boolean): number => sFB(w3, v ? 1 : 0);
/** Word 3 of a fresh MDB node. */
export const mdbNextWord = (next: number, revocable: boolean, firstBadged: boolean): number =>
  sFB(sRev(sNext(0, next), revocable ? 1 : 0), firstBadged ? 1 : 0);

export const mdbPrev = (k: Kernel, slot: number): number => gPrev(k.m.load32(slot + CTE_PREV));
export const mdbNext = (k: Kernel, slot: number): number => gNext(k.m.load32(slot + CTE_NEXT));
export const mdbRevocable = (k: Kernel, slot: number): boolean => gRev(k.m.load32(slot + CTE_NEXT)) === 1;
export const mdbFirstBadged = (k: Kernel, slot: number): boolean => gFB(k.m.load32(slot + CTE_NEXT)) === 1;

export function setMdbPrev(k: Kernel, slot: number, prev: number): void {
  k.m.store32(slot + CTE_PREV, sPrev(k.m.load32(slot + CTE_PREV), prev));
}
export function setMdbNext(k: Kernel, slot: number, next: number): void {
  k.m.store32(slot + CTE_NEXT, sNext(k.m.load32(slot + CTE_NEXT), next));
}
export function setMdbRevocable(k: Kernel, slot: number, v: boolean): void {
  k.m.store32(slot + CTE_NEXT, sRev(k.m.load32(slot + CTE_NEXT), v ? 1 : 0));
}
export function setMdbFirstBadged(k: Kernel, slot: number, v: boolean): void {
  k.m.store32(slot + CTE_NEXT, sFB(k.m.load32(slot + CTE_NEXT), v ? 1 : 0));
}
/** Writes a whole MDB node (both words). */
export function writeMdb(k: Kernel, slot: number, prev: number, next: number, revocable: boolean, firstBadged: boolean): void {
  k.m.store32(slot + CTE_PREV, sPrev(0, prev));
  k.m.store32(slot + CTE_NEXT, mdbNextWord(next, revocable, firstBadged));
}
