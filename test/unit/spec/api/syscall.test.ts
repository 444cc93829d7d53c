import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAULT_TYPES } from '../../../../abi/errors';
import type { SyscallEvent } from '../../../../abi/events';
import { wordFromMessageInfo } from '../../../../abi/messageinfo';
import { REG } from '../../../../abi/registers';
import { SYSCALLS, type SyscallName, syscallWord } from '../../../../abi/syscalls';
import { step } from '../../../../spec/api/event';
import type { PPtr } from '../../../../spec/api/types';
import { type KernelState, getCTE, getObject, getTCB, tcbSlot } from '../../../../spec/model/state';
import { TCB_SLOT } from '../../../../spec/object/structures';
import { ADDR, SLOT, type World, addThread, epCap, putCap, rights, stateOf, world } from '../ipc-fixture';

function sys(
  name: SyscallName | number,
  cap: number,
  info: { label?: number; length?: number; extraCaps?: number } = {},
  mrs: number[] = [],
  extraCaps?: number[],
): SyscallEvent {
  const number = typeof name === 'number' ? syscallWord(name) : syscallWord(SYSCALLS[name]);
  const word = wordFromMessageInfo({ label: info.label ?? 0, capsUnwrapped: 0, extraCaps: info.extraCaps ?? extraCaps?.length ?? 0, length: info.length ?? mrs.length });
  return { tag: 'syscall', number, cap, info: word, mrs, extraCaps, receive: { root: 0, index: 0, depth: 0 } };
}

function go(s: KernelState, ...events: SyscallEvent[]): KernelState {
  let i = 1;
  for (const e of events) s = step(s, e, i++).state;
  return s;
}

/** Root with a fault handler: thread h waits on ep, root's fault endpoint is a badged WG cap to it. */
function withHandler(): { w: World; h: PPtr; s: KernelState } {
  const w = world();
  putCap(w, SLOT.epBadged, epCap(ADDR.ep, 0x99, rights('WG')));
  getTCB(w.s, w.root).faultHandler = SLOT.epBadged;
  const h = addThread(w, ADDR.tcbA, { name: 'h', frame: ADDR.frameA, state: { tag: 'BlockedOnReceive', ep: ADDR.ep, canGrant: false } });
  getObject(w.s, ADDR.ep, 'Endpoint').state = 'Recv';
  getObject(w.s, ADDR.ep, 'Endpoint').queue = [h];
  return { w, h, s: w.s };
}

describe('handleInvocation', () => {
  it('Call on a null cap gets InvalidCapability; Send and NBSend lose the error', () => {
    const w = world();
    let s = go(w.s, sys('Call', 100));
    expect(getTCB(s, w.root).delivered).toEqual({ badge: 0, info: { label: 2, capsUnwrapped: 0, extraCaps: 0, length: 1 }, mrs: [0], error: 'InvalidCapability' });
    s = go(s, sys('Send', 100), sys('NBSend', 100));
    expect(getTCB(s, w.root).delivered.error).toBe('InvalidCapability');
    expect(stateOf(s, w.root)).toBe('Running');
  });

  it('Call through an endpoint cap without Write gets InvalidCapability', () => {
    const w = world();
    putCap(w, SLOT.epBadged, epCap(ADDR.ep, 0, rights('RG')));
    const s = go(w.s, sys('Call', SLOT.epBadged));
    expect(getTCB(s, w.root).delivered.error).toBe('InvalidCapability');
  });

  it('Call on a notification signals and replies NoError', () => {
    const w = world();
    const s = go(w.s, sys('Call', SLOT.ntfn, { label: 3 }, [1, 2]));
    expect(getObject(s, ADDR.ntfn, 'Notification')).toMatchObject({ state: 'Active', word: 0 });
    expect(getTCB(s, w.root).delivered).toEqual({ badge: 0, info: { label: 0, capsUnwrapped: 0, extraCaps: 0, length: 0 }, mrs: [], error: 'NoError' });
  });

  it('NBSend with an invalid cap does nothing; Send faults', () => {
    const w = world();
    let s = go(w.s, sys('NBSend', 0xffffffff));
    expect(stateOf(s, w.root)).toBe('Running');
    s = go(s, sys('Send', 0xffffffff));
    expect(stateOf(s, w.root)).toBe('Inactive');
    expect(s.curThread).toBe(s.idleThread);
  });

  it('a failed extra-cap lookup faults a Send (send phase) and is ignored by NBSend', () => {
    const { w, h, s: s0 } = withHandler();
    let s = go(s0, sys('NBSend', SLOT.ntfn, {}, [], [0xffffffff]));
    expect(stateOf(s, w.root)).toBe('Running');
    expect(getObject(s, ADDR.ntfn, 'Notification').state).toBe('Idle');
    s = go(s, sys('Send', SLOT.ntfn, {}, [], [0xffffffff]));
    expect(stateOf(s, w.root)).toBe('BlockedOnReply');
    expect(getTCB(s, h).delivered).toMatchObject({ badge: 0x99, info: { label: FAULT_TYPES.CapFault, length: 7 } });
    expect(getTCB(s, h).delivered.mrs?.slice(1, 4)).toEqual([0xffffffff, 0, 4]);
  });

  it('a message longer than four words is cut without an IPC buffer', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbB, { name: 'a', state: { tag: 'Running' } });
    w.s.curThread = a;
    w.s.objects[w.root] = { ...getTCB(w.s, w.root), state: { tag: 'BlockedOnReceive', ep: ADDR.ep2, canGrant: false } };
    getObject(w.s, ADDR.ep2, 'Endpoint').state = 'Recv';
    getObject(w.s, ADDR.ep2, 'Endpoint').queue = [w.root];
    const s = go(w.s, sys('Send', SLOT.ep2, { label: 1 }, [1, 2, 3, 4, 5, 6]));
    expect(getTCB(s, w.root).delivered).toEqual({ badge: 0, info: { label: 1, capsUnwrapped: 0, extraCaps: 0, length: 4 }, mrs: [1, 2, 3, 4] });
  });
});

