// The ARM (AArch32, short-descriptor) virtual address space of the concrete kernel (seL4
// src/arch/arm/32/kernel/vspace.c, the ARM part of src/arch/arm/32/object/objecttype.c).
//
// Everything is real and in machine memory: the ASID table (GLOBALS.armKSASIDTable, 128 pool
// pointers), ASID pools (1024 words of page-directory pointers), page directories (4096 PDEs) and
// page tables (256 PTEs) in the ARMv7 descriptor formats of machine/descriptors.ts, which the
// machine's MMU walks for user loads and stores. A large page / supersection is written to its 16
// consecutive entries. The TLB caches translations until the kernel flushes them, so every place
// where seL4 flushes flushes here too (unmap page / page table, remap, ASID and pool deletion).
//
// A thread whose VTable slot has no page-directory cap with a live ASID runs on the kernel's own
// page directory (KERNEL_LAYOUT.kernelPD, no user entries) with ASID 0: every user access faults.

import { KERNEL_LAYOUT } from '../../abi/boot';
import { LABEL } from '../../abi/invocations';
import { ASID_LOW_BITS, ASID_POOL_BITS, type FrameSize, SIZE_BITS, USER_TOP } from '../../abi/objecttype';
import {
  AP, FSR, PDE_COARSE, PDE_SECTION, PDE_SUPERSECTION, PTE_LARGE, PTE_SMALL, PdeKind, PteKind, REPLICATION, field, getField,
  pdIndex, pdeCoarse, pdeKind, pdeSection, pdeSupersection, ptIndex, pteKind, pteLarge, pteSmall,
} from '../../machine';
import {
  type Decoded, type LookupFailure, OK_VOID, alignmentError, deleteFirst, failedLookup, illegalOperation,
  invalidArgument, invalidCapability, ok, rangeError, revokeFirst, truncatedMessage,
} from '../api/failures';
import type { InvocationArgs } from '../api/types';
import { GLOBALS, type Kernel } from '../model/state';
import {
  type Cap, CAP_TAG, FRAME_SIZE_BITS, FRAME_SIZE_NAMES, capASIDBase, capASIDPool, capBlockSize, capFBasePtr, capFIsDevice,
  capFMappedASID, capFMappedAddress, capFSetMapping, capFSize, FREE_INDEX_SHIFT, capFVMRights, capIsDevice, capPDBasePtr, capPDIsMapped,
  capPDMappedASID, capPTBasePtr, capPTIsMapped, capPTMappedASID, capPTMappedAddress, capSetFreeIndex, capType,
  capUntypedPtr, isFrameCap, makeASIDPoolCap, makePageDirectoryCap, makePageTableCap, readCap, writeCap,
} from '../object/cap';
import { cteInsert, ensureEmptySlot, ensureNoChildren, isFinalCapability } from '../object/cnode';
import { CAP_LAYOUTS, VM_RIGHTS, capTagOf } from '../object/structures';
import { TCB_CNODE_SLOT, getCurThread, getIPCBuffer, tcbSlotAddr } from '../object/tcb-fields';
import { deleteObjectsInRegion } from '../object/untyped';
import { maskVMRights } from '../object/objecttype';
import { lookupTargetSlot } from './cspace';

/**
 * l4v ArchInvocation. Slots and objects are addresses; a flush keeps seL4's invLabel and what it
 * would flush: [start, end] (end inclusive), the physical address of start, and the space.
 */
export type ArchInvocation =
  | { tag: 'PageDirectoryFlush'; label: number; start: number; end: number; pstart: number; pd: number; asid: number }
  | { tag: 'PageDirectoryNothing' }
  | { tag: 'PageFlush'; label: number; start: number; end: number; pstart: number; pd: number; asid: number }
  | { tag: 'PageTableMap'; slot: number; cap: Cap; pdSlot: number; pde: number }
  | { tag: 'PageTableUnmap'; slot: number; cap: Cap }
  | { tag: 'PageMap'; slot: number; cap: Cap; asid: number; inPD: boolean; entries: number; count: number; entry: number }
  | { tag: 'PageUnmap'; slot: number; cap: Cap }
  | { tag: 'PageGetAddr'; ptr: number }
  | { tag: 'MakePool'; frame: number; slot: number; parent: number; base: number }
  | { tag: 'Assign'; asid: number; pool: number; pdSlot: number };

