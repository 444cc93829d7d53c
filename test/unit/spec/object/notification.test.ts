import { describe, expect, it } from 'vitest';
import { BADGE_REGISTER } from '../../../../abi/registers';
import type { CapOf } from '../../../../spec/api/types';
import { ALL_RIGHTS } from '../../../../abi/rights';
import { type KernelState, getObject, getTCB } from '../../../../spec/model/state';
import {
  bindNotification,
  cancelAllSignals,
  cancelSignal,
  receiveSignal,
  sendSignal,
  unbindMaybeNotification,
  unbindNotification,
} from '../../../../spec/object/notification';
import { receiveIPC } from '../../../../spec/object/endpoint';
import { ADDR, addThread, epCap, run, stateOf, world } from '../ipc-fixture';

const [A, B, C] = [ADDR.tcbA, ADDR.tcbB, ADDR.tcbC];
const NCAP: CapOf<'NotificationCap'> = { tag: 'NotificationCap', ptr: ADDR.ntfn, badge: 0, rights: ALL_RIGHTS };
const ntfn = (s: KernelState) => getObject(s, ADDR.ntfn, 'Notification');

function setup() {
  const w = world();
  for (const [p, name] of [[A, 'a'], [B, 'b'], [C, 'c']] as const) addThread(w, p, { name, state: { tag: 'Running' } });
  return w;
}

describe('sendSignal', () => {
  it('Idle without waiters becomes Active with the badge, even badge 0', () => {
    const w = setup();
    let s = run(w.s, (d) => sendSignal(d, ADDR.ntfn, 0));
    expect(ntfn(s)).toMatchObject({ state: 'Active', word: 0 });
    s = run(s, (d) => sendSignal(d, ADDR.ntfn, 0x4));
    s = run(s, (d) => sendSignal(d, ADDR.ntfn, 0x81));
    expect(ntfn(s)).toMatchObject({ state: 'Active', word: 0x85 });
  });

  it('wakes the head waiter with the badge, FIFO', () => {
    const w = setup();
    let s = run(w.s, (d) => {
      receiveSignal(d, A, NCAP, true);
      receiveSignal(d, B, NCAP, true);
    });
    expect(ntfn(s)).toMatchObject({ state: 'Waiting', queue: [A, B] });
    s = run(s, (d) => sendSignal(d, ADDR.ntfn, 9));
    expect(stateOf(s, A)).toBe('Running');
    expect(getTCB(s, A).delivered).toEqual({ badge: 9 });
    expect(ntfn(s)).toMatchObject({ state: 'Waiting', queue: [B] });
    s = run(s, (d) => sendSignal(d, ADDR.ntfn, 10));
    expect(getTCB(s, B).delivered).toEqual({ badge: 10 });
    expect(ntfn(s)).toMatchObject({ state: 'Idle', queue: [] });
  });

  it('takes a bound thread out of its endpoint Recv', () => {
    const w = setup();
    let s = run(w.s, (d) => {
      bindNotification(d, A, ADDR.ntfn);
      receiveIPC(d, A, epCap(ADDR.ep), true);
      receiveIPC(d, B, epCap(ADDR.ep), true);
    });
    s = run(s, (d) => sendSignal(d, ADDR.ntfn, 0x20));
    expect(stateOf(s, A)).toBe('Running');
    expect(getTCB(s, A).delivered).toEqual({ badge: 0x20 });
    expect(getTCB(s, A).registers[BADGE_REGISTER]).toBe(0x20);
    expect(getObject(s, ADDR.ep, 'Endpoint').queue).toEqual([B]);
    expect(ntfn(s).state).toBe('Idle');
  });

  it('a bound thread not in Recv leaves the signal pending', () => {
    const w = setup();
    let s = run(w.s, (d) => bindNotification(d, A, ADDR.ntfn));
    s = run(s, (d) => sendSignal(d, ADDR.ntfn, 2));
    expect(ntfn(s)).toMatchObject({ state: 'Active', word: 2 });
    expect(getTCB(s, A).delivered).toEqual({});
  });
});

describe('receiveSignal', () => {
  it('consumes an Active word', () => {
    const w = setup();
    let s = run(w.s, (d) => sendSignal(d, ADDR.ntfn, 6));
    s = run(s, (d) => receiveSignal(d, A, NCAP, true));
    expect(getTCB(s, A).delivered).toEqual({ badge: 6 });
    expect(stateOf(s, A)).toBe('Running');
    expect(ntfn(s)).toMatchObject({ state: 'Idle', word: 0 });
  });

  it('Poll with nothing pending gives badge 0 and changes nothing', () => {
    const w = setup();
    getTCB(w.s, A).delivered = { badge: 1, info: { label: 0, capsUnwrapped: 0, extraCaps: 0, length: 0 }, mrs: [] };
    const s = run(w.s, (d) => receiveSignal(d, A, NCAP, false));
    expect(getTCB(s, A).delivered).toEqual({ badge: 0 });
    expect(ntfn(s).state).toBe('Idle');
  });
});

describe('cancellation and binding', () => {
  it('cancelSignal removes a waiter and makes it Inactive', () => {
    const w = setup();
    let s = run(w.s, (d) => {
      receiveSignal(d, A, NCAP, true);
      receiveSignal(d, B, NCAP, true);
    });
    s = run(s, (d) => cancelSignal(d, B, ADDR.ntfn));
    expect(stateOf(s, B)).toBe('Inactive');
    expect(ntfn(s)).toMatchObject({ state: 'Waiting', queue: [A] });
    s = run(s, (d) => cancelSignal(d, A, ADDR.ntfn));
    expect(ntfn(s)).toMatchObject({ state: 'Idle', queue: [] });
  });

  it('cancelAllSignals restarts every waiter', () => {
    const w = setup();
    let s = run(w.s, (d) => {
      receiveSignal(d, A, NCAP, true);
      receiveSignal(d, B, NCAP, true);
    });
    s = run(s, (d) => cancelAllSignals(d, ADDR.ntfn));
    expect([A, B].map((t) => stateOf(s, t))).toEqual(['Restart', 'Restart']);
    expect(ntfn(s)).toMatchObject({ state: 'Idle', queue: [] });
    expect(s.schedulerAction.tag).toBe('ChooseNewThread');
  });

  it('bind and unbind keep both sides in step', () => {
    const w = setup();
    let s = run(w.s, (d) => bindNotification(d, C, ADDR.ntfn));
    expect(getTCB(s, C).boundNotification).toBe(ADDR.ntfn);
    expect(ntfn(s).boundTCB).toBe(C);
    s = run(s, (d) => unbindNotification(d, C));
    expect(getTCB(s, C).boundNotification).toBeNull();
    expect(ntfn(s).boundTCB).toBeNull();
    s = run(s, (d) => {
      bindNotification(d, C, ADDR.ntfn);
      unbindMaybeNotification(d, ADDR.ntfn);
    });
    expect(getTCB(s, C).boundNotification).toBeNull();
    expect(ntfn(s).boundTCB).toBeNull();
    const same = run(s, (d) => {
      unbindNotification(d, C);
      unbindMaybeNotification(d, ADDR.ntfn);
    });
    expect(same).toBe(s);
  });
});
