// The concrete scheduler: ready queues (intrusive lists, tcbQueued, two-level bitmap) keep their
// invariants under random operations; scheduling decisions; the lazy variant chooses the same
// threads as benno (docs/deviations/thread.md) while keeping stale entries.

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { GLOBALS, Kernel, SCHED_ACTION } from '../../../../impl/model/state';
import { THREAD_STATE } from '../../../../impl/object/structures';
import * as F from '../../../../impl/object/tcb-fields';
import * as Th from '../../../../impl/kernel/thread';

vi.mock('../../../../impl/kernel/vspace', () => ({ setVMRoot: () => undefined }));
vi.mock('../../../../impl/object/endpoint', () => ({ cancelIPC: () => undefined }));

const SEED = 0x5ced;
const N = 10;
const BASE = 0x00200000;
const IDLE = BASE + N * 0x200;
const tcbOf = (i: number): number => BASE + i * 0x200;
const PRIOS = [0, 1, 31, 32, 63, 64, 100, 200, 254, 255];

const kernels = { benno: new Kernel(cfg('benno')), lazy: new Kernel(cfg('lazy')) };

function cfg(scheduler: 'benno' | 'lazy') {
  return { ...defaultConfig(), memoryBits: 22, untyped: [], variant: { scheduler, fastpath: false } };
}

/** A fresh world: N Running threads with the given priorities (none queued), idle current. */
function world(variant: 'benno' | 'lazy', prios: number[]): Kernel {
  const k = kernels[variant];
  k.m.zero(0, 0x1000);
  k.m.zero(BASE, (N + 1) * 0x200);
  for (let i = 0; i < N; i++) {
    F.setThreadStateSimpleWords(k, tcbOf(i), THREAD_STATE.Running);
    F.setPriorityField(k, tcbOf(i), prios[i % prios.length]!);
    F.setMCPField(k, tcbOf(i), 255);
    F.setTimeSlice(k, tcbOf(i), k.config.timeslice);
  }
  F.setThreadStateSimpleWords(k, IDLE, THREAD_STATE.Idle);
  k.m.store32(GLOBALS.ksIdleThread, IDLE);
  F.setCurThread(k, IDLE);
  return k;
}

/** Walks queue prio forwards, checking back links and the tail. */
function queueOf(k: Kernel, prio: number): number[] {
  const out: number[] = [];
  let prev = 0;
  for (let t = Th.readyQueueHead(k, prio); t !== 0; t = F.getSchedNext(k, t)) {
    expect(F.getSchedPrev(k, t)).toBe(prev);
    out.push(t);
    prev = t;
    if (out.length > N) throw new Error(`queue ${prio} loops`);
  }
  expect(Th.readyQueueTail(k, prio)).toBe(prev);
  return out;
}

/** Every structural invariant of the ready queues; returns the queues. */
function checkQueues(k: Kernel): Map<number, number[]> {
  const qs = new Map<number, number[]>();
  const members = new Set<number>();
  const l1 = k.m.load32(GLOBALS.ksReadyQueuesL1Bitmap);
  for (let i = 0; i < 8; i++) {
    const l2 = k.m.load32(GLOBALS.ksReadyQueuesL2Bitmap + 4 * (7 - i));
    expect(((l1 >>> i) & 1) === 1).toBe(l2 !== 0);
    for (let b = 0; b < 32; b++) {
      const p = i * 32 + b;
      const q = queueOf(k, p);
      expect(((l2 >>> b) & 1) === 1).toBe(q.length > 0);
      if (q.length > 0) qs.set(p, q);
      for (const t of q) {
        expect(members.has(t)).toBe(false);
        members.add(t);
        expect(F.getPriority(k, t)).toBe(p);
      }
    }
  }
  expect(k.m.load32(GLOBALS.ksReadyQueuesL1Bitmap) >>> 8).toBe(0);
  for (let i = 0; i <= N; i++) expect(F.getTcbQueued(k, tcbOf(i))).toBe(members.has(tcbOf(i)));
  const top = [...qs.keys()].reduce((a, b) => Math.max(a, b), -1);
  expect(Th.getHighestPrio(k)).toBe(top);
  return qs;
}