const PAGE_BITS = SIZE_BITS.SmallPage;
const PD_SHIFT = SIZE_BITS.Section;
const ASID_LOW_MASK = (1 << ASID_LOW_BITS) - 1;
const N_ASID_POOLS = 1 << ASID_POOL_BITS;
const ASID_POOL_ENTRIES = 1 << ASID_LOW_BITS;
const SECTION_MASK = ~(2 ** PD_SHIFT - 1) >>> 0;
const PDE_INVALID = 0;
const PTE_INVALID = 0;
const SIZE_SMALL = 0;
const SIZE_LARGE = 1;
const SIZE_SECTION = 2;
const SIZE_SUPERSECTION = 3;

// Word-level cap fields for the allocation-free paths (setVMRoot, lookupIPCBuffer).
const PD_W0 = CAP_LAYOUTS.pageDirectory.words[0]!;
const F_PD_MAPPED = field(PD_W0, 'capPDIsMapped');
const F_PD_BASE = field(PD_W0, 'capPDBasePtr');
const F_PD_ASID = field(CAP_LAYOUTS.pageDirectory.words[1]!, 'capPDMappedASID');
const F_SF_DEV = field(CAP_LAYOUTS.smallFrame.words[0]!, 'capFIsDevice');
const F_SF_BASE = field(CAP_LAYOUTS.smallFrame.words[0]!, 'capFBasePtr');
const F_SF_RIGHTS = field(CAP_LAYOUTS.smallFrame.words[1]!, 'capFVMRights');
const F_FR_DEV = field(CAP_LAYOUTS.frame.words[0]!, 'capFIsDevice');
const F_FR_SIZE = field(CAP_LAYOUTS.frame.words[0]!, 'capFSize');
const F_FR_BASE = field(CAP_LAYOUTS.frame.words[0]!, 'capFBasePtr');
const F_FR_RIGHTS = field(CAP_LAYOUTS.frame.words[1]!, 'capFVMRights');

// ---------------------------------------------------------------------------------------------
// Rights

/** seL4 APFromVMRights (ARMv7, no hypervisor): the AP[1:0] bits of a user mapping, APX 0. */
export function apFromVMRights(rights: number): number {
  switch (rights) {
    case VM_RIGHTS.VMNoAccess: return AP.NoAccess;
    case VM_RIGHTS.VMKernelOnly: return AP.PrivilegedOnly;
    case VM_RIGHTS.VMReadOnly: return AP.UserReadOnly;
    default: return AP.UserReadWrite;
  }
}

// ---------------------------------------------------------------------------------------------
// ASID table and pools

const asidTableSlot = (asid: number): number => GLOBALS.armKSASIDTable + 4 * (asid >>> ASID_LOW_BITS);
const poolEntry = (pool: number, asid: number): number => pool + 4 * (asid & ASID_LOW_MASK);

/** spec: findPDForASID — the page directory `asid` names, or 0 (lookup failure InvalidRoot). */
export function findPDForASID(k: Kernel, asid: number): number {
  if (asid >>> ASID_LOW_BITS >= N_ASID_POOLS) return 0;
  const pool = k.m.load32(asidTableSlot(asid));
  if (pool === 0) return 0;
  return k.m.load32(poolEntry(pool, asid));
}

/** spec: isValidVTableRoot — a page-directory cap that has been assigned an ASID. */
export function isValidVTableRoot(cap: Cap): boolean {
  return capType(cap) === CAP_TAG.pageDirectory && capPDIsMapped(cap);
}

/**
 * spec: threadVSpaceRoot (seL4 setVMRoot) — load the thread's page directory and ASID if its VTable cap is a mapped PD cap
 * whose ASID still names that PD, else the kernel's page directory with ASID 0.
 */
export function setVMRoot(k: Kernel, tcb: number): void {
  const slot = tcbSlotAddr(tcb, TCB_CNODE_SLOT.vTable);
  const w0 = k.m.load32(slot);
  if (capTagOf(w0) === CAP_TAG.pageDirectory && getField(w0, F_PD_MAPPED) === 1) {
    const pd = getField(w0, F_PD_BASE);
    const asid = getField(k.m.load32(slot + 4), F_PD_ASID);
    if (findPDForASID(k, asid) === pd) {
      k.m.setVSpace(pd, asid);
      return;
    }
  }
  k.m.setVSpace(KERNEL_LAYOUT.kernelPD, 0);
}

