// The ARM (AArch32, short-descriptor) virtual address space of the abstract kernel
// (seL4 src/arch/arm/32/kernel/vspace.c; l4v spec/abstract/ARM/ArchVSpace_A.thy, ArchDecode_A.thy).
//
// ASID table (s.asidTable: pool index -> ASID pool) -> ASID pools (low ASID bits -> page
// directory) -> page directories (index vaddr[31:20] -> PDE) -> page tables (index vaddr[19:12]
// -> PTE). A large page / supersection is stored in each of its 16 entries, as the hardware
// tables hold it. The mapping state is the tables themselves: TLB maintenance is the impl's
// concern, so the flushes of seL4 have no counterpart here, and there are no caches: the cache
// maintenance methods decode as seL4 does and then change nothing.

import { match } from 'ts-pattern';
import { LABEL } from '../../abi/invocations';
import { ASID_LOW_BITS, ASID_POOL_BITS, type FrameSize, SIZE_BITS, USER_TOP } from '../../abi/objecttype';
import { type CapRights, rightsFromWord } from '../../abi/rights';
import { FSR } from '../../abi/errors';
import type { Cap, CapOf, Decoded, InvocationArgs, PPtr, VMRights } from '../api/types';
import { type Fault, type LookupFailure, type Result, type SyscallError, err, ok } from '../api/failures';
import { type KernelState, assert, getObject, liveCTEOrUndefined, markObject, tcbSlot, readCTE, readObject, readTCB, writableTable } from '../model/state';
import { type PDE, type PTE, TCB_SLOT } from '../object/structures';
import { cteInsert, ensureEmptySlot, ensureNoChildren, isFinalCapability } from '../object/cnode';
import { lookupTargetSlot } from './cspace';
import { deleteObjectsInRegion } from '../object/untyped';

/** The capabilities decodeARMMMUInvocation handles. */
export type ArchCap = CapOf<'FrameCap' | 'PageTableCap' | 'PageDirectoryCap' | 'ASIDControlCap' | 'ASIDPoolCap'>;

/**
 * l4v SEL4/API/Invocation/ARM.lhs. A flush keeps what seL4 would flush: the virtual range
 * [start, end] (end inclusive, as seL4 passes it), the physical address of start, and the space.
 */
export type ArchInvocation =
  | { tag: 'PageDirectoryFlush'; flush: FlushType; start: number; end: number; pstart: number; pd: PPtr; asid: number }
  | { tag: 'PageDirectoryNothing' }
  | { tag: 'PageFlush'; flush: FlushType; start: number; end: number; pstart: number; pd: PPtr; asid: number }
  | { tag: 'PageTableMap'; slot: PPtr; cap: CapOf<'PageTableCap'>; pd: PPtr; pdIndex: number }
  | { tag: 'PageTableUnmap'; slot: PPtr; cap: CapOf<'PageTableCap'> }
  | { tag: 'PageMap'; slot: PPtr; cap: CapOf<'FrameCap'>; entries: MappingEntries }
  | { tag: 'PageUnmap'; slot: PPtr; cap: CapOf<'FrameCap'> }
  | { tag: 'PageGetAddr'; ptr: PPtr }
  | { tag: 'MakePool'; frame: PPtr; slot: PPtr; parent: PPtr; base: number }
  | { tag: 'Assign'; asid: number; pool: PPtr; pdSlot: PPtr };

/** l4v FlushType: the cache operation of a page-directory or frame flush (seL4 doFlush's cases). */
export type FlushType = 'Clean' | 'Invalidate' | 'CleanInvalidate' | 'Unify';

const PD_FLUSH_LABELS: Readonly<Record<number, FlushType>> = {
  [LABEL.ARMPDClean_Data]: 'Clean',
  [LABEL.ARMPDInvalidate_Data]: 'Invalidate',
  [LABEL.ARMPDCleanInvalidate_Data]: 'CleanInvalidate',
  [LABEL.ARMPDUnify_Instruction]: 'Unify',
};
const PAGE_FLUSH_LABELS: Readonly<Record<number, FlushType>> = {
  [LABEL.ARMPageClean_Data]: 'Clean',
  [LABEL.ARMPageInvalidate_Data]: 'Invalidate',
  [LABEL.ARMPageCleanInvalidate_Data]: 'CleanInvalidate',
  [LABEL.ARMPageUnify_Instruction]: 'Unify',
};

