// Reference validity (l4v proof/invariant-abstract/Invariants_AI.thy valid_objs with valid_tcb,
// valid_tcb_state, tcb_cap_cases, valid_ep, valid_ntfn, valid_bound_ntfn/tcb; valid_reply_caps,
// valid_reply_masters, reply_caps_mdb; ARM valid_asid_table and the pool part of
// valid_vspace_objs): every reference an object holds names an existing object of the right
// type that, where the reference is two-way, names it back. The caps' own targets are valid-caps'
// (capability.ts); these are the references kept in the objects and in the TCBs' slots.
//
// Incremental as the structural invariants are (changes.ts): the objects a step changed, and their
// neighbours in the state before and after (the queue a thread was or is on, the threads a queue
// held or holds, both ends of a binding), so that an object that lost its partner, and a thread
// left behind in a queue, are looked at although they did not change themselves.

import { SIZE_BITS } from '../../abi/objecttype';
import type { KernelState } from '../../spec';
import type { Cap, PPtr, ThreadState } from '../../spec/api/types';
import { TCB_SLOT, TCB_SLOT_COUNT, type KernelObject, type TCB } from '../../spec/object/structures';
import { type StateInvariant, hex, incrementalInvariant, objectBits, tcbAt, threadName } from './changes';
import { irqNodeSlot } from '../../spec/object/interrupt';
import { checkQueue } from './structural';

const SLOT_BYTES = 2 ** SIZE_BITS.Slot;
const TCB_BYTES = 2 ** SIZE_BITS.TCB;
/** The largest CNode a slot could lie in (radix + slot bits <= the largest untyped). */
const MAX_CNODE_BITS = SIZE_BITS.MaxUntyped;

const slotOf = (t: PPtr, i: number): PPtr => t + i * SLOT_BYTES;
const capAt = (s: KernelState, slot: PPtr): Cap => s.ctes[slot]?.cap ?? { tag: 'NullCap' };

/** The endpoint or notification a thread state names, with the object type and queue state it needs. */
function stateTarget(st: ThreadState): { obj: PPtr; type: 'Endpoint' | 'Notification'; queue: 'Send' | 'Recv' | 'Waiting' } | null {
  switch (st.tag) {
    case 'BlockedOnSend':
      return { obj: st.ep, type: 'Endpoint', queue: 'Send' };
    case 'BlockedOnReceive':
      return { obj: st.ep, type: 'Endpoint', queue: 'Recv' };
    case 'BlockedOnNotification':
      return { obj: st.ntfn, type: 'Notification', queue: 'Waiting' };
    case 'Inactive':
    case 'Running':
    case 'Restart':
    case 'BlockedOnReply':
    case 'Idle':
      return null;
  }
}

const describe = (o: KernelObject | undefined): string => (o === undefined ? 'no object' : `a ${o.tag}`);

/** l4v valid_tcb_state, with the thread's side of sym_refs: the object exists, has the type, and queues it in that direction. */
function threadStateProblem(s: KernelState, p: PPtr, t: TCB): unknown | null {
  const want = stateTarget(t.state);
  if (want === null) return null;
  const o = s.objects[want.obj];
  if (o?.tag !== want.type) return { thread: threadName(s, p), state: t.state.tag, object: hex(want.obj), found: describe(o), problem: `a thread ${t.state.tag} names ${describe(o)}, not a ${want.type}` };
  if (o.state !== want.queue || !o.queue.includes(p)) return { thread: threadName(s, p), state: t.state.tag, object: hex(want.obj), objectState: o.state, queue: o.queue.map(hex), problem: `the ${want.type} does not queue the thread in its ${want.queue} queue` };
  return null;
}

/** l4v valid_bound_ntfn with sym_refs (TCBBound / NTFNBound): the notification exists and names the thread back. */
function boundProblem(s: KernelState, p: PPtr, t: TCB): unknown | null {
  if (t.boundNotification === null) return null;
  const n = s.objects[t.boundNotification];
  if (n?.tag !== 'Notification') return { thread: threadName(s, p), boundNotification: hex(t.boundNotification), found: describe(n), problem: 'a thread is bound to something that is not a notification' };
  if (n.boundTCB !== p) return { thread: threadName(s, p), boundNotification: hex(t.boundNotification), notificationBoundTCB: n.boundTCB === null ? null : hex(n.boundTCB), problem: 'the bound notification does not name the thread back' };
  return null;
}

const halted = (st: ThreadState): boolean => st.tag === 'Inactive' || st.tag === 'Idle';

