// Capability integrity (DESIGN §4; l4v Invariants_AI.thy valid_objs/valid_cap, pspace_aligned,
// pspace_distinct, valid_mdb, untyped_inc, valid_global_refs; Invariants_H.thy valid_badges;
// proof/access-control for authority confinement): no dangling or mistyped caps, objects that never
// overlap and lie in the used part of every untyped that covers them, a well-formed derivation
// list, derived caps with no more rights than their parent, badged caps that descend from the
// unbadged original, and authority that only grows through the channels seL4 has.

import type { KernelState } from '../../spec';
import type { Cap, CapOf, PPtr } from '../../spec/api/types';
import { capRegion } from '../../spec/object/objecttype';
import { isMDBParentOf } from '../../spec/object/cnode';
import { lookupCap } from '../../spec/kernel/cspace';
import { TCB_SLOT, TCB_SLOT_COUNT } from '../../spec/object/structures';
import type { KernelObject } from '../../spec/object/structures';
import { SIZE_BITS } from '../../abi/objecttype';
import { LABEL } from '../../abi/invocations';
import { messageInfoFromWord } from '../../abi/messageinfo';
import type { Invariant, Monitor, StepContext, Violation } from './types';
import { type StateInvariant, type StepChanges, hex, incrementalInvariant, objectBits, stepChanges, tcbAt, threadName } from './changes';
import { floorIndex } from '../../refinement/sorted';

/** Below this address lies the kernel's own memory: no cap may point there (valid_global_refs). */
const KERNEL_END = 0x00100000;

// ---------------------------------------------------------------------------------------------
// valid-caps

/** What is wrong with a cap's target, or null (l4v valid_cap / cap_table_at / obj_at). */
function capProblem(s: KernelState, cap: Cap): string | null {
  const want = (p: PPtr, tag: KernelObject['tag']): string | null => {
    const o = s.objects[p];
    return o === undefined ? `points to ${hex(p)}, where there is no object` : o.tag !== tag ? `points to a ${o.tag} at ${hex(p)}, not a ${tag}` : null;
  };
  switch (cap.tag) {
    case 'NullCap':
    case 'IRQControlCap':
    case 'DomainCap':
    case 'ASIDControlCap':
      return null;
    case 'UntypedCap': {
      if (cap.sizeBits < SIZE_BITS.MinUntyped || cap.sizeBits > SIZE_BITS.MaxUntyped) return `size ${cap.sizeBits} out of range`;
      if (cap.ptr % 2 ** cap.sizeBits !== 0) return 'region not aligned to its size';
      if (cap.ptr < KERNEL_END || cap.ptr + 2 ** cap.sizeBits > 2 ** s.config.memoryBits) return 'region outside user memory';
      if (cap.freeIndex < 0 || cap.freeIndex > 2 ** cap.sizeBits) return `free index ${cap.freeIndex} outside the region`;
      return null;
    }
    case 'EndpointCap':
      return want(cap.ptr, 'Endpoint');
    case 'NotificationCap':
      return want(cap.ptr, 'Notification');
    case 'ReplyCap':
      return want(cap.tcb, 'TCB');
    case 'CNodeCap': {
      const o = s.objects[cap.ptr];
      if (o?.tag === 'CNode' && o.radix !== cap.radix) return `radix ${cap.radix}, but the CNode has radix ${o.radix}`;
      return want(cap.ptr, 'CNode');
    }
    case 'ThreadCap':
      return want(cap.ptr, 'TCB');
    case 'ZombieCap':
      return zombieTargetProblem(s, cap, want);
    case 'IRQHandlerCap':
      return cap.irq < s.config.irqLines ? null : `IRQ ${cap.irq} does not exist`;
    case 'FrameCap': {
      const o = s.objects[cap.ptr];
      if (o?.tag === 'Frame' && o.size !== cap.size) return `a ${cap.size} cap to a ${o.size} frame`;
      return want(cap.ptr, 'Frame');
    }
    case 'PageTableCap':
      return want(cap.ptr, 'PageTable');
    case 'PageDirectoryCap':
      return want(cap.ptr, 'PageDirectory');
    case 'ASIDPoolCap':
      return want(cap.ptr, 'ASIDPool');
  }
}

/** A Zombie stands for an existing CNode of its radix or TCB, with 1..(its slots) still to empty. */
function zombieTargetProblem(s: KernelState, z: CapOf<'ZombieCap'>, want: (p: PPtr, tag: KernelObject['tag']) => string | null): string | null {
  switch (z.zombieType.tag) {
    case 'ZombieTCB':
      if (z.number < 1 || z.number > TCB_SLOT_COUNT) return `a TCB Zombie with ${z.number} slots to go`;
      return want(z.ptr, 'TCB');
    case 'ZombieCNode': {
      const radix = z.zombieType.radix;
      const o = s.objects[z.ptr];
      if (o?.tag === 'CNode' && o.radix !== radix) return `a Zombie of radix ${radix}, but the CNode has radix ${o.radix}`;
      if (z.number < 1 || z.number > 2 ** radix) return `a CNode Zombie with ${z.number} of ${2 ** radix} slots to go`;
      return want(z.ptr, 'CNode');
    }
  }
}