/**
 * spec: userTranslate — for diagnostics and checks (user accesses themselves go through the
 * machine's MMU and TLB): the physical address a user word access by `tcb` reaches, from a fresh
 * walk of the page directory setVMRoot would load (no TLB, no counters); or the negated fault
 * status (bit 11 set for a write), as the MMU reports it.
 */
export function userTranslate(k: Kernel, tcb: number, vaddr: number, write: boolean): number {
  const wnr = write ? FSR.WnR : 0;
  if ((vaddr & 3) !== 0) return -(FSR.Alignment | wnr);
  const slot = tcbSlotAddr(tcb, TCB_CNODE_SLOT.vTable);
  const w0 = k.m.peek32(slot);
  let pd: number = KERNEL_LAYOUT.kernelPD;
  if (capTagOf(w0) === CAP_TAG.pageDirectory && getField(w0, F_PD_MAPPED) === 1) {
    const base = getField(w0, F_PD_BASE);
    const asid = getField(k.m.peek32(slot + 4), F_PD_ASID);
    const pool = asid >>> ASID_LOW_BITS < N_ASID_POOLS ? k.m.peek32(asidTableSlot(asid)) : 0;
    if (pool !== 0 && k.m.peek32(poolEntry(pool, asid)) === base) pd = base;
  }
  const t = k.m.translate(vaddr >>> 0, pd);
  if (!t.ok) return -(t.fsr | wnr);
  if (write ? !t.userWrite : !t.userRead) return -((t.level === 'section' ? FSR.PermissionSection : FSR.PermissionPage) | wnr);
  return t.paddr;
}

/**
 * spec: lookupIPCBuffer — the physical address of the thread's IPC buffer, through the frame cap in
 * its tcbBuffer slot; 0 when there is none, the frame is device memory, or the cap's rights do not
 * allow the access (a receiver needs write access).
 */
export function lookupIPCBuffer(k: Kernel, isReceiver: boolean, tcb: number): number {
  const slot = tcbSlotAddr(tcb, TCB_CNODE_SLOT.buffer);
  const w0 = k.m.load32(slot);
  const tag = capTagOf(w0);
  let base: number;
  let bits: number;
  let rights: number;
  if (tag === CAP_TAG.smallFrame) {
    if (getField(w0, F_SF_DEV) !== 0) return 0;
    base = getField(w0, F_SF_BASE);
    bits = PAGE_BITS;
    rights = getField(k.m.load32(slot + 4), F_SF_RIGHTS);
  } else if (tag === CAP_TAG.frame) {
    if (getField(w0, F_FR_DEV) !== 0) return 0;
    base = getField(w0, F_FR_BASE);
    bits = FRAME_SIZE_BITS[getField(w0, F_FR_SIZE)]!;
    rights = getField(k.m.load32(slot + 4), F_FR_RIGHTS);
  } else {
    return 0;
  }
  if (!(rights === VM_RIGHTS.VMReadWrite || (!isReceiver && rights === VM_RIGHTS.VMReadOnly))) return 0;
  return base + (getIPCBuffer(k, tcb) & ((1 << bits) - 1));
}

/** spec: checkValidIPCBuffer — a non-device frame cap and a buffer address aligned to the buffer size. */
export function checkValidIPCBuffer(vaddr: number, cap: Cap): Decoded<void> {
  if (!isFrameCap(cap)) return illegalOperation();
  if (capFIsDevice(cap)) return illegalOperation();
  if ((vaddr & (2 ** SIZE_BITS.IPCBuffer - 1)) !== 0) return alignmentError();
  return OK_VOID;
}

// ---------------------------------------------------------------------------------------------
// Unmapping and ASID deletion (finaliseCap and the invocations below)

/** spec: deleteASIDPool — forget the pool if the table still holds it, flushing each of its ASIDs. */
export function deleteASIDPool(k: Kernel, base: number, pool: number): void {
  if ((base & ASID_LOW_MASK) !== 0) throw new Error('kernel bug: ASID pool base must be aligned');
  const slot = asidTableSlot(base);
  if (k.m.load32(slot) !== pool) return;
  for (let i = 0; i < ASID_POOL_ENTRIES; i++) {
    if (k.m.load32(pool + 4 * i) !== 0) k.m.flushByASID(base + i);
  }
  k.m.store32(slot, 0);
  setVMRoot(k, getCurThread(k));
}

