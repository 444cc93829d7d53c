// The IRQ handler methods and the two kinds of interrupt (§8.1 "Interrupt Delivery": a line with a
// handler notification signals it, and is not delivered again until the handler acknowledges it;
// the timer's ticks charge the running thread's timeslice, §6.1.6), and the syscalls with a
// promise of their own (Yield).

import type { KernelState } from '../../spec';
import type { PPtr } from '../../spec/api/types';
import type { Notification } from '../../spec/object/structures';
import { KERNEL_LAYOUT } from '../../abi/boot';
import { hex, isRunnableTCB, tcbAt, threadName } from '../invariants/changes';
import type { StepContext } from '../invariants/types';
import type { Invocation, SyscallStep } from './decode';
import { capAt, SLOT_BYTES } from './cspace';
import { firstOf, globalsChanged } from './frame';
import type { Contract, MethodContract } from './types';
import { IRQ_GET_CONTRACT } from './vspace';

/** The IRQ node slot of a line: where the kernel keeps the notification cap it signals. */
const irqSlot = (irq: number): PPtr => KERNEL_LAYOUT.irqNode + SLOT_BYTES * irq;

const handlerIRQ = (inv: Invocation): number | null => (inv.target.cap.tag === 'IRQHandlerCap' ? inv.target.cap.irq : null);

/**
 * Ack: the kernel may deliver the line again — it is unmasked, unless a raise that was pending
 * is delivered at once (then it is masked again and no longer pending).
 */
function ack(inv: Invocation): unknown | null {
  const irq = handlerIRQ(inv);
  if (irq === null) return null;
  if (!inv.after.irqMasked[irq]) return null;
  if (inv.before.irqPending[irq] && !inv.after.irqPending[irq]) return null;
  return { promise: 'an acknowledged line is unmasked', irq };
}

/** SetNotification: the line's notification is a copy of the cap given (same object, badge and rights), which has Write. */
function setNotification(inv: Invocation): unknown | null {
  const irq = handlerIRQ(inv);
  const given = inv.capArg('notification')?.cap;
  if (irq === null || given === undefined) return null;
  const now = capAt(inv.after, irqSlot(irq));
  return firstOf(
    () => (given.tag === 'NotificationCap' && given.rights.write ? null : { promise: 'only a notification cap with Write is accepted', given }),
    () => (now.tag === 'NotificationCap' && given.tag === 'NotificationCap' && now.ptr === given.ptr && now.badge === given.badge && now.rights.write === given.rights.write && now.rights.read === given.rights.read
      ? null : { promise: 'the line signals a copy of the notification cap given', irq, given, got: now }),
  );
}

/** Clear: the line has no notification any more. */
function clear(inv: Invocation): unknown | null {
  const irq = handlerIRQ(inv);
  if (irq === null) return null;
  const now = capAt(inv.after, irqSlot(irq));
  return now.tag === 'NullCap' ? null : { promise: 'a cleared line signals no notification', irq, got: now };
}

const irqRow = (method: MethodContract['method'], section: string, promise: string, success: MethodContract['success']): MethodContract =>
  ({ kind: 'method', name: `contract-${method}`, method, section, promise, success });

export const IRQ_CONTRACTS: readonly MethodContract[] = [
  IRQ_GET_CONTRACT,
  irqRow('IRQHandler_Ack', '§8.1 Interrupt Delivery; API IRQHandler_Ack', 'the kernel may deliver the line again: it is unmasked (or a pending raise is delivered at once)', ack),
  irqRow('IRQHandler_SetNotification', '§8.1 Interrupt Delivery; API IRQHandler_SetNotification', 'only a notification cap with Write is accepted; the line then signals a copy of it', setNotification),
  irqRow('IRQHandler_Clear', '§8.1 Interrupt Delivery; API IRQHandler_Clear', 'the line no longer has a notification', clear),
];

/** Whether the kernel entry of this event can take lines other than `line` (pending and unmasked ones). */
function othersPending(s: KernelState, line: number): boolean {
  for (let i = 0; i < s.irqPending.length; i++) if (i !== line && s.irqPending[i] && !s.irqMasked[i]) return true;
  return false;
}

/**
 * An interrupt on a line issued to a handler (§8.1): if the line is not masked, the kernel
 * signals the notification the handler set with that cap's badge — the first waiter receives the
 * badge, or the thread bound to the notification and waiting in Recv does, or the badge is ORed
 * into the word (§5.2) — and masks the line until the handler acknowledges it. Judged when no
 * other line is taken in the same entry.
 */
