// The scheduler and thread-state operations on hand-built states (spec/kernel/thread.ts): queue
// operations, every case of schedule(), possibleSwitchTo, timerTick, restart, suspend and
// setPriority, under both scheduler variants where they differ.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Config } from '../../../../abi/config';
import { type Trace, parseTrace, parseTraceText } from '../../../../abi/trace';
import { bootState } from '../../../../spec/kernel/boot';
import { step } from '../../../../spec/api/event';
import { type PPtr, isRunnable } from '../../../../spec/api/types';
import { type KernelState, getCTE, getTCB, tcbSlot } from '../../../../spec/model/state';
import { TCB_SLOT } from '../../../../spec/object/structures';
import {
  activateThread, chooseThread, isHighestPrio, possibleSwitchTo, rescheduleRequired, restart, schedule, setPriority,
  setThreadState, suspend, tcbSchedAppend, tcbSchedDequeue, tcbSchedEnqueue, timerTick,
} from '../../../../spec/kernel/thread';
import { ADDR, type World, addThread, run, world } from '../ipc-fixture';

const A = ADDR.tcbA;
const B = ADDR.tcbB;
const C = ADDR.tcbC;

/** root (255) runs; A, B, C at the given priorities, in the given states. */
function setup(prios: [number, number, number], lazy = false): World {
  const w = world();
  if (lazy) {
    w.s.config = { ...w.s.config, variant: { ...w.s.config.variant, scheduler: 'lazy' } };
    w.s.readyQueues = { 255: [w.root] };
  }
  addThread(w, A, { name: 'A', priority: prios[0], state: { tag: 'Running' } });
  addThread(w, B, { name: 'B', priority: prios[1], state: { tag: 'Running' } });
  addThread(w, C, { name: 'C', priority: prios[2], state: { tag: 'Inactive' } });
  return w;
}

const q = (s: KernelState, p: number): PPtr[] => s.readyQueues[p] ?? [];

describe('ready queues', () => {
  it('enqueue puts at the head, append at the tail, both only once; dequeue removes; empty queues vanish', () => {
    const w = setup([10, 10, 10]);
    const s = run(w.s, (d) => {
      tcbSchedEnqueue(d, A);
      tcbSchedEnqueue(d, B);
      tcbSchedAppend(d, C);
      tcbSchedEnqueue(d, C);
      tcbSchedAppend(d, B);
    });
    expect(q(s, 10)).toEqual([B, A, C]);
    const s2 = run(s, (d) => {
      tcbSchedDequeue(d, A);
      tcbSchedDequeue(d, A);
      tcbSchedDequeue(d, B);
      tcbSchedDequeue(d, C);
    });
    expect(s2.readyQueues).toEqual({});
  });

  it('chooseThread takes the head of the highest non-empty queue, else idle', () => {
    const w = setup([10, 20, 20]);
    const s = run(w.s, (d) => {
      tcbSchedEnqueue(d, A);
      tcbSchedEnqueue(d, B);
      tcbSchedAppend(d, C);
      chooseThread(d);
    });
    expect(s.curThread).toBe(B);
    expect(q(s, 20)).toEqual([C]);
    const idle = run(setup([1, 1, 1]).s, (d) => chooseThread(d));
    expect(idle.curThread).toBe(idle.idleThread);
  });

  it('isHighestPrio compares with the highest queued priority', () => {
    const w = setup([10, 20, 20]);
    expect(isHighestPrio(w.s, 0)).toBe(true);
    const s = run(w.s, (d) => tcbSchedEnqueue(d, B));
    expect([isHighestPrio(s, 19), isHighestPrio(s, 20), isHighestPrio(s, 21)]).toEqual([false, true, true]);
  });
});

