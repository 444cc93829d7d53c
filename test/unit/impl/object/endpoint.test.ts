// The concrete endpoint queues: intrusive doubly linked lists through the TCBs' epNext/epPrev keep
// their invariants (forward and back links agree, head/tail match, the state bits are untouched)
// and their FIFO order under random appends and removals; cancelBadgedSends / cancelAllIPC
// restart the right threads in queue order.

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { GLOBALS, Kernel, SCHED_ACTION } from '../../../../impl/model/state';
import { EP_STATE, THREAD_STATE } from '../../../../impl/object/structures';
import * as F from '../../../../impl/object/tcb-fields';
import * as E from '../../../../impl/object/endpoint';
import { NTFN_QUEUE } from '../../../../impl/object/notification';
import * as Th from '../../../../impl/kernel/thread';

vi.mock('../../../../impl/kernel/vspace', () => ({ setVMRoot: () => undefined, lookupIPCBuffer: () => 0 }));

const SEED = 0x1bc;
const N = 8;
const BASE = 0x00200000;
const IDLE = BASE + N * 0x200;
const EP = BASE + (N + 1) * 0x200;
const tcbOf = (i: number): number => BASE + i * 0x200;

const k = new Kernel({ ...defaultConfig(), memoryBits: 22, untyped: [], variant: { scheduler: 'benno', fastpath: false } });

function reset(): void {
  k.m.zero(0, 0x1000);
  k.m.zero(BASE, (N + 2) * 0x200);
  for (let i = 0; i < N; i++) {
    F.setThreadStateSimpleWords(k, tcbOf(i), THREAD_STATE.Running);
    F.setPriorityField(k, tcbOf(i), 10 + i);
  }
  F.setThreadStateSimpleWords(k, IDLE, THREAD_STATE.Idle);
  k.m.store32(GLOBALS.ksIdleThread, IDLE);
  F.setCurThread(k, IDLE);
}

/** The queue walked forwards, checking every back link and the tail. */
function queueOf(obj: number, q: E.QueueFields): number[] {
  const out: number[] = [];
  let prev = 0;
  for (let t = E.queueHead(k, obj, q); t !== 0; t = F.getEpNext(k, t)) {
    expect(F.getEpPrev(k, t)).toBe(prev);
    out.push(t);
    prev = t;
    if (out.length > N) throw new Error('queue loops');
  }
  expect(E.queueTail(k, obj, q)).toBe(prev);
  return out;
}

describe('intrusive TCB queues', () => {
  test.prop([fc.array(fc.tuple(fc.boolean(), fc.nat(N - 1)), { maxLength: 60 }), fc.constantFrom(E.EP_QUEUE, NTFN_QUEUE)], {
    seed: SEED,
  })('appends and removals keep the list a FIFO with consistent links', (ops, q) => {
    reset();
    E.setObjState(k, EP, q, 2);
    const model: number[] = [];
    for (const [append, i] of ops) {
      const t = tcbOf(i);
      const at = model.indexOf(t);
      if (append && at < 0) {
        E.tcbEPAppend(k, EP, q, t);
        model.push(t);
      } else if (!append && at >= 0) {
        E.tcbEPDequeue(k, EP, q, t);
        model.splice(at, 1);
      }
      expect(queueOf(EP, q)).toEqual(model);
      expect(E.objState(k, EP, q)).toBe(2);
    }
  });

  it('dequeueHead empties into the idle state', () => {
    reset();
    E.setObjState(k, EP, E.EP_QUEUE, EP_STATE.Send);
    E.tcbEPAppend(k, EP, E.EP_QUEUE, tcbOf(0));
    E.tcbEPAppend(k, EP, E.EP_QUEUE, tcbOf(1));
    expect(E.queueDequeueHead(k, EP, E.EP_QUEUE, EP_STATE.Idle)).toBe(tcbOf(0));
    expect(E.epState(k, EP)).toBe(EP_STATE.Send);
    expect(E.queueDequeueHead(k, EP, E.EP_QUEUE, EP_STATE.Idle)).toBe(tcbOf(1));
    expect(E.epState(k, EP)).toBe(EP_STATE.Idle);
    expect(queueOf(EP, E.EP_QUEUE)).toEqual([]);
  });
});

