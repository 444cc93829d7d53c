// IPC, notification and fault rows (seL4 reference manual §2.2 "System Calls", §4.2 "Endpoints":
// §4.2.1 "Endpoint Badges", §4.2.2 "Capability Transfer", §4.2.4 "Calling and Replying";
// §5.2 "Signalling, Polling and Waiting"; §5.3 "Binding Notifications"; §6.2 "Faults"). Delivery
// is judged where the step shows it: a send to an endpoint with a receiver waiting goes to the
// first receiver at once; a send or receive with nobody on the other side blocks at the tail of
// the queue, or, non-blocking, runs on.

import { FAULT_TYPES } from '../../abi/errors';
import { N_MSG_REGISTERS } from '../../abi/messageinfo';
import { REG, UNKNOWN_SYSCALL_REGISTERS, USER_EXCEPTION_REGISTERS, sanitiseRegister } from '../../abi/registers';
import { syscallOfWord } from '../../abi/syscalls';
import type { KernelState } from '../../spec';
import type { Cap, PPtr } from '../../spec/api/types';
import type { Delivered, TCB } from '../../spec/object/structures';
import { TCB_SLOT } from '../../spec/object/structures';
import { hex, threadName } from '../invariants/changes';
import type { StepContext } from '../invariants/types';
import { type SyscallStep, decodeStep } from './decode';
import { capAt, resolveInThread, SLOT_BYTES } from './cspace';
import { firstOf, same } from './frame';
import type { Contract } from './types';

const tcbOf = (s: KernelState, p: PPtr): TCB | undefined => {
  const o = s.objects[p];
  return o?.tag === 'TCB' ? o : undefined;
};

const runnable = (s: KernelState, p: PPtr): boolean => {
  const st = tcbOf(s, p)?.state.tag;
  return st === 'Restart' || st === 'Running';
};

/** Slots that went from empty to holding a cap, other than `except`. */
function newCaps(st: SyscallStep, except: PPtr[]): PPtr[] {
  return st.changes.slots.filter((p) => !except.includes(p) && capAt(st.before, p).tag === 'NullCap' && capAt(st.after, p).tag !== 'NullCap');
}

/**
 * A message through an endpoint cap to a waiting receiver: it arrives with the invoked cap's badge
 * and the sender's label; caps only through a cap with Grant, into at most the receiver's one
 * receive slot, and a cap is unwrapped only when it names the endpoint sent through.
 */
function delivery(st: SyscallStep, cap: Cap & { tag: 'EndpointCap' }, receiver: PPtr): unknown | null {
  const d: Delivered | undefined = tcbOf(st.after, receiver)?.delivered;
  const who = threadName(st.after, receiver);
  if (d === undefined) return null;
  const info = d.info;
  return firstOf(
    () => (d.badge === (cap.badge >>> 0) ? null : { promise: 'the receiver gets the badge of the invoked cap', receiver: who, badge: cap.badge, got: d.badge }),
    () => (info?.label === st.info.label ? null : { promise: 'the receiver gets the sender\'s label', receiver: who, label: st.info.label, got: info?.label }),
    () => (cap.rights.grant || (info?.extraCaps ?? 0) === 0 ? null : { promise: 'no caps arrive through a cap without Grant', receiver: who, extraCaps: info?.extraCaps }),
    () => {
      const made = newCaps(st, [receiver + SLOT_BYTES * TCB_SLOT.caller]);
      if (made.length === 0 || (cap.rights.grant && made.length === 1)) return null;
      return { promise: 'at most one cap arrives, in the receiver\'s one slot, and only with Grant', slots: made.map(hex) };
    },
    () => {
      const bits = info?.capsUnwrapped ?? 0;
      for (let i = 0; i < 3; i++) {
        if ((bits & (1 << i)) === 0) continue;
        const c = st.extraCaps?.[i]?.cap;
        if (c?.tag !== 'EndpointCap' || c.ptr !== cap.ptr) return { promise: 'only a cap to the endpoint sent through is unwrapped', index: i, cap: c };
      }
      return null;
    },
  );
}

/** The first waiting receiver of an endpoint before the step, if it waits to receive. */
function waitingReceiver(s: KernelState, ep: PPtr): PPtr | undefined {
  const o = s.objects[ep];
  return o?.tag === 'Endpoint' && o.state === 'Recv' ? o.queue[0] : undefined;
}