describe('schedule', () => {
  it('ResumeCurrentThread changes nothing', () => {
    const w = setup([10, 10, 10]);
    const s = run(w.s, (d) => schedule(d));
    expect(s.curThread).toBe(w.root);
    expect(s.readyQueues).toEqual({});
  });

  it('ChooseNewThread: a runnable current thread goes to the head and competes', () => {
    const w = setup([255, 10, 10]);
    const s = run(w.s, (d) => {
      tcbSchedAppend(d, A);
      rescheduleRequired(d);
      schedule(d);
    });
    expect(s.curThread).toBe(w.root);
    expect(q(s, 255)).toEqual([A]);
    expect(s.schedulerAction.tag).toBe('ResumeCurrentThread');
  });

  it('a blocked current thread is not queued', () => {
    const w = setup([10, 10, 10]);
    const s = run(w.s, (d) => {
      tcbSchedEnqueue(d, A);
      setThreadState(d, w.root, { tag: 'BlockedOnReply' });
      expect(d.schedulerAction.tag).toBe('ChooseNewThread');
      schedule(d);
    });
    expect(s.curThread).toBe(A);
    expect(s.readyQueues).toEqual({});
  });

  it('SwitchToThread: a higher candidate runs directly and is never queued', () => {
    const w = setup([255, 10, 10]);
    const s = run(w.s, (d) => {
      getTCB(d, w.root).priority = 100;
      possibleSwitchTo(d, A);
      expect(d.schedulerAction).toEqual({ tag: 'SwitchToThread', tcb: A });
      schedule(d);
    });
    expect(s.curThread).toBe(A);
    expect(q(s, 100)).toEqual([w.root]);
    expect(q(s, 255)).toEqual([]);
  });

  it('SwitchToThread: a lower candidate that is not the highest ready priority is queued (fastfail)', () => {
    const w = setup([10, 50, 10]);
    const s = run(w.s, (d) => {
      possibleSwitchTo(d, A);
      schedule(d);
    });
    expect(s.curThread).toBe(w.root);
    expect(q(s, 10)).toEqual([A]);
  });

  it('SwitchToThread from idle: the candidate runs only if no higher priority is ready', () => {
    const w = setup([10, 50, 10]);
    w.s.curThread = w.s.idleThread;
    const s = run(w.s, (d) => {
      tcbSchedEnqueue(d, B);
      possibleSwitchTo(d, A);
      schedule(d);
    });
    expect(s.curThread).toBe(B);
    expect(q(s, 10)).toEqual([A]);
    const s2 = run(setup([10, 50, 10]).s, (d) => {
      d.curThread = d.idleThread;
      possibleSwitchTo(d, A);
      schedule(d);
    });
    expect(s2.curThread).toBe(A);
  });

  it('SwitchToThread: a tie with a runnable current thread appends the candidate; the current thread keeps running', () => {
    const w = setup([255, 255, 10]);
    const s = run(w.s, (d) => {
      tcbSchedEnqueue(d, B);
      possibleSwitchTo(d, A);
      schedule(d);
    });
    expect(s.curThread).toBe(w.root);
    expect(q(s, 255)).toEqual([B, A]);
  });

  it('a second wake-up in one entry turns the first into a queued thread (possibleSwitchTo)', () => {
    const w = setup([200, 200, 10]);
    const s = run(w.s, (d) => {
      getTCB(d, w.root).priority = 100;
      possibleSwitchTo(d, A);
      possibleSwitchTo(d, B);
      expect(d.schedulerAction.tag).toBe('ChooseNewThread');
      schedule(d);
    });
    expect(s.curThread).toBe(B);
    expect(q(s, 200)).toEqual([A]);
  });
});

