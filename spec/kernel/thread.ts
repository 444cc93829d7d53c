// Thread states and the scheduler (seL4 src/kernel/thread.c, the ready-queue operations of
// src/object/tcb.c, include/kernel/thread.h; l4v Schedule_A.thy, SEL4/Kernel/Thread.lhs). One
// domain, one CPU: a FIFO ready queue per priority (s.readyQueues, head first, absent = empty)
// and the scheduler action of the current kernel entry.
//
// Benno scheduling (variant `benno`, seL4's own): every thread in a ready queue is runnable, and
// the running thread is in none; it goes back at the head when it is preempted, at the tail on
// timeslice expiry or Yield.
//
// Lazy scheduling (variant `lazy`, the L3-era design, kept for experiments): blocking never
// dequeues, and chooseThread removes the blocked entries it meets at the head of the highest
// queue, so its work grows with the number of blocked threads. Who runs, every thread state and
// every delivered value are the same as under benno for every trace; only queue contents (and the
// impl's cost) differ. That rests on three rules, checked against benno by the tests:
//   L1  an entry of a thread that is not runnable is stale: ignored, removed when chooseThread
//       meets it, and removed when the thread becomes runnable again (setThreadState);
//   L2  while the current thread runs without benno having queued it, it stays at the head of its
//       queue (the "running entry"): a thread enqueued at the head of that queue goes behind it,
//       and schedule() leaves it where benno's enqueue-at-head puts it anyway (benno queues the
//       current thread itself only in timerTick, Yield and a restart of itself, each right before
//       schedule(), with no other head insertion in between, so the two cases never need telling
//       apart);
//   L3  every other entry of a runnable thread is exactly benno's entry, in benno's order.

import type { KernelState } from '../model/state';
import { KernelBug, assert, readCTE, getTCB, markCTE, readTCB, tcbSlot, writableTable } from '../model/state';
import { type PPtr, type ThreadState, isRunnable, isStopped } from '../api/types';
import { TCB_SLOT } from '../object/structures';
import { cancelIPC } from '../object/endpoint';

export const NUM_PRIORITIES = 256;

/**
 * Instrumentation, not kernel state: told each time activateThread restarts a thread (seL4 sets
 * its next pc to the restart pc there, which the model does not keep). The conformance comparer
 * uses it to tell a restarted system call from one that returned; nothing in the kernel reads it.
 */
export const activationProbe: { onRestart?: (tcb: PPtr) => void } = {};

function lazy(s: KernelState): boolean {
  return s.config.variant.scheduler === 'lazy';
}

/** The ready queue of a priority, created on demand (callers push into it). */
function queue(s: KernelState, prio: number): PPtr[] {
  const queues = writableTable(s, 'readyQueues');
  let q = queues[prio];
  if (q === undefined) {
    q = [];
    queues[prio] = q;
  }
  return q;
}

/** Removes t from the queue of prio if it is there; an emptied queue is dropped (absent = empty). */
function removeEntry(s: KernelState, t: PPtr, prio: number): void {
  const now = s.readyQueues[prio];
  if (now === undefined) return;
  const i = now.indexOf(t);
  if (i < 0 && now.length !== 0) return;
  const queues = writableTable(s, 'readyQueues');
  const q = queues[prio];
  if (i >= 0) q.splice(i, 1);
  if (q.length === 0) delete queues[prio];
}

function inQueue(s: KernelState, t: PPtr, prio: number): boolean {
  return s.readyQueues[prio]?.includes(t) ?? false;
}

/**
 * Under lazy, whether t has an entry that stands for a benno entry (L1, L3): a stale entry of a
 * blocked thread does not; the running entry of the current thread is handled by the callers.
 */
function lazyQueued(s: KernelState, t: PPtr): boolean {
  const tcb = readTCB(s, t);
  return isRunnable(tcb.state) && inQueue(s, t, tcb.priority);
}