describe('ready queues (benno)', () => {
  const op = fc.record({ kind: fc.constantFrom('enqueue', 'append', 'dequeue', 'prio'), t: fc.nat(N - 1), p: fc.constantFrom(...PRIOS) });
  test.prop([fc.array(op, { maxLength: 60 }), fc.shuffledSubarray(PRIOS, { minLength: 1 })], { seed: SEED, numRuns: 60 })(
    'list links, tcbQueued and the bitmap agree with a list model',
    (ops, prios) => {
      const k = world('benno', prios);
      const model = new Map<number, number[]>();
      const prioOf = (t: number) => F.getPriority(k, t);
      const drop = (t: number) => {
        for (const [p, q] of model) {
          const i = q.indexOf(t);
          if (i >= 0) q.splice(i, 1);
          if (q.length === 0) model.delete(p);
        }
      };
      const queued = (t: number) => [...model.values()].some((q) => q.includes(t));
      for (const o of ops) {
        const t = tcbOf(o.t);
        if (o.kind === 'enqueue') {
          Th.tcbSchedEnqueue(k, t);
          if (!queued(t)) model.set(prioOf(t), [t, ...(model.get(prioOf(t)) ?? [])]);
        } else if (o.kind === 'append') {
          Th.tcbSchedAppend(k, t);
          if (!queued(t)) model.set(prioOf(t), [...(model.get(prioOf(t)) ?? []), t]);
        } else if (o.kind === 'dequeue') {
          Th.tcbSchedDequeue(k, t);
          drop(t);
        } else {
          Th.tcbSchedDequeue(k, t);
          drop(t);
          F.setPriorityField(k, t, o.p);
        }
        const qs = checkQueues(k);
        expect(qs).toEqual(model);
      }
    },
  );
});