/**
 * The thread waits at the tail of the object's queue in `state`, behind the threads that were
 * waiting there in the same direction, in their order (§4.2 "will wait in a queue"; §5.2).
 */
function queuedAtTail(st: SyscallStep, obj: PPtr, state: 'Send' | 'Recv' | 'Waiting'): unknown | null {
  const was = st.before.objects[obj];
  const now = st.after.objects[obj];
  if ((was?.tag !== 'Endpoint' && was?.tag !== 'Notification') || (now?.tag !== 'Endpoint' && now?.tag !== 'Notification')) return null;
  const prior = was.state === state ? was.queue : [];
  const ok = now.state === state && now.queue.length === prior.length + 1 && prior.every((p, i) => now.queue[i] === p) && now.queue[prior.length] === st.invoker;
  return ok ? null : { promise: 'a blocking thread waits at the tail of the queue', object: hex(obj), before: prior.map((p) => threadName(st.before, p)), after: now.queue.map((p) => threadName(st.after, p)), state: now.state };
}

/** A non-blocking operation that finds nothing (§2.2 NBSend, NBRecv; §5.2 Poll): the thread runs on and the object is as it was. */
function runsOn(st: SyscallStep, obj: PPtr, what: string): unknown | null {
  if (!runnable(st.after, st.invoker)) return { promise: `${what} does not block`, thread: threadName(st.after, st.invoker), state: tcbOf(st.after, st.invoker)?.state.tag };
  return same(st.before.objects[obj], st.after.objects[obj]) ? null : { promise: `${what} leaves the object as it was`, object: hex(obj) };
}

/** Signal through a notification cap (§5.2): wakes the first waiter with the badge, or ORs it in. */
function signal(st: SyscallStep, cap: Cap & { tag: 'NotificationCap' }): unknown | null {
  const was = st.before.objects[cap.ptr];
  const now = st.after.objects[cap.ptr];
  if (was?.tag !== 'Notification' || now?.tag !== 'Notification' || !cap.rights.write) return null;
  const bound = was.boundTCB === null ? undefined : tcbOf(st.before, was.boundTCB)?.state;
  if (was.state === 'Idle' && was.boundTCB !== null && bound?.tag === 'BlockedOnReceive') {
    // §5.3: a signal reaches the bound thread even while it receives from an endpoint.
    const t = was.boundTCB;
    const ep = st.after.objects[bound.ep];
    const d = tcbOf(st.after, t)?.delivered;
    return firstOf(
      () => (runnable(st.after, t) && d?.badge === (cap.badge >>> 0) ? null : { promise: 'a signal wakes the bound thread from its endpoint Recv with the badge', thread: threadName(st.after, t), state: tcbOf(st.after, t)?.state.tag, badge: cap.badge, got: d?.badge }),
      () => (ep?.tag === 'Endpoint' && ep.queue.includes(t) ? { promise: 'the woken bound thread leaves the endpoint queue', thread: threadName(st.after, t) } : null),
      () => (now.state === 'Active' ? { promise: 'a signal taken by the bound thread does not stay pending', word: now.word } : null),
    );
  }
  if (was.state === 'Waiting') {
    const w = was.queue[0];
    const d = tcbOf(st.after, w)?.delivered;
    if (!runnable(st.after, w) || d?.badge !== (cap.badge >>> 0)) return { promise: 'a signal wakes the first waiter with the badge', waiter: threadName(st.after, w), badge: cap.badge, got: d?.badge };
    return null;
  }
  const word = ((was.state === 'Active' ? was.word : 0) | cap.badge) >>> 0;
  return now.state === 'Active' && now.word >>> 0 === word ? null : { promise: 'with no waiter, a signal ORs the badge into the word', before: was.word, badge: cap.badge, after: now.word, state: now.state };
}