/** What Page_Map writes: one PTE / PDE repeated in `count` consecutive entries from `index`. */
export type MappingEntries =
  | { tag: 'PTEs'; pt: PPtr; index: number; count: number; pte: PTE }
  | { tag: 'PDEs'; pd: PPtr; index: number; count: number; pde: PDE };

const PAGE_BITS = SIZE_BITS.SmallPage;
const PT_INDEX_BITS = 8;
const PD_SHIFT = PAGE_BITS + PT_INDEX_BITS;
const ASID_LOW_MASK = (1 << ASID_LOW_BITS) - 1;
const N_ASID_POOLS = 1 << ASID_POOL_BITS;
/** Entries a large page (in a PT) or a supersection (in a PD) occupies. */
const CONTIGUOUS_ENTRIES = 16;

export function pageBitsForSize(sz: FrameSize): number {
  return SIZE_BITS[sz];
}

const pdIndexOf = (vaddr: number): number => vaddr >>> PD_SHIFT;
const ptIndexOf = (vaddr: number): number => (vaddr >>> PAGE_BITS) & ((1 << PT_INDEX_BITS) - 1);
const isAligned = (w: number, bits: number): boolean => w % 2 ** bits === 0;

// ---------------------------------------------------------------------------------------------
// Rights

/**
 * seL4 maskVMRights: the VM rights a mapping gets from the cap's rights and a user rights word.
 * Read is needed for any user access; a write-only request gives a kernel-only mapping.
 */
export function maskVMRights(vm: VMRights, mask: CapRights): VMRights {
  if (vm === 'VMNoAccess') return 'VMNoAccess';
  if (vm === 'VMReadOnly' && mask.read) return 'VMReadOnly';
  if (vm === 'VMReadWrite' && mask.read) return mask.write ? 'VMReadWrite' : 'VMReadOnly';
  return 'VMKernelOnly';
}

const userMayRead = (r: VMRights): boolean => r === 'VMReadOnly' || r === 'VMReadWrite';
const userMayWrite = (r: VMRights): boolean => r === 'VMReadWrite';

// ---------------------------------------------------------------------------------------------
// Lookups

/** seL4 findPDForASID: the page directory assigned `asid`, or InvalidRoot. */
export function findPDForASID(s: KernelState, asid: number): Result<PPtr, LookupFailure> {
  const pool = s.asidTable[asid >>> ASID_LOW_BITS];
  if (pool === undefined) return err({ tag: 'InvalidRoot' });
  const pd = readObject(s, pool, 'ASIDPool').entries[asid & ASID_LOW_MASK];
  if (pd === undefined) return err({ tag: 'InvalidRoot' });
  return ok(pd);
}

/** seL4 lookupPTSlot: the page table covering vaddr, or MissingCapability(20). */
function lookupPTSlot(s: KernelState, pd: PPtr, vaddr: number): Result<{ pt: PPtr; index: number }, LookupFailure> {
  const pde = readObject(s, pd, 'PageDirectory').entries[pdIndexOf(vaddr)];
  if (pde === undefined || pde.tag !== 'PageTablePDE') return err({ tag: 'MissingCapability', bitsLeft: PD_SHIFT });
  return ok({ pt: pde.pt, index: ptIndexOf(vaddr) });
}

/**
 * seL4 resolveVAddr: the frame mapped at vaddr in pd (the base the entry holds) and its size, or
 * null when nothing is.
 */
function resolveVAddr(s: KernelState, pd: PPtr, vaddr: number): { frame: PPtr; size: FrameSize } | null {
  const pde = readObject(s, pd, 'PageDirectory').entries[pdIndexOf(vaddr)];
  if (pde === undefined) return null;
  if (pde.tag === 'SectionPDE') return { frame: pde.frame, size: 'Section' };
  if (pde.tag === 'SuperSectionPDE') return { frame: pde.frame, size: 'SuperSection' };
  const pte = readObject(s, pde.pt, 'PageTable').entries[ptIndexOf(vaddr)];
  if (pte === undefined) return null;
  return { frame: pte.frame, size: pte.tag === 'SmallPagePTE' ? 'SmallPage' : 'LargePage' };
}

