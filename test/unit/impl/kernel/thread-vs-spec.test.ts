// The concrete scheduler against the abstract one (spec/kernel/thread.ts), both variants: the same
// random kernel entries (block, wake, tick, yield, setPriority, suspend, resume, then schedule and
// activateThread) leave the same current thread, scheduler action, thread states and ready-queue
// contents (the lazy variant's stale and running entries included), as refinement will require.

import { fc, test } from '@fast-check/vitest';
import { describe, expect, vi } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { GLOBALS, Kernel, SCHED_ACTION } from '../../../../impl/model/state';
import { THREAD_STATE } from '../../../../impl/object/structures';
import * as F from '../../../../impl/object/tcb-fields';
import * as Th from '../../../../impl/kernel/thread';
import { bootState, newTCB } from '../../../../spec/kernel/boot';
import * as S from '../../../../spec/kernel/thread';
import type { KernelState } from '../../../../spec/model/state';
import { getTCB } from '../../../../spec/model/state';
import type { ThreadState } from '../../../../spec/api/types';

vi.mock('../../../../impl/kernel/vspace', () => ({ setVMRoot: () => undefined }));
vi.mock('../../../../impl/object/endpoint', () => ({ cancelIPC: () => undefined }));
vi.mock('../../../../spec/object/endpoint', async (orig) => ({ ...(await orig<object>()), cancelIPC: () => undefined }));

const SEED = 0x5bec;
const N = 8;
const BASE = 0x00200000;
const IDLE = BASE + N * 0x200;
const tcbOf = (i: number): number => BASE + i * 0x200;
const PRIOS = [0, 31, 32, 100, 255];
const EP = 0x3000;
type Variant = 'benno' | 'lazy';

function cfg(scheduler: Variant) {
  return { ...defaultConfig(), memoryBits: 22, untyped: [], variant: { scheduler, fastpath: false } };
}
const impls = { benno: new Kernel(cfg('benno')), lazy: new Kernel(cfg('lazy')) };
const specBoot = { benno: bootState(cfg('benno')), lazy: bootState(cfg('lazy')) };

function implWorld(v: Variant, prios: number[]): Kernel {
  const k = impls[v];
  k.m.zero(0, 0x1000);
  k.m.zero(BASE, (N + 1) * 0x200);
  for (let i = 0; i < N; i++) {
    F.setThreadStateSimpleWords(k, tcbOf(i), THREAD_STATE.Running);
    F.setPriorityField(k, tcbOf(i), prios[i % prios.length]!);
    F.setTimeSlice(k, tcbOf(i), k.config.timeslice);
  }
  F.setThreadStateSimpleWords(k, IDLE, THREAD_STATE.Idle);
  k.m.store32(GLOBALS.ksIdleThread, IDLE);
  F.setCurThread(k, IDLE);
  return k;
}

function specWorld(v: Variant, prios: number[]): KernelState {
  const s = structuredClone(specBoot[v]);
  s.curThread = s.idleThread;
  s.readyQueues = {};
  s.schedulerAction = { tag: 'ResumeCurrentThread' };
  for (let i = 0; i < N; i++) {
    const t = tcbOf(i);
    s.objects[t] = { ...newTCB(s.config), state: { tag: 'Running' }, priority: prios[i % prios.length]! };
    for (let j = 0; j < 5; j++) s.ctes[t + 16 * j] = { cap: { tag: 'NullCap' }, mdb: { prev: 0, next: 0, revocable: false, firstBadged: false } };
  }
  return s;
}

type Op =
  | { kind: 'block' } | { kind: 'wake'; t: number } | { kind: 'tick' } | { kind: 'yield' }
  | { kind: 'prio'; t: number; p: number } | { kind: 'suspend'; t: number } | { kind: 'resume'; t: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ kind: 'block' }),
  fc.nat(N - 1).map<Op>((t) => ({ kind: 'wake', t })),
  fc.constant<Op>({ kind: 'tick' }),
  fc.constant<Op>({ kind: 'yield' }),
  fc.record({ t: fc.nat(N - 1), p: fc.constantFrom(...PRIOS) }).map<Op>((r) => ({ kind: 'prio', ...r })),
  fc.nat(N - 1).map<Op>((t) => ({ kind: 'suspend', t })),
  fc.nat(N - 1).map<Op>((t) => ({ kind: 'resume', t })),
);

function implEntry(k: Kernel, o: Op): void {
  const cur = F.getCurThread(k);
  const idle = cur === IDLE;
  switch (o.kind) {
    case 'block':
      if (!idle) Th.setThreadState(k, cur, THREAD_STATE.BlockedOnReceive, EP, 0);
      break;
    case 'wake':
      if (F.isBlocked(k, tcbOf(o.t))) {
        Th.setThreadState(k, tcbOf(o.t), THREAD_STATE.Running);
        Th.possibleSwitchTo(k, tcbOf(o.t));
      }
      break;
    case 'tick': Th.timerTick(k); break;
    case 'yield':
      if (!idle) {
        Th.tcbSchedDequeue(k, cur);
        Th.tcbSchedAppend(k, cur);
        Th.rescheduleRequired(k);
      }
      break;
    case 'prio': Th.setPriority(k, tcbOf(o.t), o.p); break;
    case 'suspend': Th.suspend(k, tcbOf(o.t)); break;
    case 'resume': Th.restart(k, tcbOf(o.t)); break;
  }
}