/**
 * Head insertion. `behindRunning`: under lazy, outside schedule(), the current thread's running
 * entry at the head of the queue stays in front (L2).
 */
function enqueueHead(s: KernelState, t: PPtr, behindRunning: boolean): void {
  const prio = readTCB(s, t).priority;
  if (!lazy(s)) {
    if (!inQueue(s, t, prio)) queue(s, prio).unshift(t);
    return;
  }
  if (t === s.curThread) {
    // The running entry is already at the head (L2); otherwise benno's head is where it goes.
    if (!inQueue(s, t, prio)) queue(s, prio).unshift(t);
    return;
  }
  if (lazyQueued(s, t)) return;
  removeEntry(s, t, prio);
  const q = queue(s, prio);
  q.splice(behindRunning && q[0] === s.curThread ? 1 : 0, 0, t);
}

/**
 * seL4 tcbSchedEnqueue: t goes to the head of the queue of its priority, unless it is queued
 * already.
 */
export function tcbSchedEnqueue(s: KernelState, t: PPtr): void {
  enqueueHead(s, t, true);
}

/**
 * seL4 tcbSchedAppend: t goes to the tail of the queue of its priority, unless it is queued
 * already. Under lazy the current thread's running entry moves to the tail (L2: timerTick
 * appends the current thread, which benno has not queued).
 */
export function tcbSchedAppend(s: KernelState, t: PPtr): void {
  const prio = readTCB(s, t).priority;
  if (!lazy(s)) {
    if (!inQueue(s, t, prio)) queue(s, prio).push(t);
    return;
  }
  if (t === s.curThread) {
    const q = s.readyQueues[prio];
    if (q !== undefined && q.includes(t) && q[0] !== t) return; // queued by benno already
    removeEntry(s, t, prio);
    queue(s, prio).push(t);
    return;
  }
  if (lazyQueued(s, t)) return;
  removeEntry(s, t, prio);
  queue(s, prio).push(t);
}

/** seL4 tcbSchedDequeue: t leaves its ready queue (a no-op when it is in none). */
export function tcbSchedDequeue(s: KernelState, t: PPtr): void {
  removeEntry(s, t, readTCB(s, t).priority);
}

/**
 * The highest priority with a runnable queued thread, or -1 (seL4 getHighestPrio over the
 * bitmap). `skipRunning`: under lazy, leave out the current thread's running entry (L2).
 */
function highestReadyPrio(s: KernelState, skipRunning: boolean): number {
  // The present queues only (integer keys: ascending), rather than all 256 priorities.
  const queues = s.readyQueues;
  let best = -1;
  for (const k in queues) {
    const p = Number(k);
    if (p <= best || !(p >= 0 && p < NUM_PRIORITIES && Number.isInteger(p))) continue;
    const q = queues[p];
    if (q === undefined || q.length === 0) continue;
    if (!lazy(s) || q.some((t) => isRunnable(readTCB(s, t).state) && !(skipRunning && t === s.curThread))) best = p;
  }
  return best;
}

/**
 * seL4 isHighestPrio, as seen between kernel entries (the fastpath's check): no queued thread
 * has a higher priority than prio.
 */
export function isHighestPrio(s: KernelState, prio: number): boolean {
  return prio >= highestReadyPrio(s, true);
}

/**
 * seL4 rescheduleRequired: the next schedule() chooses anew; a thread that was waiting in the
 * scheduler action for a direct switch is queued instead.
 */
export function rescheduleRequired(s: KernelState): void {
  const act = s.schedulerAction;
  if (act.tag === 'SwitchToThread') tcbSchedEnqueue(s, act.tcb);
  s.schedulerAction = { tag: 'ChooseNewThread' };
}

/**
 * seL4 possibleSwitchTo (one domain): t has just become runnable. If nothing else asked for a
 * switch it becomes the candidate for a direct switch (not queued); otherwise it is queued and
 * the scheduler chooses.
 */
