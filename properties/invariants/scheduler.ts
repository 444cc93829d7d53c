// The bounded scheduler (DESIGN §4; seed talk: "Benno" scheduling instead of lazy scheduling):
// the Benno invariant on the ready queues (l4v DetSchedInvs_AI.thy valid_queues, ct_not_in_q,
// valid_blocked), the highest-priority runnable thread runs, round robin within a priority, and
// the impl's scheduler work per kernel entry below a constant that does not grow with the number
// of threads — the check that catches lazy scheduling, whose chooseThread walks the blocked
// threads left in the queues.

import type { KernelState } from '../../spec';
import type { PPtr } from '../../spec/api/types';
import { isRunnable } from '../../spec/api/types';
import type { Invariant, StepContext } from './types';
import { type StateInvariant, hex, incrementalInvariant, isRunnableTCB, queuedPriorities, tcbAt, threadName } from './changes';

const isLazy = (s: KernelState): boolean => s.config.variant.scheduler === 'lazy';

function checkQueueEntries(s: KernelState, prio: number): unknown | null {
  const q = s.readyQueues[prio] ?? [];
  if (new Set(q).size !== q.length) return { priority: prio, queue: q.map((t) => threadName(s, t)), problem: 'a thread is queued twice' };
  for (const t of q) {
    const tcb = tcbAt(s, t);
    if (tcb === undefined) return { priority: prio, entry: hex(t), problem: 'a ready queue holds something that is not a TCB' };
    if (!isRunnable(tcb.state)) return { priority: prio, thread: threadName(s, t), state: tcb.state.tag, problem: 'a ready queue holds a thread that is not runnable' };
    if (tcb.priority !== prio) return { priority: prio, thread: threadName(s, t), threadPriority: tcb.priority, problem: 'a thread is queued at another priority than its own' };
    if (t === s.curThread) return { priority: prio, thread: threadName(s, t), problem: 'the running thread is in a ready queue' };
  }
  return null;
}

function checkThreadQueued(s: KernelState, t: PPtr): unknown | null {
  const tcb = tcbAt(s, t);
  if (tcb === undefined || t === s.idleThread) return null;
  const queued = s.readyQueues[tcb.priority]?.includes(t) ?? false;
  if (isRunnable(tcb.state) && t !== s.curThread && !queued) return { thread: threadName(s, t), state: tcb.state.tag, priority: tcb.priority, problem: 'a runnable thread that is not running is in no ready queue' };
  if (!isRunnable(tcb.state) && queued) return { thread: threadName(s, t), state: tcb.state.tag, problem: 'a blocked thread is in a ready queue' };
  if (t === s.curThread && queued) return { thread: threadName(s, t), problem: 'the running thread is in a ready queue' };
  return null;
}

/** valid_queues ∧ ct_not_in_q ∧ valid_blocked, between kernel entries (action ResumeCurrentThread). */
export const benno: StateInvariant = incrementalInvariant(
  'benno',
  'Benno scheduling: every thread in a ready queue is runnable, at its own priority, once; every runnable thread but the running one is queued; the running one is not (l4v valid_queues, ct_not_in_q, valid_blocked)',
  (s, c, before) => {
    if (s.schedulerAction.tag !== 'ResumeCurrentThread') return { schedulerAction: s.schedulerAction.tag, problem: 'a scheduler decision is pending between kernel entries' };
    if (c.readyQueues) {
      const prios = before === null ? Object.keys(s.readyQueues).map(Number) : changedPriorities(before, s);
      for (const p of prios) {
        const e = checkQueueEntries(s, p);
        if (e !== null) return e;
        // Who left a queue must now run, be blocked, or be queued elsewhere.
        if (before !== null) for (const t of before.readyQueues[p] ?? []) {
          const e2 = checkThreadQueued(s, t);
          if (e2 !== null) return e2;
        }
      }
    }
    for (const t of c.objects) {
      const e = checkThreadQueued(s, t);
      if (e !== null) return e;
    }
    if (before === null || before.curThread !== s.curThread) return checkThreadQueued(s, s.curThread) ?? (before === null ? null : checkThreadQueued(s, before.curThread));
    return null;
  },
  isLazy,
);

function changedPriorities(before: KernelState, after: KernelState): number[] {
  const out: number[] = [];
  for (const k in after.readyQueues) if (after.readyQueues[k as unknown as number] !== before.readyQueues[k as unknown as number]) out.push(Number(k));
  for (const k in before.readyQueues) if (!(k in after.readyQueues)) out.push(Number(k));
  return out;
}

/** The highest priority of a runnable queued thread other than the current one, or -1. */
function highestReady(s: KernelState): { prio: number; thread: PPtr } | null {
  for (const p of queuedPriorities(s)) {
    for (const t of s.readyQueues[p]) if (t !== s.curThread && isRunnableTCB(s, t)) return { prio: p, thread: t };
  }
  return null;
}

