// Mutants of the scheduler area, TCB methods included (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

const SPEC_THREAD = 'spec/kernel/thread.ts';
const IMPL_THREAD = 'impl/kernel/thread.ts';
const SPEC_TCB = 'spec/object/tcb.ts';
const IMPL_TCB = 'impl/object/tcb.ts';

export const SCHEDULER_MUTANTS: readonly Mutant[] = [
  {
    name: 'sched-tick-expiry-to-head',
    class: 'both',
    area: 'scheduler',
    doc: 'A thread whose timeslice ran out goes back to the head of its ready queue instead of the tail, so it keeps the processor (no round robin on timer ticks).',
    patches: [
      { file: SPEC_THREAD, find: '    tcb.timeSlice = s.config.timeslice;\n    tcbSchedAppend(s, s.curThread);', replace: '    tcb.timeSlice = s.config.timeslice;\n    tcbSchedEnqueue(s, s.curThread);' },
      { file: IMPL_THREAD, find: '    setTimeSlice(k, cur, k.config.timeslice);\n    tcbSchedAppend(k, cur);', replace: '    setTimeSlice(k, cur, k.config.timeslice);\n    tcbSchedEnqueue(k, cur);' },
    ],
  },
  {
    name: 'sched-timeslice-not-refilled',
    class: 'both',
    area: 'scheduler',
    doc: 'timerTick forgets to give a thread whose timeslice ran out a fresh one, so from then on it is preempted at every tick.',
    patches: [
      { file: SPEC_THREAD, find: '    tcb.timeSlice = s.config.timeslice;\n', replace: '' },
      { file: IMPL_THREAD, find: '    setTimeSlice(k, cur, k.config.timeslice);\n', replace: '' },
    ],
  },
  {
    name: 'sched-timeslice-off-by-one',
    class: 'both',
    area: 'scheduler',
    doc: 'timerTick counts the timeslice down to zero before preempting, so a thread runs one tick longer than its timeslice.',
    patches: [
      { file: SPEC_THREAD, find: 'if (tcb.timeSlice > 1) {', replace: 'if (tcb.timeSlice > 0) {' },
      { file: IMPL_THREAD, find: 'if (ts > 1) {', replace: 'if (ts > 0) {' },
    ],
  },
  {
    name: 'sched-mcp-exclusive',
    class: 'both',
    area: 'scheduler',
    doc: 'checkPrio refuses a priority equal to the authority\'s MCP (>= instead of >), so a thread cannot be given its own maximum.',
    patches: [
      { file: SPEC_TCB, find: 'return prio > mcp ? err(', replace: 'return prio >= mcp ? err(' },
      { file: IMPL_TCB, find: 'if (value > mcp) return rangeError(0, mcp);', replace: 'if (value >= mcp) return rangeError(0, mcp);' },
    ],
  },
  {
    name: 'sched-setprio-self-no-reschedule',
    class: 'both',
    area: 'scheduler',
    doc: 'Lowering the running thread\'s own priority does not ask the scheduler to choose again, so it keeps running above a higher-priority ready thread.',
    patches: [
      { file: SPEC_THREAD, find: '  if (t === s.curThread) rescheduleRequired(s);\n  else possibleSwitchTo(s, t);', replace: '  if (t !== s.curThread) possibleSwitchTo(s, t);' },
      { file: IMPL_THREAD, find: '  if (t === getCurThread(k)) rescheduleRequired(k);\n  else possibleSwitchTo(k, t);', replace: '  if (t !== getCurThread(k)) possibleSwitchTo(k, t);' },
    ],
  },
  {
    name: 'sched-setprio-not-requeued',
    class: 'both',
    area: 'scheduler',
    doc: 'SetPriority of a runnable thread that is not running takes it out of its ready queue and never puts it into the queue of its new priority.',
    patches: [
      { file: SPEC_THREAD, find: '  if (t === s.curThread) rescheduleRequired(s);\n  else possibleSwitchTo(s, t);', replace: '  if (t === s.curThread) rescheduleRequired(s);' },
      { file: IMPL_THREAD, find: '  if (t === getCurThread(k)) rescheduleRequired(k);\n  else possibleSwitchTo(k, t);', replace: '  if (t === getCurThread(k)) rescheduleRequired(k);' },
    ],
  },
  {
    name: 'sched-suspend-stays-queued',
    class: 'both',
    area: 'scheduler',
    doc: 'suspend makes the thread Inactive without taking it out of its ready queue.',
    patches: [
      { file: SPEC_THREAD, find: '  cancelIPC(s, t);\n  tcbSchedDequeue(s, t);\n  setThreadState(s, t, { tag: \'Inactive\' });', replace: '  cancelIPC(s, t);\n  setThreadState(s, t, { tag: \'Inactive\' });' },
      { file: IMPL_THREAD, find: '  cancelIPC(k, t);\n  tcbSchedDequeue(k, t);\n  setThreadState(k, t, THREAD_STATE.Inactive);', replace: '  cancelIPC(k, t);\n  setThreadState(k, t, THREAD_STATE.Inactive);' },
    ],
  },
  {
    name: 'sched-yield-to-head',
    class: 'both',
    area: 'scheduler',
    doc: 'Yield puts the thread back at the head of its ready queue instead of the tail, so it never gives the processor to its peers.',
    patches: [
      { file: 'spec/api/syscall.ts', find: '  tcbSchedDequeue(s, s.curThread);\n  tcbSchedAppend(s, s.curThread);', replace: '  tcbSchedDequeue(s, s.curThread);\n  tcbSchedEnqueue(s, s.curThread);' },
      { file: 'spec/api/syscall.ts', find: 'tcbSchedAppend, tcbSchedDequeue } from', replace: 'tcbSchedAppend, tcbSchedDequeue, tcbSchedEnqueue } from' },
      { file: 'impl/api/syscall.ts', find: '  tcbSchedDequeue(k, t);\n  tcbSchedAppend(k, t);', replace: '  tcbSchedDequeue(k, t);\n  tcbSchedEnqueue(k, t);' },
      { file: 'impl/api/syscall.ts', find: 'tcbSchedAppend, tcbSchedDequeue } from', replace: 'tcbSchedAppend, tcbSchedDequeue, tcbSchedEnqueue } from' },
    ],
  },
  {
    name: 'sched-switch-ignores-ready',
    class: 'both',
    area: 'scheduler',
    doc: 'schedule compares a woken thread only with the current one, not with the highest ready priority, so it runs although a higher-priority thread is ready.',
    patches: [
      { file: SPEC_THREAD, find: 'if (fastfail && candTCB.priority < highestReadyPrio(s, false)) {', replace: 'if (fastfail && cur !== s.idleThread && isRunnable(curTCB.state)) {' },
      { file: IMPL_THREAD, find: 'if (fastfail && candPrio < highestReadyPrio(k, false)) {', replace: 'if (fastfail && cur !== getIdleThread(k) && wasRunnable) {' },
    ],
  },
  {
    name: 'tcb-read-registers-one-short',
    class: 'both',
    area: 'scheduler',
    doc: 'TCB_ReadRegisters replies with one register fewer than the count asked for.',
    patches: [
      { file: SPEC_TCB, find: 'return getTCB(s, i.thread).registers.slice(0, i.count);', replace: 'return getTCB(s, i.thread).registers.slice(0, i.count - 1);' },
      { file: IMPL_TCB, find: '  const out = new Array<number>(i.count);\n  for (let r = 0; r < i.count; r++)', replace: '  const out = new Array<number>(i.count - 1);\n  for (let r = 0; r < i.count - 1; r++)' },
    ],
  },
  {
    name: 'tcb-write-registers-no-resume',
    class: 'both',
    area: 'scheduler',
    doc: 'TCB_WriteRegisters ignores the resume flag, so the target is never restarted.',
    patches: [
      { file: SPEC_TCB, find: '  if (i.resume) restart(s, i.thread);\n', replace: '' },
      { file: IMPL_TCB, find: '  if (i.resume) restart(k, i.thread);\n', replace: '' },
    ],
  },
  {
    name: 'tcb-copy-registers-flags-swapped',
    class: 'both',
    area: 'scheduler',
    doc: 'TCB_CopyRegisters reads the transfer-frame and transfer-integer flags from each other\'s bit.',
    patches: [
      { file: SPEC_TCB, find: 'transferFrame: (flags & 4) !== 0, transferInteger: (flags & 8) !== 0,', replace: 'transferFrame: (flags & 8) !== 0, transferInteger: (flags & 4) !== 0,' },
      { file: IMPL_TCB, find: 'transferFrame: (flags & 4) !== 0, transferInteger: (flags & 8) !== 0,', replace: 'transferFrame: (flags & 8) !== 0, transferInteger: (flags & 4) !== 0,' },
    ],
  },
  {
    name: 'sched-restart-to-tail',
    class: 'both',
    area: 'scheduler',
    doc: 'restart queues the restarted thread at the tail of its ready queue instead of the head, so it runs after the threads of its priority that were already waiting.',
    patches: [
      { file: SPEC_THREAD, find: "  setThreadState(s, t, { tag: 'Restart' });\n  tcbSchedEnqueue(s, t);", replace: "  setThreadState(s, t, { tag: 'Restart' });\n  tcbSchedAppend(s, t);" },
      { file: IMPL_THREAD, find: '  setThreadState(k, t, THREAD_STATE.Restart);\n  tcbSchedEnqueue(k, t);', replace: '  setThreadState(k, t, THREAD_STATE.Restart);\n  tcbSchedAppend(k, t);' },
    ],
  },
  {
    name: 'spec-append-at-head',
    class: 'spec',
    area: 'scheduler',
    doc: 'The abstract tcbSchedAppend puts the thread at the head of its queue.',
    patches: [{ file: SPEC_THREAD, find: 'if (!inQueue(s, t, prio)) queue(s, prio).push(t);', replace: 'if (!inQueue(s, t, prio)) queue(s, prio).unshift(t);' }],
  },
  {
    name: 'impl-bitmap-l1-kept',
    class: 'impl',
    area: 'scheduler',
    doc: 'removeFromBitmap clears the L2 bit of an emptied queue but leaves the L1 bit set even when its L2 word is empty, so getHighestPrio finds no priority in that word.',
    patches: [{ file: IMPL_THREAD, find: '  k.m.store32(a, l2);\n  if (l2 === 0) {', replace: '  k.m.store32(a, l2);\n  if (l2 === 0 && false) {' }],
  },
  {
    name: 'impl-tick-no-decrement',
    class: 'impl',
    area: 'scheduler',
    doc: 'The concrete timerTick writes the timeslice back without decrementing it.',
    patches: [{ file: IMPL_THREAD, find: 'setTimeSlice(k, cur, ts - 1);', replace: 'setTimeSlice(k, cur, ts);' }],
  },
];
