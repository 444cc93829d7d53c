// VSpace and IRQ methods (seL4 reference manual §7.1.2 "Page", §7.1.3 "ASID Control", §7.1.4
// "ASID Pool", §7.3 "Sharing Memory", §8.1 "Interrupt Delivery", and the AArch32 method
// descriptions of the API appendix). Mappings are read off the page directory with a walk of
// our own over ARM's short-descriptor layout: 1 MiB per directory entry, 4 KiB per table entry.

import type { KernelState } from '../../spec';
import type { Cap, PPtr, VMRights } from '../../spec/api/types';
import { rightsFromWord } from '../../abi/rights';
import { SIZE_BITS } from '../../abi/objecttype';
import { hex } from '../invariants/changes';
import type { Invocation } from './decode';
import { capAt, resolve } from './cspace';
import { firstOf, onlyReplyChanged } from './frame';
import type { MethodContract } from './types';

const PAGE_BITS = { SmallPage: SIZE_BITS.SmallPage, LargePage: SIZE_BITS.LargePage, Section: SIZE_BITS.Section, SuperSection: SIZE_BITS.SuperSection } as const;

/** The frame and rights a page directory maps `vaddr` to, if any. */
function translate(s: KernelState, pd: PPtr, vaddr: number): { frame: PPtr; rights: VMRights } | null {
  const d = s.objects[pd];
  if (d?.tag !== 'PageDirectory') return null;
  const e = d.entries[vaddr >>> 20];
  if (e === undefined) return null;
  if (e.tag !== 'PageTablePDE') return { frame: e.frame, rights: e.rights };
  const t = s.objects[e.pt];
  if (t?.tag !== 'PageTable') return null;
  const pte = t.entries[(vaddr >>> 12) & 0xff];
  return pte === undefined ? null : { frame: pte.frame, rights: pte.rights };
}

const readable = (r: VMRights) => r === 'VMReadOnly' || r === 'VMReadWrite';
const writable = (r: VMRights) => r === 'VMReadWrite';

function pageMap(inv: Invocation): unknown | null {
  const f = inv.target.cap;
  const pd = inv.capArg('vspace')?.cap;
  const vaddr = inv.arg('vaddr');
  const req = inv.arg('rights');
  if (f.tag !== 'FrameCap' || pd?.tag !== 'PageDirectoryCap' || vaddr === undefined || req === undefined) return null;
  const now = capAt(inv.after, inv.target.slot);
  const m = translate(inv.after, pd.ptr, vaddr);
  const want = rightsFromWord(req);
  return firstOf(
    () => (vaddr % 2 ** PAGE_BITS[f.size] === 0 ? null : { promise: 'the address is aligned to the page size', vaddr: hex(vaddr) }),
    () => (now.tag === 'FrameCap' && now.mapped?.vaddr === vaddr ? null : { promise: 'the frame cap records its mapping', after: now }),
    () => (m?.frame === f.ptr ? null : { promise: 'the address translates to the frame', vaddr: hex(vaddr), got: m }),
    () => {
      const r = m!.rights;
      const ok = (!writable(r) || (want.write && writable(f.rights))) && (!readable(r) || (want.read && readable(f.rights)));
      return ok ? null : { promise: 'the mapping has no rights beyond the cap\'s and the requested ones', mapping: r, cap: f.rights, requested: want };
    },
  );
}

function pageUnmap(inv: Invocation): unknown | null {
  const was = inv.target.cap;
  const now = capAt(inv.after, inv.target.slot);
  if (was.tag !== 'FrameCap') return null;
  if (now.tag !== 'FrameCap' || now.mapped !== null) return { promise: 'the frame cap is unmapped', after: now };
  return null;
}

function getAddress(inv: Invocation): unknown | null {
  const f = inv.target.cap;
  const d = inv.after.objects[inv.invoker];
  if (f.tag !== 'FrameCap' || d?.tag !== 'TCB') return null;
  return d.delivered.mrs?.[0] === f.ptr ? null : { promise: 'the reply carries the frame\'s physical address', frame: hex(f.ptr), got: d.delivered.mrs };
}

function ptMap(inv: Invocation): unknown | null {
  const t = inv.target.cap;
  const pd = inv.capArg('vspace')?.cap;
  const vaddr = inv.arg('vaddr');
  if (t.tag !== 'PageTableCap' || pd?.tag !== 'PageDirectoryCap' || vaddr === undefined) return null;
  const d = inv.after.objects[pd.ptr];
  const e = d?.tag === 'PageDirectory' ? d.entries[vaddr >>> 20] : undefined;
  const now = capAt(inv.after, inv.target.slot);
  return firstOf(
    () => (e?.tag === 'PageTablePDE' && e.pt === t.ptr ? null : { promise: 'the directory entry for the address names the page table', entry: e }),
    () => (now.tag === 'PageTableCap' && now.mapped !== null ? null : { promise: 'the page table cap records its mapping', after: now }),
  );
}

function ptUnmap(inv: Invocation): unknown | null {
  const was = inv.target.cap;
  const now = capAt(inv.after, inv.target.slot);
  if (was.tag !== 'PageTableCap') return null;
  return now.tag === 'PageTableCap' && now.mapped === null ? null : { promise: 'the page table cap is unmapped', after: now };
}