/** The scheduler chooses the highest-priority runnable thread (valid_sched's choice, seL4 chooseThread). */
export const highestPriorityRuns: StateInvariant = incrementalInvariant(
  'highest-priority-runs',
  'no runnable thread has a higher priority than the running one, and idle runs only when nothing is runnable (seL4 chooseThread / schedule)',
  (s, c, before) => {
    const cur = s.curThread;
    const curPrio = cur === s.idleThread ? -1 : (tcbAt(s, cur)?.priority ?? -1);
    const h = highestReady(s);
    if (h !== null && h.prio > curPrio) return { running: threadName(s, cur), runningPriority: cur === s.idleThread ? 'idle' : curPrio, ready: threadName(s, h.thread), readyPriority: h.prio };
    // Runnable threads outside the queues (none under benno: that is the benno invariant's part;
    // under lazy the runnable entries are benno's): the changed ones, or all in the full check.
    for (const t of c.objects) {
      const tcb = tcbAt(s, t);
      if (t === cur || t === s.idleThread || tcb === undefined || !isRunnable(tcb.state)) continue;
      if (tcb.priority > curPrio) return { running: threadName(s, cur), runningPriority: cur === s.idleThread ? 'idle' : curPrio, runnable: threadName(s, t), runnablePriority: tcb.priority };
    }
    return null;
  },
);

/** The runnable entries of queue prio other than `except`, in order (benno's view of a lazy queue). */
function runnableEntries(s: KernelState, prio: number, except: PPtr): PPtr[] {
  return (s.readyQueues[prio] ?? []).filter((t) => t !== except && isRunnableTCB(s, t));
}

/**
 * Round robin within a priority: when the running thread gives up the processor by Yield or by
 * the end of its timeslice while staying runnable, and its priority still rules, the thread that
 * runs next is the head of its priority's queue, and the one that yielded goes to the tail.
 * Checked on Yield events and on single ticks (several ticks in one step can rotate more than
 * once: not checked).
 */
function roundRobinStep(ctx: StepContext): unknown | null {
  const { before, after, event } = ctx;
  if (ctx.observation.skipped) return null;
  const c = before.curThread;
  if (c === before.idleThread) return null;
  const cb = tcbAt(before, c);
  const ca = tcbAt(after, c);
  if (cb === undefined || ca === undefined || !isRunnable(ca.state) || ca.priority !== cb.priority) return null;
  const yielded = event.tag === 'syscall' && (event.number | 0) === -7;
  const expired = event.tag === 'tick' && event.count === 1 && cb.state.tag === 'Running' && cb.timeSlice <= 1;
  if (!yielded && !expired) return null;
  const p = cb.priority;
  const next = tcbAt(after, after.curThread);
  if (after.curThread === after.idleThread || next === undefined || next.priority !== p) return null;
  const waiting = runnableEntries(before, p, c).filter((t) => isRunnableTCB(after, t));
  if (waiting.length === 0) return after.curThread === c ? null : { yielded: threadName(after, c), running: threadName(after, after.curThread), problem: 'another thread ran although none of the priority waited' };
  if (after.curThread !== waiting[0]) return { priority: p, yielded: threadName(after, c), expected: threadName(after, waiting[0]), running: threadName(after, after.curThread), problem: 'the head of the queue did not run next' };
  const q = runnableEntries(after, p, after.curThread);
  if (q[q.length - 1] !== c) return { priority: p, yielded: threadName(after, c), queue: q.map((t) => threadName(after, t)), problem: 'the thread that gave up the processor is not at the tail of its queue' };
  return null;
}

export const roundRobin: Invariant = {
  name: 'round-robin',
  doc: 'on Yield or timeslice expiry the head of the same-priority queue runs next and the yielding thread goes to the tail (seL4 timerTick, handleYield, tcbSchedAppend)',
  monitor: () => ({
    step: (ctx) => {
      const e = roundRobinStep(ctx);
      return e === null ? null : { invariant: 'round-robin', evidence: e };
    },
  }),
};

/**
 * The most memory loads one schedule() may take, whatever the number of threads. Measured on the
 * impl (docs/invariants.md "bounded-scheduler"): under benno the worst schedule() seen takes 34
 * loads — on every scenario, on 200 generated runs with and without the fastpath, and on traces with
 * 1 to 64 blocked threads (30 there, flat) — since it is a two-level bitmap lookup, an enqueue, a
 * dequeue and a switch, none of which walks a list. The bound leaves 14 loads (~40%) of margin.
 * Lazy scheduling takes about 7 loads more per blocked thread that chooseThread sweeps from the head
 * of the highest queue (39 with one, 60 with 4, 144 with 16, 480 with 64).
 */
export const SCHEDULE_LOADS_MEASURED = 34;
export const SCHEDULE_LOAD_BOUND = 48;

export const boundedScheduler: Invariant = {
  name: 'bounded-scheduler',
  doc: `the impl's schedule() takes at most ${SCHEDULE_LOAD_BOUND} memory loads per kernel entry, whatever the number of threads (catches lazy scheduling)`,
  needsImpl: true,
  monitor: () => ({
    step: (ctx) => {
      const cost = ctx.cost;
      if (cost === undefined || cost.scheduleLoads <= SCHEDULE_LOAD_BOUND) return null;
      // The threads schedule() walked past: queued, but blocked since (their names in the state after).
      const swept = [...new Set(cost.swept)].map((t) => threadName(ctx.after, t));
      return { invariant: 'bounded-scheduler', evidence: { scheduleLoads: cost.scheduleLoads, bound: SCHEDULE_LOAD_BOUND, threads: cost.threads, swept, variant: ctx.after.config.variant.scheduler } };
    },
  }),
};

export const SCHEDULER_INVARIANTS: Invariant[] = [benno, highestPriorityRuns, roundRobin, boundedScheduler];
