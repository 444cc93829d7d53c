// seL4's structural invariants: each fails on a state that breaks it, both in full and
// incrementally on a step whose after state breaks it.

import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import type { KernelState } from '../../../spec';
import type { StateInvariant } from '../../../properties/invariants/changes';
import { boundNotificationSymmetry, curThreadRunnable, symRefs, validIdle, validIrqHandlers } from '../../../properties/invariants/structural';
import { contexts, fakeStep, ipcTrace } from './fixtures';
import { applyPlatform, defaultConfig } from '../../../abi/config';
import { bootState } from '../../../spec';

const { boot, steps } = contexts(ipcTrace());
// After step 13 srv is blocked sending on endpoint 21 (0x00200010).
const blocked = steps[12].after;
const srv = Number(Object.keys(blocked.objects).find((k) => {
  const o = blocked.objects[Number(k)];
  return o.tag === 'TCB' && o.name === 'srv';
}));
const EP21 = 0x00200010;
const NTFN = 0x00200020;

function expectViolation(inv: StateInvariant, before: KernelState, bad: KernelState): void {
  expect(inv.full(bad)).not.toBeNull();
  expect(inv.monitor().step(fakeStep(before, bad))?.invariant).toBe(inv.name);
}

describe('structural invariants hold along a trace', () => {
  for (const inv of [symRefs, boundNotificationSymmetry, validIdle, curThreadRunnable, validIrqHandlers]) {
    it(inv.name, () => {
      const m = inv.monitor();
      expect(m.boot?.(boot) ?? null).toBeNull();
      for (const s of steps) expect(m.step(s)).toBeNull();
      for (const s of steps) expect(inv.full(s.after)).toBeNull();
    });
  }
});

describe('structural invariants fail', () => {
  it('sym-refs: a blocked sender missing from its endpoint queue', () => {
    expect(symRefs.full(blocked)).toBeNull();
    const bad = produce(blocked, (d) => {
      const e = d.objects[EP21];
      if (e.tag === 'Endpoint') {
        e.state = 'Idle';
        e.queue = [];
      }
    });
    expectViolation(symRefs, blocked, bad);
  });
  it('sym-refs: a queued thread that is not blocked there (only the thread changed)', () => {
    const bad = produce(blocked, (d) => {
      const t = d.objects[srv];
      if (t.tag === 'TCB') t.state = { tag: 'Running' };
    });
    expectViolation(symRefs, blocked, bad);
  });
  it('bound-notification-symmetry: a thread bound to a notification that does not know it', () => {
    const bad = produce(blocked, (d) => {
      const t = d.objects[srv];
      if (t.tag === 'TCB') t.boundNotification = NTFN;
    });
    expectViolation(boundNotificationSymmetry, blocked, bad);
  });
  it('bound-notification-symmetry: unbinding one side only', () => {
    const bound = produce(blocked, (d) => {
      const t = d.objects[srv];
      const n = d.objects[NTFN];
      if (t.tag === 'TCB' && n.tag === 'Notification') {
        t.boundNotification = NTFN;
        n.boundTCB = srv;
      }
    });
    expect(boundNotificationSymmetry.full(bound)).toBeNull();
    const bad = produce(bound, (d) => {
      const t = d.objects[srv];
      if (t.tag === 'TCB') t.boundNotification = null;
    });
    expectViolation(boundNotificationSymmetry, bound, bad);
  });
  it('valid-idle: the idle thread not Idle, or another thread Idle', () => {
    expectViolation(validIdle, blocked, produce(blocked, (d) => {
      const t = d.objects[d.idleThread];
      if (t.tag === 'TCB') t.state = { tag: 'Running' };
    }));
    expectViolation(validIdle, blocked, produce(blocked, (d) => {
      const t = d.objects[srv];
      if (t.tag === 'TCB') t.state = { tag: 'Idle' };
    }));
  });
  it('cur-thread-runnable-or-idle: the current thread blocked', () => {
    expectViolation(curThreadRunnable, blocked, produce(blocked, (d) => {
      d.curThread = srv;
    }));
  });
  it('valid-irq-handlers: a handler cap for a line that is not issued', () => {
    expectViolation(validIrqHandlers, blocked, produce(blocked, (d) => {
      d.ctes[0x00100000 + 16 * 40] = { cap: { tag: 'IRQHandlerCap', irq: 3 }, mdb: { prev: 0, next: 0, revocable: false, firstBadged: false } };
    }));
  });
  it("valid-irq-handlers: the timer's line not Timer, a device line Timer, an Inactive line unmasked", () => {
    expectViolation(validIrqHandlers, blocked, produce(blocked, (d) => {
      d.irqStates[0] = 'Inactive';
    }));
    expectViolation(validIrqHandlers, blocked, produce(blocked, (d) => {
      d.irqStates[9] = 'Timer';
      d.irqMasked[9] = false;
    }));
    expectViolation(validIrqHandlers, blocked, produce(blocked, (d) => {
      d.irqMasked[9] = false;
    }));
  });
  it('valid-irq-handlers: on qemu-arm-virt the timer is line 27, and line 0 in state Timer is wrong', () => {
    const qemu = bootState(applyPlatform(defaultConfig(), 'qemu-arm-virt'));
    expect(validIrqHandlers.full(qemu)).toBeNull();
    expect(validIrqHandlers.full(bootState(defaultConfig()))).toBeNull();
    expectViolation(validIrqHandlers, qemu, produce(qemu, (d) => {
      d.irqStates[0] = 'Timer';
      d.irqStates[27] = 'Inactive';
      d.irqMasked[0] = false;
      d.irqMasked[27] = true;
    }));
  });
});