function assign(inv: Invocation): unknown | null {
  const pool = inv.target.cap;
  const pdArg = inv.capArg('vspace');
  const pdCap = pdArg?.cap;
  if (pool.tag !== 'ASIDPoolCap' || pdArg === undefined || pdCap?.tag !== 'PageDirectoryCap') return null;
  const now = capAt(inv.after, pdArg.slot);
  if (now.tag !== 'PageDirectoryCap' || now.mapped === null) return { promise: 'the page directory gets an ASID', after: now };
  const p = inv.after.objects[pool.ptr];
  const asid = now.mapped;
  return firstOf(
    () => (asid >= pool.asidBase && asid < pool.asidBase + 1024 ? null : { promise: 'the ASID is one of the pool\'s', asid, base: pool.asidBase }),
    () => (p?.tag === 'ASIDPool' && p.entries[asid & 1023] === pdCap.ptr ? null : { promise: 'the pool entry of the ASID names the page directory', asid }),
  );
}

function makePool(inv: Invocation): unknown | null {
  const ut = inv.capArg('untyped');
  const utCap = ut?.cap;
  const root = inv.capArg('root')?.cap;
  const index = inv.arg('index');
  const depth = inv.arg('depth');
  if (ut === undefined || utCap?.tag !== 'UntypedCap' || root === undefined || index === undefined || depth === undefined) return null;
  const dest = resolve(inv.before, root, index, depth, true)?.slot;
  if (dest === undefined) return null;
  const c = capAt(inv.after, dest);
  const u = capAt(inv.after, ut.slot);
  return firstOf(
    () => (c.tag === 'ASIDPoolCap' && c.ptr === utCap.ptr ? null : { promise: 'the destination gets a cap to a new ASID pool made of the untyped', after: c }),
    () => (c.tag === 'ASIDPoolCap' && inv.after.asidTable[c.asidBase >>> 10] === c.ptr && inv.before.asidTable[c.asidBase >>> 10] === undefined ? null : { promise: 'the pool takes a free slot of the ASID table', asidBase: (c as { asidBase?: number }).asidBase }),
    () => (u.tag === 'UntypedCap' && u.freeIndex === 2 ** u.sizeBits ? null : { promise: 'the untyped is used up by the pool', after: u }),
  );
}

function irqGet(inv: Invocation): unknown | null {
  const irq = inv.arg('irq');
  const root = inv.capArg('root')?.cap;
  const index = inv.arg('index');
  const depth = inv.arg('depth');
  if (irq === undefined || root === undefined || index === undefined || depth === undefined) return null;
  const dest = resolve(inv.before, root, index, depth, true)?.slot;
  if (dest === undefined) return null;
  const c: Cap = capAt(inv.after, dest);
  return firstOf(
    () => (c.tag === 'IRQHandlerCap' && c.irq === irq ? null : { promise: 'the destination gets a handler cap for the line', irq, after: c }),
    () => (capAt(inv.before, dest).tag === 'NullCap' ? null : { promise: 'the destination was empty' }),
  );
}

const row = (method: MethodContract['method'], section: string, promise: string, success: MethodContract['success']): MethodContract =>
  ({ kind: 'method', name: `contract-${method}`, method, section, promise, success });

/**
 * The cache maintenance methods: on success they change nothing the API can see (the model has
 * no caches; on hardware they clean or invalidate lines, docs/deviations.md), so the whole state
 * but the invoker's reply is as it was.
 */
const CACHE_METHODS = [
  ['PageDirectory_Clean_Data', 'API ARM_PageDirectory_Clean_Data'],
  ['PageDirectory_Invalidate_Data', 'API ARM_PageDirectory_Invalidate_Data'],
  ['PageDirectory_CleanInvalidate_Data', 'API ARM_PageDirectory_CleanInvalidate_Data'],
  ['PageDirectory_Unify_Instruction', 'API ARM_PageDirectory_Unify_Instruction'],
  ['Page_Clean_Data', 'API ARM_Page_Clean_Data'],
  ['Page_Invalidate_Data', 'API ARM_Page_Invalidate_Data'],
  ['Page_CleanInvalidate_Data', 'API ARM_Page_CleanInvalidate_Data'],
  ['Page_Unify_Instruction', 'API ARM_Page_Unify_Instruction'],
] as const;

export const VSPACE_CONTRACTS: readonly MethodContract[] = [
  ...CACHE_METHODS.map(([m, api]) => row(m, `§7.1 Virtual Memory Objects; ${api}`, 'a cache operation over the range: nothing but the invoker\'s reply changes', onlyReplyChanged)),
  row('Page_Map', '§7.1.2 Page; API ARM_Page_Map', 'the aligned address translates to the frame with no rights beyond the cap\'s and the requested (write-only is inaccessible); the cap records the mapping', pageMap),
  row('Page_Unmap', '§7.1.2 Page; API ARM_Page_Unmap', 'the frame cap is no longer mapped', pageUnmap),
  row('Page_GetAddress', '§7.1.2 Page; API ARM_Page_GetAddress', 'the reply carries the frame\'s physical address', getAddress),
  row('PageTable_Map', '§7.1.1 Hardware Virtual Memory Objects; API ARM_PageTable_Map', 'the directory entry for the address names the page table; the cap records the mapping', ptMap),
  row('PageTable_Unmap', '§7.1.1 Hardware Virtual Memory Objects; API ARM_PageTable_Unmap', 'the page table cap is no longer mapped', ptUnmap),
  row('ASIDControl_MakePool', '§7.1.3 ASID Control', 'the destination gets a cap to a new pool made of the whole untyped, in a free slot of the ASID table', makePool),
  row('ASIDPool_Assign', '§7.1.4 ASID Pool', 'the page directory gets one of the pool\'s ASIDs, whose pool entry names it', assign),
];

export const IRQ_GET_CONTRACT: MethodContract = row('IRQControl_Get', '§8.1 Interrupt Delivery; API IRQControl_Get', 'the empty destination gets a handler cap for the requested line', irqGet);