describe('thread operations', () => {
  it('activateThread turns Restart into Running', () => {
    const w = setup([1, 1, 1]);
    w.s.curThread = C;
    getTCB(w.s, C).state = { tag: 'Restart' };
    expect(getTCB(run(w.s, (d) => activateThread(d)), C).state.tag).toBe('Running');
    getTCB(w.s, C).state = { tag: 'BlockedOnReply' };
    expect(() => run(w.s, (d) => activateThread(d))).toThrow(/blocked|BlockedOnReply/);
  });

  it('timerTick counts down a Running thread and at the last tick appends it and asks for a reschedule', () => {
    const w = setup([255, 10, 10]);
    getTCB(w.s, w.root).timeSlice = 2;
    let s = run(w.s, (d) => {
      tcbSchedAppend(d, A);
      timerTick(d);
    });
    expect(getTCB(s, w.root).timeSlice).toBe(1);
    expect(s.schedulerAction.tag).toBe('ResumeCurrentThread');
    s = run(s, (d) => timerTick(d));
    expect(getTCB(s, w.root).timeSlice).toBe(s.config.timeslice);
    expect(q(s, 255)).toEqual([A, w.root]);
    expect(s.schedulerAction.tag).toBe('ChooseNewThread');
  });

  it('timerTick leaves a thread that is not Running alone', () => {
    const w = setup([1, 1, 1]);
    getTCB(w.s, w.root).state = { tag: 'Restart' };
    const s = run(w.s, (d) => timerTick(d));
    expect(getTCB(s, w.root).timeSlice).toBe(w.s.config.timeslice);
  });

  it('restart of an inactive thread: Restart, queued, and its master reply cap recreated as an original', () => {
    const w = setup([1, 1, 10]);
    delete w.s.ctes[tcbSlot(C, TCB_SLOT.reply)];
    const s = run(w.s, (d) => restart(d, C));
    expect(getTCB(s, C).state.tag).toBe('Restart');
    expect(q(s, 10)).toEqual([C]);
    expect(s.schedulerAction).toEqual({ tag: 'SwitchToThread', tcb: C });
    expect(getCTE(s, tcbSlot(C, TCB_SLOT.reply))).toEqual({
      cap: { tag: 'ReplyCap', tcb: C, master: true, canGrant: true },
      mdb: { prev: 0, next: 0, revocable: true, firstBadged: true },
    });
  });

  it('restart of a runnable thread does nothing', () => {
    const w = setup([1, 1, 1]);
    const s = run(w.s, (d) => restart(d, A));
    expect(s).toBe(w.s);
  });

  it('suspend dequeues and makes Inactive; suspending the current thread asks for a new choice', () => {
    const w = setup([10, 10, 10]);
    let s = run(w.s, (d) => {
      tcbSchedEnqueue(d, A);
      suspend(d, A);
    });
    expect(getTCB(s, A).state.tag).toBe('Inactive');
    expect(s.readyQueues).toEqual({});
    s = run(s, (d) => suspend(d, w.root));
    expect(s.schedulerAction.tag).toBe('ChooseNewThread');
  });

  it('setPriority: a runnable other thread is requeued through possibleSwitchTo, the current thread reschedules', () => {
    const w = setup([10, 10, 10]);
    let s = run(w.s, (d) => {
      tcbSchedEnqueue(d, A);
      setPriority(d, A, 20);
    });
    expect(q(s, 10)).toEqual([]);
    expect(getTCB(s, A).priority).toBe(20);
    expect(s.schedulerAction).toEqual({ tag: 'SwitchToThread', tcb: A });
    s = run(w.s, (d) => setPriority(d, w.root, 5));
    expect(s.schedulerAction.tag).toBe('ChooseNewThread');
    s = run(w.s, (d) => setPriority(d, C, 99));
    expect(s.schedulerAction.tag).toBe('ResumeCurrentThread');
    expect(getTCB(s, C).priority).toBe(99);
  });
});

describe('lazy variant', () => {
  it('a blocked thread keeps its entry; chooseThread drops the stale entries it meets at the head', () => {
    const w = setup([100, 100, 10], true);
    const s = run(w.s, (d) => {
      tcbSchedEnqueue(d, A);
      tcbSchedAppend(d, B);
      getTCB(d, A).state = { tag: 'BlockedOnReceive', ep: ADDR.ep, canGrant: false };
      setThreadState(d, d.curThread, { tag: 'Inactive' });
      schedule(d);
    });
    expect(s.curThread).toBe(B);
    expect(q(s, 100)).toEqual([B]);
    expect(s.readyQueues[255]).toBeUndefined(); // root's own stale entry was met first
  });

  it('the running thread stays at the head of its queue; others enqueued at the head go behind it', () => {
    const w = setup([255, 10, 10], true);
    const s = run(w.s, (d) => {
      setThreadState(d, C, { tag: 'Restart' });
      tcbSchedEnqueue(d, A);
      rescheduleRequired(d);
      schedule(d);
    });
    expect(s.curThread).toBe(w.root);
    expect(q(s, 255)).toEqual([w.root, A]);
  });

  it('a woken thread loses its stale entry', () => {
    const w = setup([100, 100, 10], true);
    w.s.readyQueues[100] = [A, B];
    getTCB(w.s, A).state = { tag: 'BlockedOnReply' };
    const s = run(w.s, (d) => setThreadState(d, A, { tag: 'Running' }));
    expect(q(s, 100)).toEqual([B]);
  });

  it('timerTick moves the running entry to the tail', () => {
    const w = setup([255, 10, 10], true);
    w.s.readyQueues[255] = [w.root, A];
    getTCB(w.s, w.root).timeSlice = 1;
    const s = run(w.s, (d) => {
      timerTick(d);
      schedule(d);
    });
    expect(s.curThread).toBe(A);
    expect(q(s, 255)).toEqual([A, w.root]);
  });
});

