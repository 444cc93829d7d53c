import { describe, expect, it } from 'vitest';
import { wordFromMessageInfo } from '../../../../abi/messageinfo';
import { MSG_INFO_REGISTER, MSG_REGISTERS } from '../../../../abi/registers';
import type { PPtr } from '../../../../spec/api/types';
import { type KernelState, getCTE, getObject, getTCB, tcbSlot } from '../../../../spec/model/state';
import { TCB_SLOT } from '../../../../spec/object/structures';
import { cancelAllIPC, cancelBadgedSends, cancelIPC, receiveIPC, sendIPC } from '../../../../spec/object/endpoint';
import { ADDR, type World, addThread, epCap, rights, run, stateOf, world } from '../ipc-fixture';

const [A, B, C, D] = [ADDR.tcbA, ADDR.tcbB, ADDR.tcbC, ADDR.tcbD];

function threads(w: World): void {
  for (const [p, name] of [[A, 'a'], [B, 'b'], [C, 'c'], [D, 'd']] as const) {
    addThread(w, p, { name, state: { tag: 'Running' } });
    getTCB(w.s, p).registers[MSG_INFO_REGISTER] = wordFromMessageInfo({ label: p >>> 9, capsUnwrapped: 0, extraCaps: 0, length: 1 });
    getTCB(w.s, p).registers[MSG_REGISTERS[0]] = p;
  }
}

const send = (d: KernelState, t: PPtr, badge: number, call = false, blocking = true) =>
  sendIPC(d, blocking, call, badge, false, call, t, ADDR.ep);
const recv = (d: KernelState, t: PPtr, blocking = true) => receiveIPC(d, t, epCap(ADDR.ep), blocking);

describe('sendIPC / receiveIPC', () => {
  it('queues blocked senders FIFO and serves them in order', () => {
    const w = world();
    threads(w);
    let s = run(w.s, (d) => {
      send(d, A, 1);
      send(d, B, 2);
      send(d, C, 3);
    });
    expect(getObject(s, ADDR.ep, 'Endpoint')).toEqual({ tag: 'Endpoint', state: 'Send', queue: [A, B, C] });
    const got: number[] = [];
    for (let i = 0; i < 3; i++) {
      s = run(s, (d) => recv(d, D));
      got.push(getTCB(s, D).delivered.badge ?? -1);
    }
    expect(got).toEqual([1, 2, 3]);
    expect(getObject(s, ADDR.ep, 'Endpoint')).toEqual({ tag: 'Endpoint', state: 'Idle', queue: [] });
    expect([A, B, C].map((t) => stateOf(s, t))).toEqual(['Running', 'Running', 'Running']);
  });

  it('queues blocked receivers FIFO', () => {
    const w = world();
    threads(w);
    let s = run(w.s, (d) => {
      recv(d, A);
      recv(d, B);
    });
    expect(getObject(s, ADDR.ep, 'Endpoint')).toEqual({ tag: 'Endpoint', state: 'Recv', queue: [A, B] });
    s = run(s, (d) => send(d, C, 7));
    expect(getTCB(s, A).delivered).toMatchObject({ badge: 7, mrs: [C] });
    expect(stateOf(s, A)).toBe('Running');
    expect(stateOf(s, B)).toBe('BlockedOnReceive');
  });

  it('a non-blocking send with no receiver drops the message', () => {
    const w = world();
    threads(w);
    const s = run(w.s, (d) => send(d, A, 1, false, false));
    expect(getObject(s, ADDR.ep, 'Endpoint').state).toBe('Idle');
    expect(stateOf(s, A)).toBe('Running');
  });

  it('a non-blocking receive with no sender delivers badge 0 only', () => {
    const w = world();
    threads(w);
    getTCB(w.s, A).delivered = { badge: 4, info: { label: 1, capsUnwrapped: 0, extraCaps: 0, length: 0 }, mrs: [], error: 'NoError' };
    const s = run(w.s, (d) => recv(d, A, false));
    expect(getTCB(s, A).delivered).toEqual({ badge: 0 });
    expect(getObject(s, ADDR.ep, 'Endpoint').state).toBe('Idle');
  });

  it('a call received from the queue leaves a reply cap with the receiver', () => {
    const w = world();
    threads(w);
    const s = run(w.s, (d) => {
      send(d, A, 1, true);
      receiveIPC(d, B, epCap(ADDR.ep, 0, rights('RG')), true);
    });
    expect(stateOf(s, A)).toBe('BlockedOnReply');
    expect(getCTE(s, tcbSlot(B, TCB_SLOT.caller)).cap).toEqual({ tag: 'ReplyCap', tcb: A, master: false, canGrant: true });
  });

  it('a call to a waiting receiver: reply cap Grant is the receiver cap Grant', () => {
    const w = world();
    threads(w);
    const s = run(w.s, (d) => {
      receiveIPC(d, B, epCap(ADDR.ep, 0, rights('R')), true);
      sendIPC(d, true, true, 0, true, false, A, ADDR.ep);
    });
    expect(stateOf(s, A)).toBe('BlockedOnReply');
    expect(getCTE(s, tcbSlot(B, TCB_SLOT.caller)).cap).toMatchObject({ tag: 'ReplyCap', tcb: A, canGrant: false });
  });

  it('a call without Grant or GrantReply delivers and leaves the caller Inactive', () => {
    for (const order of ['sendFirst', 'recvFirst']) {
      const w = world();
      threads(w);
      const s = run(w.s, (d) => {
        if (order === 'recvFirst') recv(d, B);
        sendIPC(d, true, true, 5, false, false, A, ADDR.ep);
        if (order === 'sendFirst') recv(d, B);
      });
      expect(stateOf(s, A)).toBe('Inactive');
      expect(getTCB(s, B).delivered).toMatchObject({ badge: 5, mrs: [A] });
      expect(getCTE(s, tcbSlot(B, TCB_SLOT.caller)).cap.tag).toBe('NullCap');
    }
  });

  it('an active bound notification is taken before the endpoint', () => {
    const w = world();
    threads(w);
    const s0 = run(w.s, (d) => {
      send(d, A, 1);
      getTCB(d, B).boundNotification = ADDR.ntfn;
      const n = getObject(d, ADDR.ntfn, 'Notification');
      n.boundTCB = B;
      n.state = 'Active';
      n.word = 0x30;
    });
    const s = run(s0, (d) => recv(d, B));
    expect(getTCB(s, B).delivered).toEqual({ badge: 0x30 });
    expect(getObject(s, ADDR.ntfn, 'Notification').state).toBe('Idle');
    expect(getObject(s, ADDR.ep, 'Endpoint').queue).toEqual([A]);
    expect(stateOf(s, B)).toBe('Running');
  });
});