function kernelRef(cap: Cap): boolean {
  const r = capRegion(cap);
  return r !== null && r.base < KERNEL_END;
}

export const validCaps: StateInvariant = incrementalInvariant(
  'valid-caps',
  'every cap points to an existing object of its type (radix, frame size), untyped caps to aligned user memory, and no cap to kernel memory (l4v valid_cap, valid_global_refs)',
  (s, c, before) => {
    // Deleting or replacing an object can leave a cap dangling anywhere: look at every slot then.
    const objectsGone = c.removedObjects.length > 0 || (before !== null && c.objects.some((p) => before.objects[p] !== undefined && s.objects[p] !== undefined && before.objects[p].tag !== s.objects[p].tag));
    const slots = objectsGone ? Object.keys(s.ctes).map(Number) : c.slots;
    for (const slot of slots) {
      const cte = s.ctes[slot];
      if (cte === undefined) continue;
      const p = capProblem(s, cte.cap) ?? (kernelRef(cte.cap) ? 'points into kernel memory' : null);
      if (p !== null) return { slot: hex(slot), cap: cte.cap.tag, problem: p };
    }
    return null;
  },
);

// ---------------------------------------------------------------------------------------------
// zombies-final

/** The object a CNode, Thread or Zombie cap names, or null for other caps. */
function cnodeOrTCBOf(cap: Cap): PPtr | null {
  return cap.tag === 'CNodeCap' || cap.tag === 'ThreadCap' || cap.tag === 'ZombieCap' ? cap.ptr : null;
}

/** What is wrong with the Zombie at `slot`, or null. */
function zombieProblem(s: KernelState, slot: PPtr, z: CapOf<'ZombieCap'>): unknown | null {
  if (z.ptr !== slot) return { slot: hex(slot), zombie: hex(z.ptr), problem: 'a Zombie outside the first slot of its own object (only a preempted deletion leaves one, and the model never preempts)' };
  for (const k in s.ctes) {
    const p = Number(k);
    if (p !== slot && cnodeOrTCBOf(s.ctes[p].cap) === z.ptr) return { slot: hex(slot), other: hex(p), cap: s.ctes[p].cap.tag, problem: 'another cap names the object a Zombie is finalising (l4v zombies_final)' };
  }
  return null;
}

export const zombiesFinal: StateInvariant = incrementalInvariant(
  'zombies-final',
  'a Zombie is the only CNode, Thread or Zombie cap naming its object, and sits in that object\'s first slot, where an unexposed deletion (reduceZombie) left it (l4v zombies_final)',
  (s, c) => {
    for (const slot of c.slots) {
      const cap = s.ctes[slot]?.cap;
      if (cap === undefined) continue;
      if (cap.tag === 'ZombieCap') {
        const e = zombieProblem(s, slot, cap);
        if (e !== null) return e;
      } else if (cap.tag === 'CNodeCap' || cap.tag === 'ThreadCap') {
        // A new cap to an object being finalised: its Zombie sits in the object's first slot.
        const first = s.ctes[cap.ptr]?.cap;
        if (first?.tag === 'ZombieCap' && first.ptr === cap.ptr) return { slot: hex(slot), cap: cap.tag, zombie: hex(cap.ptr), problem: 'a cap to an object a Zombie is finalising (l4v zombies_final)' };
      }
    }
    return null;
  },
);

// ---------------------------------------------------------------------------------------------
// objects-distinct

function untypedCaps(s: KernelState): { slot: PPtr; ptr: PPtr; sizeBits: number; freeIndex: number }[] {
  const out = [];
  for (const k in s.ctes) {
    const cap = s.ctes[k as unknown as PPtr].cap;
    if (cap.tag === 'UntypedCap') out.push({ slot: Number(k), ptr: cap.ptr, sizeBits: cap.sizeBits, freeIndex: cap.freeIndex });
  }
  return out;
}

