// CNode methods (seL4 reference manual §3.1.2 "CNode Methods", §3.1.4 "Capability Rights",
// §3.1.5 "Capability Derivation Tree", §3.2 "Deletion and Revocation", §4.2.1 "Endpoint Badges",
// §4.2.4 "Calling and Replying"). Slots are named relative to the invoked CNode cap with a depth
// limit (§3.3.2); the source, pivot and node roots are extra caps.

import type { KernelState } from '../../spec';
import type { Cap, PPtr } from '../../spec/api/types';
import { rightsFromWord } from '../../abi/rights';
import { TCB_SLOT } from '../../spec/object/structures';
import { hex, threadName } from '../invariants/changes';
import type { Invocation } from './decode';
import { capAt, resolve, SLOT_BYTES } from './cspace';
import { BADGE_MASK, badgeOf, intersect, objectKey, opaque, rightsBeyond, rightsDiffer, rightsOf, sameObject } from './caps';
import { firstOf, otherCapsChanged, otherObjectsChanged, same } from './frame';
import type { MethodContract } from './types';

/** A slot named by (root cap, index arg, depth arg); undefined when the message lacks them. */
function slotArg(inv: Invocation, root: Cap | undefined, index: string, depth: string): PPtr | undefined {
  const i = inv.arg(index);
  const d = inv.arg(depth);
  if (root === undefined || i === undefined || d === undefined) return undefined;
  return resolve(inv.before, root, i, d, true)?.slot;
}

const destOf = (inv: Invocation): PPtr | undefined => slotArg(inv, inv.target.cap, 'destIndex', 'destDepth');
const srcOf = (inv: Invocation): PPtr | undefined => slotArg(inv, inv.capArg('srcRoot')?.cap, 'srcIndex', 'srcDepth');

const nothingElse = (inv: Invocation, slots: PPtr[]) => () => {
  const caps = otherCapsChanged(inv, slots);
  const objects = otherObjectsChanged(inv);
  return caps.length + objects.length === 0 ? null : { promise: 'no other cap or object changed', capsChanged: caps, objectsChanged: objects };
};

const wasEmpty = (inv: Invocation, slot: PPtr) => () =>
  capAt(inv.before, slot).tag === 'NullCap' ? null : { promise: 'the destination was empty (else DeleteFirst)', slot: hex(slot), before: capAt(inv.before, slot) };

const isEmpty = (inv: Invocation, slot: PPtr, what: string) => () => {
  const c = capAt(inv.after, slot);
  return c.tag === 'NullCap' || opaque(c) ? null : { promise: `the ${what} slot is empty after`, slot: hex(slot), after: c };
};

const unchanged = (inv: Invocation, slot: PPtr, what: string) => () =>
  same(capAt(inv.before, slot), capAt(inv.after, slot)) ? null : { promise: `the ${what} cap is unchanged`, slot: hex(slot), before: capAt(inv.before, slot), after: capAt(inv.after, slot) };

const sameObjectAs = (inv: Invocation, got: PPtr, from: Cap, what: string) => () => {
  const c = capAt(inv.after, got);
  return sameObject(c, from) ? null : { promise: `${what} names the same object as the source`, slot: hex(got), source: from, after: c };
};

/** Rights of the new cap: exactly source ∩ requested for endpoints and notifications, never more for frames. */
const rightsMasked = (inv: Invocation, dest: PPtr, src: Cap, requested: number | undefined) => () => {
  const have = rightsOf(capAt(inv.after, dest));
  const had = rightsOf(src);
  if (have === null || had === null) return null;
  const want = requested === undefined ? had : intersect(had, rightsFromWord(requested));
  const bad = src.tag === 'FrameCap' ? rightsBeyond(have, want) : rightsDiffer(have, want);
  return bad.length === 0 ? null : { promise: 'rights are the source rights ∩ the requested ones', rights: bad, source: had, requested: want, after: have };
};