function send(st: SyscallStep): unknown | null {
  // An extra cap that fails to look up aborts the send (§4.2.3 Errors): nothing is delivered.
  if (st.extraCaps === null) return null;
  // A thread restarted while its fault was pending still carries the fault, and seL4 sends that
  // fault message instead of the thread's own (doIPCTransfer reads tcbFault): the manual does not
  // say so, and no row judges such a send (docs/contracts.md).
  if (tcbOf(st.before, st.invoker)?.fault != null) return null;
  const cap = st.target?.cap;
  if (cap?.tag === 'NotificationCap') return signal(st, cap);
  if (cap?.tag !== 'EndpointCap' || !cap.rights.write) return null;
  const r = waitingReceiver(st.before, cap.ptr);
  if (r === undefined) return noReceiver(st, cap);
  if (r === st.invoker) return null;
  const d = delivery(st, cap, r);
  if (d !== null || st.syscall !== 'Call') return d;
  const replies = st.changes.slots.filter((p) => {
    const c = capAt(st.after, p);
    return c.tag === 'ReplyCap' && !c.master && c.tcb === st.invoker && !same(c, capAt(st.before, p));
  });
  if (!cap.rights.grant && !cap.rights.grantReply) {
    if (replies.length > 0) return { promise: 'a Call through a cap without Grant or GrantReply leaves no reply cap', slots: replies.map(hex) };
    const t = tcbOf(st.after, st.invoker);
    return t === undefined || t.state.tag === 'Inactive' ? null : { promise: 'a Call without Grant or GrantReply leaves the caller suspended', state: t.state.tag };
  }
  const rs = tcbOf(st.before, r)?.state;
  const reply = capAt(st.after, r + SLOT_BYTES * TCB_SLOT.caller);
  const grant = rs?.tag === 'BlockedOnReceive' ? rs.canGrant : undefined;
  if (reply.tag !== 'ReplyCap' || reply.tcb !== st.invoker || (grant !== undefined && reply.canGrant !== grant)) {
    return { promise: 'a Call makes a reply cap to the caller in the receiver, with the Grant of the receiver\'s cap', receiver: threadName(st.after, r), reply, grant };
  }
  return tcbOf(st.after, st.invoker)?.state.tag === 'BlockedOnReply' ? null : { promise: 'the caller waits for the reply', state: tcbOf(st.after, st.invoker)?.state.tag };
}

/**
 * A send to an endpoint with no receiver waiting (§4.2; §2.2 NBSend): Send and Call wait at the
 * tail of the endpoint's send queue with the invoked cap's badge and rights; NBSend drops the
 * message and the sender runs on.
 */
function noReceiver(st: SyscallStep, cap: Cap & { tag: 'EndpointCap' }): unknown | null {
  if (st.syscall === 'NBSend') return runsOn(st, cap.ptr, 'an NBSend with no receiver waiting');
  const s = tcbOf(st.after, st.invoker)?.state;
  const ok = s?.tag === 'BlockedOnSend' && s.ep === cap.ptr && s.badge >>> 0 === cap.badge >>> 0 && s.isCall === (st.syscall === 'Call') &&
    s.canGrant === cap.rights.grant && s.canGrantReply === cap.rights.grantReply;
  if (!ok) return { promise: 'with no receiver waiting the sender waits on the endpoint with the cap\'s badge and rights', state: s, cap };
  return queuedAtTail(st, cap.ptr, 'Send');
}

/**
 * Recv / NBRecv: from an endpoint with a sender waiting, the first sender's message arrives with
 * the badge of the cap it sent through, caps only if that cap had Grant; a caller then waits for
 * the reply (Grant or GrantReply: a reply cap to it in the receiver) or is suspended; a plain
 * sender runs on. With no sender waiting a Recv blocks at the tail of the endpoint's queue and
 * an NBRecv runs on; an active bound notification is delivered first (§5.3). From an active
 * notification the receiver gets the word, which is cleared; an inactive one queues a Wait at its
 * tail and lets a Poll run on. Also the receive half of ReplyRecv (judged from the state before
 * the reply, which touches no endpoint or notification).
 */