/** Queues threads 0..n-1 as senders on EP with the given badges. */
function queueSenders(badges: number[]): void {
  badges.forEach((b, i) => {
    E.sendIPC(k, true, false, b, false, false, tcbOf(i), EP);
  });
}

describe('cancellation', () => {
  test.prop([fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: N }), fc.integer({ min: 0, max: 3 })], {
    seed: SEED,
  })('cancelBadgedSends restarts exactly the senders with the badge and keeps the others in order', (badges, badge) => {
    reset();
    queueSenders(badges);
    expect(E.epState(k, EP)).toBe(EP_STATE.Send);
    E.cancelBadgedSends(k, EP, badge);
    const kept = badges.map((b, i) => [b, tcbOf(i)] as const).filter(([b]) => b !== badge).map(([, t]) => t);
    expect(queueOf(EP, E.EP_QUEUE)).toEqual(kept);
    expect(E.epState(k, EP)).toBe(kept.length > 0 ? EP_STATE.Send : EP_STATE.Idle);
    badges.forEach((b, i) => {
      expect(F.getThreadStateType(k, tcbOf(i))).toBe(b === badge ? THREAD_STATE.Restart : THREAD_STATE.BlockedOnSend);
    });
    // restarted threads go to the head of their ready queues, and scheduling is left to choose
    expect(F.getSchedulerAction(k)).toBe(SCHED_ACTION.ChooseNewThread);
    badges.forEach((b, i) => expect(F.getTcbQueued(k, tcbOf(i))).toBe(b === badge));
  });

  it('cancelAllIPC restarts every queued thread and idles the endpoint', () => {
    reset();
    queueSenders([1, 2, 3]);
    E.cancelAllIPC(k, EP);
    expect(E.epState(k, EP)).toBe(EP_STATE.Idle);
    expect(E.queueHead(k, EP, E.EP_QUEUE)).toBe(0);
    expect(E.queueTail(k, EP, E.EP_QUEUE)).toBe(0);
    for (let i = 0; i < 3; i++) expect(F.getThreadStateType(k, tcbOf(i))).toBe(THREAD_STATE.Restart);
    expect(Th.getHighestPrio(k)).toBe(12);
  });

  it('cancelIPC of a queued sender unlinks it and idles an emptied endpoint', () => {
    reset();
    queueSenders([5, 6]);
    E.cancelIPC(k, tcbOf(0));
    expect(queueOf(EP, E.EP_QUEUE)).toEqual([tcbOf(1)]);
    expect(F.getThreadStateType(k, tcbOf(0))).toBe(THREAD_STATE.Inactive);
    E.cancelIPC(k, tcbOf(1));
    expect(E.epState(k, EP)).toBe(EP_STATE.Idle);
  });

  it('a blocked sender remembers badge, grant rights and call', () => {
    reset();
    E.sendIPC(k, true, true, 0xabc, true, false, tcbOf(2), EP);
    const t = tcbOf(2);
    expect(F.getThreadStateType(k, t)).toBe(THREAD_STATE.BlockedOnSend);
    expect(F.getBlockingObject(k, t)).toBe(EP);
    expect(F.getBlockingIPCBadge(k, t)).toBe(0xabc);
    expect(F.getBlockingIPCCanGrant(k, t)).toBe(true);
    expect(F.getBlockingIPCCanGrantReply(k, t)).toBe(false);
    expect(F.getBlockingIPCIsCall(k, t)).toBe(true);
  });

  it('a non-blocking send with no receiver changes nothing', () => {
    reset();
    E.sendIPC(k, false, false, 1, false, false, tcbOf(0), EP);
    expect(E.epState(k, EP)).toBe(EP_STATE.Idle);
    expect(F.getThreadStateType(k, tcbOf(0))).toBe(THREAD_STATE.Running);
  });
});