/** spec: deleteASID — take `asid` out of its pool if it still names `pd`, flushing its TLB entries. */
export function deleteASID(k: Kernel, asid: number, pd: number): void {
  const pool = k.m.load32(asidTableSlot(asid));
  if (pool === 0 || k.m.load32(poolEntry(pool, asid)) !== pd) return;
  k.m.flushByASID(asid);
  k.m.store32(poolEntry(pool, asid), 0);
  setVMRoot(k, getCurThread(k));
}

/** spec: pageTableMapped — the PD in which `pt` is still the table for vaddr, or 0. */
function pageTableMapped(k: Kernel, asid: number, vaddr: number, pt: number): number {
  const pd = findPDForASID(k, asid);
  if (pd === 0) return 0;
  const pde = k.m.load32(pd + 4 * pdIndex(vaddr));
  return pdeKind(pde) === PdeKind.Coarse && ptBaseOf(pde) === pt ? pd : 0;
}

// Descriptor base fields (addresses in place).
const F_COARSE_BASE = field(PDE_COARSE, 'base');
const F_SECTION_BASE = field(PDE_SECTION, 'base');
const F_SUPERSECTION_BASE = field(PDE_SUPERSECTION, 'base');
const F_SMALL_BASE = field(PTE_SMALL, 'base');
const F_LARGE_BASE = field(PTE_LARGE, 'base');

/** The page-table address of a coarse PDE. */
function ptBaseOf(pde: number): number {
  return getField(pde, F_COARSE_BASE);
}

/** spec: unmapPageTable — clear the PDE that maps `pt` at (asid, vaddr) if it still does; flush the ASID. */
export function unmapPageTable(k: Kernel, asid: number, vaddr: number, pt: number): void {
  const pd = pageTableMapped(k, asid, vaddr, pt);
  if (pd === 0) return;
  k.m.store32(pd + 4 * pdIndex(vaddr), PDE_INVALID);
  k.m.flushByASID(asid);
}

/** The frame base a PTE / PDE of the given kind maps (descriptor base fields, in place). */
function frameOfPTE(pte: number, kind: PteKind): number {
  return getField(pte, kind === PteKind.Small ? F_SMALL_BASE : F_LARGE_BASE);
}
function frameOfPDE(pde: number, kind: PdeKind): number {
  return getField(pde, kind === PdeKind.Section ? F_SECTION_BASE : F_SUPERSECTION_BASE);
}

/** Where resolveVAddr puts the size code of the frame it found (no allocation per call). */
let resolvedSize = 0;

/**
 * spec: resolveVAddr — the base of the frame mapped at vaddr in pd, its size code in
 * `resolvedSize`; -1 when nothing is mapped there.
 */
function resolveVAddr(k: Kernel, pd: number, vaddr: number): number {
  const pde = k.m.load32(pd + 4 * pdIndex(vaddr));
  switch (pdeKind(pde)) {
    case PdeKind.Section:
      resolvedSize = SIZE_SECTION;
      return frameOfPDE(pde, PdeKind.Section);
    case PdeKind.Supersection:
      resolvedSize = SIZE_SUPERSECTION;
      return frameOfPDE(pde, PdeKind.Supersection);
    case PdeKind.Coarse: {
      const pte = k.m.load32(ptBaseOf(pde) + 4 * ptIndex(vaddr));
      const kind = pteKind(pte);
      if (kind === PteKind.Invalid) return -1;
      resolvedSize = kind === PteKind.Small ? SIZE_SMALL : SIZE_LARGE;
      return frameOfPTE(pte, kind);
    }
    default:
      return -1;
  }
}

/** spec: lookupPTSlot — the address of the PTE covering vaddr in pd, or 0 when no page table covers it. */
function lookupPTSlot(k: Kernel, pd: number, vaddr: number): number {
  const pde = k.m.load32(pd + 4 * pdIndex(vaddr));
  if (pdeKind(pde) !== PdeKind.Coarse) return 0;
  return ptBaseOf(pde) + 4 * ptIndex(vaddr);
}

/**
 * spec: unmapPage — remove the mapping of `frame` at (asid, vaddr) if the entries there still map
 * this frame at this size, then flush the page; a stale mapping record does nothing.
 */