function recv(st: SyscallStep): unknown | null {
  const cap = st.target?.cap;
  const me = tcbOf(st.before, st.invoker);
  if (me === undefined || !cap || !('rights' in cap) || typeof cap.rights !== 'object' || !cap.rights.read) return null;
  const blocking = st.syscall !== 'NBRecv';
  const d = tcbOf(st.after, st.invoker)?.delivered;
  if (cap.tag === 'NotificationCap') {
    const was = st.before.objects[cap.ptr];
    const now = st.after.objects[cap.ptr];
    if (was?.tag !== 'Notification' || now?.tag !== 'Notification') return null;
    // Only the bound thread may wait on a bound notification (§5.3): anyone else faults.
    if (was.boundTCB !== null && was.boundTCB !== st.invoker) {
      return d === tcbOf(st.before, st.invoker)?.delivered || same(d, tcbOf(st.before, st.invoker)?.delivered) ? null : { promise: 'only the bound thread may wait on a bound notification', thread: threadName(st.after, st.invoker) };
    }
    if (was.state !== 'Active') {
      if (!blocking) return runsOn(st, cap.ptr, 'a Poll with no signal pending');
      const s = tcbOf(st.after, st.invoker)?.state;
      if (s?.tag !== 'BlockedOnNotification' || s.ntfn !== cap.ptr) return { promise: 'a Wait with no signal pending blocks on the notification', state: s };
      return queuedAtTail(st, cap.ptr, 'Waiting');
    }
    return firstOf(
      () => (d?.badge === was.word >>> 0 ? null : { promise: 'a wait on an active notification gets its word', word: was.word, got: d?.badge }),
      () => (now.state !== 'Active' ? null : { promise: 'the word is cleared once delivered', after: now.word }),
    );
  }
  if (cap.tag !== 'EndpointCap') return null;
  const ep = st.before.objects[cap.ptr];
  if (ep?.tag !== 'Endpoint') return null;
  const bound = me.boundNotification === null ? undefined : st.before.objects[me.boundNotification];
  if (bound?.tag === 'Notification' && bound.state === 'Active') {
    // §5.3: a pending signal of the bound notification arrives instead of any message.
    const nb = st.after.objects[me.boundNotification!];
    return firstOf(
      () => (d?.badge === bound.word >>> 0 && runnable(st.after, st.invoker) ? null : { promise: 'a Recv with its bound notification active gets the word at once', word: bound.word, got: d?.badge, state: tcbOf(st.after, st.invoker)?.state.tag }),
      () => (nb?.tag === 'Notification' && nb.state !== 'Active' ? null : { promise: 'the bound notification\'s word is cleared once delivered', ntfn: hex(me.boundNotification!) }),
      () => (same(ep, st.after.objects[cap.ptr]) ? null : { promise: 'a Recv served by its bound notification leaves the endpoint as it was', ep: hex(cap.ptr) }),
    );
  }
  if (ep.state !== 'Send') {
    if (!blocking) return runsOn(st, cap.ptr, 'an NBRecv with no sender waiting');
    const s = tcbOf(st.after, st.invoker)?.state;
    if (s?.tag !== 'BlockedOnReceive' || s.ep !== cap.ptr || s.canGrant !== cap.rights.grant) return { promise: 'a Recv with no sender waiting blocks on the endpoint, with its cap\'s Grant', state: s };
    return queuedAtTail(st, cap.ptr, 'Recv');
  }
  const s = ep.queue[0];
  const ss = tcbOf(st.before, s)?.state;
  if (ss?.tag !== 'BlockedOnSend' || tcbOf(st.before, s)!.fault !== null) return null;
  const after = tcbOf(st.after, s);
  return firstOf(
    () => (d?.badge === ss.badge >>> 0 ? null : { promise: 'the receiver gets the badge the sender sent with', sender: threadName(st.after, s), badge: ss.badge, got: d?.badge }),
    () => (ss.canGrant || (d?.info?.extraCaps ?? 0) === 0 ? null : { promise: 'no caps arrive from a sender without Grant', extraCaps: d?.info?.extraCaps }),
    () => {
      if (after === undefined) return null;
      if (!ss.isCall) return runnable(st.after, s) ? null : { promise: 'a sender whose message was taken runs on', sender: threadName(st.after, s), state: after.state.tag };
      if (!ss.canGrant && !ss.canGrantReply) return after.state.tag === 'Inactive' ? null : { promise: 'a caller without Grant or GrantReply is suspended once its message is taken', state: after.state.tag };
      const rc = capAt(st.after, st.invoker + SLOT_BYTES * TCB_SLOT.caller);
      const ok = after.state.tag === 'BlockedOnReply' && rc.tag === 'ReplyCap' && rc.tcb === s && rc.canGrant === cap.rights.grant;
      return ok ? null : { promise: 'a caller waits for the reply, and the receiver holds a reply cap to it with its own cap\'s Grant', state: after.state.tag, reply: rc };
    },
  );
}