/**
 * The source cap is unchanged, but for one thing seL4 does that the manual does not tell: when an
 * untyped cap is copied, the source's watermark goes to the end of the region, so that only one
 * of the two caps can retype (seL4 cteInsert/setUntypedCapAsFull; docs/contracts.md).
 */
const sourceKept = (inv: Invocation, slot: PPtr, src: Cap) => () => {
  const now = capAt(inv.after, slot);
  if (src.tag === 'UntypedCap' && now.tag === 'UntypedCap' && same({ ...now, freeIndex: 0 }, { ...src, freeIndex: 0 })) {
    const full = 2 ** src.sizeBits;
    return now.freeIndex === src.freeIndex || now.freeIndex === full ? null : { promise: 'the copied untyped keeps its watermark or is marked full', before: src.freeIndex, after: now.freeIndex };
  }
  return unchanged(inv, slot, 'source')();
};

/** A derived cap goes right after its source in the derivation order (DESIGN §1 CDT). */
const derivedFrom = (inv: Invocation, dest: PPtr, src: PPtr) => () => {
  const m = inv.after.ctes[dest]?.mdb;
  return m?.prev === src ? null : { promise: 'the new cap is derived from the source (next in the CDT after it)', dest: hex(dest), prev: m ? hex(m.prev) : null, source: hex(src) };
};

const badgeIs = (inv: Invocation, dest: PPtr, want: number | null) => () => {
  const got = badgeOf(capAt(inv.after, dest));
  return got === null || want === null || got === want ? null : { promise: 'the badge follows the badge rules', want, got };
};

/**
 * The guard a data word gives a CNode cap (Mint, Mutate, Rotate; manual §3.1.2 "the guard of a
 * CNode capability", libsel4 seL4_CNode_CapData on 32-bit: guard size in bits 3..7, guard in bits
 * 8..25, cut to the guard size). Other caps: no promise here.
 */
const cnodeDataIs = (inv: Invocation, slot: PPtr, data: number | undefined) => () => {
  const c = capAt(inv.after, slot);
  if (c.tag !== 'CNodeCap' || data === undefined) return null;
  const guardSize = Math.floor((data >>> 0) / 8) % 32;
  const guard = (Math.floor((data >>> 0) / 256) % 2 ** 18) % 2 ** guardSize;
  if (guardSize + c.radix > 32) return { promise: 'a guard size that does not fit beside the radix is refused', guardSize, radix: c.radix };
  return c.guard === guard && c.guardSize === guardSize ? null : { promise: 'the CNode cap has the guard and guard size of the data word', slot: hex(slot), want: { guard, guardSize }, got: { guard: c.guard, guardSize: c.guardSize } };
};

/**
 * An untyped cap with children cannot be copied (API CNode_Copy/Mint: RevokeFirst). Its children
 * follow it in the derivation order (§3.1.5): the entry right after it, when that names memory
 * inside the untyped's region, is one.
 */
const notAParentUntyped = (inv: Invocation, srcSlot: PPtr, src: Cap) => () => {
  if (src.tag !== 'UntypedCap') return null;
  const next = inv.before.ctes[srcSlot]?.mdb.next ?? 0;
  const n = next === 0 ? null : capAt(inv.before, next);
  if (n === null || opaque(n) || !('ptr' in n)) return null;
  const inside = n.ptr >= src.ptr && n.ptr < src.ptr + 2 ** src.sizeBits;
  return inside ? { promise: 'an untyped cap with children is not copied (RevokeFirst)', source: hex(srcSlot), child: hex(next), childCap: n } : null;
};