/** seL4 isValidVTableRoot: a page directory cap that has been assigned an ASID. */
export function isValidVTableRoot(cap: Cap): boolean {
  return cap.tag === 'PageDirectoryCap' && cap.mapped !== null;
}

/**
 * The page directory a thread's user accesses go through, as seL4's setVMRoot picks it: the PD
 * of its tcbVTable cap if that cap is assigned an ASID that still names that PD; otherwise none
 * (seL4 loads the kernel's global PD, in which no user address is mapped).
 */
export function threadVSpaceRoot(s: KernelState, tcb: PPtr): PPtr | null {
  const cap = readCTE(s, tcbSlot(tcb, TCB_SLOT.vTable)).cap;
  if (cap.tag !== 'PageDirectoryCap' || cap.mapped === null) return null;
  const r = findPDForASID(s, cap.mapped);
  return r.ok && r.value === cap.ptr ? cap.ptr : null;
}

/**
 * seL4 lookupIPCBuffer: the thread's IPC buffer, physically, through its tcbBuffer frame cap:
 * the frame and the byte offset of the buffer address within it. None when the slot holds no
 * frame cap or the cap's rights do not allow the access (a receiver needs write access).
 */
export function lookupIPCBuffer(s: KernelState, isReceiver: boolean, tcb: PPtr): { frame: PPtr; offset: number } | null {
  const cap = readCTE(s, tcbSlot(tcb, TCB_SLOT.buffer)).cap;
  if (cap.tag !== 'FrameCap') return null;
  if (!(cap.rights === 'VMReadWrite' || (!isReceiver && cap.rights === 'VMReadOnly'))) return null;
  const offset = readTCB(s, tcb).ipcBuffer % 2 ** pageBitsForSize(cap.size);
  return { frame: cap.ptr, offset };
}

/** seL4 checkValidIPCBuffer: a frame cap and a buffer address aligned to the buffer's size. */
export function checkValidIPCBuffer(vaddr: number, cap: Cap): Decoded<void> {
  if (cap.tag !== 'FrameCap') return err({ tag: 'IllegalOperation' });
  if (!isAligned(vaddr, SIZE_BITS.IPCBuffer)) return err({ tag: 'AlignmentError' });
  return ok(undefined);
}

type Translated = { ok: true; frame: PPtr; offset: number } | { ok: false; fault: Fault };

/**
 * A user word access by `tcb` at `vaddr`, as the MMU performs it: alignment first, then the
 * two-level walk of the thread's page directory, then the entry's permissions. A failure is the
 * VMFault seL4 would report, with the ARM short-descriptor data fault status (trace-format.md).
 * A thread without a valid VSpace gets a section translation fault for every aligned access.
 */
export function userTranslate(s: KernelState, tcb: PPtr, vaddr: number, write: boolean): Translated {
  const fault = (status: number): Translated => ({
    ok: false,
    fault: { tag: 'VMFault', address: vaddr >>> 0, fsr: (status | (write ? FSR.write : 0)) >>> 0, instruction: false },
  });
  if ((vaddr & 3) !== 0) return fault(FSR.alignment);
  const pd = threadVSpaceRoot(s, tcb);
  if (pd === null) return fault(FSR.translationSection);
  const allowed = (r: VMRights): boolean => (write ? userMayWrite(r) : userMayRead(r));
  const pde = readObject(s, pd, 'PageDirectory').entries[pdIndexOf(vaddr)];
  if (pde === undefined) return fault(FSR.translationSection);
  if (pde.tag === 'PageTablePDE') {
    const pte = readObject(s, pde.pt, 'PageTable').entries[ptIndexOf(vaddr)];
    if (pte === undefined) return fault(FSR.translationPage);
    if (!allowed(pte.rights)) return fault(FSR.permissionPage);
    const bits = pte.tag === 'SmallPagePTE' ? SIZE_BITS.SmallPage : SIZE_BITS.LargePage;
    return { ok: true, frame: pte.frame, offset: vaddr % 2 ** bits };
  }
  if (!allowed(pde.rights)) return fault(FSR.permissionSection);
  const bits = pde.tag === 'SectionPDE' ? SIZE_BITS.Section : SIZE_BITS.SuperSection;
  return { ok: true, frame: pde.frame, offset: vaddr % 2 ** bits };
}

