// Thread states and the scheduler of the concrete kernel (seL4 src/kernel/thread.c, the ready
// queue operations of src/object/tcb.c, include/kernel/thread.h). One domain, one CPU.
//
// Ready queues: GLOBALS.ksReadyQueues holds 256 {head, tail} word pairs; each queue is an intrusive
// doubly linked list through the TCBs' schedNext/schedPrev words, and a TCB's tcbQueued flag says
// whether it is in the queue of its priority. The two-level bitmap (L1 word, 8 L2 words stored
// inverted) has bit prio set iff queue prio is non-empty; chooseThread reads it with clz, so its
// cost does not depend on the number of threads.
//
// Lazy variant (config.variant.scheduler === 'lazy', the L3-era design): a thread that blocks keeps
// its (stale) entry, the running thread keeps its entry at the head of its queue, chooseThread
// drops the stale entries it meets. Queue contents follow the spec's rules L1-L3
// (spec/kernel/thread.ts, docs/deviations/thread.md) so that the abstraction of these queues
// equals the spec's; the cost of chooseThread grows with the number of blocked threads.

import { CAP_TAG, THREAD_STATE } from '../object/structures';
import { makeReplyCap, slotCapType, writeCap, writeMdb } from '../object/cap';
import { GLOBALS, SCHED_ACTION, type Kernel } from '../model/state';
import {
  TCB_CNODE_SLOT,
  getCurThread,
  getIdleThread,
  getPriority,
  getSchedNext,
  getSchedPrev,
  getSchedulerAction,
  getTcbQueued,
  getThreadStateType,
  getTimeSlice,
  isRunnable,
  setCurThread,
  setMCPField,
  setPriorityField,
  setSchedNext,
  setSchedPrev,
  setSchedulerAction,
  setTcbQueued,
  setThreadStateWords,
  setTimeSlice,
  tcbSlotAddr,
  threadStateWord0,
} from '../object/tcb-fields';
import { setVMRoot } from './vspace';
import { cancelIPC } from '../object/endpoint';

export const NUM_PRIORITIES = 256;
const L2_WORDS = 8;
const WORD_RADIX = 5;

function lazy(k: Kernel): boolean {
  return k.config.variant.scheduler === 'lazy';
}

// ---- bitmap ----

function l2Addr(l1index: number): number {
  return GLOBALS.ksReadyQueuesL2Bitmap + 4 * (L2_WORDS - 1 - l1index);
}

function addToBitmap(k: Kernel, prio: number): void {
  const i = prio >>> WORD_RADIX;
  const a = l2Addr(i);
  k.m.store32(a, (k.m.load32(a) | (1 << (prio & 31))) >>> 0);
  k.m.store32(GLOBALS.ksReadyQueuesL1Bitmap, (k.m.load32(GLOBALS.ksReadyQueuesL1Bitmap) | (1 << i)) >>> 0);
}

function removeFromBitmap(k: Kernel, prio: number): void {
  const i = prio >>> WORD_RADIX;
  const a = l2Addr(i);
  const l2 = (k.m.load32(a) & ~(1 << (prio & 31))) >>> 0;
  k.m.store32(a, l2);
  if (l2 === 0) {
    k.m.store32(GLOBALS.ksReadyQueuesL1Bitmap, (k.m.load32(GLOBALS.ksReadyQueuesL1Bitmap) & ~(1 << i)) >>> 0);
  }
}

/** seL4 getHighestPrio: the highest non-empty queue, or -1 when all are empty. */
export function getHighestPrio(k: Kernel): number {
  const l1 = k.m.load32(GLOBALS.ksReadyQueuesL1Bitmap);
  if (l1 === 0) return -1;
  const i = 31 - Math.clz32(l1);
  const l2 = k.m.load32(l2Addr(i));
  return (i << WORD_RADIX) | (31 - Math.clz32(l2));
}

/** The highest non-empty queue below `prio`, or -1 (the bitmap masked). */
function nextLowerPrio(k: Kernel, prio: number): number {
  if (prio <= 0) return -1;
  const below = prio - 1;
  let i = below >>> WORD_RADIX;
  const bit = below & 31;
  const mask = bit === 31 ? 0xffffffff : ((1 << (bit + 1)) - 1) >>> 0;
  const l2 = (k.m.load32(l2Addr(i)) & mask) >>> 0;
  if (l2 !== 0) return (i << WORD_RADIX) | (31 - Math.clz32(l2));
  if (i === 0) return -1;
  const l1 = (k.m.load32(GLOBALS.ksReadyQueuesL1Bitmap) & ((1 << i) - 1)) >>> 0;
  if (l1 === 0) return -1;
  i = 31 - Math.clz32(l1);
  return (i << WORD_RADIX) | (31 - Math.clz32(k.m.load32(l2Addr(i))));
}