function copyOrMint(inv: Invocation, mint: boolean): unknown | null {
  const dest = destOf(inv);
  const srcSlot = srcOf(inv);
  if (dest === undefined || srcSlot === undefined) return null;
  const src = capAt(inv.before, srcSlot);
  if (opaque(src)) return null;
  const requestedBadge = mint ? inv.arg('badge') : undefined;
  const b = badgeOf(src);
  // Mint badges an unbadged cap; a badged one keeps its badge (§4.2.1). Copy keeps the badge.
  const wantBadge = b === null ? null : b !== 0 || requestedBadge === undefined ? b : requestedBadge & BADGE_MASK;
  return firstOf(
    wasEmpty(inv, dest),
    notAParentUntyped(inv, srcSlot, src),
    sameObjectAs(inv, dest, src, 'the new cap'),
    rightsMasked(inv, dest, src, inv.arg('rights')),
    badgeIs(inv, dest, wantBadge),
    mint ? cnodeDataIs(inv, dest, requestedBadge) : () => null,
    sourceKept(inv, srcSlot, src),
    derivedFrom(inv, dest, srcSlot),
    nothingElse(inv, [dest, srcSlot]),
  );
}

function moveOrMutate(inv: Invocation, mutate: boolean): unknown | null {
  const dest = destOf(inv);
  const srcSlot = srcOf(inv);
  if (dest === undefined || srcSlot === undefined) return null;
  const src = capAt(inv.before, srcSlot);
  const srcNode = inv.before.ctes[srcSlot];
  if (opaque(src) || srcNode === undefined) return null;
  const moved = () => {
    const c = capAt(inv.after, dest);
    if (!mutate) return same(c, src) ? null : { promise: 'the destination holds the source cap, unchanged', source: src, after: c };
    return firstOf(sameObjectAs(inv, dest, src, 'the moved cap'), rightsMasked(inv, dest, src, undefined), badgeIs(inv, dest, badgeOf(src)), cnodeDataIs(inv, dest, inv.arg('badge')));
  };
  const stillOriginal = () => {
    const m = inv.after.ctes[dest]?.mdb;
    return m !== undefined && m.revocable === srcNode.mdb.revocable ? null : { promise: 'a moved cap keeps its place in the CDT (an original stays original)', before: srcNode.mdb, after: m };
  };
  return firstOf(wasEmpty(inv, dest), moved, isEmpty(inv, srcSlot, 'source'), stillOriginal, nothingElse(inv, [dest, srcSlot]));
}

function rotate(inv: Invocation): unknown | null {
  const dest = destOf(inv);
  const pivot = slotArg(inv, inv.capArg('pivotRoot')?.cap, 'pivotIndex', 'pivotDepth');
  const srcSlot = slotArg(inv, inv.capArg('srcRoot')?.cap, 'srcIndex', 'srcDepth');
  if (dest === undefined || pivot === undefined || srcSlot === undefined) return null;
  const p = capAt(inv.before, pivot);
  const s = capAt(inv.before, srcSlot);
  if (opaque(p) || opaque(s)) return null;
  const swap = dest === srcSlot;
  return firstOf(
    swap ? () => null : wasEmpty(inv, dest),
    sameObjectAs(inv, dest, p, 'the destination (the pivot cap)'),
    sameObjectAs(inv, pivot, s, 'the pivot (the source cap)'),
    // destBadge is the data of the cap that ends up in dest, pivotBadge of the one in the pivot (API CNode_Rotate).
    cnodeDataIs(inv, dest, inv.arg('destBadge')),
    cnodeDataIs(inv, pivot, inv.arg('pivotBadge')),
    swap ? () => null : isEmpty(inv, srcSlot, 'source'),
    nothingElse(inv, [dest, pivot, srcSlot]),
  );
}

// ---------------------------------------------------------------------------------------------
// Deletion: the slot ends empty; if it held the last cap to an endpoint, notification or TCB,
// that object was destroyed (§3.2, §6.1.3 "Thread Deactivation"): no thread left blocked on it,
// the threads queued on it restarted, a deleted thread suspended. Only the object the deleted cap
// itself named is judged (objects reached through a deleted CNode may survive as Zombies).

const KNOWN_LAST = new Set(['EndpointCap', 'NotificationCap', 'ThreadCap']);

