// Concrete notifications against a small model: the word is the OR of the badges signalled since
// the last delivery (0 when not Active), waiters are woken FIFO with the badge of the signal, Poll
// on nothing delivers 0; the ghost delivery record keeps only the badge; binding is symmetric and a
// signal wakes a bound thread out of an endpoint receive.

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { BADGE_REGISTER } from '../../../../abi/registers';
import { GLOBALS, Kernel } from '../../../../impl/model/state';
import { EP_STATE, NTFN_STATE, THREAD_STATE } from '../../../../impl/object/structures';
import * as F from '../../../../impl/object/tcb-fields';
import * as E from '../../../../impl/object/endpoint';
import * as N from '../../../../impl/object/notification';
import { makeEndpointCap, makeNotificationCap } from '../../../../impl/object/cap';

vi.mock('../../../../impl/kernel/vspace', () => ({ setVMRoot: () => undefined, lookupIPCBuffer: () => 0 }));

const SEED = 0x5167;
const T = 4;
const BASE = 0x00200000;
const IDLE = BASE + T * 0x200;
const NTFN = BASE + (T + 1) * 0x200;
const EP = NTFN + 0x10;
const tcbOf = (i: number): number => BASE + i * 0x200;

const k = new Kernel({ ...defaultConfig(), memoryBits: 22, untyped: [], variant: { scheduler: 'benno', fastpath: false } });

function reset(): void {
  k.m.zero(0, 0x1000);
  k.m.zero(BASE, (T + 2) * 0x200);
  k.delivered.clear();
  for (let i = 0; i < T; i++) {
    F.setThreadStateSimpleWords(k, tcbOf(i), THREAD_STATE.Running);
    F.setPriorityField(k, tcbOf(i), 50);
  }
  F.setThreadStateSimpleWords(k, IDLE, THREAD_STATE.Idle);
  k.m.store32(GLOBALS.ksIdleThread, IDLE);
  F.setCurThread(k, IDLE);
}

const ntfnCap = makeNotificationCap(NTFN, 0, 3);

type Op = { op: 'signal'; badge: number } | { op: 'wait' | 'poll'; t: number };
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('signal' as const), badge: fc.nat({ max: 0xff }) }),
  fc.record({ op: fc.constantFrom('wait' as const, 'poll' as const), t: fc.nat(T - 1) }),
);

describe('signal, wait and poll', () => {
  test.prop([fc.array(arbOp, { maxLength: 40 })], { seed: SEED })('follow the model', (ops) => {
    reset();
    let word: number | null = null; // null: not Active
    const waiters: number[] = [];
    const got = new Map<number, number>();
    for (const o of ops) {
      if (o.op === 'signal') {
        N.sendSignal(k, NTFN, o.badge);
        const w = waiters.shift();
        if (w !== undefined) got.set(w, o.badge);
        else word = (word ?? 0) | o.badge;
      } else {
        const t = tcbOf(o.t);
        if (F.getThreadStateType(k, t) !== THREAD_STATE.Running) continue; // only running threads act
        N.receiveSignal(k, t, ntfnCap, o.op === 'wait');
        if (word !== null) {
          got.set(t, word);
          word = null;
        } else if (o.op === 'wait') {
          waiters.push(t);
        } else {
          got.set(t, 0);
        }
      }
      expect(N.ntfnState(k, NTFN)).toBe(word !== null ? NTFN_STATE.Active : waiters.length > 0 ? NTFN_STATE.Waiting : NTFN_STATE.Idle);
      expect(N.ntfnMsgIdentifier(k, NTFN)).toBe(word ?? 0);
      const q: number[] = [];
      for (let t = E.queueHead(k, NTFN, N.NTFN_QUEUE); t !== 0; t = F.getEpNext(k, t)) q.push(t);
      expect(q).toEqual(waiters);
      for (const [t, b] of got) {
        expect(k.delivered.get(t)).toEqual({ badge: b });
        expect(F.getRegister(k, t, BADGE_REGISTER)).toBe(b);
      }
      for (const t of waiters) expect(F.getThreadStateType(k, t)).toBe(THREAD_STATE.BlockedOnNotification);
    }
  });
});

describe('bound notifications', () => {
  it('bind and unbind are symmetric', () => {
    reset();
    N.bindNotification(k, tcbOf(1), NTFN);
    expect(N.ntfnBoundTCB(k, NTFN)).toBe(tcbOf(1));
    expect(F.getBoundNotification(k, tcbOf(1))).toBe(NTFN);
    N.unbindMaybeNotification(k, NTFN);
    expect(N.ntfnBoundTCB(k, NTFN)).toBe(0);
    expect(F.getBoundNotification(k, tcbOf(1))).toBe(0);
    N.bindNotification(k, tcbOf(2), NTFN);
    N.unbindNotification(k, tcbOf(2));
    expect(N.ntfnBoundTCB(k, NTFN)).toBe(0);
  });

  it('a signal wakes the bound thread out of its endpoint receive', () => {
    reset();
    const t = tcbOf(0);
    N.bindNotification(k, t, NTFN);
    E.receiveIPC(k, t, makeEndpointCap(EP, 0, 0xf), true);
    expect(E.epState(k, EP)).toBe(EP_STATE.Recv);
    N.sendSignal(k, NTFN, 0x40);
    expect(E.epState(k, EP)).toBe(EP_STATE.Idle);
    expect(F.getThreadStateType(k, t)).toBe(THREAD_STATE.Running);
    expect(k.delivered.get(t)).toEqual({ badge: 0x40 });
    expect(N.ntfnState(k, NTFN)).toBe(NTFN_STATE.Idle);
  });

  it('an active bound notification is consumed at Recv without touching the endpoint', () => {
    reset();
    const t = tcbOf(0);
    N.bindNotification(k, t, NTFN);
    N.sendSignal(k, NTFN, 3);
    N.sendSignal(k, NTFN, 4);
    E.receiveIPC(k, t, makeEndpointCap(EP, 0, 0xf), true);
    expect(F.getThreadStateType(k, t)).toBe(THREAD_STATE.Running);
    expect(k.delivered.get(t)).toEqual({ badge: 7 });
    expect(E.epState(k, EP)).toBe(EP_STATE.Idle);
    expect(N.ntfnState(k, NTFN)).toBe(NTFN_STATE.Idle);
    expect(N.ntfnMsgIdentifier(k, NTFN)).toBe(0);
  });

  it('cancelAllSignals restarts every waiter', () => {
    reset();
    for (let i = 0; i < 3; i++) N.receiveSignal(k, tcbOf(i), ntfnCap, true);
    N.cancelAllSignals(k, NTFN);
    expect(N.ntfnState(k, NTFN)).toBe(NTFN_STATE.Idle);
    for (let i = 0; i < 3; i++) expect(F.getThreadStateType(k, tcbOf(i))).toBe(THREAD_STATE.Restart);
  });
});