function checkPspace(s: KernelState): unknown | null {
  const bases = Object.keys(s.objects).map(Number).sort((a, b) => a - b);
  let prevEnd = 0;
  let prev = -1;
  for (const p of bases) {
    const bits = objectBits(s.objects[p]);
    if (p % 2 ** bits !== 0) return { object: hex(p), tag: s.objects[p].tag, sizeBits: bits, problem: 'not aligned to its size (pspace_aligned)' };
    if (p < prevEnd) return { object: hex(p), overlaps: hex(prev), problem: 'objects overlap (pspace_distinct)' };
    prevEnd = p + 2 ** bits;
    prev = p;
  }
  for (const u of untypedCaps(s)) {
    const used = u.ptr + u.freeIndex;
    const end = u.ptr + 2 ** u.sizeBits;
    // The objects that start inside the region: the first at or above ptr, by binary search.
    let lo = 0;
    let hi = bases.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bases[mid] < u.ptr) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && bases[lo - 1] + 2 ** objectBits(s.objects[bases[lo - 1]]) > u.ptr) {
      const q = bases[lo - 1];
      if (q + 2 ** objectBits(s.objects[q]) > used || q < u.ptr) return { object: hex(q), untyped: hex(u.ptr), slot: hex(u.slot), problem: 'an object straddles the start of an untyped region' };
    }
    for (let i = lo; i < bases.length && bases[i] < end; i++) {
      const q = bases[i];
      if (q + 2 ** objectBits(s.objects[q]) > used) return { object: hex(q), tag: s.objects[q].tag, untyped: hex(u.ptr), sizeBits: u.sizeBits, freeIndex: u.freeIndex, slot: hex(u.slot), problem: 'an object lies beyond the used part of an untyped that covers it (untyped_inc)' };
    }
  }
  return null;
}

export const objectsDistinct: StateInvariant = incrementalInvariant(
  'objects-distinct',
  'objects are aligned to their size, never overlap, and lie below the free index of every untyped cap whose region covers them; boot objects lie in none (l4v pspace_aligned, pspace_distinct, untyped_inc)',
  (s, c, before) => {
    // Only retype, reset and deletion move this: check in full on the steps that do.
    if (before === null || c.newObjects.length > 0 || c.removedObjects.length > 0) return checkPspace(s);
    for (const slot of c.slots) {
      const a = s.ctes[slot]?.cap;
      const b = before.ctes[slot]?.cap;
      if (a?.tag === 'UntypedCap' && (b?.tag !== 'UntypedCap' || b.freeIndex > a.freeIndex)) return checkPspace(s);
    }
    return null;
  },
);

// ---------------------------------------------------------------------------------------------
// cdt-well-formed

function checkLinks(s: KernelState, slot: PPtr, limit: number): unknown | null {
  const cte = s.ctes[slot];
  if (cte === undefined) return null;
  const { prev, next } = cte.mdb;
  if (next !== 0 && s.ctes[next]?.mdb.prev !== slot) return { slot: hex(slot), next: hex(next), problem: s.ctes[next] === undefined ? 'the next link points to an empty slot (mdb_cte_at)' : 'next.prev is not this slot (valid_dlist)' };
  if (prev !== 0 && s.ctes[prev]?.mdb.next !== slot) return { slot: hex(slot), prev: hex(prev), problem: s.ctes[prev] === undefined ? 'the prev link points to an empty slot (mdb_cte_at)' : 'prev.next is not this slot (valid_dlist)' };
  // With consistent links a forward walk either ends or comes back to where it started.
  let x = next;
  for (let n = 0; x !== 0; n++) {
    if (x === slot || n > limit) return { slot: hex(slot), problem: 'the derivation list has a cycle (no_mloop)' };
    x = s.ctes[x]?.mdb.next ?? 0;
  }
  return null;
}

export const cdtWellFormed: StateInvariant = incrementalInvariant(
  'cdt-well-formed',
  'the derivation list is a well-formed, acyclic doubly linked list over non-empty slots, so every parent exists (l4v valid_mdb: mdb_cte_at, no_mloop; valid_dlist, no_0)',
  (s, c, before) => {
    if (c.slots.length === 0) return null;
    const limit = c.slots.length === 0 ? 0 : Object.keys(s.ctes).length;
    if (s.ctes[0] !== undefined) return { problem: 'slot 0 holds a cap (no_0)' };
    for (const slot of c.slots) {
      // A cycle or a broken link needs a link that changed: a slot whose links are as before is fine.
      const o = before?.ctes[slot]?.mdb;
      const n = s.ctes[slot]?.mdb;
      if (o !== undefined && n !== undefined && o.prev === n.prev && o.next === n.next) continue;
      const e = checkLinks(s, slot, limit);
      if (e !== null) return e;
      // Its old neighbours must still be consistent with whatever they point at now.
      if (o !== undefined) {
        for (const x of [o.prev, o.next]) {
          if (x === 0 || s.ctes[x] === undefined) continue;
          const e2 = checkLinks(s, x, limit);
          if (e2 !== null) return e2;
        }
      }
      // A slot that was emptied: its old neighbours must not point at it any more.
      if (before !== null && s.ctes[slot] === undefined) {
        const old = before.ctes[slot];
        if (old === undefined) continue;
        for (const n of [old.mdb.prev, old.mdb.next]) {
          const m = s.ctes[n]?.mdb;
          if (m !== undefined && (m.prev === slot || m.next === slot)) return { slot: hex(n), emptied: hex(slot), problem: 'a link points to an emptied slot (mdb_cte_at)' };
        }
      }
    }
    return null;
  },
);

// ---------------------------------------------------------------------------------------------
// cdt-rights and badged-caps-descend

