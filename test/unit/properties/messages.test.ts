// no-lost-messages, endpoint-fifo and notification-or: hold along a real IPC trace; fail on
// hand-made steps that lose, alter or duplicate a message, serve a queue out of order, or deliver
// a notification word that is not the OR of the badges signalled.

import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import type { KernelState } from '../../../spec';
import type { Invariant, StepContext } from '../../../properties/invariants/types';
import { endpointFifo, noLostMessages, notificationOr } from '../../../properties/invariants/messages';
import { blockedServersTrace, contexts, fakeStep, ipcTrace, nonce } from './fixtures';

/** Runs a fresh monitor over the steps; the first violation's invariant name, or null. */
function run(inv: Invariant, boot: KernelState, steps: StepContext[]): { name: string; evidence: unknown } | null {
  const m = inv.monitor();
  if (m.boot?.(boot)) return { name: 'boot', evidence: null };
  for (const s of steps) {
    const v = m.step(s);
    if (v) return { name: v.invariant, evidence: v.evidence };
  }
  return null;
}

const TCB = (s: KernelState, name: string): number => Number(Object.keys(s.objects).find((k) => {
  const o = s.objects[Number(k)];
  return o.tag === 'TCB' && o.name === name;
}));

describe('no-lost-messages', () => {
  const { boot, steps } = contexts(ipcTrace());
  // step 12: root sends nonce 0 to srv; 13: srv sends nonce 1 (pending); 14: root receives it.
  it('holds on a trace that sends, queues and delivers messages', () => {
    expect(run(noLostMessages, boot, steps)).toBeNull();
  });

  it('fails when a pending message vanishes', () => {
    const s14 = steps[13];
    const srv = TCB(s14.before, 'srv');
    const after = produce(s14.before, (d) => {
      const t = d.objects[srv];
      if (t.tag === 'TCB') t.state = { tag: 'Running' };
      const ep = d.objects[0x00200010];
      if (ep.tag === 'Endpoint') {
        ep.state = 'Idle';
        ep.queue = [];
      }
    });
    const v = run(noLostMessages, boot, [...steps.slice(0, 13), fakeStep(s14.before, after, 14, s14.event)]);
    expect(v?.name).toBe('no-lost-messages');
    expect(JSON.stringify(v?.evidence)).toContain('message lost');
  });

  it('fails when the words delivered are not the words sent', () => {
    const s14 = steps[13];
    const root = TCB(s14.after, 'root');
    const after = produce(s14.after, (d) => {
      const t = d.objects[root];
      if (t.tag === 'TCB') t.delivered = { ...t.delivered, mrs: [nonce(1), 10] };
    });
    const v = run(noLostMessages, boot, [...steps.slice(0, 13), { ...s14, after }]);
    expect(v?.name).toBe('no-lost-messages');
    expect(v?.evidence).toMatchObject({ what: 'words', expected: [nonce(1), 9], observed: [nonce(1), 10] });
  });

  it('fails when a message is delivered twice', () => {
    const s15 = steps[14];
    const srv = TCB(s15.after, 'srv');
    // After delivery to root, the same message shows up at srv.
    const after = produce(s15.after, (d) => {
      const t = d.objects[srv];
      if (t.tag === 'TCB') t.delivered = { badge: 0, info: { label: 0, capsUnwrapped: 0, extraCaps: 0, length: 2 }, mrs: [nonce(1), 9] };
    });
    const v = run(noLostMessages, boot, [...steps.slice(0, 14), { ...s15, after }]);
    expect(v?.name).toBe('no-lost-messages');
    expect(JSON.stringify(v?.evidence)).toContain('delivered twice');
  });
});

describe('endpoint-fifo', () => {
  it('holds on traces with queued receivers and senders', () => {
    const { boot, steps } = contexts(blockedServersTrace(3, 'benno'));
    expect(run(endpointFifo, boot, steps)).toBeNull();
  });

  it('fails when a receiver behind the head is served first', () => {
    const { steps } = contexts(blockedServersTrace(3, 'benno'));
    // The step where the client's first Call is about to be taken: three servers wait on endpoint 20.
    const i = steps.findIndex((s) => {
      const ep = s.after.objects[0x00800000];
      return ep?.tag === 'Endpoint' && ep.queue.length === 3;
    });
    const before = steps[i].after;
    const ep = before.objects[0x00800000];
    if (ep.tag !== 'Endpoint') throw new Error('fixture');
    const second = ep.queue[1];
    const after = produce(before, (d) => {
      const e = d.objects[0x00800000];
      if (e.tag === 'Endpoint') e.queue = [ep.queue[0], ep.queue[2]];
      const t = d.objects[second];
      if (t.tag === 'TCB') {
        t.state = { tag: 'Running' };
        t.delivered = { badge: 0, info: { label: 0, capsUnwrapped: 0, extraCaps: 0, length: 1 }, mrs: [1] };
      }
    });
    const v = endpointFifo.monitor().step(fakeStep(before, after));
    expect(v?.invariant).toBe('endpoint-fifo');
  });

  it('fails when a newcomer joins ahead of a waiting thread', () => {
    const { steps } = contexts(blockedServersTrace(3, 'benno'));
    const i = steps.findIndex((s) => {
      const ep = s.after.objects[0x00800000];
      return ep?.tag === 'Endpoint' && ep.queue.length === 2;
    });
    const before = steps[i].after;
    const after = steps[i + 1].after;
    const ep = after.objects[0x00800000];
    if (ep.tag !== 'Endpoint') throw new Error('fixture');
    const swapped = produce(after, (d) => {
      const e = d.objects[0x00800000];
      if (e.tag === 'Endpoint') e.queue = [ep.queue[2], ep.queue[0], ep.queue[1]];
    });
    expect(endpointFifo.monitor().step(fakeStep(before, after))).toBeNull();
    expect(endpointFifo.monitor().step(fakeStep(before, swapped))?.invariant).toBe('endpoint-fifo');
  });
});

describe('notification-or', () => {
  const { boot, steps } = contexts(ipcTrace());
  // steps 15 and 16 signal badges 1 and 2; step 17 waits and gets 3.
  it('holds on a trace that signals twice and waits', () => {
    expect(run(notificationOr, boot, steps)).toBeNull();
    expect(steps[16].observation.threads.srv.badge).toBe(3);
  });

  it('fails when the word delivered is not the OR of the badges', () => {
    const s17 = steps[16];
    const srv = TCB(s17.after, 'srv');
    const after = produce(s17.after, (d) => {
      const t = d.objects[srv];
      if (t.tag === 'TCB') t.delivered = { badge: 2 };
    });
    const v = run(notificationOr, boot, [...steps.slice(0, 16), { ...s17, after }]);
    expect(v?.name).toBe('notification-or');
  });

  it('fails when a signalled badge is lost from the pending word', () => {
    const s16 = steps[15];
    const after = produce(s16.after, (d) => {
      const n = d.objects[0x00200020];
      if (n.tag === 'Notification') n.word = 2;
    });
    const v = run(notificationOr, boot, [...steps.slice(0, 15), { ...s16, after }]);
    expect(v?.name).toBe('notification-or');
    expect(v?.evidence).toMatchObject({ word: 2, owed: 3 });
  });
});