// ---------------------------------------------------------------------------------------------
// Lazy scheduling is observationally Benno: the same events give the same observation and the
// same state apart from the ready queues, whose runnable entries other than the running thread
// are exactly Benno's (rules L1-L3 of spec/kernel/thread.ts).

type Variant = 'benno' | 'lazy';

function withScheduler(config: Config, scheduler: Variant): Config {
  return { ...config, variant: { ...config.variant, scheduler } };
}

/** Why the lazy queues are not Benno's queues plus stale entries and the running entry, if so. */
function queueMismatch(benno: KernelState, lazy: KernelState): string | undefined {
  const cur = lazy.curThread;
  if (cur !== lazy.idleThread) {
    const head = lazy.readyQueues[getTCB(lazy, cur).priority]?.[0];
    if (head !== cur) return `lazy: the running thread ${cur} is not at the head of its queue`;
  }
  const prios = new Set([...Object.keys(benno.readyQueues), ...Object.keys(lazy.readyQueues)].map(Number));
  for (const p of prios) {
    const live = (lazy.readyQueues[p] ?? []).filter((t) => isRunnable(getTCB(lazy, t).state) && t !== cur);
    const b = benno.readyQueues[p] ?? [];
    if (JSON.stringify(live) !== JSON.stringify(b)) return `queue ${p}: benno ${JSON.stringify(b)}, lazy live ${JSON.stringify(live)}`;
    if (b.length === 0 && benno.readyQueues[p] !== undefined) return `benno keeps an empty queue ${p}`;
  }
  return undefined;
}

/**
 * Whether the states differ beyond the ready queues. Incremental: objects and slots are compared
 * where either step replaced them (immer shares everything else with the previous state).
 */
function stateMismatch(b0: KernelState, b: KernelState, l0: KernelState, l: KernelState): string | undefined {
  for (const table of ['objects', 'ctes'] as const) {
    const keys = new Set([...Object.keys(b[table]), ...Object.keys(l[table])].map(Number));
    for (const k of keys) {
      if (b[table][k] === b0[table][k] && l[table][k] === l0[table][k]) continue;
      if (JSON.stringify(b[table][k]) !== JSON.stringify(l[table][k])) return `${table}[0x${k.toString(16)}] differs`;
    }
  }
  const { objects: _o, ctes: _c, readyQueues: _r, config: _g, ...restB } = b;
  const { objects: _o2, ctes: _c2, readyQueues: _r2, config: _g2, ...restL } = l;
  return JSON.stringify(restB) === JSON.stringify(restL) ? undefined : 'scheduler or interrupt state differs';
}

/** Runs the events under both variants; the first difference, described. */
function compareVariants(trace: Trace): string | undefined {
  let b = bootState(withScheduler(trace.config, 'benno'));
  let l = bootState(withScheduler(trace.config, 'lazy'));
  for (let i = 0; i < trace.events.length; i++) {
    const ev = trace.events[i].event;
    const rb = step(b, ev, i + 1);
    const rl = step(l, ev, i + 1);
    const ob = JSON.stringify(rb.observation);
    const ol = JSON.stringify(rl.observation);
    if (ob !== ol) return `step ${i + 1}: observations differ\n benno ${ob}\n lazy  ${ol}`;
    const qm = queueMismatch(rb.state, rl.state);
    if (qm) return `step ${i + 1}: ${qm}`;
    const sd = stateMismatch(b, rb.state, l, rl.state);
    if (sd) return `step ${i + 1}: ${sd}`;
    b = rb.state;
    l = rl.state;
  }
  return undefined;
}