/** How far back parentOf looks (derivation runs longer than this are not checked). */
export const PARENT_SEARCH_LIMIT = 512;

/**
 * The CDT parent of a slot in seL4's linked representation: the nearest earlier slot a with
 * isMDBParentOf(a, b) such that every slot between them is a descendant of a (descendants
 * follow their ancestor contiguously). Null when there is none within PARENT_SEARCH_LIMIT.
 */
export function parentOf(s: KernelState, b: PPtr): PPtr | null {
  const between: PPtr[] = [];
  let a = s.ctes[b]?.mdb.prev ?? 0;
  for (let n = 0; a !== 0 && n < PARENT_SEARCH_LIMIT; n++) {
    if (isMDBParentOf(s, a, b) && between.every((x) => isMDBParentOf(s, a, x))) return a;
    between.push(a);
    a = s.ctes[a]?.mdb.prev ?? 0;
  }
  return null;
}

/** Rights as a bit set comparable between a cap and its parent, or null for caps without rights. */
function rightsBits(cap: Cap): number | null {
  switch (cap.tag) {
    case 'EndpointCap':
    case 'NotificationCap':
      return (cap.rights.read ? 1 : 0) | (cap.rights.write ? 2 : 0) | (cap.rights.grant ? 4 : 0) | (cap.rights.grantReply ? 8 : 0);
    case 'FrameCap':
      return vmBits(cap.rights);
    default:
      return null;
  }
}

function vmBits(r: string): number {
  return r === 'VMReadWrite' ? 3 : r === 'VMReadOnly' ? 1 : 0;
}

/** The changed slots and the slots right after them (whose parent may have changed). */
function slotsAndSuccessors(s: KernelState, c: StepChanges): PPtr[] {
  const out = new Set<PPtr>();
  for (const slot of c.slots) {
    const cte = s.ctes[slot];
    if (cte === undefined) continue;
    out.add(slot);
    if (cte.mdb.next !== 0) out.add(cte.mdb.next);
  }
  return [...out];
}

export const cdtRights: StateInvariant = incrementalInvariant(
  'cdt-rights',
  'a derived cap never has more rights than its CDT parent (seL4 maskCapRights on Mint/Copy, deriveCap; l4v descendants_inc with rights)',
  (s, c) => {
    for (const b of slotsAndSuccessors(s, c)) {
      const rb = rightsBits(s.ctes[b].cap);
      if (rb === null) continue;
      const a = parentOf(s, b);
      if (a === null) continue;
      const ra = rightsBits(s.ctes[a].cap);
      if (ra !== null && (rb & ~ra) !== 0) return { slot: hex(b), cap: s.ctes[b].cap, parent: hex(a), parentCap: s.ctes[a].cap };
    }
    return null;
  },
);

export const badgedCapsDescend: StateInvariant = incrementalInvariant(
  'badged-caps-descend',
  'a badged endpoint/notification cap descends from the unbadged original or a cap of its own badge (or, once those are gone, from the untyped that holds the object), never from a cap with another badge; adjacent caps of different badges start a new subtree (l4v valid_badges)',
  (s, c) => {
    for (const b of slotsAndSuccessors(s, c)) {
      const cb = s.ctes[b];
      const cap = cb.cap;
      if ((cap.tag !== 'EndpointCap' && cap.tag !== 'NotificationCap') || cap.badge === 0) continue;
      const prev = s.ctes[cb.mdb.prev];
      if (prev !== undefined && prev.cap.tag === cap.tag && prev.cap.ptr === cap.ptr && prev.cap.badge !== cap.badge && !cb.mdb.firstBadged) {
        return { slot: hex(b), badge: cap.badge, prev: hex(cb.mdb.prev), prevBadge: prev.cap.badge, problem: 'follows a cap of another badge without starting a new subtree (valid_badges)' };
      }
      const a = parentOf(s, b);
      if (a === null) continue;
      const pa = s.ctes[a].cap;
      const ok = pa.tag === 'UntypedCap' || (pa.tag === cap.tag && pa.ptr === cap.ptr && (pa.badge === 0 || pa.badge === cap.badge));
      if (!ok) return { slot: hex(b), cap, parent: hex(a), parentCap: pa, problem: 'a badged cap descends from a cap of another badge or object' };
      // Descending straight from the untyped is right only once the unbadged original is gone:
      // the original (an unbadged revocable cap to the object) between them must be the parent.
      if (pa.tag === 'UntypedCap') {
        for (let x = cb.mdb.prev; x !== a && x !== 0; x = s.ctes[x]?.mdb.prev ?? 0) {
          const cx = s.ctes[x]?.cap;
          if (cx?.tag === cap.tag && cx.ptr === cap.ptr && cx.badge === 0 && s.ctes[x].mdb.revocable) return { slot: hex(b), badge: cap.badge, original: hex(x), parent: hex(a), problem: 'the unbadged original precedes the badged cap but is not its ancestor' };
        }
      }
    }
    return null;
  },
);

