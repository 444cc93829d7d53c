// seL4's own structural invariants (l4v proof/invariant-abstract/Invariants_AI.thy, sel4-facts
// §13): state/queue symmetry (sym_refs with valid_ep/valid_ntfn), bound-notification symmetry,
// valid_idle with only_idle, cur_tcb with the current thread runnable or idle, and
// valid_irq_handlers. Each runs on the objects and slots a step changed (found by reference,
// changes.ts) and in full at boot and periodically.

import { timerIrq } from '../../abi/config';
import type { KernelState } from '../../spec';
import type { PPtr } from '../../spec/api/types';
import { irqNodeSlot } from '../../spec/object/interrupt';
import { type StepChanges, type StateInvariant, hex, incrementalInvariant, tcbAt, threadName } from './changes';

/** The endpoint or notification a thread state says the thread is queued on, with the queue kind. */
export function blockedOn(s: KernelState, t: PPtr): { obj: PPtr; kind: 'Send' | 'Recv' | 'Waiting' } | null {
  const st = tcbAt(s, t)?.state;
  if (st === undefined) return null;
  switch (st.tag) {
    case 'BlockedOnSend':
      return { obj: st.ep, kind: 'Send' };
    case 'BlockedOnReceive':
      return { obj: st.ep, kind: 'Recv' };
    case 'BlockedOnNotification':
      return { obj: st.ntfn, kind: 'Waiting' };
    default:
      return null;
  }
}

/** The queue of an endpoint or notification and its state ('Send', 'Recv', 'Waiting', 'Idle', 'Active'). */
function queueOf(s: KernelState, p: PPtr): { state: string; queue: PPtr[] } | null {
  const o = s.objects[p];
  if (o?.tag === 'Endpoint') return { state: o.state, queue: o.queue };
  if (o?.tag === 'Notification') return { state: o.state, queue: o.queue };
  return null;
}

/** What is wrong with an endpoint's or notification's queue (l4v valid_ep/valid_ntfn with sym_refs), or null (also for other objects). */
export function checkQueue(s: KernelState, p: PPtr): unknown | null {
  const q = queueOf(s, p);
  if (q === null) return null;
  const queued = q.state === 'Send' || q.state === 'Recv' || q.state === 'Waiting';
  if (queued !== q.queue.length > 0) return { object: hex(p), state: q.state, queue: q.queue.map(hex), problem: 'a queue is non-empty exactly when the object is Send, Recv or Waiting' };
  if (new Set(q.queue).size !== q.queue.length) return { object: hex(p), queue: q.queue.map(hex), problem: 'a thread is queued twice' };
  for (const t of q.queue) {
    const b = blockedOn(s, t);
    if (b === null || b.obj !== p || b.kind !== q.state) {
      return { object: hex(p), queueState: q.state, thread: threadName(s, t), threadState: tcbAt(s, t)?.state ?? 'no TCB', problem: 'a queued thread is not blocked on this queue' };
    }
  }
  return null;
}

function checkThreadQueued(s: KernelState, t: PPtr): unknown | null {
  const b = blockedOn(s, t);
  if (b === null) return null;
  const q = queueOf(s, b.obj);
  if (q === null || q.state !== b.kind || !q.queue.includes(t)) {
    return { thread: threadName(s, t), state: tcbAt(s, t)?.state, object: hex(b.obj), objectState: q?.state ?? 'missing', problem: 'a blocked thread is not in the queue it is blocked on' };
  }
  return null;
}

/** sym_refs (state_refs_of): queued ⇔ blocked on that queue; valid_ep / valid_ntfn queue shape. */
export const symRefs: StateInvariant = incrementalInvariant(
  'sym-refs',
  'a thread is in an endpoint/notification queue exactly when its state says it is blocked there; queues are non-empty exactly in the Send/Recv/Waiting states and hold no thread twice (l4v sym_refs, valid_ep, valid_ntfn)',
  (s, c, before) => {
    for (const p of c.objects) {
      const o = s.objects[p];
      // A thread that left (or was deleted from) a queue: that queue must no longer list it.
      const was = before === null ? null : blockedOn(before, p);
      if (was !== null) {
        const e = checkQueue(s, was.obj);
        if (e !== null) return e;
      }
      // Threads that left a queue: they must no longer claim to be blocked there.
      const old = before === null ? null : queueOf(before, p);
      if (old !== null) {
        for (const t of old.queue) {
          const e = checkThreadQueued(s, t);
          if (e !== null) return e;
        }
      }
      if (o === undefined) continue;
      const e = o.tag === 'TCB' ? checkThreadQueued(s, p) : checkQueue(s, p);
      if (e !== null) return e;
    }
    return null;
  },
);

