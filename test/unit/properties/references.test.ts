// Reference validity: valid-objs and valid-reply-caps hold along traces, and fail on hand-broken
// states, both in full and incrementally on a step whose after state breaks them.

import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import type { KernelState } from '../../../spec';
import type { StateInvariant } from '../../../properties/invariants/changes';
import { validObjs, validReplyCaps } from '../../../properties/invariants/references';
import { validCaps } from '../../../properties/invariants/capability';
import { syscallOfWord } from '../../../abi/syscalls';
import { bootLayout } from '../../../abi/boot';
import { TCB_SLOT } from '../../../spec/object/structures';
import { blockedServersTrace, contexts, fakeStep, ipcTrace } from './fixtures';

const { boot, steps } = contexts(ipcTrace());
// After step 13 srv is blocked sending on endpoint 21 (0x00200010).
const blocked = steps[12].after;
const byName = (s: KernelState, n: string): number => Number(Object.keys(s.objects).find((k) => {
  const o = s.objects[Number(k)];
  return o.tag === 'TCB' && o.name === n;
}));
const srv = byName(blocked, 'srv');
const EP20 = 0x00200000;
const EP21 = 0x00200010;
const NTFN = 0x00200020;
const slot = (t: number, i: number) => t + 16 * i;

function expectViolation(inv: StateInvariant, before: KernelState, bad: KernelState): void {
  expect(inv.full(before)).toBeNull();
  expect(inv.full(bad)).not.toBeNull();
  expect(inv.monitor().step(fakeStep(before, bad))?.invariant).toBe(inv.name);
}

// Calls: after C's first Call the server W1 holds the reply cap to C in its caller slot.
const calls = contexts(blockedServersTrace(2, 'benno'));
const callStep = calls.steps.findIndex((c) => c.event.tag === 'syscall' && syscallOfWord(c.event.number) === 'Call' && c.event.method === undefined);
const called = calls.steps[callStep].after;
const C = byName(called, 'C');
const W1 = byName(called, 'W1');

describe('reference invariants hold along traces', () => {
  for (const inv of [validObjs, validReplyCaps]) {
    for (const [name, run] of [['ipc', { boot, steps }], ['calls', calls]] as const) {
      it(`${inv.name} (${name})`, () => {
        const m = inv.monitor();
        expect(m.boot?.(run.boot) ?? null).toBeNull();
        for (const s of run.steps) expect(m.step(s)).toBeNull();
        for (const s of run.steps) expect(inv.full(s.after)).toBeNull();
      });
    }
  }
});