/** Whether no cap in `s` names the object `c` names (null: some cap is opaque, cannot tell). */
function noCapLeft(s: KernelState, c: Cap): boolean | null {
  const k = objectKey(c);
  for (const key in s.ctes) {
    const x = s.ctes[key as unknown as number].cap;
    // An opaque cap (a Zombie) may stand for a CNode or a TCB, never for an endpoint or notification.
    if (opaque(x)) {
      if (c.tag === 'EndpointCap' || c.tag === 'NotificationCap') continue;
      return null;
    }
    if (objectKey(x) === k) return false;
  }
  return true;
}

/** A thread the kernel restarted: Restart, or already Running as the current thread. */
function restarted(s: KernelState, t: PPtr): boolean {
  const o = s.objects[t];
  if (o?.tag !== 'TCB') return true;
  return o.state.tag === 'Restart' || (o.state.tag === 'Running' && s.curThread === t);
}

/** What shows that the object `c` named was not destroyed as the manual says, or null. */
export function finalisationProblem(before: KernelState, after: KernelState, c: Cap): unknown | null {
  if (!KNOWN_LAST.has(c.tag) || !('ptr' in c)) return null;
  if (noCapLeft(after, c) !== true) return null;
  const ptr = c.ptr;
  const was = before.objects[ptr];
  const now = after.objects[ptr];
  if (was === undefined) return null;
  if (was.tag === 'Endpoint' || was.tag === 'Notification') {
    const stuck = was.queue.filter((t) => !restarted(after, t)).map((t) => threadName(after, t));
    if (stuck.length > 0) return { promise: `the threads queued on a destroyed ${was.tag} restart`, object: hex(ptr), stuck };
    const waiting = now !== undefined && (now.tag === 'Endpoint' || now.tag === 'Notification') && now.queue.length > 0;
    if (waiting) return { promise: `no thread is blocked on a destroyed ${was.tag}`, object: hex(ptr), queue: (now as { queue: PPtr[] }).queue.map(hex) };
    if (was.tag === 'Notification' && was.boundTCB !== null) {
      const t = after.objects[was.boundTCB];
      if (t?.tag === 'TCB' && t.boundNotification === ptr) return { promise: 'a destroyed notification is unbound', thread: threadName(after, was.boundTCB) };
    }
    return null;
  }
  if (was.tag === 'TCB' && now?.tag === 'TCB') {
    if (now.state.tag !== 'Inactive') return { promise: 'a destroyed thread is suspended (Inactive)', thread: threadName(after, ptr), state: now.state.tag };
    if (now.boundNotification !== null) return { promise: 'a destroyed thread is unbound from its notification', thread: threadName(after, ptr) };
    return queuedAnywhere(before, after, ptr);
  }
  return null;
}

/** Whether thread `t` is still in a ready queue or the queue of what it was blocked on. */
export function queuedAnywhere(before: KernelState, after: KernelState, t: PPtr): unknown | null {
  for (const p in after.readyQueues) if (after.readyQueues[p]?.includes(t)) return { promise: 'a stopped thread is in no ready queue', thread: threadName(after, t), priority: Number(p) };
  const st = (before.objects[t] as { state?: { tag: string; ep?: PPtr; ntfn?: PPtr } } | undefined)?.state;
  const on = st?.ep ?? st?.ntfn;
  if (on !== undefined) {
    const o = after.objects[on];
    if ((o?.tag === 'Endpoint' || o?.tag === 'Notification') && o.queue.includes(t)) return { promise: 'a stopped thread left the queue it was blocked on', thread: threadName(after, t), object: hex(on) };
  }
  return null;
}

function del(inv: Invocation): unknown | null {
  const slot = slotArg(inv, inv.target.cap, 'index', 'depth');
  if (slot === undefined) return null;
  const c = capAt(inv.before, slot);
  return firstOf(isEmpty(inv, slot, 'deleted'), () => finalisationProblem(inv.before, inv.after, c), () => notLastKeepsQueue(inv, c));
}