/** TCB bound to n ⇔ n bound to TCB (TCBBound / NTFNBound refs). */
export const boundNotificationSymmetry: StateInvariant = incrementalInvariant(
  'bound-notification-symmetry',
  'a thread is bound to a notification exactly when that notification is bound to it, and both exist (l4v sym_refs TCBBound/NTFNBound, valid_ntfn)',
  (s, c, before) => {
    const objs = c.objects.slice();
    // The other end of a binding that changed must be looked at too.
    if (before !== null) {
      for (const p of c.objects) {
        const o = before.objects[p];
        if (o?.tag === 'TCB' && o.boundNotification !== null) objs.push(o.boundNotification);
        if (o?.tag === 'Notification' && o.boundTCB !== null) objs.push(o.boundTCB);
      }
    }
    for (const p of objs) {
      const o = s.objects[p];
      if (o?.tag === 'TCB' && o.boundNotification !== null) {
        const n = s.objects[o.boundNotification];
        if (n?.tag !== 'Notification' || n.boundTCB !== p) return { thread: threadName(s, p), boundNotification: hex(o.boundNotification), notificationBoundTCB: n?.tag === 'Notification' && n.boundTCB !== null ? hex(n.boundTCB) : null };
      } else if (o?.tag === 'Notification' && o.boundTCB !== null) {
        const t = tcbAt(s, o.boundTCB);
        if (t === undefined || t.boundNotification !== p) return { notification: hex(p), boundTCB: hex(o.boundTCB), threadBoundNotification: t?.boundNotification ?? null };
        if (o.queue.some((t) => t !== o.boundTCB)) return { notification: hex(p), problem: 'a bound notification has a waiter other than its bound thread (l4v valid_ntfn: bound ⇒ queue = [boundTCB])', queue: o.queue.map(hex) };
      }
    }
    return null;
  },
);

/** valid_idle ∧ only_idle, and the idle thread is never queued. */
export const validIdle: StateInvariant = incrementalInvariant(
  'valid-idle',
  'the idle thread exists, is Idle, unbound and never in a ready queue, and no other thread is Idle (l4v valid_idle, only_idle, valid_queues)',
  (s, c) => {
    const idle = tcbAt(s, s.idleThread);
    if (idle === undefined) return { idleThread: hex(s.idleThread), problem: 'no idle TCB' };
    if (idle.state.tag !== 'Idle' || idle.boundNotification !== null) return { state: idle.state.tag, boundNotification: idle.boundNotification };
    if (c.readyQueues) for (const q of Object.values(s.readyQueues)) if (q.includes(s.idleThread)) return { problem: 'the idle thread is in a ready queue' };
    for (const p of c.objects) {
      if (p !== s.idleThread && tcbAt(s, p)?.state.tag === 'Idle') return { thread: threadName(s, p), problem: 'a thread other than idle is Idle (only_idle)' };
    }
    return null;
  },
);

/** cur_tcb, and ct_running ∨ ct_idle at kernel exit. */
export const curThreadRunnable: StateInvariant = incrementalInvariant(
  'cur-thread-runnable-or-idle',
  'between kernel entries the current thread is a TCB that is Running, or the idle thread (l4v cur_tcb, ct_running ∨ ct_idle)',
  (s) => {
    const t = tcbAt(s, s.curThread);
    if (t === undefined) return { curThread: hex(s.curThread), problem: 'the current thread is not a TCB' };
    if (s.curThread === s.idleThread) return null;
    return t.state.tag === 'Running' ? null : { thread: threadName(s, s.curThread), state: t.state.tag };
  },
);

/**
 * valid_irq_states with seL4's boot layout of states: the platform's timer line, and no other, is
 * in state Timer (init_irqs sets it, and no invocation changes a Timer line), and every Inactive
 * line is masked. Null when the states hold; run when the state or mask tables changed.
 */
function irqStatesProblem(s: KernelState): object | null {
  const timer = timerIrq(s.config);
  if (s.irqStates.length !== s.config.irqLines) return { irqLines: s.config.irqLines, states: s.irqStates.length, problem: 'the state table does not have a state per line' };
  for (let l = 0; l < s.irqStates.length; l++) {
    const st = s.irqStates[l];
    if ((st === 'Timer') !== (l === timer)) return { irq: l, irqState: st, timerIrq: timer, problem: l === timer ? "the timer's line is not in state Timer" : 'a device line is in state Timer' };
    if (st === 'Inactive' && !s.irqMasked[l]) return { irq: l, irqState: st, problem: 'an Inactive line is unmasked' };
  }
  return null;
}

/** valid_irq_handlers: every IRQHandler cap names an issued (Signal) line; the line states as above. */
export const validIrqHandlers: StateInvariant = incrementalInvariant(
  'valid-irq-handlers',
  "every IRQHandler cap names an existing line in state Signal, every IRQ-node slot holds a notification cap or nothing, the platform's timer line and no other is in state Timer, and Inactive lines are masked (l4v valid_irq_handlers, valid_irq_node, valid_irq_states)",
  (s, c, before) => {
    if (before === null || before.irqStates !== s.irqStates || before.irqMasked !== s.irqMasked) {
      const problem = irqStatesProblem(s);
      if (problem !== null) return problem;
    }
    const nodeEnd = irqNodeSlot(s.config.irqLines);
    const slots = before !== null && before.irqStates !== s.irqStates ? Object.keys(s.ctes).map(Number) : c.slots;
    for (const slot of slots) {
      const cte = s.ctes[slot];
      if (cte === undefined) continue;
      if (cte.cap.tag === 'IRQHandlerCap' && s.irqStates[cte.cap.irq] !== 'Signal') return { slot: hex(slot), irq: cte.cap.irq, irqState: s.irqStates[cte.cap.irq] ?? 'no such line' };
      if (slot >= irqNodeSlot(0) && slot < nodeEnd && cte.cap.tag !== 'NotificationCap') return { slot: hex(slot), cap: cte.cap.tag, problem: 'an IRQ-node slot holds a non-notification cap' };
    }
    return null;
  },
);

/** Issued lines without any handler cap are allowed (seL4 keeps the state until the handler is deleted). */
export const STRUCTURAL_INVARIANTS: StateInvariant[] = [symRefs, boundNotificationSymmetry, validIdle, curThreadRunnable, validIrqHandlers];

export type { StepChanges };