describe('handleRecv', () => {
  it('a bad cap is a receive-phase cap fault, for NBRecv too', () => {
    for (const call of ['Recv', 'NBRecv'] as const) {
      const { w, h, s: s0 } = withHandler();
      const s = go(s0, sys(call, 17));
      expect(stateOf(s, w.root)).toBe('BlockedOnReply');
      expect(getTCB(s, h).delivered).toMatchObject({
        badge: 0x99,
        info: { label: FAULT_TYPES.CapFault, length: 5 },
        mrs: [getTCB(s, w.root).registers[REG.pc], 17, 1, 2, 0],
      });
    }
  });

  it('an endpoint cap without Read, or a notification bound elsewhere, is a cap fault', () => {
    const { w, h, s: s0 } = withHandler();
    putCap(w, SLOT.ep2, epCap(ADDR.ep2, 0, rights('WG')));
    let s = go(s0, sys('Recv', SLOT.ep2));
    expect(getTCB(s, h).delivered.mrs?.slice(1, 3)).toEqual([SLOT.ep2, 1]);

    const { w: w2, h: h2 } = withHandler();
    const other = addThread(w2, ADDR.tcbB, { name: 'o' });
    getTCB(w2.s, other).boundNotification = ADDR.ntfn;
    getObject(w2.s, ADDR.ntfn, 'Notification').boundTCB = other;
    s = go(w2.s, sys('NBRecv', SLOT.ntfn));
    expect(getTCB(s, h2).delivered.info?.label).toBe(FAULT_TYPES.CapFault);
  });

  it('Recv deletes a pending reply cap first', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbB, { name: 'a', state: { tag: 'BlockedOnReply' } });
    w.s.ctes[tcbSlot(w.root, TCB_SLOT.caller)] = {
      cap: { tag: 'ReplyCap', tcb: a, master: false, canGrant: false },
      mdb: { prev: tcbSlot(a, TCB_SLOT.reply), next: 0, revocable: false, firstBadged: false },
    };
    w.s.ctes[tcbSlot(a, TCB_SLOT.reply)].mdb.next = tcbSlot(w.root, TCB_SLOT.caller);
    const s = go(w.s, sys('NBRecv', SLOT.ep));
    expect(getCTE(s, tcbSlot(w.root, TCB_SLOT.caller)).cap.tag).toBe('NullCap');
    expect(stateOf(s, a)).toBe('BlockedOnReply');
    expect(getTCB(s, w.root).delivered).toEqual({ badge: 0 });
  });
});

describe('other syscalls', () => {
  it('Reply with no caller does nothing', () => {
    const w = world();
    const s = go(w.s, sys('Reply', 0, { label: 1 }, [5]));
    expect(getTCB(s, w.root).delivered).toEqual({});
    expect(stateOf(s, w.root)).toBe('Running');
  });

  it('an unknown syscall without a handler stops the thread', () => {
    const w = world();
    const s = go(w.s, sys(-9, 0));
    expect(stateOf(s, w.root)).toBe('Inactive');
  });

  it('an unknown syscall goes to the handler with the syscall number last', () => {
    const { h, s: s0 } = withHandler();
    const s = go(s0, sys(0x1234, 0));
    const d = getTCB(s, h).delivered;
    expect(d.info).toEqual({ label: FAULT_TYPES.UnknownSyscall, capsUnwrapped: 0, extraCaps: 0, length: 13 });
    expect(d.mrs?.[7]).toBe(0x1234);
    expect(d.mrs?.[12]).toBe(0x1234);
  });

  it('Yield lets a thread of the same priority run', () => {
    const w = world();
    const a = addThread(w, ADDR.tcbB, { name: 'a', priority: 255, state: { tag: 'Running' } });
    w.s.readyQueues[255] = [a];
    const s = go(w.s, sys('Yield', 0));
    expect(s.curThread).toBe(a);
    expect(s.readyQueues[255]).toEqual([w.root]);
  });
});