/** §3.2: an object is destroyed only with its last cap; deleting another cap to an endpoint or notification leaves its queue. */
function notLastKeepsQueue(inv: Invocation, c: Cap): unknown | null {
  if ((c.tag !== 'EndpointCap' && c.tag !== 'NotificationCap') || noCapLeft(inv.after, c) !== false) return null;
  const was = inv.before.objects[c.ptr];
  const now = inv.after.objects[c.ptr];
  if ((was?.tag !== 'Endpoint' && was?.tag !== 'Notification') || now?.tag !== was.tag) return null;
  return same(was.queue, now.queue) ? null : {
    promise: `deleting a cap that is not the last one to a ${was.tag} leaves its queue as it was`, object: hex(c.ptr), before: was.queue.map(hex), after: now.queue.map(hex),
  };
}

/** Revoke: the cap stays; every cap it removed left its slot empty; no descendant follows it. */
function revoke(inv: Invocation): unknown | null {
  const slot = slotArg(inv, inv.target.cap, 'index', 'depth');
  if (slot === undefined) return null;
  const c = capAt(inv.before, slot);
  if (opaque(c)) return null;
  const onlyEmptied = () => {
    const bad = otherCapsChanged(inv, [slot], (_p, _a, b) => b.tag === 'NullCap' || opaque(b));
    return bad.length === 0 ? null : { promise: 'revoke only deletes caps', capsChanged: bad };
  };
  // The manual's exception: the revoke may destroy the invoker or the revoked slot's storage.
  if (inv.outcome.tag === 'noReply' || inv.after.ctes[slot] === undefined && c.tag !== 'NullCap') return onlyEmptied();
  return firstOf(unchanged(inv, slot, 'revoked'), onlyEmptied, () => descendantLeft(inv.after, slot, c));
}

/** The cap right after an original one in the derivation order, if it is derived from it (§3.1.5). */
function descendantLeft(s: KernelState, slot: PPtr, c: Cap): unknown | null {
  const m = s.ctes[slot]?.mdb;
  if (m === undefined || !m.revocable || m.next === 0) return null;
  const n = capAt(s, m.next);
  const nm = s.ctes[m.next]!.mdb;
  if (opaque(n) || n.tag === 'NullCap') return null;
  let child: boolean;
  if (c.tag === 'UntypedCap') {
    const p = 'ptr' in n ? n.ptr : null;
    child = p !== null && p >= c.ptr && p < c.ptr + 2 ** c.sizeBits;
  } else if (c.tag === 'EndpointCap' || c.tag === 'NotificationCap') {
    // An unbadged original's children: every cap to it; a badged original's: its copies, up to
    // the next cap that starts a badged subtree of its own (the "original badged" cap, §3.1.5).
    child = sameObject(n, c) && (c.badge === 0 || (badgeOf(n) === c.badge && !nm.firstBadged));
  } else {
    child = sameObject(n, c) && !nm.revocable;
  }
  return child ? { promise: 'no CDT descendant of the revoked cap is left', slot: hex(slot), next: hex(m.next), cap: n } : null;
}

/** CancelBadgedSends: exactly the senders with that badge left the queue, and restarted. */
function cancelBadged(inv: Invocation): unknown | null {
  const slot = slotArg(inv, inv.target.cap, 'index', 'depth');
  if (slot === undefined) return null;
  const c = capAt(inv.before, slot);
  if (opaque(c)) return null;
  // API CNode_CancelBadgedSends: IllegalOperation unless the cap is an endpoint cap with full rights.
  if (c.tag !== 'EndpointCap' || !(c.rights.read && c.rights.write && c.rights.grant && c.rights.grantReply)) {
    return { promise: 'CancelBadgedSends succeeds only on an endpoint cap with full rights', slot: hex(slot), cap: c };
  }
  if (c.badge === 0) return null;
  const was = inv.before.objects[c.ptr];
  const now = inv.after.objects[c.ptr];
  if (was?.tag !== 'Endpoint' || now?.tag !== 'Endpoint') return null;
  const hit = (t: PPtr) => {
    const st = (inv.before.objects[t] as { state: { tag: string; badge?: number } }).state;
    return st.tag === 'BlockedOnSend' && st.badge === c.badge;
  };
  const want = was.queue.filter((t) => !hit(t));
  if (!same(now.queue, want)) return { promise: 'exactly the senders with the badge leave the queue, the rest keep their order', badge: c.badge, before: was.queue.map(hex), after: now.queue.map(hex) };
  const stuck = was.queue.filter(hit).filter((t) => !restarted(inv.after, t)).map((t) => threadName(inv.after, t));
  return stuck.length === 0 ? null : { promise: 'the cancelled senders restart', stuck };
}