function interrupt(ctx: StepContext): unknown | null {
  const { before, after, event } = ctx;
  if (event.tag !== 'irq') return null;
  const line = event.line;
  if (before.irqStates[line] !== 'Signal' || before.irqMasked[line] || othersPending(before, line)) return null;
  if (!after.irqMasked[line]) return { promise: 'a delivered line is masked until its handler acknowledges it', irq: line };
  const cap = capAt(before, irqSlot(line));
  if (cap.tag !== 'NotificationCap' || !cap.rights.write) return null;
  const b = cap.badge >>> 0;
  const n = before.objects[cap.ptr];
  const nAfter = after.objects[cap.ptr];
  if (n?.tag !== 'Notification' || nAfter?.tag !== 'Notification') return null;
  const waiter = n.state === 'Waiting' ? n.queue[0] : undefined;
  const bound = n.boundTCB === null ? undefined : tcbAt(before, n.boundTCB);
  const receiver = waiter ?? (bound?.state.tag === 'BlockedOnReceive' && n.state !== 'Active' ? n.boundTCB! : undefined);
  if (receiver !== undefined) {
    const d = tcbAt(after, receiver)?.delivered;
    return d?.badge === b ? null : { promise: 'the notification\'s waiter receives the line\'s badge', irq: line, receiver: threadName(after, receiver), badge: b, got: d?.badge };
  }
  return signalled(nAfter, b) ? null : { promise: 'the line\'s badge is ORed into the notification word', irq: line, notification: hex(cap.ptr), badge: b, word: nAfter.word, state: nAfter.state };
}

const signalled = (n: Notification, badge: number): boolean => n.state === 'Active' && ((n.word >>> 0) & badge) === badge;

/**
 * A timer tick (§6.1.6 with seL4's non-MCS timeslices): the running thread is charged one tick;
 * when its last one is used it gets a full timeslice and goes behind the other ready threads of
 * its priority. Judged for single ticks with no other line taken in the same entry.
 */
function tick(ctx: StepContext): unknown | null {
  const { before, after, event } = ctx;
  if (event.tag !== 'tick' || event.count !== 1) return null;
  const c = before.curThread;
  const was = tcbAt(before, c);
  const now = tcbAt(after, c);
  if (c === before.idleThread || was === undefined || now === undefined || was.state.tag !== 'Running') return null;
  if (othersPending(before, -1)) return null;
  if (was.timeSlice > 1) return now.timeSlice === was.timeSlice - 1 ? null : { promise: 'a tick takes one from the running thread\'s timeslice', thread: threadName(after, c), was: was.timeSlice, now: now.timeSlice };
  return firstOf(
    () => (now.timeSlice === after.config.timeslice ? null : { promise: 'a thread whose timeslice ran out gets a full one', thread: threadName(after, c), timeslice: after.config.timeslice, now: now.timeSlice }),
    () => {
      if (after.curThread !== c) return null;
      const peers = (before.readyQueues[was.priority] ?? []).filter((p) => p !== c && isRunnableTCB(before, p));
      return peers.length === 0 ? null : { promise: 'a thread whose timeslice ran out lets a ready thread of its priority run', thread: threadName(after, c), ready: peers.map((p) => threadName(after, p)) };
    },
    () => {
      if (after.curThread === c || now.priority !== was.priority) return null;
      const q = (after.readyQueues[now.priority] ?? []).filter((p) => isRunnableTCB(after, p));
      return q.length === 0 || q[q.length - 1] === c ? null : { promise: 'a thread whose timeslice ran out goes behind the ready threads of its priority', thread: threadName(after, c), queue: q.map((p) => threadName(after, p)) };
    },
  );
}

export const INTERRUPT_CONTRACTS: readonly Contract[] = [
  { kind: 'event', name: 'contract-Interrupt', section: '§8.1 Interrupt Delivery; §5.2 Signalling, Polling and Waiting', promise: 'an unmasked line with a handler notification signals it with that cap\'s badge, then stays masked until acknowledged', check: interrupt },
  { kind: 'event', name: 'contract-Tick', section: '§6.1.6 Scheduling (non-MCS timeslices)', promise: 'a tick charges the running thread one tick; at the last it gets a full timeslice and goes behind its priority\'s ready threads', check: tick },
];


/**
 * Yield (§2.2 System Calls): the thread gives up the rest of its timeslice to the threads of its
 * own priority: afterwards it is last in its priority's ready queue (or still running when it is
 * alone there), and no cap or object changed.
 */
function yieldCheck(st: SyscallStep): unknown | null {
  const { before, after, invoker } = st;
  const t = after.objects[invoker];
  if (t?.tag !== 'TCB') return null;
  const c = st.changes;
  if (c.slots.length > 0) return { promise: 'Yield changes no cap', slotsChanged: c.slots.length };
  const q = after.readyQueues[t.priority] ?? [];
  // Only runnable peers count: under lazy scheduling a queue may hold threads that are blocked.
  const peers = (before.readyQueues[t.priority] ?? []).filter((x) => {
    const p = before.objects[x];
    return x !== invoker && p?.tag === 'TCB' && (p.state.tag === 'Running' || p.state.tag === 'Restart');
  });
  if (after.curThread === invoker) {
    if (peers.length === 0 || globalsChanged(before, after).includes('irqPending')) return null;
    return { promise: 'Yield lets a ready thread of the same priority run', thread: threadName(after, invoker), ready: peers.map((p) => threadName(after, p)) };
  }
  if (q.length > 0 && q[q.length - 1] !== invoker && q.includes(invoker)) return { promise: 'a yielding thread goes last in its priority\'s queue', queue: q.map((p) => threadName(after, p)) };
  return null;
}

export const SYSCALL_CONTRACTS: readonly Contract[] = [
  { kind: 'syscall', name: 'contract-Yield', syscall: 'Yield', section: '§2.2 System Calls', promise: 'the thread goes last among the ready threads of its priority; nothing else changes', check: yieldCheck },
];