// ---------------------------------------------------------------------------------------------
// authority-confinement

/** A thread's authority: for each object (or kernel service) it can name, the rights it has. */
export type Authority = Map<string, number>;

/** The authority key and rights of a cap (badges and guards are not authority), or null. */
function authorityOf(cap: Cap): [string, number] | null {
  switch (cap.tag) {
    case 'NullCap':
      return null;
    case 'UntypedCap':
      return [`Untyped@${hex(cap.ptr)}/${cap.sizeBits}`, 0];
    case 'EndpointCap':
    case 'NotificationCap':
      return [`${cap.tag}@${hex(cap.ptr)}`, rightsBits(cap)!];
    case 'ReplyCap':
      return cap.master ? null : [`ReplyCap@${hex(cap.tcb)}`, cap.canGrant ? 4 : 0];
    case 'CNodeCap':
    case 'ThreadCap':
    case 'PageTableCap':
    case 'PageDirectoryCap':
    case 'ASIDPoolCap':
      return [`${cap.tag}@${hex(cap.ptr)}`, 0];
    case 'FrameCap':
      return [`FrameCap@${hex(cap.ptr)}`, vmBits(cap.rights)];
    case 'IRQHandlerCap':
      return [`IRQHandlerCap@${cap.irq}`, 0];
    case 'IRQControlCap':
    case 'DomainCap':
    case 'ASIDControlCap':
      return [cap.tag, 0];
    case 'ZombieCap':
      // Nothing can be done with a Zombie but moving or deleting it (operations of its CNode).
      return null;
  }
}

/** Which CNode holds which non-empty slots: kept up to date from each step's changed slots. */
class SlotIndex {
  private bases: PPtr[] = [];
  private readonly slots = new Map<PPtr, Set<PPtr>>();

  constructor(s: KernelState) {
    this.rebuild(s);
  }

  rebuild(s: KernelState): void {
    this.bases = Object.keys(s.objects).map(Number).filter((p) => s.objects[p].tag === 'CNode').sort((a, b) => a - b);
    this.slots.clear();
    for (const k in s.ctes) this.add(s, Number(k));
  }

  /** The CNode whose slots include address a, or null (TCB slots, IRQ node). */
  cnodeOf(s: KernelState, a: PPtr): PPtr | null {
    const b = this.bases;
    const hi = floorIndex(b, a);
    if (hi < 0) return null;
    const o = s.objects[b[hi]];
    return o?.tag === 'CNode' && a < b[hi] + 16 * 2 ** o.radix ? b[hi] : null;
  }

  private add(s: KernelState, slot: PPtr): void {
    const c = this.cnodeOf(s, slot);
    if (c === null) return;
    let set = this.slots.get(c);
    if (set === undefined) this.slots.set(c, (set = new Set()));
    set.add(slot);
  }

  update(s: KernelState, c: StepChanges): void {
    if ([...c.newObjects, ...c.removedObjects].some(() => true)) {
      this.rebuild(s);
      return;
    }
    for (const slot of c.slots) {
      const cn = this.cnodeOf(s, slot);
      if (cn === null) continue;
      if (s.ctes[slot] === undefined) this.slots.get(cn)?.delete(slot);
      else this.add(s, slot);
    }
  }

  slotsOf(c: PPtr): Iterable<PPtr> {
    return this.slots.get(c) ?? [];
  }
}

interface ThreadAuthority {
  cnodes: Set<PPtr>;
  auth: Authority;
  /** Every (key, rights) pair one single cap confers, as `key|rights`: a transfer copies one cap. */
  each: Set<string>;
}

/** The authority of a thread: the caps reachable from its CSpace root, and those in its TCB slots. */
export function threadAuthority(s: KernelState, t: PPtr, index?: SlotIndex): ThreadAuthority {
  const idx = index ?? new SlotIndex(s);
  const auth: Authority = new Map();
  const cnodes = new Set<PPtr>();
  const each = new Set<string>();
  const addCap = (cap: Cap) => {
    const a = authorityOf(cap);
    if (a === null) return;
    auth.set(a[0], (auth.get(a[0]) ?? 0) | a[1]);
    each.add(`${a[0]}|${a[1]}`);
    if (cap.tag === 'CNodeCap' && !cnodes.has(cap.ptr) && s.objects[cap.ptr]?.tag === 'CNode') {
      cnodes.add(cap.ptr);
      work.push(cap.ptr);
    }
  };
  const work: PPtr[] = [];
  for (let i = 0; i < TCB_SLOT_COUNT; i++) {
    const cte = s.ctes[t + 16 * i];
    if (cte !== undefined) addCap(cte.cap);
  }
  while (work.length > 0) {
    const c = work.pop()!;
    for (const slot of idx.slotsOf(c)) {
      const cte = s.ctes[slot];
      if (cte !== undefined) addCap(cte.cap);
    }
  }
  return { cnodes, auth, each };
}