/**
 * l4v tcb_cap_cases and valid_ipc_buffer_cap: what each of a TCB's slots may hold. The CSpace
 * root may hold anything (a deletion in progress leaves any cap there); the VSpace root an
 * assigned page-directory cap; the reply slot the thread's own master reply cap with Grant, or
 * nothing while the thread is halted; the caller slot a (non-master) reply cap, and nothing while
 * the thread waits in a receive; the buffer slot a frame cap, and then the buffer address is
 * aligned to the IPC buffer's size.
 */
function tcbSlotsProblem(s: KernelState, p: PPtr, t: TCB): unknown | null {
  const bad = (slot: string, cap: Cap, problem: string) => ({ thread: threadName(s, p), slot, cap, state: t.state.tag, problem });
  const vtable = capAt(s, slotOf(p, TCB_SLOT.vTable));
  if (vtable.tag !== 'NullCap' && !(vtable.tag === 'PageDirectoryCap' && vtable.mapped !== null)) return bad('vTable', vtable, 'the VSpace slot holds something other than an assigned page directory cap');
  const reply = capAt(s, slotOf(p, TCB_SLOT.reply));
  const master = reply.tag === 'ReplyCap' && reply.master && reply.tcb === p && reply.canGrant;
  if (!master && !(reply.tag === 'NullCap' && halted(t.state))) return bad('reply', reply, 'the reply slot holds neither the thread\'s own master reply cap with Grant nor, while it is halted, nothing');
  const caller = capAt(s, slotOf(p, TCB_SLOT.caller));
  if (caller.tag !== 'NullCap' && (t.state.tag === 'BlockedOnReceive' || caller.tag !== 'ReplyCap' || caller.master)) return bad('caller', caller, t.state.tag === 'BlockedOnReceive' ? 'a thread waiting in a receive still holds a caller cap (receive deletes it first)' : 'the caller slot holds something other than a reply cap');
  const buffer = capAt(s, slotOf(p, TCB_SLOT.buffer));
  if (buffer.tag !== 'NullCap' && buffer.tag !== 'FrameCap') return bad('buffer', buffer, 'the IPC buffer slot holds something other than a frame cap');
  if (buffer.tag === 'FrameCap' && t.ipcBuffer % 2 ** SIZE_BITS.IPCBuffer !== 0) return { thread: threadName(s, p), ipcBuffer: hex(t.ipcBuffer), problem: 'the IPC buffer address is not aligned to the buffer size' };
  return null;
}

/** l4v valid_tcb. */
function tcbProblem(s: KernelState, p: PPtr): unknown | null {
  const t = tcbAt(s, p);
  if (t === undefined) return null;
  return threadStateProblem(s, p, t) ?? boundProblem(s, p, t) ?? tcbSlotsProblem(s, p, t);
}

/** l4v valid_ep / valid_ntfn (with valid_bound_tcb and sym_refs' other direction): the queue's members and the bound thread. */
function queueObjectProblem(s: KernelState, p: PPtr): unknown | null {
  const e = checkQueue(s, p);
  if (e !== null) return e;
  const o = s.objects[p];
  if (o?.tag !== 'Notification' || o.boundTCB === null) return null;
  const t = tcbAt(s, o.boundTCB);
  if (t === undefined) return { notification: hex(p), boundTCB: hex(o.boundTCB), found: describe(s.objects[o.boundTCB]), problem: 'a notification is bound to something that is not a TCB' };
  if (t.boundNotification !== p) return { notification: hex(p), boundTCB: threadName(s, o.boundTCB), threadBoundNotification: t.boundNotification === null ? null : hex(t.boundNotification), problem: 'the bound thread does not name the notification back' };
  if (o.queue.some((q) => q !== o.boundTCB)) return { notification: hex(p), queue: o.queue.map(hex), problem: 'a bound notification queues a thread other than its bound one' };
  return null;
}

/**
 * l4v cte_at: a non-empty slot lies in an existing CNode's slots, among a TCB's five, or in the
 * IRQ node (which l4v holds as a CNode and the model as a range of kernel slots).
 */