/** Reply (and the reply half of ReplyRecv): through the caller slot's reply cap, consumed. */
function reply(st: SyscallStep): unknown | null {
  const slot = st.invoker + SLOT_BYTES * TCB_SLOT.caller;
  const rc = capAt(st.before, slot);
  if (rc.tag !== 'ReplyCap') return null;
  const target = tcbOf(st.before, rc.tcb);
  if (target?.state.tag !== 'BlockedOnReply') return null;
  const now = tcbOf(st.after, rc.tcb);
  const kept = capAt(st.after, slot);
  const consumed = (): unknown | null => (kept.tag === 'ReplyCap' && same(kept, rc) ? { promise: 'a reply consumes the reply cap', slot: hex(slot) } : null);
  if (target.fault !== null) return firstOf(consumed, () => faultReply(st, rc.tcb, target.fault!));
  return firstOf(
    consumed,
    () => (now === undefined || runnable(st.after, rc.tcb) ? null : { promise: 'the caller runs again after the reply', caller: threadName(st.after, rc.tcb), state: now.state.tag }),
    () => (rc.canGrant || (now?.delivered.info?.extraCaps ?? 0) === 0 ? null : { promise: 'caps arrive with a reply only through a reply cap with Grant', extraCaps: now?.delivered.info?.extraCaps }),
  );
}

/**
 * A reply to a fault message (§6.2): a cap or VM fault's thread is restarted; after an
 * unknown-syscall or user-exception fault the thread is restarted only when the reply's label is
 * 0, and the first `length` registers of the fault message take the reply's words (§6.2.2, §6.2.3;
 * the CPSR sanitised as the architecture requires). Either way the fault is gone.
 */
function faultReply(st: SyscallStep, t: PPtr, fault: NonNullable<TCB['fault']>): unknown | null {
  const now = tcbOf(st.after, t);
  if (now === undefined) return null;
  if (now.fault !== null) return { promise: 'a reply to a fault clears it', thread: threadName(st.after, t) };
  const regs = fault.tag === 'UnknownSyscall' ? UNKNOWN_SYSCALL_REGISTERS : fault.tag === 'UserException' ? USER_EXCEPTION_REGISTERS : null;
  const restart = regs === null || st.info.label === 0;
  if (runnable(st.after, t) !== restart || (!restart && now.state.tag !== 'Inactive')) {
    return { promise: regs === null ? 'a reply to a cap or VM fault restarts the thread' : 'a reply to this fault restarts the thread only with label 0', fault: fault.tag, label: st.info.label, state: now.state.tag };
  }
  for (let i = 0; regs !== null && i < regs.length; i++) {
    const w = st.word(i);
    if (w === undefined) break;
    const got = now.registers[regs[i]] ?? 0;
    if (got >>> 0 !== sanitiseRegister(regs[i], w)) return { promise: 'the reply\'s words go into the registers of the fault message', index: i, register: regs[i], word: w, got };
  }
  return null;
}

/**
 * Faults (§6.2): delivered as if the faulting thread called its fault endpoint, which must be an
 * endpoint cap with Write and Grant or GrantReply; otherwise the thread is suspended and nothing is
 * sent. Judged for user exceptions and unknown syscalls (whose handler lookup needs no MMU).
 */
function fault(ctx: StepContext): unknown | null {
  const { before, event } = ctx;
  const t = before.curThread;
  if (t === before.idleThread) return null;
  const isFault = event.tag === 'exception' || (event.tag === 'syscall' && syscallOfWord(event.number) === undefined);
  if (!isFault) return null;
  const exception = event.tag === 'exception';
  return faultSent(ctx, t, exception ? FAULT_TYPES.UserException : FAULT_TYPES.UnknownSyscall, (mrs, length) => {
    // The registers as the thread left them (a blocked fault sender's registers do not change),
    // then the syscall number, or the exception's number (its code is the architecture's).
    const regs = tcbOf(ctx.after, t)?.registers ?? [];
    const want = exception
      ? [...USER_EXCEPTION_REGISTERS.map((r) => regs[r] ?? 0), event.code]
      : [...UNKNOWN_SYSCALL_REGISTERS.map((r) => regs[r] ?? 0), event.tag === 'syscall' ? event.number : 0];
    const full = want.length + (exception ? 1 : 0);
    if (length !== full && length !== N_MSG_REGISTERS) return { promise: 'the fault message has the manual\'s length (cut to the message registers without an IPC buffer)', length, want: full };
    for (let i = 0; i < Math.min(mrs.length, want.length); i++) {
      if (mrs[i] >>> 0 !== want[i] >>> 0) return { promise: exception ? 'a user exception message carries FaultIP, SP, CPSR and the exception number' : 'an unknown syscall message carries r0-r7, FaultIP, SP, LR, CPSR and the syscall number', index: i, want: want[i] >>> 0, got: mrs[i] >>> 0 };
    }
    return null;
  });
}