export function unmapPage(k: Kernel, size: FrameSize, asid: number, vaddr: number, frame: number): void {
  const pd = findPDForASID(k, asid);
  if (pd === 0) return;
  if (size === 'SmallPage' || size === 'LargePage') {
    const slot = lookupPTSlot(k, pd, vaddr);
    if (slot === 0) return;
    const want = size === 'SmallPage' ? PteKind.Small : PteKind.Large;
    const pte = k.m.load32(slot);
    if (pteKind(pte) !== want || frameOfPTE(pte, want) !== frame) return;
    const n = want === PteKind.Small ? 1 : REPLICATION;
    for (let i = 0; i < n; i++) k.m.store32(slot + 4 * i, PTE_INVALID);
  } else {
    const slot = pd + 4 * pdIndex(vaddr);
    const want = size === 'Section' ? PdeKind.Section : PdeKind.Supersection;
    const pde = k.m.load32(slot);
    if (pdeKind(pde) !== want || frameOfPDE(pde, want) !== frame) return;
    const n = want === PdeKind.Section ? 1 : REPLICATION;
    for (let i = 0; i < n; i++) k.m.store32(slot + 4 * i, PDE_INVALID);
  }
  k.m.flushByAddress(vaddr, asid);
}

// ---------------------------------------------------------------------------------------------
// Decoding

const lookupError = (failure: LookupFailure): Decoded<never> => failedLookup(false, failure);
const INVALID_ROOT: LookupFailure = Object.freeze({ tag: 'InvalidRoot' });
const MISSING_PT: LookupFailure = Object.freeze({ tag: 'MissingCapability', bitsLeft: PD_SHIFT });

/** spec: mappedPD — the vspace argument of Page_Map / PageTable_Map must be a PD cap with an ASID. */
function isMappedPDCap(cap: Cap | undefined): cap is Cap {
  return cap !== undefined && capType(cap) === CAP_TAG.pageDirectory && capPDIsMapped(cap);
}

/** spec: checkPDForASID — the ASID must still name the cap's PD: FailedLookup(InvalidRoot), or InvalidCapability(1). */
function checkPDForASID(k: Kernel, asid: number, pd: number): Decoded<void> {
  const found = findPDForASID(k, asid);
  if (found === 0) return lookupError(INVALID_ROOT);
  if (found !== pd) return invalidCapability(1);
  return OK_VOID;
}

/** spec: decodeARMMMUInvocation — page-directory, page-table, frame, ASID control and ASID pool caps. */
export function decodeARMMMUInvocation(k: Kernel, args: InvocationArgs, cap: Cap, slot: number, _thread: number): Decoded<ArchInvocation> {
  switch (capType(cap)) {
    case CAP_TAG.pageDirectory:
      return decodeARMPageDirectoryInvocation(k, args, cap);
    case CAP_TAG.pageTable:
      return decodeARMPageTableInvocation(k, args, cap, slot);
    case CAP_TAG.smallFrame:
    case CAP_TAG.frame:
      return decodeARMFrameInvocation(k, args, cap, slot);
    case CAP_TAG.asidControl:
      return decodeARMASIDControlInvocation(k, args);
    case CAP_TAG.asidPool:
      return decodeARMASIDPoolInvocation(k, args, cap);
    default:
      return illegalOperation();
  }
}

const isPDFlushLabel = (l: number): boolean => l >= LABEL.ARMPDClean_Data && l <= LABEL.ARMPDUnify_Instruction;
const isPageFlushLabel = (l: number): boolean => l >= LABEL.ARMPageClean_Data && l <= LABEL.ARMPageUnify_Instruction;

/** spec: decodeARMPageDirectoryInvocation — the cache methods, (start, end) a virtual range. */
function decodeARMPageDirectoryInvocation(k: Kernel, args: InvocationArgs, cap: Cap): Decoded<ArchInvocation> {
  if (!isPDFlushLabel(args.label)) return illegalOperation();
  if (args.words.length < 2) return truncatedMessage();
  const start = args.words[0]! >>> 0;
  const end = args.words[1]! >>> 0;
  if (end <= start) return invalidArgument(1);
  // no flushing of the kernel window
  if (start >= USER_TOP || end > USER_TOP) return illegalOperation();
  if (!capPDIsMapped(cap)) return invalidCapability(0);
  const pd = capPDBasePtr(cap);
  const asid = capPDMappedASID(cap);
  const found = findPDForASID(k, asid);
  if (found === 0) return lookupError(INVALID_ROOT);
  if (found !== pd) return invalidCapability(0);
  const frame = resolveVAddr(k, pd, start);
  // nothing mapped at start: nothing cached, success without a flush
  if (frame < 0) return ok({ tag: 'PageDirectoryNothing' });
  const mask = 2 ** FRAME_SIZE_BITS[resolvedSize]! - 1;
  const base = (start & ~mask) >>> 0;
  if ((((end - 1) & ~mask) >>> 0) !== base) return rangeError(start, (base + mask) >>> 0);
  return ok({ tag: 'PageDirectoryFlush', label: args.label, start, end: end - 1, pstart: frame + (start & mask), pd, asid });
}