function slotContainerProblem(s: KernelState, slot: PPtr): unknown | null {
  if (slot >= irqNodeSlot(0) && slot < irqNodeSlot(s.config.irqLines)) return null;
  const tcb = slot - (slot % TCB_BYTES);
  if (s.objects[tcb]?.tag === 'TCB' && slot - tcb < TCB_SLOT_COUNT * SLOT_BYTES) return null;
  for (let bits = SIZE_BITS.Slot; bits <= MAX_CNODE_BITS; bits++) {
    const base = slot - (slot % 2 ** bits);
    const o = s.objects[base];
    if (o?.tag === 'CNode' && o.radix + SIZE_BITS.Slot === bits) return null;
  }
  return { slot: hex(slot), cap: s.ctes[slot].cap.tag, problem: 'a cap in a slot that lies in no CNode and no TCB' };
}

/** A CNode or TCB that is gone (or became another type) left no cap in its slots. */
function slotsLeftProblem(s: KernelState, p: PPtr, gone: KernelObject): unknown | null {
  if (gone.tag !== 'CNode' && gone.tag !== 'TCB') return null;
  const end = p + (gone.tag === 'TCB' ? TCB_SLOT_COUNT * SLOT_BYTES : 2 ** objectBits(gone));
  for (const k in s.ctes) {
    const slot = Number(k);
    if (slot >= p && slot < end && slotContainerProblem(s, slot) !== null) return { object: hex(p), was: gone.tag, slot: hex(slot), cap: s.ctes[slot].cap.tag, problem: `a cap left in a slot of a ${gone.tag} that is gone` };
  }
  return null;
}

/** The objects whose validity depends on a record of `p` (itself and what it names), into `tcbs` and `queues`. */
function neighbours(p: PPtr, o: KernelObject | undefined, tcbs: Set<PPtr>, queues: Set<PPtr>): void {
  switch (o?.tag) {
    case 'TCB': {
      tcbs.add(p);
      const want = stateTarget(o.state);
      if (want !== null) queues.add(want.obj);
      if (o.boundNotification !== null) queues.add(o.boundNotification);
      return;
    }
    case 'Endpoint':
      queues.add(p);
      for (const t of o.queue) tcbs.add(t);
      return;
    case 'Notification':
      queues.add(p);
      for (const t of o.queue) tcbs.add(t);
      if (o.boundTCB !== null) tcbs.add(o.boundTCB);
      return;
    default:
      return;
  }
}

/**
 * ARM valid_asid_table, and for the pools it names the page-directory part of valid_vspace_objs:
 * the entries of every pool in the table when `everyPool` (the table changed, a page directory
 * went), else of the changed `pools` that are in it.
 */
function asidProblem(s: KernelState, pools: Set<PPtr>, everyPool: boolean): unknown | null {
  const seen = new Set<PPtr>();
  for (const [k, pool] of Object.entries(s.asidTable)) {
    if (s.objects[pool]?.tag !== 'ASIDPool') return { asidTable: Number(k), pool: hex(pool), found: describe(s.objects[pool]), problem: 'the ASID table names something that is not an ASID pool' };
    if (seen.has(pool)) return { asidTable: Number(k), pool: hex(pool), problem: 'one pool in two entries of the ASID table' };
    seen.add(pool);
  }
  for (const pool of everyPool ? seen : [...pools].filter((p) => seen.has(p))) {
    const o = s.objects[pool];
    if (o?.tag !== 'ASIDPool') continue;
    for (const [k, pd] of Object.entries(o.entries)) {
      if (s.objects[pd]?.tag !== 'PageDirectory') return { pool: hex(pool), entry: Number(k), pageDirectory: hex(pd), found: describe(s.objects[pd]), problem: 'an ASID names something that is not a page directory' };
    }
  }
  return null;
}

export const validObjs: StateInvariant = incrementalInvariant(
  'valid-objs',
  'every reference an object holds is valid (l4v valid_objs): a blocked thread\'s endpoint or notification exists, has that type and queues it in the matching direction; a bound notification exists and names its thread back, and vice versa; queues hold distinct TCBs blocked on that very object (so no thread is in two queues); a TCB\'s slots hold what tcb_cap_cases allows (own master reply cap, a reply cap or nothing in the caller slot and nothing there while receiving, an assigned page directory, a frame with an aligned buffer); every cap lies in a slot of an existing CNode or TCB; the ASID table names pools and their ASIDs name page directories',
  (s, c, before) => {
    const tcbs = new Set<PPtr>();
    const queues = new Set<PPtr>();
    const pools = new Set<PPtr>();
    let everyPool = before === null || before.asidTable !== s.asidTable;
    let asids = everyPool;
    for (const p of c.objects) {
      const was = before?.objects[p];
      const now = s.objects[p];
      neighbours(p, was, tcbs, queues);
      neighbours(p, now, tcbs, queues);
      if (was !== undefined && now?.tag !== was.tag) {
        const e = slotsLeftProblem(s, p, was);
        if (e !== null) return e;
        if (was.tag === 'PageDirectory') everyPool = asids = true;
      }
      if (now?.tag === 'ASIDPool') {
        pools.add(p);
        asids = true;
      }
    }
    for (const slot of c.slots) {
      // A TCB slot emptied matters too (the reply slot of a thread that is not halted).
      const owner = slot - (slot % TCB_BYTES);
      if (s.objects[owner]?.tag === 'TCB') tcbs.add(owner);
      if (s.ctes[slot] === undefined) continue;
      const e = slotContainerProblem(s, slot);
      if (e !== null) return e;
    }
    for (const t of tcbs) {
      const e = tcbProblem(s, t);
      if (e !== null) return e;
    }
    for (const q of queues) {
      const e = queueObjectProblem(s, q);
      if (e !== null) return e;
    }
    return asids ? asidProblem(s, pools, everyPool) : null;
  },
);