/** Whether one single cap of the holder confers `key` with at least `rights` (rights are 4 bits). */
function holds(a: ThreadAuthority, key: string, rights: number): boolean {
  for (let r = 0; r < 16; r++) if ((rights & ~r) === 0 && a.each.has(`${key}|${r}`)) return true;
  return false;
}

/** The object a key names and whether it was created in this step (retype, MakePool). */
function keyRegion(key: string): { base: PPtr; sizeBits?: number } | null {
  const m = /@0x([0-9a-f]{8})(?:\/(\d+))?$/.exec(key);
  return m === null ? null : { base: parseInt(m[1], 16), sizeBits: m[2] === undefined ? undefined : Number(m[2]) };
}

/** Whether an untyped the holder has covers the address (retype from it). */
function coveredByUntyped(a: Authority, p: PPtr): boolean {
  for (const k of a.keys()) {
    if (!k.startsWith('Untyped@')) continue;
    const r = keyRegion(k)!;
    if (p >= r.base && p < r.base + 2 ** r.sizeBits!) return true;
  }
  return false;
}

/** The cap the current thread invoked in this step, with the message label, or null. */
function invokedCap(ctx: StepContext): { tag: Cap['tag']; cap: Extract<Cap, { tag: 'UntypedCap' }>; label: number } | null {
  const ev = ctx.event;
  if (ev.tag !== 'syscall' || ctx.observation.skipped) return null;
  const r = lookupCap(ctx.before, ctx.before.curThread, ev.cap);
  if (!r.ok) return null;
  const label = messageInfoFromWord(ev.info).label;
  return { tag: r.value.cap.tag, cap: r.value.cap as Extract<Cap, { tag: 'UntypedCap' }>, label };
}

// seL4 syscall numbers (abi/syscalls.ts): the sends, the replies and the receives.
const SYS_CALL = -1;
const SYS_REPLY_RECV = -2;
const SYS_SEND = -3;
const SYS_NB_SEND = -4;
const SYS_RECV = -5;
const SYS_REPLY = -6;
const SYS_NB_RECV = -8;

/** A channel over which this step may have copied caps: from the sender's CSpace to the receiver's. */
interface GrantChannel {
  sender: PPtr;
  receiver: PPtr;
}

/**
 * The channels of this step that carry caps (seL4 doNormalTransfer looks the extra caps up only
 * when its canGrant is set; manual §4.2.3 "Capability Transfer", §4.2.4 "Calling and Replying"):
 * - Send/NBSend/Call on an endpoint cap with Grant, to a thread that was waiting to receive on it;
 * - a reply (Reply, ReplyRecv's reply half, or Send/Call on a saved reply cap), when the reply cap
 *   has Grant — the Grant of the receiver's endpoint cap when the reply cap was made (seL4
 *   handleReply / doReplyTransfer take capReplyCanGrant, never the cap register's endpoint);
 * - a receive (Recv/NBRecv/ReplyRecv) that takes a blocked sender whose send had Grant
 *   (blockingIPCCanGrant in its thread state), to the receiving thread.
 */
function grantChannels(ctx: StepContext): GrantChannel[] {
  const { before, after, event } = ctx;
  const out: GrantChannel[] = [];
  if (event.tag !== 'syscall' || ctx.observation.skipped) return out;
  const cur = before.curThread;
  const n = event.number | 0;
  if (n === SYS_SEND || n === SYS_NB_SEND || n === SYS_CALL) {
    const r = lookupCap(before, cur, event.cap);
    const c = r.ok ? r.value.cap : null;
    if (c?.tag === 'EndpointCap' && c.rights.grant) {
      for (const p in before.objects) {
        const st = tcbAt(before, Number(p))?.state;
        if (st?.tag === 'BlockedOnReceive' && st.ep === c.ptr) out.push({ sender: cur, receiver: Number(p) });
      }
    }
    if (c?.tag === 'ReplyCap' && !c.master && c.canGrant) out.push({ sender: cur, receiver: c.tcb });
  }
  if (n === SYS_REPLY || n === SYS_REPLY_RECV) {
    const caller = before.ctes[cur + 16 * TCB_SLOT.caller]?.cap;
    if (caller?.tag === 'ReplyCap' && !caller.master && caller.canGrant) out.push({ sender: cur, receiver: caller.tcb });
  }
  if (n === SYS_RECV || n === SYS_NB_RECV || n === SYS_REPLY_RECV) {
    // A blocked sender with Grant whose send completed in this step: the receive took it.
    for (const p of stepChanges(before, after).objects) {
      const st = tcbAt(before, p)?.state;
      if (st?.tag === 'BlockedOnSend' && st.canGrant && tcbAt(after, p)?.state.tag !== 'BlockedOnSend') out.push({ sender: p, receiver: cur });
    }
  }
  return out;
}

/**
 * Why a new authority item of thread t is allowed, or null: the channels of DESIGN §4.
 */