// ---------------------------------------------------------------------------------------------
// Unmapping and ASID deletion (called by finaliseCap and the invocations below)

/** seL4 deleteASIDPool: forget the pool's table entry if it is still this pool. */
export function deleteASIDPool(s: KernelState, base: number, pool: PPtr): void {
  assert(base % (1 << ASID_LOW_BITS) === 0, 'ASID pool base must be aligned');
  const i = base >>> ASID_LOW_BITS;
  if (s.asidTable[i] === pool) delete writableTable(s, 'asidTable')[i];
}

/** seL4 deleteASID: take `asid` out of its pool if it still names `pd`. */
export function deleteASID(s: KernelState, asid: number, pd: PPtr): void {
  const pool = s.asidTable[asid >>> ASID_LOW_BITS];
  if (pool === undefined) return;
  const entries = getObject(s, pool, 'ASIDPool').entries;
  if (entries[asid & ASID_LOW_MASK] === pd) delete entries[asid & ASID_LOW_MASK];
}

/** seL4 pageTableMapped: the PD in which `pt` is still the table for vaddr, if any. */
function pageTableMapped(s: KernelState, asid: number, vaddr: number, pt: PPtr): PPtr | null {
  const r = findPDForASID(s, asid);
  if (!r.ok) return null;
  const pde = getObject(s, r.value, 'PageDirectory').entries[pdIndexOf(vaddr)];
  return pde !== undefined && pde.tag === 'PageTablePDE' && pde.pt === pt ? r.value : null;
}

/** seL4 unmapPageTable: clear the PDE that maps `pt` at (asid, vaddr), if it still does. */
export function unmapPageTable(s: KernelState, asid: number, vaddr: number, pt: PPtr): void {
  const pd = pageTableMapped(s, asid, vaddr, pt);
  if (pd !== null) delete getObject(s, pd, 'PageDirectory').entries[pdIndexOf(vaddr)];
}

/**
 * seL4 unmapPage: remove the mapping of `frame` at (asid, vaddr) if the entries there still map
 * this frame at this size; a stale mapping record (overwritten, table gone, ASID gone) does nothing.
 */