describe('scheduling decisions (benno)', () => {
  it('chooseThread takes the head of the highest queue, else idle', () => {
    const k = world('benno', [10, 200, 200, 5]);
    Th.chooseThread(k);
    expect(F.getCurThread(k)).toBe(IDLE);
    Th.tcbSchedAppend(k, tcbOf(0));
    Th.tcbSchedAppend(k, tcbOf(2));
    Th.tcbSchedAppend(k, tcbOf(1));
    Th.chooseThread(k);
    expect(F.getCurThread(k)).toBe(tcbOf(2));
    expect(F.getTcbQueued(k, tcbOf(2))).toBe(false);
    expect(checkQueues(k).get(200)).toEqual([tcbOf(1)]);
  });

  it('a woken thread of equal priority queues behind the current one; a higher one runs at once', () => {
    const k = world('benno', [100, 100, 150]);
    F.setCurThread(k, tcbOf(0));
    Th.possibleSwitchTo(k, tcbOf(1));
    expect(F.getSchedulerAction(k)).toBe(tcbOf(1));
    Th.schedule(k);
    expect(F.getCurThread(k)).toBe(tcbOf(0));
    expect(checkQueues(k).get(100)).toEqual([tcbOf(1)]);
    Th.possibleSwitchTo(k, tcbOf(2));
    Th.schedule(k);
    expect(F.getCurThread(k)).toBe(tcbOf(2));
    expect(checkQueues(k).get(100)).toEqual([tcbOf(0), tcbOf(1)]);
    expect(F.getSchedulerAction(k)).toBe(SCHED_ACTION.ResumeCurrentThread);
  });

  it('a lower candidate is queued when a higher thread is ready', () => {
    const k = world('benno', [50, 10, 80]);
    F.setCurThread(k, tcbOf(0));
    Th.tcbSchedEnqueue(k, tcbOf(2));
    Th.possibleSwitchTo(k, tcbOf(1));
    Th.schedule(k);
    expect(F.getCurThread(k)).toBe(tcbOf(2));
    expect([...checkQueues(k).entries()]).toEqual([[10, [tcbOf(1)]], [50, [tcbOf(0)]]]);
  });

  it('timerTick round-robins at the end of the time slice', () => {
    const k = world('benno', [7]);
    for (let i = 1; i < 3; i++) Th.tcbSchedAppend(k, tcbOf(i));
    F.setCurThread(k, tcbOf(0));
    const order: number[] = [];
    for (let tick = 0; tick < 3 * k.config.timeslice; tick++) {
      Th.timerTick(k);
      Th.schedule(k);
      order.push(F.getCurThread(k));
    }
    const expected = [1, 2, 0].flatMap((i) => [0, 0, 0, 0, 0].map(() => tcbOf(i)));
    expect(order).toEqual([tcbOf(0), tcbOf(0), tcbOf(0), tcbOf(0), ...expected.slice(0, 11)]);
  });

  it('blocking the current thread chooses anew; activateThread turns Restart into Running', () => {
    const k = world('benno', [9, 3]);
    F.setCurThread(k, tcbOf(0));
    Th.tcbSchedEnqueue(k, tcbOf(1));
    Th.setThreadState(k, tcbOf(0), THREAD_STATE.BlockedOnReceive, 0x1000, F.threadStateWord1(0, true, false, false));
    expect(F.getSchedulerAction(k)).toBe(SCHED_ACTION.ChooseNewThread);
    Th.setThreadState(k, tcbOf(1), THREAD_STATE.Restart);
    Th.schedule(k);
    Th.activateThread(k);
    expect(F.getCurThread(k)).toBe(tcbOf(1));
    expect(F.getThreadStateType(k, tcbOf(1))).toBe(THREAD_STATE.Running);
    expect(F.getBlockingObject(k, tcbOf(0))).toBe(0x1000);
  });

  it('isHighestPrio reads the bitmap', () => {
    const k = world('benno', [40, 33]);
    expect(Th.isHighestPrio(k, 0)).toBe(true);
    Th.tcbSchedEnqueue(k, tcbOf(0));
    expect(Th.isHighestPrio(k, 39)).toBe(false);
    expect(Th.isHighestPrio(k, 40)).toBe(true);
  });

  it('restart sets up the master reply cap and makes the thread runnable', () => {
    const k = world('benno', [20, 30]);
    F.setCurThread(k, tcbOf(0));
    F.setThreadStateSimpleWords(k, tcbOf(1), THREAD_STATE.Inactive);
    Th.restart(k, tcbOf(1));
    expect(F.getThreadStateType(k, tcbOf(1))).toBe(THREAD_STATE.Restart);
    expect(k.m.load32(F.tcbSlotAddr(tcbOf(1), F.TCB_CNODE_SLOT.reply)) & 0xf).toBe(8);
    Th.schedule(k);
    expect(F.getCurThread(k)).toBe(tcbOf(1));
    Th.suspend(k, tcbOf(1));
    expect(F.getSchedulerAction(k)).toBe(SCHED_ACTION.ChooseNewThread);
    Th.schedule(k);
    expect(F.getCurThread(k)).toBe(tcbOf(0));
  });
});