/** spec: decodeARMPageFlush — the cache methods of a frame, (start, end) offsets, through its recorded user mapping. */
function decodeARMPageFlush(k: Kernel, args: InvocationArgs, cap: Cap): Decoded<ArchInvocation> {
  if (args.words.length < 2) return truncatedMessage();
  const asid = capFMappedASID(cap);
  const vaddr = capFMappedAddress(cap);
  if (asid === 0) return illegalOperation();
  const pd = findPDForASID(k, asid);
  if (pd === 0) return lookupError(INVALID_ROOT);
  const start = args.words[0]! >>> 0;
  const end = args.words[1]! >>> 0;
  if (end <= start) return invalidArgument(1);
  const sizeCode = capFSize(cap);
  const pageSize = 2 ** FRAME_SIZE_BITS[sizeCode]!;
  const base = capFBasePtr(cap);
  // the cap's mapping record must not be stale
  const frame = resolveVAddr(k, pd, vaddr);
  if (frame < 0 || resolvedSize !== sizeCode || frame !== base) return invalidCapability(0);
  if (start >= pageSize || end > pageSize) return invalidArgument(0);
  return ok({ tag: 'PageFlush', label: args.label, start: vaddr + start, end: vaddr + end - 1, pstart: base + start, pd, asid });
}

/** spec: decodeARMPageTableInvocation — PageTable_Map(vaddr, attr; pd), PageTable_Unmap(). */
function decodeARMPageTableInvocation(k: Kernel, args: InvocationArgs, cap: Cap, slot: number): Decoded<ArchInvocation> {
  if (args.label === LABEL.ARMPageTableUnmap) {
    // unmapping clears the table, which other caps to it may rely on
    if (!isFinalCapability(k, slot)) return revokeFirst();
    return ok({ tag: 'PageTableUnmap', slot, cap });
  }
  if (args.label !== LABEL.ARMPageTableMap) return illegalOperation();
  if (args.words.length < 2 || args.extraCaps.length < 1) return truncatedMessage();
  if (capPTIsMapped(cap)) return invalidCapability(0);
  const vaddr = args.words[0]! >>> 0;
  const pdCap = args.extraCaps[0]!.cap;
  if (!isMappedPDCap(pdCap)) return invalidCapability(1);
  const pd = capPDBasePtr(pdCap);
  const asid = capPDMappedASID(pdCap);
  if (vaddr >= USER_TOP) return invalidArgument(0);
  const live = checkPDForASID(k, asid, pd);
  if (!live.ok) return live;
  const pdSlot = pd + 4 * pdIndex(vaddr);
  if (pdeKind(k.m.load32(pdSlot)) !== PdeKind.Invalid) return deleteFirst();
  const pt = capPTBasePtr(cap);
  // the cap keeps the 1 MiB region the table covers
  const mapped = makePageTableCap(pt, true, asid, (vaddr & SECTION_MASK) >>> 0);
  return ok({ tag: 'PageTableMap', slot, cap: mapped, pdSlot, pde: pdeCoarse(pt) });
}