/**
 * The channels that do not depend on who gains the cap: the reply cap of a Call or fault, retype
 * from an invoked untyped that covers the object, IRQControl_Get. Null when none applies.
 */
function justifyByEvent(ctx: StepContext, key: string): string | null {
  const { after } = ctx;
  // The reply cap of a Call (or of a fault): to a thread that now waits for the reply.
  if (key.startsWith('ReplyCap@')) {
    const target = keyRegion(key)!.base;
    if (tcbAt(after, target)?.state.tag === 'BlockedOnReply') return 'reply cap of a call';
  }
  // Retype: the invoker invoked an untyped cap that covers the new cap's object.
  const inv = invokedCap(ctx);
  const r = keyRegion(key);
  if (r !== null && inv !== null && inv.tag === 'UntypedCap' && inv.label === LABEL.UntypedRetype && r.base >= inv.cap.ptr && r.base < inv.cap.ptr + 2 ** inv.cap.sizeBits) return 'retype';
  if (key.startsWith('IRQHandlerCap@') && inv?.tag === 'IRQControlCap' && inv.label === LABEL.IRQIssueIRQHandler) return 'IRQControl_Get';
  return null;
}

/**
 * Why thread t may now hold one cap conferring `key` with `rights`, or null. Each channel needs
 * one single cap of the source with at least those rights (a copy never adds rights).
 */
function justify(
  ctx: StepContext, t: PPtr, key: string, rights: number, authBefore: (p: PPtr) => ThreadAuthority, reachAfter: Set<PPtr>,
  reachOfAfter: (p: PPtr) => Set<PPtr>,
): string | null {
  const { before } = ctx;
  const cur = before.curThread;
  const curAuth = authBefore(cur);
  const byEvent = justifyByEvent(ctx, key);
  if (byEvent !== null) return byEvent;
  // ASIDControl_MakePool: the invoker invoked ASIDControl, with an untyped that covers the pool.
  const inv = invokedCap(ctx);
  const r = keyRegion(key);
  if (r !== null && inv?.tag === 'ASIDControlCap' && inv.label === LABEL.ARMASIDControlMakePool && key.startsWith('ASIDPoolCap@') && coveredByUntyped(curAuth.auth, r.base)) return 'ASIDControl_MakePool';
  // A CNode or TCB method passes on a cap the invoker holds, into a CSpace it can write: its own,
  // one whose CNode it holds (CNode operations), or the TCB slots of a thread it holds
  // (Configure/SetSpace/SetIPCBuffer). An IPC is no such channel, whatever the sender holds.
  if ((inv?.tag === 'CNodeCap' || inv?.tag === 'ThreadCap') && holds(curAuth, key, rights)) {
    if (t === cur || curAuth.auth.has(`ThreadCap@${hex(t)}`)) return 'invoker passes on its own cap';
    for (const cn of reachAfter) if (curAuth.auth.has(`CNodeCap@${hex(cn)}`)) return 'CNode operation on a CNode the invoker holds';
  }
  // A transfer over Grant, from a sender that held the cap, into the receiver's CSpace: the
  // receiver gains it, and so does every thread that reaches a CNode of the receiver's CSpace.
  for (const ch of grantChannels(ctx)) {
    if (ch.sender === t || !holds(authBefore(ch.sender), key, rights)) continue;
    if (ch.receiver === t) return 'transfer over grant';
    for (const cn of reachOfAfter(ch.receiver)) if (reachAfter.has(cn)) return 'transfer over grant into a CSpace it shares with the receiver';
  }
  return null;
}

/** Whether some changed slot now holds a cap conferring more than before, not explained by the event alone. */
function hasUnexplainedGrowth(ctx: StepContext, c: StepChanges): boolean {
  for (const slot of c.slots) {
    const a = ctx.after.ctes[slot];
    if (a === undefined) continue;
    const ai = authorityOf(a.cap);
    if (ai === null) continue;
    const b = ctx.before.ctes[slot];
    const bi = b === undefined ? null : authorityOf(b.cap);
    if (bi !== null && bi[0] === ai[0] && (ai[1] & ~bi[1]) === 0) continue;
    if (justifyByEvent(ctx, ai[0]) === null) return true;
  }
  return false;
}

/**
 * authority-confinement: compares each thread's authority before and after a step; the threads
 * recomputed are those whose TCB slots changed or whose CSpace reaches a CNode with a changed slot.
 */