export function possibleSwitchTo(s: KernelState, t: PPtr): void {
  if (s.schedulerAction.tag !== 'ResumeCurrentThread') {
    rescheduleRequired(s);
    tcbSchedEnqueue(s, t);
  } else {
    s.schedulerAction = { tag: 'SwitchToThread', tcb: t };
  }
}

/** seL4 scheduleTCB: the current thread stopped being runnable, so schedule() must choose. */
function scheduleTCB(s: KernelState, t: PPtr): void {
  if (t === s.curThread && s.schedulerAction.tag === 'ResumeCurrentThread' && !isRunnable(readTCB(s, t).state)) {
    s.schedulerAction = { tag: 'ChooseNewThread' };
  }
}

/** seL4 setThreadState (with scheduleTCB). Under lazy a thread woken up loses its stale entry (L1). */
export function setThreadState(s: KernelState, t: PPtr, st: ThreadState): void {
  const now = readTCB(s, t);
  if (lazy(s) && isRunnable(st) && !isRunnable(now.state)) removeEntry(s, t, now.priority);
  getTCB(s, t).state = st;
  scheduleTCB(s, t);
}

/** seL4 switchToThread: t becomes current and leaves its queue (under lazy: heads it, L2). */
export function switchToThread(s: KernelState, t: PPtr): void {
  if (lazy(s)) {
    const prio = readTCB(s, t).priority;
    removeEntry(s, t, prio);
    queue(s, prio).unshift(t);
  } else {
    tcbSchedDequeue(s, t);
  }
  s.curThread = t;
}

export function switchToIdleThread(s: KernelState): void {
  s.curThread = s.idleThread;
}

/**
 * seL4 chooseThread: the head of the highest non-empty queue runs, else the idle thread. Under
 * lazy the stale entries met at the head are removed first (the unbounded work, L1).
 */
export function chooseThread(s: KernelState): void {
  // The present queues only, highest priority first (integer keys iterate in ascending order).
  const prios: number[] = [];
  for (const k in s.readyQueues) {
    const p = Number(k);
    if (p >= 0 && p < NUM_PRIORITIES && Number.isInteger(p)) prios.push(p);
  }
  prios.sort((a, b) => b - a);
  for (const p of prios) {
    let q = s.readyQueues[p];
    if (q === undefined || q.length === 0) continue;
    if (lazy(s)) {
      if (!isRunnable(readTCB(s, q[0]).state)) {
        const queues = writableTable(s, 'readyQueues');
        q = queues[p];
        while (q.length > 0 && !isRunnable(readTCB(s, q[0]).state)) q.shift();
        if (q.length === 0) {
          delete queues[p];
          continue;
        }
      }
    }
    if (!(q.length > 0 && isRunnable(readTCB(s, q[0]).state))) throw new KernelBug(`chooseThread: queue ${p} holds a blocked head`);
    switchToThread(s, q[0]);
    return;
  }
  switchToIdleThread(s);
}

function chooseNewThread(s: KernelState): void {
  s.schedulerAction = { tag: 'ChooseNewThread' };
  chooseThread(s);
}

/**
 * seL4 schedule (end of every kernel entry). Unless the current thread simply resumes, a
 * runnable current thread is queued at the head; then either a new thread is chosen, or the
 * direct-switch candidate runs — unless it is below the current thread (or the current thread is
 * idle) and not of the highest ready priority, in which case it is queued and the scheduler
 * chooses; and when it ties with a still-runnable current thread it goes to the tail, so that
 * the current thread (at the head) keeps the processor.
 */