/**
 * What a fault of thread `t` does (§6.2): with a handler cap of Write and Grant or GrantReply the
 * thread waits on it as a caller, and a receiver already waiting there gets the message with the
 * cap's badge and the fault's label (`words` judges its words); otherwise the thread is suspended
 * and nothing is sent.
 */
function faultSent(ctx: StepContext, t: PPtr, label: number, words: (mrs: readonly number[], length: number) => unknown | null, replied?: PPtr): unknown | null {
  const { before, after } = ctx;
  const tcb = tcbOf(before, t);
  if (tcb === undefined || tcb.fault !== null) return null;
  const h = resolveInThread(before, t, tcb.faultHandler)?.cap;
  const valid = h?.tag === 'EndpointCap' && h.rights.write && (h.rights.grant || h.rights.grantReply);
  const now = tcbOf(after, t);
  if (now === undefined) return null;
  if (!valid) {
    if (now.state.tag !== 'Inactive') return { promise: 'without a valid fault handler the thread is suspended', thread: threadName(after, t), state: now.state.tag };
    const told = Object.keys(after.objects).map(Number).filter((p) => p !== t && p !== replied && tcbOf(before, p) !== undefined && !same(tcbOf(before, p)!.delivered, tcbOf(after, p)?.delivered));
    return told.length === 0 ? null : { promise: 'without a valid fault handler nothing is sent', receivers: told.map((p) => threadName(after, p)) };
  }
  const st = now.state;
  const blocked = (st.tag === 'BlockedOnSend' && st.ep === h.ptr) || st.tag === 'BlockedOnReply';
  if (!blocked) return { promise: 'a faulting thread waits on its handler as a caller', thread: threadName(after, t), state: st.tag };
  const r = waitingReceiver(before, h.ptr);
  if (r === undefined || r === t) return null;
  const d = tcbOf(after, r)?.delivered;
  if (d?.info?.label !== label || d.badge !== (h.badge >>> 0)) return { promise: 'the handler receives the fault message with the handler cap\'s badge', receiver: threadName(after, r), label: d?.info?.label, want: label, badge: d?.badge };
  return words(d.mrs ?? [], d.info.length);
}

/**
 * Cap faults (§6.2.1): a Send or Call whose cap (or an extra cap) fails to look up, and a Recv
 * or NBRecv (or the receive half of ReplyRecv) on a cap that does not exist, is neither an
 * endpoint nor a notification cap, lacks Read, or names a notification bound to another thread
 * (§5.3), deliver a CapFault to the thread's handler; the message carries the cap address and
 * whether the fault was in the receive phase. NBSend fails silently.
 */