// ---- queue primitives (intrusive list + tcbQueued + bitmap) ----

function qHeadAddr(prio: number): number {
  return GLOBALS.ksReadyQueues + 8 * prio;
}

function qTailAddr(prio: number): number {
  return GLOBALS.ksReadyQueues + 8 * prio + 4;
}

export function readyQueueHead(k: Kernel, prio: number): number {
  return k.m.load32(qHeadAddr(prio));
}

export function readyQueueTail(k: Kernel, prio: number): number {
  return k.m.load32(qTailAddr(prio));
}

function qInsertHead(k: Kernel, t: number, prio: number): void {
  const head = k.m.load32(qHeadAddr(prio));
  if (head === 0) {
    addToBitmap(k, prio);
    k.m.store32(qTailAddr(prio), t);
  } else {
    setSchedPrev(k, head, t);
  }
  setSchedPrev(k, t, 0);
  setSchedNext(k, t, head);
  k.m.store32(qHeadAddr(prio), t);
  setTcbQueued(k, t, true);
}

function qInsertTail(k: Kernel, t: number, prio: number): void {
  const tail = k.m.load32(qTailAddr(prio));
  if (tail === 0) {
    addToBitmap(k, prio);
    k.m.store32(qHeadAddr(prio), t);
  } else {
    setSchedNext(k, tail, t);
  }
  setSchedPrev(k, t, tail);
  setSchedNext(k, t, 0);
  k.m.store32(qTailAddr(prio), t);
  setTcbQueued(k, t, true);
}

/** Inserts t right after `after`, a member of queue prio. */
function qInsertAfter(k: Kernel, t: number, after: number, prio: number): void {
  const next = getSchedNext(k, after);
  setSchedPrev(k, t, after);
  setSchedNext(k, t, next);
  setSchedNext(k, after, t);
  if (next === 0) k.m.store32(qTailAddr(prio), t);
  else setSchedPrev(k, next, t);
  setTcbQueued(k, t, true);
}

function qRemove(k: Kernel, t: number, prio: number): void {
  const prev = getSchedPrev(k, t);
  const next = getSchedNext(k, t);
  if (prev === 0) k.m.store32(qHeadAddr(prio), next);
  else setSchedNext(k, prev, next);
  if (next === 0) k.m.store32(qTailAddr(prio), prev);
  else setSchedPrev(k, next, prev);
  if (prev === 0 && next === 0) removeFromBitmap(k, prio);
  setSchedPrev(k, t, 0);
  setSchedNext(k, t, 0);
  setTcbQueued(k, t, false);
}

/** Removes t's entry if it has one (spec removeEntry; its queue is the one of its priority). */
// spec: removeEntry
function removeEntry(k: Kernel, t: number): void {
  if (getTcbQueued(k, t)) qRemove(k, t, getPriority(k, t));
}

/** Lazy: t has an entry standing for a benno entry (runnable and queued, rule L1/L3). */
// spec: lazyQueued
function lazyQueued(k: Kernel, t: number): boolean {
  return getTcbQueued(k, t) && isRunnable(k, t);
}

/** Head insertion; under lazy, `behindRunning` keeps the current thread's running entry first (L2). */
// spec: enqueueHead
function enqueueHead(k: Kernel, t: number, behindRunning: boolean): void {
  const prio = getPriority(k, t);
  if (!lazy(k)) {
    if (!getTcbQueued(k, t)) qInsertHead(k, t, prio);
    return;
  }
  const cur = getCurThread(k);
  if (t === cur) {
    if (!getTcbQueued(k, t)) qInsertHead(k, t, prio);
    return;
  }
  if (lazyQueued(k, t)) return;
  removeEntry(k, t);
  const head = k.m.load32(qHeadAddr(prio));
  if (behindRunning && head !== 0 && head === cur) qInsertAfter(k, t, head, prio);
  else qInsertHead(k, t, prio);
}