/** The IPC part of seL4's sym_refs and valid_reply_caps: queues and thread states agree. */
function ipcRefsSymmetric(s: KernelState): string[] {
  const bad: string[] = [];
  for (const [k, o] of Object.entries(s.objects)) {
    const p = Number(k);
    if (o.tag === 'Endpoint') {
      if ((o.state === 'Idle') !== (o.queue.length === 0)) bad.push(`ep ${p}: state ${o.state} with ${o.queue.length} queued`);
      for (const t of o.queue) {
        const st = getTCB(s, t).state;
        const want = o.state === 'Send' ? 'BlockedOnSend' : 'BlockedOnReceive';
        if (st.tag !== want || st.ep !== p) bad.push(`ep ${p}: queued ${t} is ${st.tag}`);
      }
    } else if (o.tag === 'Notification') {
      if ((o.state === 'Waiting') !== (o.queue.length > 0)) bad.push(`ntfn ${p}: state ${o.state} with ${o.queue.length} queued`);
      for (const t of o.queue) {
        const st = getTCB(s, t).state;
        if (st.tag !== 'BlockedOnNotification' || st.ntfn !== p) bad.push(`ntfn ${p}: queued ${t} is ${st.tag}`);
      }
    } else if (o.tag === 'TCB') {
      const st = o.state;
      if (st.tag === 'BlockedOnSend' || st.tag === 'BlockedOnReceive') {
        if (!getObject(s, st.ep, 'Endpoint').queue.includes(p)) bad.push(`tcb ${p} ${st.tag} but not queued`);
      }
      if (st.tag === 'BlockedOnNotification' && !getObject(s, st.ntfn, 'Notification').queue.includes(p)) bad.push(`tcb ${p} waits but not queued`);
      const caller = getCTE(s, tcbSlot(p, TCB_SLOT.caller)).cap;
      if (caller.tag === 'ReplyCap' && getTCB(s, caller.tcb).state.tag !== 'BlockedOnReply') bad.push(`reply cap of ${p} to a thread not waiting for a reply`);
      if (caller.tag !== 'ReplyCap' && caller.tag !== 'NullCap') bad.push(`caller slot of ${p} holds ${caller.tag}`);
    }
  }
  return bad;
}

describe('any register contents', () => {
  it('give an error, a fault or a result, never an exception out of step', () => {
    const caps = [0, 1, 2, 3, 10, 17, SLOT.ep, SLOT.epBadged, SLOT.ntfn, SLOT.ep2, 30, 0xffffffff, 0x80000014];
    const cap = fc.oneof(fc.constantFrom(...caps), fc.nat());
    const event = fc.record({
      number: fc.oneof({ arbitrary: fc.integer({ min: -8, max: -1 }), weight: 12 }, { arbitrary: fc.integer(), weight: 1 }),
      cap,
      info: fc.oneof(fc.nat({ max: 0x3fff }), fc.integer({ min: 0, max: 0xffffffff })),
      mrs: fc.array(fc.oneof(cap, fc.integer({ min: 0, max: 0xffffffff })), { maxLength: 8 }),
      extraCaps: fc.option(fc.array(cap, { maxLength: 3 }), { nil: undefined }),
      receive: fc.record({ root: fc.constantFrom(0, 2, 17), index: fc.constantFrom(0, 31, 40), depth: fc.constantFrom(0, 12, 32) }),
    });
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 30 }), (evs) => {
        const w = world();
        putCap(w, SLOT.epBadged, epCap(ADDR.ep, 7, rights('WP')));
        putCap(w, 30, { tag: 'ThreadCap', ptr: ADDR.tcbA });
        getTCB(w.s, w.root).faultHandler = SLOT.epBadged;
        addThread(w, ADDR.tcbA, { name: 'a', priority: 255, frame: ADDR.frameA, state: { tag: 'Running' }, faultHandler: SLOT.epBadged });
        addThread(w, ADDR.tcbB, { name: 'b', priority: 255, state: { tag: 'Running' } });
        w.s.readyQueues[255] = [ADDR.tcbA, ADDR.tcbB];
        let s = w.s;
        evs.forEach((e, i) => {
          const ev: SyscallEvent = { tag: 'syscall', number: e.number >>> 0, cap: e.cap >>> 0, info: e.info >>> 0, mrs: e.mrs.map((m) => m >>> 0), extraCaps: e.extraCaps, receive: e.receive };
          s = step(s, ev, i + 1).state;
          expect(ipcRefsSymmetric(s)).toEqual([]);
        });
      }),
      { seed: 0x5e14, numRuns: 300 },
    );
  });
});