// ---------------------------------------------------------------------------------------------
// valid-reply-caps

/** What is wrong with the reply cap in `slot`, or null (valid_reply_masters, valid_reply_caps, reply_caps_mdb, unique_reply_caps). */
function replyCapProblem(s: KernelState, slot: PPtr, cap: Extract<Cap, { tag: 'ReplyCap' }>): unknown | null {
  const masterSlot = slotOf(cap.tcb, TCB_SLOT.reply);
  if (cap.master) return slot === masterSlot && tcbAt(s, cap.tcb) !== undefined ? null : { slot: hex(slot), tcb: hex(cap.tcb), problem: 'a master reply cap outside its own thread\'s reply slot (valid_reply_masters)' };
  const t = tcbAt(s, cap.tcb);
  if (t?.state.tag !== 'BlockedOnReply') return { slot: hex(slot), tcb: t === undefined ? hex(cap.tcb) : threadName(s, cap.tcb), state: t?.state.tag ?? describe(s.objects[cap.tcb]), problem: 'a reply cap to a thread that is not waiting for a reply (valid_reply_caps)' };
  const cte = s.ctes[slot];
  const master = capAt(s, masterSlot);
  if (cte.mdb.prev !== masterSlot || master.tag !== 'ReplyCap' || !master.master) return { slot: hex(slot), tcb: threadName(s, cap.tcb), prev: hex(cte.mdb.prev), problem: 'a reply cap that is not the child of its thread\'s master reply cap (reply_caps_mdb)' };
  const next = s.ctes[cte.mdb.next]?.cap;
  if (next?.tag === 'ReplyCap' && !next.master && next.tcb === cap.tcb) return { slot: hex(slot), other: hex(cte.mdb.next), tcb: threadName(s, cap.tcb), problem: 'two reply caps to one thread (unique_reply_caps)' };
  return null;
}

export const validReplyCaps: StateInvariant = incrementalInvariant(
  'valid-reply-caps',
  'a master reply cap sits in its own thread\'s reply slot; a reply cap names a thread waiting for a reply (BlockedOnReply), is the child of that thread\'s master in the CDT, and is the only one to that thread (l4v valid_reply_masters, valid_reply_caps, reply_caps_mdb, unique_reply_caps)',
  (s, c, before) => {
    for (const slot of c.slots) {
      const cap = s.ctes[slot]?.cap;
      if (cap?.tag !== 'ReplyCap') continue;
      const e = replyCapProblem(s, slot, cap);
      if (e !== null) return e;
    }
    if (before === null) return null;
    // A thread that stopped waiting for a reply, or went: no reply cap to it may remain. One
    // would be the child of its master, right after it in the CDT (reply_caps_mdb).
    for (const p of c.objects) {
      if (before.objects[p]?.tag !== 'TCB' || tcbAt(s, p)?.state.tag === 'BlockedOnReply') continue;
      const after = s.ctes[s.ctes[slotOf(p, TCB_SLOT.reply)]?.mdb.next ?? 0];
      if (after !== undefined && after.cap.tag === 'ReplyCap' && !after.cap.master && after.cap.tcb === p) return { tcb: threadName(s, p), state: tcbAt(s, p)?.state.tag ?? 'gone', problem: 'a reply cap to a thread that is not waiting for a reply (valid_reply_caps)' };
    }
    return null;
  },
);

export const REFERENCE_INVARIANTS: StateInvariant[] = [validObjs, validReplyCaps];