// spec: tcbSchedEnqueue
export function tcbSchedEnqueue(k: Kernel, t: number): void {
  enqueueHead(k, t, true);
}

// spec: tcbSchedAppend
export function tcbSchedAppend(k: Kernel, t: number): void {
  const prio = getPriority(k, t);
  if (!lazy(k)) {
    if (!getTcbQueued(k, t)) qInsertTail(k, t, prio);
    return;
  }
  if (t === getCurThread(k)) {
    // an entry behind the head was put there by a benno-equivalent enqueue
    if (getTcbQueued(k, t) && k.m.load32(qHeadAddr(prio)) !== t) return;
    removeEntry(k, t);
    qInsertTail(k, t, prio);
    return;
  }
  if (lazyQueued(k, t)) return;
  removeEntry(k, t);
  qInsertTail(k, t, prio);
}

// spec: tcbSchedDequeue
export function tcbSchedDequeue(k: Kernel, t: number): void {
  removeEntry(k, t);
}

/** Lazy: does queue prio hold a runnable thread (other than the current one if skipRunning)? */
function lazyQueueLive(k: Kernel, prio: number, skipRunning: boolean, cur: number): boolean {
  for (let t = k.m.load32(qHeadAddr(prio)); t !== 0; t = getSchedNext(k, t)) {
    if (!isRunnable(k, t)) k.sweptEntries.push(t);
    else if (!(skipRunning && t === cur)) return true;
  }
  return false;
}

/** The highest priority with a runnable queued thread, or -1 (spec highestReadyPrio). */
// spec: highestReadyPrio
function highestReadyPrio(k: Kernel, skipRunning: boolean): number {
  let p = getHighestPrio(k);
  if (!lazy(k)) return p;
  const cur = getCurThread(k);
  while (p >= 0 && !lazyQueueLive(k, p, skipRunning, cur)) p = nextLowerPrio(k, p);
  return p;
}

// spec: isHighestPrio
export function isHighestPrio(k: Kernel, prio: number): boolean {
  return prio >= highestReadyPrio(k, true);
}

// spec: rescheduleRequired
export function rescheduleRequired(k: Kernel): void {
  const act = getSchedulerAction(k);
  if (act !== SCHED_ACTION.ResumeCurrentThread && act !== SCHED_ACTION.ChooseNewThread) tcbSchedEnqueue(k, act);
  setSchedulerAction(k, SCHED_ACTION.ChooseNewThread);
}

// spec: possibleSwitchTo
export function possibleSwitchTo(k: Kernel, t: number): void {
  if (getSchedulerAction(k) !== SCHED_ACTION.ResumeCurrentThread) {
    rescheduleRequired(k);
    tcbSchedEnqueue(k, t);
  } else {
    setSchedulerAction(k, t);
  }
}

// spec: scheduleTCB
function scheduleTCB(k: Kernel, t: number): void {
  if (t === getCurThread(k) && getSchedulerAction(k) === SCHED_ACTION.ResumeCurrentThread && !isRunnable(k, t)) {
    setSchedulerAction(k, SCHED_ACTION.ChooseNewThread);
  }
}

function runnableType(ty: number): boolean {
  return ty === THREAD_STATE.Running || ty === THREAD_STATE.Restart;
}

/**
 * spec: setThreadState. Writes the whole state (type, blocking object, word 1 from
 * threadStateWord1 for the IPC-blocked states, else 0), then scheduleTCB.
 */
export function setThreadState(k: Kernel, t: number, type: number, blockingObject = 0, word1 = 0): void {
  // lazy: a thread woken up loses its stale entry (L1)
  if (lazy(k) && runnableType(type) && !isRunnable(k, t)) removeEntry(k, t);
  setThreadStateWords(k, t, threadStateWord0(type, blockingObject), word1);
  scheduleTCB(k, t);
}

// spec: switchToThread
export function switchToThread(k: Kernel, t: number): void {
  setVMRoot(k, t);
  if (lazy(k)) {
    removeEntry(k, t);
    qInsertHead(k, t, getPriority(k, t));
  } else {
    tcbSchedDequeue(k, t);
  }
  setCurThread(k, t);
}

// spec: switchToIdleThread
export function switchToIdleThread(k: Kernel): void {
  const idle = getIdleThread(k);
  setVMRoot(k, idle);
  setCurThread(k, idle);
}