export function schedule(s: KernelState): void {
  const act = s.schedulerAction;
  if (act.tag !== 'ResumeCurrentThread') {
    const cur = s.curThread;
    const curTCB = readTCB(s, cur);
    const wasRunnable = isRunnable(curTCB.state);
    if (wasRunnable) enqueueHead(s, cur, false);
    if (act.tag === 'ChooseNewThread') {
      chooseThread(s);
    } else {
      const cand = act.tcb;
      const candTCB = readTCB(s, cand);
      assert(isRunnable(candTCB.state), 'schedule: the switch candidate is not runnable');
      const fastfail = cur === s.idleThread || candTCB.priority < curTCB.priority;
      if (fastfail && candTCB.priority < highestReadyPrio(s, false)) {
        enqueueHead(s, cand, false);
        chooseNewThread(s);
      } else if (wasRunnable && candTCB.priority === curTCB.priority) {
        tcbSchedAppend(s, cand);
        chooseNewThread(s);
      } else {
        assert(cand !== cur, 'schedule: switch to the current thread');
        switchToThread(s, cand);
      }
    }
  }
  s.schedulerAction = { tag: 'ResumeCurrentThread' };
}

/**
 * seL4 activateThread: a thread chosen in Restart now runs (Running). The model does not move the
 * pc: the trace re-issues the system call (trace-format.md).
 */
export function activateThread(s: KernelState): void {
  const st = readTCB(s, s.curThread).state;
  switch (st.tag) {
    case 'Running':
    case 'Idle':
      return;
    case 'Restart':
      setThreadState(s, s.curThread, { tag: 'Running' });
      activationProbe.onRestart?.(s.curThread);
      return;
    default:
      throw new KernelBug(`activateThread: the current thread is ${st.tag}`);
  }
}

/**
 * seL4 timerTick (non-MCS, one domain): a Running current thread uses up one tick of its time
 * slice; at the last one it gets a fresh slice and goes to the tail of its queue.
 */
export function timerTick(s: KernelState): void {
  if (readTCB(s, s.curThread).state.tag !== 'Running') return;
  const tcb = getTCB(s, s.curThread);
  if (tcb.timeSlice > 1) {
    tcb.timeSlice--;
  } else {
    tcb.timeSlice = s.config.timeslice;
    tcbSchedAppend(s, s.curThread);
    rescheduleRequired(s);
  }
}

/** seL4 setupReplyMaster: the TCB's master reply cap, recreated (an original) if it is gone. */
export function setupReplyMaster(s: KernelState, t: PPtr): void {
  const slot = tcbSlot(t, TCB_SLOT.reply);
  if (readCTE(s, slot).cap.tag !== 'NullCap') return;
  markCTE(s, slot);
  s.ctes[slot] = {
    cap: { tag: 'ReplyCap', tcb: t, master: true, canGrant: true },
    mdb: { prev: 0, next: 0, revocable: true, firstBadged: true },
  };
}

/**
 * seL4 restart: a stopped thread (Inactive or blocked) abandons its IPC and restarts its system
 * call (Restart); a runnable one is left alone.
 */
export function restart(s: KernelState, t: PPtr): void {
  if (!isStopped(readTCB(s, t).state)) return;
  cancelIPC(s, t);
  setupReplyMaster(s, t);
  setThreadState(s, t, { tag: 'Restart' });
  tcbSchedEnqueue(s, t);
  possibleSwitchTo(s, t);
}

/** seL4 suspend: the thread abandons its IPC, leaves the ready queue and becomes Inactive. */
export function suspend(s: KernelState, t: PPtr): void {
  cancelIPC(s, t);
  tcbSchedDequeue(s, t);
  setThreadState(s, t, { tag: 'Inactive' });
}

/**
 * seL4 setPriority (non-MCS): requeue at the new priority. A runnable current thread leaves the
 * choice to the scheduler; another runnable thread may preempt it (possibleSwitchTo).
 */
export function setPriority(s: KernelState, t: PPtr, prio: number): void {
  tcbSchedDequeue(s, t);
  const tcb = getTCB(s, t);
  tcb.priority = prio;
  if (!isRunnable(tcb.state)) return;
  if (t === s.curThread) rescheduleRequired(s);
  else possibleSwitchTo(s, t);
}

export function setMCPriority(s: KernelState, t: PPtr, mcp: number): void {
  getTCB(s, t).mcp = mcp;
}