/** spec: decodeARMFrameInvocation — Page_Map(vaddr, rights, attr; pd), Page_Unmap(), Page_GetAddress(), the cache methods. */
function decodeARMFrameInvocation(k: Kernel, args: InvocationArgs, cap: Cap, slot: number): Decoded<ArchInvocation> {
  if (args.label === LABEL.ARMPageUnmap) return ok({ tag: 'PageUnmap', slot, cap });
  if (isPageFlushLabel(args.label)) return decodeARMPageFlush(k, args, cap);
  if (args.label === LABEL.ARMPageGetAddress) return ok({ tag: 'PageGetAddr', ptr: capFBasePtr(cap) });
  if (args.label !== LABEL.ARMPageMap) return illegalOperation();
  if (args.words.length < 3 || args.extraCaps.length < 1) return truncatedMessage();
  const vaddr = args.words[0]! >>> 0;
  const rightsMask = args.words[1]! >>> 0;
  const pdCap = args.extraCaps[0]!.cap;
  if (!isMappedPDCap(pdCap)) return invalidCapability(1);
  const pd = capPDBasePtr(pdCap);
  const asid = capPDMappedASID(pdCap);
  const sizeCode = capFSize(cap);
  const pageBits = FRAME_SIZE_BITS[sizeCode]!;
  const mappedASID = capFMappedASID(cap);
  if (mappedASID !== 0) {
    // a mapped frame cap may only be remapped in place
    if (mappedASID !== asid) return invalidCapability(1);
    if (capFMappedAddress(cap) !== vaddr) return invalidArgument(0);
  } else if ((vaddr + 2 ** pageBits - 1) >>> 0 >= USER_TOP) {
    // 32-bit arithmetic: a top that wraps passes here and fails alignment below
    return invalidArgument(0);
  }
  const live = checkPDForASID(k, asid, pd);
  if (!live.ok) return live;
  const ap = apFromVMRights(maskVMRights(capFVMRights(cap), rightsMask));
  if ((vaddr & (2 ** pageBits - 1)) !== 0) return alignmentError();
  const frame = capFBasePtr(cap);
  const newCap = capFSetMapping(cap, asid, vaddr);
  if (sizeCode === SIZE_SMALL || sizeCode === SIZE_LARGE) {
    const ptSlot = lookupPTSlot(k, pd, vaddr);
    if (ptSlot === 0) return lookupError(MISSING_PT);
    const small = sizeCode === SIZE_SMALL;
    const count = small ? 1 : REPLICATION;
    // only a mapping of the other page size is in the way
    const other = small ? PteKind.Large : PteKind.Small;
    for (let i = 0; i < count; i++) if (pteKind(k.m.load32(ptSlot + 4 * i)) === other) return deleteFirst();
    const entry = small ? pteSmall(frame, ap) : pteLarge(frame, ap);
    return ok({ tag: 'PageMap', slot, cap: newCap, asid, inPD: false, entries: ptSlot, count, entry });
  }
  const pdSlot = pd + 4 * pdIndex(vaddr);
  const section = sizeCode === SIZE_SECTION;
  const count = section ? 1 : REPLICATION;
  const same = section ? PdeKind.Section : PdeKind.Supersection;
  for (let i = 0; i < count; i++) {
    const kind = pdeKind(k.m.load32(pdSlot + 4 * i));
    if (kind !== PdeKind.Invalid && kind !== same) return deleteFirst();
  }
  const entry = section ? pdeSection(frame, ap) : pdeSupersection(frame, ap);
  return ok({ tag: 'PageMap', slot, cap: newCap, asid, inPD: true, entries: pdSlot, count, entry });
}

/** spec: decodeARMASIDControlInvocation — ASIDControl_MakePool(index, depth; untyped, root). */
function decodeARMASIDControlInvocation(k: Kernel, args: InvocationArgs): Decoded<ArchInvocation> {
  if (args.label !== LABEL.ARMASIDControlMakePool) return illegalOperation();
  if (args.words.length < 2 || args.extraCaps.length < 2) return truncatedMessage();
  const index = args.words[0]! >>> 0;
  const depth = args.words[1]! >>> 0;
  const parent = args.extraCaps[0]!;
  const root = args.extraCaps[1]!.cap;
  let free = 0;
  while (free < N_ASID_POOLS && k.m.load32(GLOBALS.armKSASIDTable + 4 * free) !== 0) free++;
  if (free === N_ASID_POOLS) return deleteFirst();
  const untyped = parent.cap;
  if (capType(untyped) !== CAP_TAG.untyped || capBlockSize(untyped) !== SIZE_BITS.ASIDPool || capIsDevice(untyped)) {
    return invalidCapability(1);
  }
  if (!ensureNoChildren(k, parent.slot)) return revokeFirst();
  const dest = lookupTargetSlot(k, root, index, depth);
  if (!dest.ok) return dest;
  const empty = ensureEmptySlot(k, dest.value);
  if (!empty.ok) return empty;
  return ok({ tag: 'MakePool', frame: capUntypedPtr(untyped), slot: dest.value, parent: parent.slot, base: free << ASID_LOW_BITS });
}

