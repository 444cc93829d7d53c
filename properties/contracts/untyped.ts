// Untyped_Retype (seL4 reference manual §2.4 "Kernel Memory Allocation", §2.4.1 "Reusing
// Memory", §2.4.2 "Summary of Object Sizes", §3.1.3 "Capabilities to Newly-Retyped Objects"):
// numObjects new caps in consecutive empty slots of one CNode from nodeOffset on, each the
// original cap to a new object of the requested type and size, aligned to its size, inside the
// untyped and above its watermark (or from the region's start when nothing of it is left), the
// watermark advanced past the last one.

import { OBJECT_TYPES, type ObjectTypeName, objectSizeBits } from '../../abi/objecttype';
import type { KernelState } from '../../spec';
import type { Cap, CapTag } from '../../spec/api/types';
import type { ObjectTag } from '../../spec/object/structures';
import { hex } from '../invariants/changes';
import type { Invocation } from './decode';
import { capAt, resolve, SLOT_BYTES } from './cspace';
import { opaque } from './caps';
import { firstOf, otherCapsChanged } from './frame';
import type { MethodContract } from './types';

const CAP_OF: Record<ObjectTypeName, { cap: CapTag; object: ObjectTag | null }> = {
  Untyped: { cap: 'UntypedCap', object: null },
  TCB: { cap: 'ThreadCap', object: 'TCB' },
  Endpoint: { cap: 'EndpointCap', object: 'Endpoint' },
  Notification: { cap: 'NotificationCap', object: 'Notification' },
  CNode: { cap: 'CNodeCap', object: 'CNode' },
  PageDirectory: { cap: 'PageDirectoryCap', object: 'PageDirectory' },
  SmallPage: { cap: 'FrameCap', object: 'Frame' },
  LargePage: { cap: 'FrameCap', object: 'Frame' },
  Section: { cap: 'FrameCap', object: 'Frame' },
  SuperSection: { cap: 'FrameCap', object: 'Frame' },
  PageTable: { cap: 'PageTableCap', object: 'PageTable' },
};

/** The destination CNode cap: the root itself at depth 0, else the cap the (index, depth) name. */
function destNode(inv: Invocation): Cap | undefined {
  const root = inv.capArg('root')?.cap;
  const index = inv.arg('nodeIndex');
  const depth = inv.arg('nodeDepth');
  if (root === undefined || index === undefined || depth === undefined) return undefined;
  return depth === 0 ? root : resolve(inv.before, root, index, depth, true)?.cap;
}

/** Whether a cap other than an untyped cap of the very region names memory inside [base, end). */
function anythingInside(s: KernelState, base: number, end: number, ut: Cap & { tag: 'UntypedCap' }): boolean {
  for (const k in s.ctes) {
    const c = s.ctes[k as unknown as number].cap;
    // A Zombie names its object's base like the caps it replaced; another unknown cap may name anything.
    if (opaque(c) && !('ptr' in c)) return true;
    if (c.tag === 'UntypedCap' && c.ptr === ut.ptr && c.sizeBits === ut.sizeBits) continue;
    // An untyped the region lies in (an ancestor, which may start at the same address) is not inside it.
    if (c.tag === 'UntypedCap' && c.ptr <= base && c.ptr + 2 ** c.sizeBits >= end) continue;
    if ('ptr' in c && c.ptr >= base && c.ptr < end) return true;
  }
  return false;
}

/**
 * Whether the region is in use by anything but the invoked cap: a cap naming memory inside it, or
 * another untyped cap of the very region (a copy: seL4 marks the copied cap full, and the manual
 * does not say when a copied untyped is reused; docs/contracts.md).
 */
function regionInUse(s: KernelState, base: number, end: number, slot: number): boolean {
  for (const k in s.ctes) {
    if (Number(k) === slot) continue;
    const c = s.ctes[k as unknown as number].cap;
    if (opaque(c)) return true;
    if ('ptr' in c && c.ptr >= base && c.ptr < end) return true;
  }
  return false;
}