function specEntry(s: KernelState, o: Op): void {
  const cur = s.curThread;
  const idle = cur === s.idleThread;
  switch (o.kind) {
    case 'block':
      if (!idle) S.setThreadState(s, cur, { tag: 'BlockedOnReceive', ep: EP, canGrant: false });
      break;
    case 'wake': {
      const st = getTCB(s, tcbOf(o.t)).state.tag;
      if (st.startsWith('Blocked')) {
        S.setThreadState(s, tcbOf(o.t), { tag: 'Running' });
        S.possibleSwitchTo(s, tcbOf(o.t));
      }
      break;
    }
    case 'tick': S.timerTick(s); break;
    case 'yield':
      if (!idle) {
        S.tcbSchedDequeue(s, cur);
        S.tcbSchedAppend(s, cur);
        S.rescheduleRequired(s);
      }
      break;
    case 'prio': S.setPriority(s, tcbOf(o.t), o.p); break;
    case 'suspend': S.suspend(s, tcbOf(o.t)); break;
    case 'resume': S.restart(s, tcbOf(o.t)); break;
  }
}

const STATE_TAG: Record<ThreadState['tag'], number> = {
  Inactive: THREAD_STATE.Inactive, Running: THREAD_STATE.Running, Restart: THREAD_STATE.Restart,
  BlockedOnReceive: THREAD_STATE.BlockedOnReceive, BlockedOnSend: THREAD_STATE.BlockedOnSend,
  BlockedOnReply: THREAD_STATE.BlockedOnReply, BlockedOnNotification: THREAD_STATE.BlockedOnNotification, Idle: THREAD_STATE.Idle,
};

function implQueues(k: Kernel): Record<number, number[]> {
  const out: Record<number, number[]> = {};
  for (let p = 0; p < 256; p++) {
    const q: number[] = [];
    for (let t = Th.readyQueueHead(k, p); t !== 0; t = F.getSchedNext(k, t)) q.push(t);
    if (q.length > 0) out[p] = q;
  }
  return out;
}

function implAction(k: Kernel, s: KernelState): KernelState['schedulerAction'] {
  const a = F.getSchedulerAction(k);
  if (a === SCHED_ACTION.ResumeCurrentThread) return { tag: 'ResumeCurrentThread' };
  if (a === SCHED_ACTION.ChooseNewThread) return { tag: 'ChooseNewThread' };
  return { tag: 'SwitchToThread', tcb: a === IDLE ? s.idleThread : a };
}

function compare(k: Kernel, s: KernelState, when: string): void {
  const cur = F.getCurThread(k);
  expect(cur === IDLE ? s.idleThread : cur, `current thread ${when}`).toBe(s.curThread);
  expect(implAction(k, s), `scheduler action ${when}`).toEqual(s.schedulerAction);
  expect(implQueues(k), `ready queues ${when}`).toEqual(s.readyQueues);
  for (let i = 0; i < N; i++) {
    const tcb = getTCB(s, tcbOf(i));
    expect(F.getThreadStateType(k, tcbOf(i)), `state of ${i} ${when}`).toBe(STATE_TAG[tcb.state.tag]);
    expect(F.getPriority(k, tcbOf(i))).toBe(tcb.priority);
    expect(F.getTimeSlice(k, tcbOf(i))).toBe(tcb.timeSlice);
  }
}

describe.each(['benno', 'lazy'] as const)('impl scheduler refines spec (%s)', (v) => {
  test.prop([fc.array(opArb, { maxLength: 60 }), fc.shuffledSubarray(PRIOS, { minLength: 1, maxLength: 3 })], { seed: SEED, numRuns: 60 })(
    'same decisions and queue contents',
    (ops, prios) => {
      const k = implWorld(v, prios);
      const s = specWorld(v, prios);
      for (let i = 0; i < N; i++) {
        Th.tcbSchedAppend(k, tcbOf(i));
        S.tcbSchedAppend(s, tcbOf(i));
      }
      Th.chooseThread(k);
      S.chooseThread(s);
      compare(k, s, 'at start');
      ops.forEach((o, n) => {
        implEntry(k, o);
        specEntry(s, o);
        compare(k, s, `after op ${n} ${o.kind}`);
        Th.schedule(k);
        S.schedule(s);
        Th.activateThread(k);
        S.activateThread(s);
        compare(k, s, `after schedule ${n}`);
        expect(Th.isHighestPrio(k, 100)).toBe(S.isHighestPrio(s, 100));
      });
    },
  );
});