export const authorityConfinement: Invariant = {
  name: 'authority-confinement',
  doc: 'a thread gains authority (caps reachable from its CSpace root and TCB slots, with rights) only by retype, CNode operations on CNodes the invoker holds, TCB_Configure/SetSpace/SetIPCBuffer by a holder of its TCB, transfers to it over Grant (the send cap\'s Grant, for a reply the reply cap\'s Grant) of a cap the sender held with those rights, the reply cap of a Call or fault, IRQControl_Get or ASIDControl_MakePool',
  monitor(): Monitor {
    let index: SlotIndex | null = null;
    const cache = new Map<PPtr, ThreadAuthority>();
    const name = 'authority-confinement';
    const ensure = (s: KernelState, t: PPtr): ThreadAuthority => {
      let a = cache.get(t);
      if (a === undefined) cache.set(t, (a = threadAuthority(s, t, index!)));
      return a;
    };
    return {
      boot(s) {
        index = new SlotIndex(s);
        cache.clear();
        return null;
      },
      step(ctx): Violation | null {
        const { before, after } = ctx;
        if (index === null) {
          index = new SlotIndex(before);
        }
        const c = stepChanges(before, after);
        if (c.slots.length === 0 && c.removedObjects.length === 0) return null;
        // Fast path: authority can only be gained through a slot whose cap now confers more than
        // the same slot's cap did; when every such cap came by a channel that does not depend on
        // who gains it, only the caches need refreshing.
        if (c.newObjects.length === 0 && c.removedObjects.length === 0 && !hasUnexplainedGrowth(ctx, c)) {
          const changed = new Set<PPtr>();
          for (const slot of c.slots) {
            const cn = index.cnodeOf(before, slot);
            changed.add(cn ?? slot - (slot % 512));
          }
          for (const [t, a] of cache) {
            if (changed.has(t)) {
              cache.delete(t);
              continue;
            }
            for (const cn of a.cnodes) if (changed.has(cn)) {
              cache.delete(t);
              break;
            }
          }
          index.update(after, c);
          return null;
        }
        // Threads whose authority may have changed.
        const affected = new Set<PPtr>();
        const changedCNodes = new Set<PPtr>();
        for (const slot of c.slots) {
          const cn = index.cnodeOf(before, slot);
          if (cn !== null) changedCNodes.add(cn);
        }
        for (const slot of c.slots) {
          const cn = index.cnodeOf(after, slot);
          if (cn !== null) changedCNodes.add(cn);
          else for (const t of [slot - (slot % 512)]) if (tcbAt(after, t) || tcbAt(before, t)) affected.add(t);
        }
        for (const p of c.objects) if (tcbAt(after, p) && !tcbAt(before, p)) affected.add(p);
        for (const p in before.objects) {
          const t = Number(p);
          if (before.objects[t].tag !== 'TCB' || affected.has(t)) continue;
          const a = ensure(before, t);
          for (const cn of a.cnodes) if (changedCNodes.has(cn)) affected.add(t);
        }
        // Authorities in `before` of every thread that may be a source.
        const beforeAuth = new Map<PPtr, ThreadAuthority>();
        const authBefore = (p: PPtr) => {
          let a = beforeAuth.get(p);
          if (a === undefined) beforeAuth.set(p, (a = tcbAt(before, p) ? ensure(before, p) : { cnodes: new Set(), auth: new Map(), each: new Set() }));
          return a;
        };
        for (const t of affected) authBefore(t);
        authBefore(before.curThread);
        for (const ch of grantChannels(ctx)) authBefore(ch.sender);
        index.update(after, c);
        const fresh = new Map<PPtr, ThreadAuthority>();
        const reachOfAfter = (p: PPtr): Set<PPtr> => {
          let a = fresh.get(p);
          if (a === undefined && tcbAt(after, p)) fresh.set(p, (a = threadAuthority(after, p, index!)));
          return a?.cnodes ?? new Set();
        };
        let violation: Violation | null = null;
        for (const t of affected) {
          if (!tcbAt(after, t) || t === after.idleThread) continue;
          const now = fresh.get(t) ?? threadAuthority(after, t, index);
          fresh.set(t, now);
          if (violation !== null) continue;
          const was = authBefore(t).auth;
          for (const item of now.each) {
            // Each cap that adds to what t had must have come by a channel, with its own rights.
            const bar = item.lastIndexOf('|');
            const key = item.slice(0, bar);
            const rights = Number(item.slice(bar + 1));
            if (was.has(key) && (rights & ~was.get(key)!) === 0) continue;
            if (justify(ctx, t, key, rights, authBefore, now.cnodes, reachOfAfter) === null) {
              violation = { invariant: name, evidence: { thread: threadName(after, t), gained: key, rights, had: was.get(key) ?? null, event: ctx.event.tag, invoker: threadName(before, before.curThread) } };
              break;
            }
          }
        }
        for (const t of c.removedObjects) cache.delete(t);
        // Threads whose CNodes changed get new cached authorities; the rest stay valid.
        for (const t of affected) cache.delete(t);
        for (const [t, a] of fresh) cache.set(t, a);
        if (c.newObjects.length > 0 || c.removedObjects.length > 0) cache.clear();
        return violation;
      },
    };
  },
};

export const CAPABILITY_INVARIANTS: Invariant[] = [validCaps, zombiesFinal, objectsDistinct, cdtWellFormed, cdtRights, badgedCapsDescend, authorityConfinement];
