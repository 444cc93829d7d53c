// Abstraction of the scheduler state: the ready queues (intrusive lists through schedNext/
// schedPrev from the per-priority head/tail words), the scheduler action and the current and
// idle threads. Impl-only invariants checked here: the two-level bitmap agrees with queue
// emptiness, and a TCB's tcbQueued flag says whether it is in a ready queue.

import type { PPtr, SchedulerAction } from '../../spec/api/types';
import type { Kernel } from '../../impl';
import { GLOBALS, SCHED_ACTION } from '../../impl/model/state';
import { TCB_FLAGS_LAYOUT, TCB_WORD } from '../../impl/object/structures';
import { field, getField } from '../../machine';
import { walkQueue } from '../object/endpoint';
import { tcbWord } from '../object/tcb';

const QUEUED = field(TCB_FLAGS_LAYOUT, 'tcbQueued');

export function absSchedulerAction(k: Kernel): SchedulerAction {
  const a = k.m.peek32(GLOBALS.ksSchedulerAction);
  if (a === SCHED_ACTION.ResumeCurrentThread) return { tag: 'ResumeCurrentThread' };
  if (a === SCHED_ACTION.ChooseNewThread) return { tag: 'ChooseNewThread' };
  return { tag: 'SwitchToThread', tcb: a };
}

export function absReadyQueues(k: Kernel, problem: (what: string) => void): Record<number, PPtr[]> {
  const out: Record<number, PPtr[]> = {};
  const l1 = k.m.peek32(GLOBALS.ksReadyQueuesL1Bitmap);
  const queued = new Set<number>();
  for (let prio = 0; prio < 256; prio++) {
    const head = k.m.peek32(GLOBALS.ksReadyQueues + 8 * prio);
    const tail = k.m.peek32(GLOBALS.ksReadyQueues + 8 * prio + 4);
    const l2 = k.m.peek32(GLOBALS.ksReadyQueuesL2Bitmap + 4 * (7 - (prio >>> 5)));
    const bit = (l2 >>> (prio & 31)) & 1;
    if ((head !== 0) !== (bit === 1)) problem(`ready queue ${prio}: bitmap bit ${bit} but head 0x${head.toString(16)}`);
    if (head === 0 && tail === 0) continue;
    const q = walkQueue(k, head, tail, TCB_WORD.schedNext, TCB_WORD.schedPrev, (w) => problem(`ready queue ${prio}: ${w}`));
    for (const t of q) queued.add(t);
    out[prio] = q;
  }
  for (let i = 0; i < 8; i++) {
    const l2 = k.m.peek32(GLOBALS.ksReadyQueuesL2Bitmap + 4 * (7 - i));
    if ((l2 !== 0) !== (((l1 >>> i) & 1) === 1)) problem(`bitmap: L1 bit ${i} disagrees with L2 word 0x${l2.toString(16)}`);
  }
  for (const [t, o] of k.objects) {
    if (o.type !== 'TCB') continue;
    const flag = getField(tcbWord(k, t, TCB_WORD.flags), QUEUED) === 1;
    if (flag !== queued.has(t)) problem(`TCB 0x${t.toString(16)}: tcbQueued is ${flag} but it is ${queued.has(t) ? '' : 'not '}in a ready queue`);
  }
  return out;
}