function capFault(ctx: StepContext): unknown | null {
  const st = decodeStep(ctx);
  if (st.kind !== 'syscall' || ctx.event.tag !== 'syscall') return null;
  const cptr = ctx.event.cap >>> 0;
  let address: number | undefined;
  let phase: 0 | 1;
  if (st.syscall === 'Send' || st.syscall === 'Call') {
    if (st.target === null) address = cptr;
    else if (st.extraCaps !== null) return null;
    phase = 0;
  } else if (st.syscall === 'Recv' || st.syscall === 'NBRecv' || st.syscall === 'ReplyRecv') {
    const c = st.target?.cap;
    const n = c?.tag === 'NotificationCap' ? st.before.objects[c.ptr] : undefined;
    const ok = (c?.tag === 'EndpointCap' && c.rights.read) ||
      (c?.tag === 'NotificationCap' && c.rights.read && n?.tag === 'Notification' && (n.boundTCB === null || n.boundTCB === st.invoker));
    if (ok) return null;
    address = cptr;
    phase = 1;
  } else {
    return null;
  }
  // The reply half of a ReplyRecv delivers to the caller before the receive half faults.
  const rc = capAt(st.before, st.invoker + SLOT_BYTES * TCB_SLOT.caller);
  const replied = st.syscall === 'ReplyRecv' && rc.tag === 'ReplyCap' ? rc.tcb : undefined;
  return faultSent(ctx, st.invoker, FAULT_TYPES.CapFault, (mrs) => {
    const pc = tcbOf(ctx.after, st.invoker)?.registers[REG.pc] ?? 0;
    if (mrs.length > 0 && mrs[0] >>> 0 !== pc >>> 0) return { promise: 'a cap fault message starts with the restart address', want: pc, got: mrs[0] };
    if (address !== undefined && mrs.length > 1 && mrs[1] >>> 0 !== address) return { promise: 'a cap fault message carries the cap address', address, got: mrs[1] };
    return mrs.length > 2 && mrs[2] !== phase ? { promise: 'a cap fault message says whether it happened in the receive phase', phase, got: mrs[2] } : null;
  }, replied);
}

const sys = (syscall: 'Send' | 'NBSend' | 'Call' | 'Reply' | 'ReplyRecv' | 'Recv' | 'NBRecv', section: string, promise: string, check: (st: SyscallStep) => unknown | null): Contract =>
  ({ kind: 'syscall', name: `contract-${syscall}`, syscall, section, promise, check });

export const IPC_CONTRACTS: readonly Contract[] = [
  sys('Send', '§2.2 System Calls; §4.2.1 Endpoint Badges; §4.2.2 Capability Transfer; §5.2 Signalling, Polling and Waiting',
    'a waiting receiver gets the message with the invoked cap\'s badge and the sender\'s label; caps only with Grant, at most one into the receive slot, unwrapping only caps to the same endpoint; a signal wakes the first waiter with the badge or ORs it into the word', send),
  sys('NBSend', '§2.2 System Calls; §4.2.2 Capability Transfer; §5.2 Signalling, Polling and Waiting', 'as Send, delivered only to a receiver already waiting', send),
  sys('Call', '§2.2 System Calls; §4.2.4 Calling and Replying', 'as Send; with Grant or GrantReply the receiver gets a reply cap to the caller (Grant from the receiver\'s cap) and the caller waits; without them no reply cap and the caller is suspended', send),
  sys('Reply', '§2.2 System Calls; §4.2.4 Calling and Replying', 'the reply cap is consumed, the caller runs again, caps arrive only if the reply cap has Grant', reply),
  sys('ReplyRecv', '§2.2 System Calls; §4.2 Endpoints; §4.2.4 Calling and Replying', 'the reply half as Reply, then the receive half as Recv', (st) => reply(st) ?? recv(st)),
  sys('Recv', '§2.2 System Calls; §4.2.2 Capability Transfer; §4.2.4 Calling and Replying; §5.2 Signalling, Polling and Waiting',
    'the first waiting sender\'s message arrives with its badge, caps only if it sent with Grant; a caller then waits for the reply (reply cap in the receiver, Grant from the receive cap) or is suspended; an active notification\'s word arrives and is cleared; only its bound thread may wait on a bound notification', recv),
  sys('NBRecv', '§2.2 System Calls; §5.2 Signalling, Polling and Waiting', 'as Recv when a sender or signal is already there', recv),
  { kind: 'event', name: 'contract-CapFault', section: '§6.2.1 Capability Faults; §5.3 Binding Notifications', promise: 'a failed cap lookup in Send/Call, or a Recv/NBRecv on a cap that is not a readable endpoint or notification (or a notification bound to another thread), sends a CapFault with the cap address and the phase to the handler; without a valid handler the thread is suspended', check: capFault },
  { kind: 'event', name: 'contract-Fault', section: '§6.2 Faults; §6.2.2 Unknown Syscall; §6.2.3 User Exception', promise: 'a fault goes as a Call to a handler cap with Write and Grant or GrantReply, its message the registers in the manual\'s order and then the syscall or exception number, at the manual\'s length; otherwise the thread is Inactive and nothing is sent', check: fault },
];