describe('cancellation', () => {
  it('cancelIPC takes a blocked thread out of the queue', () => {
    const w = world();
    threads(w);
    let s = run(w.s, (d) => {
      send(d, A, 1);
      send(d, B, 2);
    });
    s = run(s, (d) => cancelIPC(d, A));
    expect(stateOf(s, A)).toBe('Inactive');
    expect(getObject(s, ADDR.ep, 'Endpoint').queue).toEqual([B]);
    s = run(s, (d) => cancelIPC(d, B));
    expect(getObject(s, ADDR.ep, 'Endpoint')).toEqual({ tag: 'Endpoint', state: 'Idle', queue: [] });
  });

  it('cancelIPC of a thread waiting for a reply deletes the reply cap and clears the fault', () => {
    const w = world();
    threads(w);
    let s = run(w.s, (d) => {
      send(d, A, 1, true);
      recv(d, B);
      getTCB(d, A).fault = { tag: 'UnknownSyscall', number: 1 };
    });
    s = run(s, (d) => cancelIPC(d, A));
    expect(getCTE(s, tcbSlot(B, TCB_SLOT.caller)).cap.tag).toBe('NullCap');
    expect(getTCB(s, A).fault).toBeNull();
    expect(stateOf(s, A)).toBe('BlockedOnReply');
  });

  it('cancelAllIPC restarts every queued thread in order and empties the endpoint', () => {
    const w = world();
    threads(w);
    let s = run(w.s, (d) => {
      send(d, A, 1);
      send(d, B, 2);
    });
    s = run(s, (d) => cancelAllIPC(d, ADDR.ep));
    expect([A, B].map((t) => stateOf(s, t))).toEqual(['Restart', 'Restart']);
    expect(getObject(s, ADDR.ep, 'Endpoint')).toEqual({ tag: 'Endpoint', state: 'Idle', queue: [] });
    expect(s.schedulerAction.tag).toBe('ChooseNewThread');
    // Enqueued at the head one after the other: the last one first.
    expect(s.readyQueues[100]).toEqual([B, A]);
  });

  it('cancelBadgedSends restarts only senders with that badge and keeps the order of the rest', () => {
    const w = world();
    threads(w);
    let s = run(w.s, (d) => {
      send(d, A, 1);
      send(d, B, 2);
      send(d, C, 1);
      send(d, D, 3);
    });
    s = run(s, (d) => cancelBadgedSends(d, ADDR.ep, 1));
    expect([A, B, C, D].map((t) => stateOf(s, t))).toEqual(['Restart', 'BlockedOnSend', 'Restart', 'BlockedOnSend']);
    expect(getObject(s, ADDR.ep, 'Endpoint')).toEqual({ tag: 'Endpoint', state: 'Send', queue: [B, D] });
    s = run(s, (d) => cancelBadgedSends(d, ADDR.ep, 2));
    s = run(s, (d) => cancelBadgedSends(d, ADDR.ep, 3));
    expect(getObject(s, ADDR.ep, 'Endpoint')).toEqual({ tag: 'Endpoint', state: 'Idle', queue: [] });
  });

  it('cancelBadgedSends ignores receivers', () => {
    const w = world();
    threads(w);
    let s = run(w.s, (d) => recv(d, A));
    s = run(s, (d) => cancelBadgedSends(d, ADDR.ep, 0));
    expect(stateOf(s, A)).toBe('BlockedOnReceive');
  });
});