function retype(inv: Invocation): unknown | null {
  const ut = inv.target.cap;
  const typeNo = inv.arg('type');
  const userBits = inv.arg('sizeBits');
  const offset = inv.arg('nodeOffset');
  const n = inv.arg('numObjects');
  const node = destNode(inv);
  if (ut.tag !== 'UntypedCap' || typeNo === undefined || userBits === undefined || offset === undefined || n === undefined || node?.tag !== 'CNodeCap') return null;
  const type = OBJECT_TYPES[typeNo];
  if (type === undefined) return { promise: 'only a known object type can be made', type: typeNo };
  const bits = objectSizeBits(type, userBits);
  const size = 2 ** bits;
  const base = ut.ptr;
  const end = base + 2 ** ut.sizeBits;
  const mark = base + ut.freeIndex;
  const want = CAP_OF[type];
  const slots = Array.from({ length: n }, (_, i) => node.ptr + SLOT_BYTES * (offset + i));
  let last = -1;
  const each = (): unknown | null => {
    for (const slot of slots) {
      if (capAt(inv.before, slot).tag !== 'NullCap') return { promise: 'the destination slots were empty', slot: hex(slot) };
      const c = capAt(inv.after, slot);
      if (c.tag !== want.cap || !('ptr' in c)) return { promise: `each new cap is a ${want.cap}`, slot: hex(slot), cap: c };
      const p = c.ptr;
      if (p % size !== 0) return { promise: 'each object is aligned to its size', object: hex(p), sizeBits: bits };
      if (p < base || p + size > end) return { promise: 'each object lies inside the untyped', object: hex(p), untyped: [hex(base), hex(end)] };
      if (p < mark && anythingInside(inv.before, base, end, ut)) return { promise: 'objects go above the watermark while the region has objects', object: hex(p), watermark: hex(mark) };
      if (want.object !== null && inv.after.objects[p]?.tag !== want.object) return { promise: `each new object is a ${want.object}`, object: hex(p), got: inv.after.objects[p]?.tag };
      if (c.tag === 'CNodeCap' && c.radix !== userBits) return { promise: 'a CNode has 2^sizeBits slots', radix: c.radix, sizeBits: userBits };
      if (c.tag === 'UntypedCap' && c.sizeBits !== userBits) return { promise: 'an untyped child has the requested size', sizeBits: c.sizeBits };
      if (c.tag === 'FrameCap' && c.size !== type) return { promise: 'a frame has the requested size', size: c.size };
      if (!inv.after.ctes[slot]!.mdb.revocable) return { promise: 'each new cap is an original cap (a CDT child of the untyped)', slot: hex(slot) };
      last = Math.max(last, p + size);
    }
    return null;
  };
  // §2.4.1: once every cap to an object of the region is gone, the watermark is reset and the
  // new objects start again from the beginning of the region.
  const fromStart = () => {
    if (slots.length === 0 || regionInUse(inv.before, base, end, inv.target.slot)) return null;
    const first = Math.min(...slots.map((x) => (capAt(inv.after, x) as { ptr: number }).ptr));
    return first === base ? null : { promise: 'with no object of the region left, the new objects start at its beginning', first: hex(first), base: hex(base) };
  };
  const distinct = () => (new Set(slots.map((s) => (capAt(inv.after, s) as { ptr: number }).ptr)).size === n ? null : { promise: 'the new objects are distinct' });
  const watermark = () => {
    const now = capAt(inv.after, inv.target.slot);
    if (now.tag !== 'UntypedCap') return { promise: 'the untyped cap stays', after: now };
    return last < 0 || base + now.freeIndex === last ? null : { promise: 'the watermark is advanced past the last new object', watermark: hex(base + now.freeIndex), lastEnd: hex(last) };
  };
  const nothingElse = () => {
    const bad = otherCapsChanged(inv, [inv.target.slot, ...slots]);
    return bad.length === 0 ? null : { promise: 'no other cap changed', capsChanged: bad };
  };
  return firstOf(each, fromStart, distinct, watermark, nothingElse);
}

/**
 * NotEnoughMemory means the objects do not fit in what is left (API Untyped_Retype: "the total
 * size of the new objects exceeds the space available"); with no object of the region left, the
 * whole region is available again (§2.4.1).
 */
function retypeError(inv: Invocation, error: string): unknown | null {
  if (error !== 'NotEnoughMemory') return null;
  const ut = inv.target.cap;
  const typeNo = inv.arg('type');
  const userBits = inv.arg('sizeBits');
  const n = inv.arg('numObjects');
  if (ut.tag !== 'UntypedCap' || typeNo === undefined || userBits === undefined || n === undefined) return null;
  const type = OBJECT_TYPES[typeNo];
  if (type === undefined) return null;
  const base = ut.ptr;
  const end = base + 2 ** ut.sizeBits;
  if (regionInUse(inv.before, base, end, inv.target.slot)) return null;
  const need = n * 2 ** objectSizeBits(type, userBits);
  return need > 2 ** ut.sizeBits ? null : { promise: 'NotEnoughMemory only when the objects do not fit: with no object of the region left, the whole region is free', need, regionBytes: 2 ** ut.sizeBits, watermark: ut.freeIndex };
}

export const UNTYPED_CONTRACTS: readonly MethodContract[] = [
  {
    kind: 'method', name: 'contract-Untyped_Retype', method: 'Untyped_Retype',
    section: '§2.4 Kernel Memory Allocation; §2.4.1 Reusing Memory; §3.1.3 Capabilities to Newly-Retyped Objects',
    promise: 'numObjects original caps to new objects of the type and size asked, in the empty slots from nodeOffset, aligned, inside the untyped and above its watermark, which advances past them; from the region\'s start (and never NotEnoughMemory when they fit) once no object of the region is left',
    success: retype,
    error: retypeError,
  },
];