/** spec: decodeARMASIDPoolInvocation — ASIDPool_Assign(; pd): the pool's first free ASID (never 0). */
function decodeARMASIDPoolInvocation(k: Kernel, args: InvocationArgs, cap: Cap): Decoded<ArchInvocation> {
  if (args.label !== LABEL.ARMASIDPoolAssign) return illegalOperation();
  if (args.extraCaps.length < 1) return truncatedMessage();
  const pdArg = args.extraCaps[0]!;
  if (capType(pdArg.cap) !== CAP_TAG.pageDirectory || capPDIsMapped(pdArg.cap)) return invalidCapability(1);
  const base = capASIDBase(cap);
  const pool = k.m.load32(asidTableSlot(base));
  if (pool === 0) return lookupError(INVALID_ROOT);
  if (pool !== capASIDPool(cap)) return invalidCapability(0);
  let i = 0;
  while (i < ASID_POOL_ENTRIES && (base + i === 0 || k.m.load32(pool + 4 * i) !== 0)) i++;
  if (i === ASID_POOL_ENTRIES) return deleteFirst();
  return ok({ tag: 'Assign', asid: base + i, pool, pdSlot: pdArg.slot });
}

// ---------------------------------------------------------------------------------------------
// Performing

/** spec: performARMMMUInvocation — Page_GetAddress replies with the frame's physical address. */
export function performARMMMUInvocation(k: Kernel, inv: ArchInvocation, _thread: number): number[] | void {
  switch (inv.tag) {
    // the machine has no caches: nothing to clean or invalidate
    case 'PageDirectoryFlush':
    case 'PageDirectoryNothing':
    case 'PageFlush':
      return;
    case 'PageTableMap':
      writeCap(k, inv.slot, inv.cap);
      k.m.store32(inv.pdSlot, inv.pde);
      return;
    case 'PageTableUnmap': {
      const cap = inv.cap;
      const pt = capPTBasePtr(cap);
      if (capPTIsMapped(cap)) {
        unmapPageTable(k, capPTMappedASID(cap), capPTMappedAddress(cap), pt);
        k.m.zero(pt, 2 ** SIZE_BITS.PageTable);
      }
      writeCap(k, inv.slot, makePageTableCap(pt, false, 0, 0));
      return;
    }
    case 'PageMap': {
      writeCap(k, inv.slot, inv.cap);
      // entries are only ever replaced by ones of the same size, so the first tells
      const first = k.m.load32(inv.entries);
      const remap = inv.inPD ? pdeKind(first) !== PdeKind.Invalid : pteKind(first) !== PteKind.Invalid;
      for (let i = 0; i < inv.count; i++) k.m.store32(inv.entries + 4 * i, inv.entry);
      if (remap) k.m.flushByASID(inv.asid);
      return;
    }
    case 'PageUnmap': {
      const cap = inv.cap;
      const asid = capFMappedASID(cap);
      if (asid !== 0) unmapPage(k, FRAME_SIZE_NAMES[capFSize(cap)]!, asid, capFMappedAddress(cap), capFBasePtr(cap));
      writeCap(k, inv.slot, capFSetMapping(cap, 0, 0));
      return;
    }
    case 'PageGetAddr':
      return [inv.ptr];
    case 'MakePool':
      performASIDControlInvocation(k, inv.frame, inv.slot, inv.parent, inv.base);
      return;
    case 'Assign': {
      const cap = readCap(k, inv.pdSlot);
      if (capType(cap) !== CAP_TAG.pageDirectory) throw new Error('kernel bug: ASIDPool_Assign: page directory cap vanished');
      const pd = capPDBasePtr(cap);
      writeCap(k, inv.pdSlot, makePageDirectoryCap(pd, true, inv.asid));
      k.m.store32(poolEntry(inv.pool, inv.asid), pd);
      return;
    }
    default: {
      const never: never = inv;
      return never;
    }
  }
}

/**
 * spec: performASIDControlInvocation — the untyped is marked full, its 4 KiB become an empty ASID
 * pool, the pool cap is inserted as its child and the ASID table entry is set.
 */
function performASIDControlInvocation(k: Kernel, frame: number, slot: number, parent: number, base: number): void {
  deleteObjectsInRegion(k, frame, SIZE_BITS.ASIDPool);
  const ut = readCap(k, parent);
  if (capType(ut) !== CAP_TAG.untyped) throw new Error('kernel bug: ASIDControl_MakePool: untyped cap vanished');
  writeCap(k, parent, capSetFreeIndex(ut, 2 ** (capBlockSize(ut) - FREE_INDEX_SHIFT)));
  k.m.zero(frame, 2 ** SIZE_BITS.ASIDPool);
  k.objects.set(frame, { type: 'ASIDPool', sizeBits: SIZE_BITS.ASIDPool });
  cteInsert(k, makeASIDPoolCap(frame, base), parent, slot);
  k.m.store32(asidTableSlot(base), frame);
}