const scenarioFiles = ['scenarios', '../shared/samples']
  .filter((d) => existsSync(d))
  .flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.json')).sort().map((f) => join(d, f)));

describe('lazy scheduling gives Benno observations on every scenario', () => {
  for (const f of scenarioFiles) {
    const trace = parseTraceText(readFileSync(f, 'utf8'));
    // Long traces (e.g. filling an ASID pool) only repeat one invocation; they cost seconds each.
    it.skipIf(trace.events.length > 300)(f, () => {
      expect(compareVariants(trace)).toBeUndefined();
    });
  }
});

/** A setup in which root and four threads with IPC buffers share root's CSpace. */
const THREADS = [30, 31, 32, 33];
function setupEvents(prios: number[], rootPrio: number): unknown[] {
  const retype = (type: string, slot: number) => ({
    invoke: 'Untyped_Retype', cap: 17, args: { type, sizeBits: 0, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: slot, numObjects: 1 },
  });
  const ev: unknown[] = [retype('Endpoint', 20), retype('Endpoint', 21), retype('Notification', 22)];
  THREADS.forEach((slot, i) => {
    ev.push(retype('TCB', slot), retype('SmallPage', slot + 10));
    ev.push({ invoke: 'TCB_Configure', cap: slot, args: { faultEP: 0, cspaceRoot: 2, cspaceRootData: 0, vspaceRoot: 3, vspaceRootData: 0, buffer: 0x00300000, bufferFrame: slot + 10 } });
    ev.push({ invoke: 'DebugNameThread', cap: slot, args: { name: `T${i}` } });
    ev.push({ invoke: 'TCB_SetPriority', cap: slot, args: { authority: 1, priority: prios[i] } });
    ev.push({ invoke: 'TCB_Resume', cap: slot, args: {} });
  });
  ev.push({ invoke: 'TCB_SetPriority', cap: 1, args: { authority: 1, priority: rootPrio } });
  return ev;
}

const prio = fc.constantFrom(50, 100, 150);
const threadCap = fc.constantFrom(1, ...THREADS);
const arbEvent: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    syscall: fc.constantFrom('Send', 'NBSend', 'Call', 'Recv', 'NBRecv', 'ReplyRecv', 'Reply'),
    cap: fc.constantFrom(20, 21, 22, 0),
    mrs: fc.array(fc.nat(99), { maxLength: 2 }),
  }),
  fc.constant({ syscall: 'Yield' }),
  fc.integer({ min: 1, max: 6 }).map((n) => ({ tick: n })),
  fc.record({ invoke: fc.constantFrom('TCB_Suspend', 'TCB_Resume', 'TCB_UnbindNotification'), cap: threadCap, args: fc.constant({}) }),
  fc.record({ invoke: fc.constant('TCB_SetPriority'), cap: threadCap, args: fc.record({ authority: fc.constant(1), priority: prio }) }),
  fc.record({ invoke: fc.constant('TCB_BindNotification'), cap: threadCap, args: fc.constant({ notification: 22 }) }),
  fc.record({
    invoke: fc.constant('TCB_CopyRegisters'), cap: threadCap,
    args: fc.record({ source: threadCap, suspendSource: fc.boolean(), resumeTarget: fc.boolean(), transferFrame: fc.constant(false), transferInteger: fc.constant(false), archFlags: fc.constant(0) }),
  }),
  fc.constant({ exception: 1 }),
  fc.constant({ invoke: 'CNode_Delete', cap: 2, args: { index: 21, depth: 32 } }),
);

describe('lazy scheduling gives Benno observations on random traces', () => {
  it('same observations, same state beyond the queues, queues related by L1-L3', () => {
    fc.assert(
      fc.property(fc.array(prio, { minLength: 4, maxLength: 4 }), prio, fc.array(arbEvent, { maxLength: 60 }), (prios, rootPrio, events) => {
        const trace = parseTrace({
          format: 'l4check-trace/1',
          config: { untyped: [{ paddr: '0x00800000', sizeBits: 23 }], timeslice: 2 },
          events: [...setupEvents(prios, rootPrio), ...events],
        });
        const why = compareVariants(trace);
        if (why !== undefined) throw new Error(why);
      }),
      { seed: 0x5eed, numRuns: 60 },
    );
  });
});