describe('lazy scheduling', () => {
  it('keeps blocked threads queued and drops them in chooseThread', () => {
    const k = world('lazy', [60, 60, 60]);
    for (let i = 0; i < 3; i++) Th.tcbSchedAppend(k, tcbOf(i));
    Th.chooseThread(k);
    expect(F.getCurThread(k)).toBe(tcbOf(0));
    expect(checkQueues(k).get(60)).toEqual([tcbOf(0), tcbOf(1), tcbOf(2)]); // the running entry stays
    Th.setThreadState(k, tcbOf(1), THREAD_STATE.BlockedOnSend, 0x2000, 0);
    Th.setThreadState(k, tcbOf(0), THREAD_STATE.BlockedOnSend, 0x2000, 0);
    expect(checkQueues(k).get(60)).toEqual([tcbOf(0), tcbOf(1), tcbOf(2)]);
    Th.schedule(k);
    expect(F.getCurThread(k)).toBe(tcbOf(2));
    expect(checkQueues(k).get(60)).toEqual([tcbOf(2)]);
  });

  it('a woken thread loses its stale entry', () => {
    const k = world('lazy', [60, 60]);
    Th.tcbSchedAppend(k, tcbOf(0));
    Th.tcbSchedAppend(k, tcbOf(1));
    Th.setThreadState(k, tcbOf(0), THREAD_STATE.BlockedOnReceive, 0x2000, 0);
    Th.setThreadState(k, tcbOf(0), THREAD_STATE.Running);
    expect(checkQueues(k).get(60)).toEqual([tcbOf(1)]);
  });

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

  function entry(k: Kernel, o: Op): void {
    const cur = F.getCurThread(k);
    const idle = cur === IDLE;
    switch (o.kind) {
      case 'block':
        if (!idle) Th.setThreadState(k, cur, THREAD_STATE.BlockedOnReceive, 0x3000, 0);
        break;
      case 'wake':
        if (F.isBlocked(k, tcbOf(o.t))) {
          Th.setThreadState(k, tcbOf(o.t), THREAD_STATE.Running);
          Th.possibleSwitchTo(k, tcbOf(o.t));
        }
        break;
      case 'tick':
        Th.timerTick(k);
        break;
      case 'yield':
        if (!idle) {
          Th.tcbSchedDequeue(k, cur);
          Th.tcbSchedAppend(k, cur);
          Th.rescheduleRequired(k);
        }
        break;
      case 'prio':
        Th.setPriority(k, tcbOf(o.t), o.p);
        break;
      case 'suspend':
        Th.suspend(k, tcbOf(o.t));
        break;
      case 'resume':
        Th.restart(k, tcbOf(o.t));
        break;
    }
    Th.schedule(k);
    Th.activateThread(k);
  }

  test.prop([fc.array(opArb, { maxLength: 80 }), fc.shuffledSubarray(PRIOS, { minLength: 1, maxLength: 3 })], { seed: SEED, numRuns: 60 })(
    'chooses the same threads as benno',
    (ops, prios) => {
      const b = world('benno', prios);
      const l = world('lazy', prios);
      for (let i = 0; i < N; i++) {
        Th.tcbSchedAppend(b, tcbOf(i));
        Th.tcbSchedAppend(l, tcbOf(i));
      }
      Th.chooseThread(b);
      Th.chooseThread(l);
      for (const o of ops) {
        entry(b, o);
        entry(l, o);
        expect(F.getCurThread(l)).toBe(F.getCurThread(b));
        for (let i = 0; i < N; i++) {
          expect(F.getThreadStateType(l, tcbOf(i))).toBe(F.getThreadStateType(b, tcbOf(i)));
          expect(F.getTimeSlice(l, tcbOf(i))).toBe(F.getTimeSlice(b, tcbOf(i)));
        }
        // benno: queued threads are runnable, the current one is not queued
        const qs = checkQueues(b);
        for (const q of qs.values()) for (const t of q) expect(F.isRunnable(b, t)).toBe(true);
        expect(F.getTcbQueued(b, F.getCurThread(b))).toBe(false);
        checkQueues(l);
      }
    },
  );
});

describe('cost of a scheduling decision', () => {
  /**
   * Loads of the schedule() after the current thread (prio 42) blocks, when `blocked` threads of
   * a lower priority blocked earlier (as a high-priority server's clients do under lazy scheduling:
   * their entries stay queued; benno dequeued them).
   */
  function chooseCost(variant: 'benno' | 'lazy', blocked: number): number {
    const k = world(variant, [42, 10]);
    const low = [1, 3, 5, 7, 9].slice(0, blocked).map(tcbOf);
    for (const t of [tcbOf(0), ...low]) Th.tcbSchedAppend(k, t);
    Th.chooseThread(k);
    expect(F.getCurThread(k)).toBe(tcbOf(0));
    for (const t of low) {
      if (variant === 'benno') Th.tcbSchedDequeue(k, t);
      Th.setThreadState(k, t, THREAD_STATE.BlockedOnReceive, 0x1000, 0);
    }
    Th.setThreadState(k, tcbOf(0), THREAD_STATE.BlockedOnReceive, 0x1000, 0);
    const before = k.m.counters.loads;
    Th.schedule(k);
    expect(F.getCurThread(k)).toBe(IDLE);
    return k.m.counters.loads - before;
  }

  it('benno: independent of the number of blocked threads; lazy: grows with it', () => {
    const benno = [1, 2, 3, 5].map((b) => chooseCost('benno', b));
    const lazy = [1, 2, 3, 5].map((b) => chooseCost('lazy', b));
    expect(new Set(benno).size).toBe(1);
    for (let i = 1; i < lazy.length; i++) expect(lazy[i]).toBeGreaterThan(lazy[i - 1]!);
  });
});