// spec: chooseThread
export function chooseThread(k: Kernel): void {
  const isLazy = lazy(k);
  for (;;) {
    const p = getHighestPrio(k);
    if (p < 0) {
      switchToIdleThread(k);
      return;
    }
    const head = k.m.load32(qHeadAddr(p));
    if (isLazy && !isRunnable(k, head)) {
      k.sweptEntries.push(head);
      qRemove(k, head, p); // a stale entry (L1): the unbounded work of lazy scheduling
      continue;
    }
    switchToThread(k, head);
    return;
  }
}

// spec: chooseNewThread
function chooseNewThread(k: Kernel): void {
  setSchedulerAction(k, SCHED_ACTION.ChooseNewThread);
  chooseThread(k);
}

// spec: schedule
export function schedule(k: Kernel): void {
  const act = getSchedulerAction(k);
  if (act !== SCHED_ACTION.ResumeCurrentThread) {
    const cur = getCurThread(k);
    const wasRunnable = isRunnable(k, cur);
    if (wasRunnable) enqueueHead(k, cur, false);
    if (act === SCHED_ACTION.ChooseNewThread) {
      chooseThread(k);
    } else {
      const cand = act;
      const candPrio = getPriority(k, cand);
      const curPrio = getPriority(k, cur);
      const fastfail = cur === getIdleThread(k) || candPrio < curPrio;
      if (fastfail && candPrio < highestReadyPrio(k, false)) {
        enqueueHead(k, cand, false);
        chooseNewThread(k);
      } else if (wasRunnable && candPrio === curPrio) {
        tcbSchedAppend(k, cand);
        chooseNewThread(k);
      } else {
        switchToThread(k, cand);
      }
    }
  }
  setSchedulerAction(k, SCHED_ACTION.ResumeCurrentThread);
}

// spec: activateThread
export function activateThread(k: Kernel): void {
  const cur = getCurThread(k);
  const ty = getThreadStateType(k, cur);
  if (ty === THREAD_STATE.Restart) {
    setThreadState(k, cur, THREAD_STATE.Running);
    k.onRestart?.(cur);
  } else if (ty !== THREAD_STATE.Running && ty !== THREAD_STATE.Idle) {
    throw new Error(`kernel bug: activateThread on a thread in state ${ty}`);
  }
}

// spec: timerTick
export function timerTick(k: Kernel): void {
  const cur = getCurThread(k);
  if (getThreadStateType(k, cur) !== THREAD_STATE.Running) return;
  const ts = getTimeSlice(k, cur);
  if (ts > 1) {
    setTimeSlice(k, cur, ts - 1);
  } else {
    setTimeSlice(k, cur, k.config.timeslice);
    tcbSchedAppend(k, cur);
    rescheduleRequired(k);
  }
}

// spec: setupReplyMaster
export function setupReplyMaster(k: Kernel, t: number): void {
  const slot = tcbSlotAddr(t, TCB_CNODE_SLOT.reply);
  if (slotCapType(k, slot) !== CAP_TAG.null) return;
  writeCap(k, slot, makeReplyCap(t, true, true));
  writeMdb(k, slot, 0, 0, true, true);
}

/** seL4 isStopped: Inactive or blocked. */
function isStopped(k: Kernel, t: number): boolean {
  const ty = getThreadStateType(k, t);
  return ty !== THREAD_STATE.Running && ty !== THREAD_STATE.Restart && ty !== THREAD_STATE.Idle;
}

// spec: restart
export function restart(k: Kernel, t: number): void {
  if (!isStopped(k, t)) return;
  cancelIPC(k, t);
  setupReplyMaster(k, t);
  setThreadState(k, t, THREAD_STATE.Restart);
  tcbSchedEnqueue(k, t);
  possibleSwitchTo(k, t);
}

// spec: suspend
export function suspend(k: Kernel, t: number): void {
  cancelIPC(k, t);
  tcbSchedDequeue(k, t);
  setThreadState(k, t, THREAD_STATE.Inactive);
}

// spec: setPriority
export function setPriority(k: Kernel, t: number, prio: number): void {
  tcbSchedDequeue(k, t);
  setPriorityField(k, t, prio);
  if (!isRunnable(k, t)) return;
  if (t === getCurThread(k)) rescheduleRequired(k);
  else possibleSwitchTo(k, t);
}

// spec: setMCPriority
export function setMCPriority(k: Kernel, t: number, mcp: number): void {
  setMCPField(k, t, mcp);
}