describe('valid-objs fails', () => {
  it('a thread blocked on a deleted endpoint', () => {
    const bad = produce(blocked, (d) => {
      delete d.objects[EP21];
    });
    expectViolation(validObjs, blocked, bad);
    expect(validObjs.full(bad)).toMatchObject({ problem: expect.stringContaining('not a Endpoint') as unknown });
  });
  it('a thread blocked on a notification as if it were an endpoint', () => {
    const bad = produce(blocked, (d) => {
      const t = d.objects[srv];
      if (t.tag === 'TCB') t.state = { tag: 'BlockedOnSend', ep: NTFN, badge: 0, canGrant: false, canGrantReply: false, isCall: false };
    });
    expectViolation(validObjs, blocked, bad);
  });
  it('a queue holding a Running thread (only the thread changed)', () => {
    const bad = produce(blocked, (d) => {
      const t = d.objects[srv];
      if (t.tag === 'TCB') t.state = { tag: 'Running' };
    });
    expectViolation(validObjs, blocked, bad);
  });
  it('a thread in two queues (only the second queue changed)', () => {
    const bad = produce(blocked, (d) => {
      const e = d.objects[EP20];
      if (e.tag === 'Endpoint') {
        e.state = 'Send';
        e.queue = [srv];
      }
    });
    expectViolation(validObjs, blocked, bad);
  });
  it('a bound notification that does not point back (only the thread changed)', () => {
    const bad = produce(blocked, (d) => {
      const t = d.objects[srv];
      if (t.tag === 'TCB') t.boundNotification = NTFN;
    });
    expectViolation(validObjs, blocked, bad);
  });
  it('a notification bound to a thread that does not point back (only the notification changed)', () => {
    const bad = produce(blocked, (d) => {
      const n = d.objects[NTFN];
      if (n.tag === 'Notification') n.boundTCB = srv;
    });
    expectViolation(validObjs, blocked, bad);
  });
  it('a binding whose notification was deleted', () => {
    const bound = produce(blocked, (d) => {
      const t = d.objects[srv];
      const n = d.objects[NTFN];
      if (t.tag === 'TCB' && n.tag === 'Notification') {
        t.boundNotification = NTFN;
        n.boundTCB = srv;
      }
    });
    const bad = produce(bound, (d) => {
      delete d.objects[NTFN];
    });
    expectViolation(validObjs, bound, bad);
  });
  it('a receiving thread that still holds a caller cap', () => {
    const receiving = steps[10].after;
    const t = receiving.objects[srv];
    expect(t.tag === 'TCB' && t.state.tag).toBe('BlockedOnReceive');
    const bad = produce(receiving, (d) => {
      d.ctes[slot(srv, TCB_SLOT.caller)] = { cap: { tag: 'ReplyCap', tcb: 0x00100000, master: false, canGrant: true }, mdb: { prev: 0, next: 0, revocable: false, firstBadged: false } };
    });
    expectViolation(validObjs, receiving, bad);
  });
  it('a running thread without its master reply cap', () => {
    const bad = produce(blocked, (d) => {
      delete d.ctes[slot(bootLayout(blocked.config).rootTCB, TCB_SLOT.reply)];
    });
    expectViolation(validObjs, blocked, bad);
  });
  it('a cap left in a slot of a CNode that is gone', () => {
    const bad = produce(blocked, (d) => {
      d.ctes[0x00300000] = { cap: { tag: 'EndpointCap', ptr: EP20, badge: 0, rights: { read: true, write: true, grant: true, grantReply: true } }, mdb: { prev: 0, next: 0, revocable: false, firstBadged: false } };
    });
    expectViolation(validObjs, blocked, bad);
  });
  it('an ASID table entry that names no pool', () => {
    const bad = produce(blocked, (d) => {
      d.asidTable[5] = EP20;
    });
    expectViolation(validObjs, blocked, bad);
  });
  it('a cap to a missing object is valid-caps\' part of valid_objs', () => {
    const bad = produce(blocked, (d) => {
      delete d.objects[EP20];
    });
    expectViolation(validCaps, blocked, bad);
  });
});

describe('valid-reply-caps fails', () => {
  it('the reply cap is where the Call put it', () => {
    const cap = called.ctes[slot(W1, TCB_SLOT.caller)]?.cap;
    expect(cap).toMatchObject({ tag: 'ReplyCap', tcb: C, master: false });
  });
  it('a reply cap to a thread that no longer waits for the reply (only the thread changed)', () => {
    const bad = produce(called, (d) => {
      const t = d.objects[C];
      if (t.tag === 'TCB') t.state = { tag: 'Inactive' };
    });
    expectViolation(validReplyCaps, called, bad);
  });
  it('a master reply cap outside its thread\'s reply slot', () => {
    const bad = produce(called, (d) => {
      d.ctes[slot(W1, TCB_SLOT.caller)] = { cap: { tag: 'ReplyCap', tcb: C, master: true, canGrant: true }, mdb: { prev: 0, next: 0, revocable: false, firstBadged: false } };
    });
    expectViolation(validReplyCaps, called, bad);
  });
  it('a reply cap that is not the child of the master', () => {
    const bad = produce(called, (d) => {
      d.ctes[slot(W1, TCB_SLOT.caller)].mdb.prev = 0;
    });
    expectViolation(validReplyCaps, called, bad);
  });
});