/** SaveCaller: the invoker's reply cap moves to the named slot, leaving the caller slot empty. */
function saveCaller(inv: Invocation): unknown | null {
  const dest = slotArg(inv, inv.target.cap, 'index', 'depth');
  if (dest === undefined) return null;
  const caller = inv.invoker + SLOT_BYTES * TCB_SLOT.caller;
  const reply = capAt(inv.before, caller);
  return firstOf(
    wasEmpty(inv, dest),
    () => (same(capAt(inv.after, dest), reply) ? null : { promise: 'the destination holds the reply cap', reply, after: capAt(inv.after, dest) }),
    isEmpty(inv, caller, 'caller'),
    nothingElse(inv, [dest, caller]),
  );
}

const row = (method: MethodContract['method'], section: string, promise: string, success: MethodContract['success']): MethodContract =>
  ({ kind: 'method', name: `contract-${method}`, method, section, promise, success });

export const CNODE_CONTRACTS: readonly MethodContract[] = [
  row('CNode_Copy', '§3.1.2 CNode Methods; §3.1.4 Capability Rights; §3.1.5 Capability Derivation Tree',
    'the empty destination gets a cap to the source object, rights = source ∩ requested, the same badge, derived from the source (never of an untyped with children); nothing else changes', (i) => copyOrMint(i, false)),
  row('CNode_Mint', '§3.1.2 CNode Methods; §3.1.4 Capability Rights; §4.2.1 Endpoint Badges',
    'as Copy, and an unbadged endpoint or notification cap gets the requested badge (low 28 bits); a badged one keeps its own; a CNode cap gets the guard and guard size of the data word', (i) => copyOrMint(i, true)),
  row('CNode_Move', '§3.1.2 CNode Methods', 'the source cap moves, unchanged and with its CDT place, to the empty destination; the source is left empty', (i) => moveOrMutate(i, false)),
  row('CNode_Mutate', '§3.1.2 CNode Methods', 'as Move, the cap naming the same object with no more rights and the same badge (Mutate cannot badge), a CNode cap with the guard of the data word; an original stays original', (i) => moveOrMutate(i, true)),
  row('CNode_Rotate', '§3.1.2 CNode Methods', 'the pivot cap moves to the destination and the source cap to the pivot, both or neither, a CNode cap taking the guard of its data word (destBadge for dest, pivotBadge for the pivot); the source ends empty unless it is the destination', rotate),
  row('CNode_Delete', '§3.1.2 CNode Methods; §3.2 Deletion and Revocation; §6.1.3 Thread Deactivation',
    'the slot ends empty; deleting the last cap to an endpoint or notification restarts its queued threads, to a TCB suspends the thread; deleting another cap to one leaves its queue', del),
  row('CNode_Revoke', '§3.2 Deletion and Revocation; §2.4.1 Reusing Memory', 'the cap itself stays; caps only disappear; no CDT descendant of it is left', revoke),
  row('CNode_CancelBadgedSends', '§3.1.2 CNode Methods; API CNode_CancelBadgedSends', 'only on an endpoint cap with full rights; exactly the senders blocked with the cap\'s badge leave the endpoint\'s queue (the rest in order) and restart', cancelBadged),
  row('CNode_SaveCaller', '§3.1.2 CNode Methods; §4.2.4 Calling and Replying', 'the reply cap in the invoker\'s caller slot moves to the empty destination slot', saveCaller),
];