export function unmapPage(s: KernelState, size: FrameSize, asid: number, vaddr: number, frame: PPtr): void {
  const r = findPDForASID(s, asid);
  if (!r.ok) return;
  const pd = r.value;
  const clear = (entries: Record<number, PDE | PTE>, index: number, count: number): void => {
    for (let i = 0; i < count; i++) delete entries[index + i];
  };
  if (size === 'SmallPage' || size === 'LargePage') {
    const slot = lookupPTSlot(s, pd, vaddr);
    if (!slot.ok) return;
    const entries = getObject(s, slot.value.pt, 'PageTable').entries;
    const pte = entries[slot.value.index];
    const tag = size === 'SmallPage' ? 'SmallPagePTE' : 'LargePagePTE';
    if (pte === undefined || pte.tag !== tag || pte.frame !== frame) return;
    clear(entries, slot.value.index, size === 'SmallPage' ? 1 : CONTIGUOUS_ENTRIES);
  } else {
    const entries = getObject(s, pd, 'PageDirectory').entries;
    const index = pdIndexOf(vaddr);
    const pde = entries[index];
    const tag = size === 'Section' ? 'SectionPDE' : 'SuperSectionPDE';
    if (pde === undefined || pde.tag !== tag || pde.frame !== frame) return;
    clear(entries, index, size === 'Section' ? 1 : CONTIGUOUS_ENTRIES);
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

const illegal = (): Decoded<never> => err({ tag: 'IllegalOperation' });
const truncated = (): Decoded<never> => err({ tag: 'TruncatedMessage' });
const invalidCap = (argument: number): Decoded<never> => err({ tag: 'InvalidCapability', argument });
const invalidArg = (argument: number): Decoded<never> => err({ tag: 'InvalidArgument', argument });
const lookupError = (failure: LookupFailure): Decoded<never> => err({ tag: 'FailedLookup', source: false, failure });

/**
 * The PD and ASID of a page-directory cap given as the vspace argument of Page_Map /
 * PageTable_Map: it must be assigned an ASID (InvalidCapability(1) otherwise).
 */
function mappedPD(cap: Cap | undefined): { pd: PPtr; asid: number } | null {
  if (cap === undefined || cap.tag !== 'PageDirectoryCap' || cap.mapped === null) return null;
  return { pd: cap.ptr, asid: cap.mapped };
}

/** The ASID must still name the PD of the cap (FailedLookup / InvalidCapability(1)). */
function checkPDForASID(s: KernelState, asid: number, pd: PPtr): SyscallError | null {
  const r = findPDForASID(s, asid);
  if (!r.ok) return { tag: 'FailedLookup', source: false, failure: r.error };
  if (r.value !== pd) return { tag: 'InvalidCapability', argument: 1 };
  return null;
}

/** seL4 decodeARMMMUInvocation: page, page table, page directory, ASID control and ASID pool caps. */
export function decodeARMMMUInvocation(
  s: KernelState, args: InvocationArgs, cap: ArchCap, slot: PPtr, _thread: PPtr,
): Decoded<ArchInvocation> {
  return match(cap)
    .with({ tag: 'PageDirectoryCap' }, (c) => decodeARMPageDirectoryInvocation(s, args, c))
    .with({ tag: 'PageTableCap' }, (c) => decodeARMPageTableInvocation(s, args, c, slot))
    .with({ tag: 'FrameCap' }, (c) => decodeARMFrameInvocation(s, args, c, slot))
    .with({ tag: 'ASIDControlCap' }, () => decodeARMASIDControlInvocation(s, args))
    .with({ tag: 'ASIDPoolCap' }, (c) => decodeARMASIDPoolInvocation(s, args, c))
    .exhaustive();
}

/**
 * The cache maintenance methods of a page directory, (start, end) a virtual range. The page
 * directory must still own its ASID. A range where nothing is mapped at start succeeds without a
 * flush (nothing of it can be cached); otherwise it must lie within the frame mapped at start.
 */
function decodeARMPageDirectoryInvocation(s: KernelState, args: InvocationArgs, cap: CapOf<'PageDirectoryCap'>): Decoded<ArchInvocation> {
  const flush = PD_FLUSH_LABELS[args.label];
  if (flush === undefined) return illegal();
  if (args.words.length < 2) return truncated();
  const start = args.words[0] >>> 0;
  const end = args.words[1] >>> 0;
  if (end <= start) return invalidArg(1);
  // Users may not flush the kernel's window.
  if (start >= USER_TOP || end > USER_TOP) return illegal();
  if (cap.mapped === null) return invalidCap(0);
  const found = findPDForASID(s, cap.mapped);
  if (!found.ok) return lookupError(found.error);
  if (found.value !== cap.ptr) return invalidCap(0);
  const frame = resolveVAddr(s, cap.ptr, start);
  if (frame === null) return ok({ tag: 'PageDirectoryNothing' });
  const size = 2 ** pageBitsForSize(frame.size);
  const base = start - (start % size);
  if (end - 1 - ((end - 1) % size) !== base) return err({ tag: 'RangeError', min: start, max: base + size - 1 });
  return ok({ tag: 'PageDirectoryFlush', flush, start, end: end - 1, pstart: frame.frame + (start - base), pd: cap.ptr, asid: cap.mapped });
}

/**
 * The cache maintenance methods of a frame, (start, end) offsets into it. The frame is flushed
 * through its user mapping (no hypervisor), so the cap's record of that mapping must still hold:
 * its ASID names a page directory in which the frame is mapped at the recorded address.
 */
function decodeARMPageFlush(s: KernelState, args: InvocationArgs, cap: CapOf<'FrameCap'>, flush: FlushType): Decoded<ArchInvocation> {
  if (args.words.length < 2) return truncated();
  if (cap.mapped === null) return illegal();
  const { asid, vaddr } = cap.mapped;
  const found = findPDForASID(s, asid);
  if (!found.ok) return lookupError(found.error);
  const start = args.words[0] >>> 0;
  const end = args.words[1] >>> 0;
  if (end <= start) return invalidArg(1);
  const frame = resolveVAddr(s, found.value, vaddr);
  if (frame === null || frame.size !== cap.size || frame.frame !== cap.ptr) return invalidCap(0);
  const size = 2 ** pageBitsForSize(cap.size);
  if (start >= size || end > size) return invalidArg(0);
  return ok({ tag: 'PageFlush', flush, start: vaddr + start, end: vaddr + end - 1, pstart: cap.ptr + start, pd: found.value, asid });
}

/** PageTable_Map(vaddr, attr; pd) and PageTable_Unmap(), checks in seL4's order. */
function decodeARMPageTableInvocation(
  s: KernelState, args: InvocationArgs, cap: CapOf<'PageTableCap'>, slot: PPtr,
): Decoded<ArchInvocation> {
  if (args.label === LABEL.ARMPageTableUnmap) {
    // Unmapping clears the table, which other caps to it may still rely on.
    if (!isFinalCapability(s, slot)) return err({ tag: 'RevokeFirst' });
    return ok({ tag: 'PageTableUnmap', slot, cap });
  }
  if (args.label !== LABEL.ARMPageTableMap) return illegal();
  if (args.words.length < 2 || args.extraCaps.length < 1) return truncated();
  if (cap.mapped !== null) return invalidCap(0);
  const vaddr = args.words[0] >>> 0;
  const target = mappedPD(args.extraCaps[0].cap);
  if (target === null) return invalidCap(1);
  if (vaddr >= USER_TOP) return invalidArg(0);
  const bad = checkPDForASID(s, target.asid, target.pd);
  if (bad !== null) return err(bad);
  const pdIndex = pdIndexOf(vaddr);
  if (getObject(s, target.pd, 'PageDirectory').entries[pdIndex] !== undefined) return err({ tag: 'DeleteFirst' });
  // The cap records the 1 MiB region the table covers (seL4 keeps only those address bits).
  const mapped = { asid: target.asid, vaddr: pdIndex << PD_SHIFT >>> 0 };
  return ok({ tag: 'PageTableMap', slot, cap: { ...cap, mapped }, pd: target.pd, pdIndex });
}

/** Page_Map(vaddr, rights, attr; pd), Page_Unmap(), Page_GetAddress() and the cache methods. */
function decodeARMFrameInvocation(
  s: KernelState, args: InvocationArgs, cap: CapOf<'FrameCap'>, slot: PPtr,
): Decoded<ArchInvocation> {
  if (args.label === LABEL.ARMPageUnmap) return ok({ tag: 'PageUnmap', slot, cap });
  const flush = PAGE_FLUSH_LABELS[args.label];
  if (flush !== undefined) return decodeARMPageFlush(s, args, cap, flush);
  if (args.label === LABEL.ARMPageGetAddress) return ok({ tag: 'PageGetAddr', ptr: cap.ptr });
  if (args.label !== LABEL.ARMPageMap) return illegal();
  if (args.words.length < 3 || args.extraCaps.length < 1) return truncated();
  const vaddr = args.words[0] >>> 0;
  const rightsMask = rightsFromWord(args.words[1] >>> 0);
  const target = mappedPD(args.extraCaps[0].cap);
  if (target === null) return invalidCap(1);
  const { pd, asid } = target;
  const pageBits = pageBitsForSize(cap.size);
  if (cap.mapped !== null) {
    // A mapped frame cap may only be remapped in place (new rights).
    if (cap.mapped.asid !== asid) return invalidCap(1);
    if (cap.mapped.vaddr !== vaddr) return invalidArg(0);
  } else if ((vaddr + 2 ** pageBits - 1) >>> 0 >= USER_TOP) {
    // 32-bit arithmetic as in seL4: a top that wraps past 2^32 passes here (and fails alignment).
    return invalidArg(0);
  }
  const bad = checkPDForASID(s, asid, pd);
  if (bad !== null) return err(bad);
  const rights = maskVMRights(cap.rights, rightsMask);
  if (!isAligned(vaddr, pageBits)) return err({ tag: 'AlignmentError' });
  const entries = createSafeMappingEntries(s, cap.ptr, vaddr, cap.size, rights, pd);
  if (!entries.ok) return entries;
  return ok({ tag: 'PageMap', slot, cap: { ...cap, mapped: { asid, vaddr } }, entries: entries.value });
}

/**
 * seL4 createSafeMappingEntries_PTE/PDE (l4v create_mapping_entries + ensure_safe_mapping): the
 * entries to write, refusing (DeleteFirst) to place them over a mapping of another granularity.
 * A small page over a small page (or a large over a large, section over section, supersection
 * over supersection) overwrites it, as in both C and the abstract spec.
 */
function createSafeMappingEntries(
  s: KernelState, frame: PPtr, vaddr: number, size: FrameSize, rights: VMRights, pd: PPtr,
): Decoded<MappingEntries> {
  const deleteFirst: Decoded<never> = err({ tag: 'DeleteFirst' });
  if (size === 'SmallPage' || size === 'LargePage') {
    const slot = lookupPTSlot(s, pd, vaddr);
    if (!slot.ok) return lookupError(slot.error);
    const { pt, index } = slot.value;
    const entries = getObject(s, pt, 'PageTable').entries;
    const count = size === 'SmallPage' ? 1 : CONTIGUOUS_ENTRIES;
    const tag = size === 'SmallPage' ? 'SmallPagePTE' : 'LargePagePTE';
    for (let i = 0; i < count; i++) {
      const old = entries[index + i];
      if (old !== undefined && old.tag !== tag) return deleteFirst;
    }
    return ok({ tag: 'PTEs', pt, index, count, pte: { tag, frame, rights } });
  }
  const entries = getObject(s, pd, 'PageDirectory').entries;
  const index = pdIndexOf(vaddr);
  const count = size === 'Section' ? 1 : CONTIGUOUS_ENTRIES;
  const tag = size === 'Section' ? 'SectionPDE' : 'SuperSectionPDE';
  for (let i = 0; i < count; i++) {
    const old = entries[index + i];
    if (old !== undefined && old.tag !== tag) return deleteFirst;
  }
  return ok({ tag: 'PDEs', pd, index, count, pde: { tag, frame, rights } });
}

/**
 * ASIDControl_MakePool(index, depth; untyped, root): turn a 4 KiB untyped without children
 * into the ASID pool of the first free slot of the ASID table.
 */
function decodeARMASIDControlInvocation(s: KernelState, args: InvocationArgs): Decoded<ArchInvocation> {
  if (args.label !== LABEL.ARMASIDControlMakePool) return illegal();
  if (args.words.length < 2 || args.extraCaps.length < 2) return truncated();
  const index = args.words[0] >>> 0;
  const depth = args.words[1] >>> 0;
  const parent = args.extraCaps[0];
  const root = args.extraCaps[1].cap;
  let free = 0;
  while (free < N_ASID_POOLS && s.asidTable[free] !== undefined) free++;
  if (free === N_ASID_POOLS) return err({ tag: 'DeleteFirst' });
  const untyped = parent.cap;
  if (untyped.tag !== 'UntypedCap' || untyped.sizeBits !== SIZE_BITS.ASIDPool || untyped.isDevice) return invalidCap(1);
  if (!ensureNoChildren(s, parent.slot)) return err({ tag: 'RevokeFirst' });
  const dest = lookupTargetSlot(s, root, index, depth);
  if (!dest.ok) return dest;
  const empty = ensureEmptySlot(s, dest.value);
  if (!empty.ok) return empty;
  return ok({ tag: 'MakePool', frame: untyped.ptr, slot: dest.value, parent: parent.slot, base: free << ASID_LOW_BITS });
}

/** ASIDPool_Assign(; pd): give an unassigned page directory the pool's first free ASID (never 0). */
function decodeARMASIDPoolInvocation(s: KernelState, args: InvocationArgs, cap: CapOf<'ASIDPoolCap'>): Decoded<ArchInvocation> {
  if (args.label !== LABEL.ARMASIDPoolAssign) return illegal();
  if (args.extraCaps.length < 1) return truncated();
  const pdArg = args.extraCaps[0];
  if (pdArg.cap.tag !== 'PageDirectoryCap' || pdArg.cap.mapped !== null) return invalidCap(1);
  const pool = s.asidTable[cap.asidBase >>> ASID_LOW_BITS];
  if (pool === undefined) return lookupError({ tag: 'InvalidRoot' });
  if (pool !== cap.ptr) return invalidCap(0);
  const entries = getObject(s, pool, 'ASIDPool').entries;
  let i = 0;
  while (i <= ASID_LOW_MASK && (cap.asidBase + i === 0 || entries[i] !== undefined)) i++;
  if (i > ASID_LOW_MASK) return err({ tag: 'DeleteFirst' });
  return ok({ tag: 'Assign', asid: cap.asidBase + i, pool, pdSlot: pdArg.slot });
}

// ---------------------------------------------------------------------------------------------
// Performing

function setCap(s: KernelState, slot: PPtr, cap: Cap): void {
  const cte = liveCTEOrUndefined(s, slot);
  assert(cte !== undefined, 'invoked arch cap slot is empty');
  cte.cap = cap;
}

/** Performs a decoded arch invocation; Page_GetAddress replies with the frame's physical address. */
export function performARMMMUInvocation(s: KernelState, inv: ArchInvocation, _thread: PPtr): number[] | void {
  switch (inv.tag) {
    // There are no caches in the model: a flush changes nothing (docs/deviations/vspace.md).
    case 'PageDirectoryFlush':
    case 'PageDirectoryNothing':
    case 'PageFlush':
      return;
    case 'PageTableMap':
      setCap(s, inv.slot, inv.cap);
      getObject(s, inv.pd, 'PageDirectory').entries[inv.pdIndex] = { tag: 'PageTablePDE', pt: inv.cap.ptr };
      return;
    case 'PageTableUnmap': {
      const cap = inv.cap;
      if (cap.mapped !== null) {
        unmapPageTable(s, cap.mapped.asid, cap.mapped.vaddr, cap.ptr);
        getObject(s, cap.ptr, 'PageTable').entries = {};
      }
      setCap(s, inv.slot, { ...cap, mapped: null });
      return;
    }
    case 'PageMap': {
      setCap(s, inv.slot, inv.cap);
      const e = inv.entries;
      if (e.tag === 'PTEs') {
        const entries = getObject(s, e.pt, 'PageTable').entries;
        for (let i = 0; i < e.count; i++) entries[e.index + i] = { ...e.pte };
      } else {
        const entries = getObject(s, e.pd, 'PageDirectory').entries;
        for (let i = 0; i < e.count; i++) entries[e.index + i] = { ...e.pde };
      }
      return;
    }
    case 'PageUnmap': {
      const cap = inv.cap;
      if (cap.mapped !== null) unmapPage(s, cap.size, cap.mapped.asid, cap.mapped.vaddr, cap.ptr);
      setCap(s, inv.slot, { ...cap, mapped: null });
      return;
    }
    case 'PageGetAddr':
      return [inv.ptr];
    case 'MakePool':
      performASIDControlInvocation(s, inv.frame, inv.slot, inv.parent, inv.base);
      return;
    case 'Assign': {
      const cte = liveCTEOrUndefined(s, inv.pdSlot);
      assert(cte !== undefined && cte.cap.tag === 'PageDirectoryCap', 'ASIDPool_Assign: page directory cap vanished');
      cte.cap = { ...cte.cap, mapped: inv.asid };
      getObject(s, inv.pool, 'ASIDPool').entries[inv.asid & ASID_LOW_MASK] = cte.cap.ptr;
      return;
    }
    default: {
      const never: never = inv;
      return never;
    }
  }
}

/**
 * seL4 performASIDControlInvocation: the untyped's memory becomes an empty ASID pool (whatever
 * lay there is gone), the untyped is marked full, the pool cap is inserted as its child and the
 * ASID table entry is set.
 */
function performASIDControlInvocation(s: KernelState, frame: PPtr, slot: PPtr, parent: PPtr, base: number): void {
  deleteObjectsInRegion(s, frame, SIZE_BITS.ASIDPool);
  const cte = liveCTEOrUndefined(s, parent);
  assert(cte !== undefined && cte.cap.tag === 'UntypedCap', 'ASIDControl_MakePool: untyped cap vanished');
  cte.cap = { ...cte.cap, freeIndex: 2 ** cte.cap.sizeBits };
  markObject(s, frame);
  s.objects[frame] = { tag: 'ASIDPool', entries: {} };
  cteInsert(s, { tag: 'ASIDPoolCap', ptr: frame, asidBase: base }, parent, slot);
  writableTable(s, 'asidTable')[base >>> ASID_LOW_BITS] = frame;
}
