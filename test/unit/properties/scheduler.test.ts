// The bounded scheduler: benno, highest-priority-runs, round-robin on hand-made violating states,
// and bounded-scheduler on traces with 4, 16 and 64 blocked threads under benno (holds: the bound
// does not grow) and lazy (fails once enough blocked threads sit in a ready queue).

import { produce } from 'immer';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KernelState } from '../../../spec';
import { SCHEDULE_LOAD_BOUND, SCHEDULE_LOADS_MEASURED, benno, boundedScheduler, highestPriorityRuns, roundRobin } from '../../../properties/invariants/scheduler';
import { checkTraceChecked, checkTraceSpec } from '../../../properties/invariants/run';
import { loadImpl } from '../../../refinement/kernels';
import { blockedServersTrace, contexts, fakeStep, trace, retype, configure, setPrio, name } from './fixtures';

let impl: Awaited<ReturnType<typeof loadImpl>>;
beforeAll(async () => {
  impl = await loadImpl();
});

const TCB = (s: KernelState, n: string): number => Number(Object.keys(s.objects).find((k) => {
  const o = s.objects[Number(k)];
  return o.tag === 'TCB' && o.name === n;
}));

/** Two threads a, b at 200 running round robin with root at 100. */
function rrTrace() {
  return trace([
    retype('TCB', 30, 2),
    configure(30), setPrio(30, 200), name(30, 'a'),
    configure(31), setPrio(31, 200), name(31, 'b'),
    { invoke: 'TCB_Resume', cap: 30 },
    { invoke: 'TCB_Resume', cap: 31 },
    setPrio(1, 100),
    { syscall: 'Yield' },
    { tick: 1 }, { tick: 1 }, { tick: 1 }, { tick: 1 }, { tick: 1 },
    { syscall: 'Yield' },
  ], { timeslice: 5 });
}

describe('benno', () => {
  const { boot, steps } = contexts(rrTrace());
  const last = steps[steps.length - 1].after;
  it('holds on a round-robin trace, incrementally and in full', () => {
    expect(benno.full(boot)).toBeNull();
    const m = benno.monitor();
    for (const s of steps) expect(m.step(s)).toBeNull();
    expect(benno.full(last)).toBeNull();
  });
  it('fails when a runnable thread is in no ready queue', () => {
    const cur = last.curThread;
    const other = [TCB(last, 'a'), TCB(last, 'b')].find((t) => t !== cur)!;
    const bad = produce(last, (d) => {
      for (const p of Object.keys(d.readyQueues)) d.readyQueues[Number(p)] = d.readyQueues[Number(p)].filter((t) => t !== other);
    });
    expect(benno.full(bad)).toMatchObject({ problem: 'a runnable thread that is not running is in no ready queue' });
    expect(benno.monitor().step(fakeStep(last, bad))?.invariant).toBe('benno');
  });
  it('fails when a blocked thread sits in a ready queue, and is skipped under lazy', () => {
    const other = [TCB(last, 'a'), TCB(last, 'b')].find((t) => t !== last.curThread)!;
    const bad = produce(last, (d) => {
      const t = d.objects[other];
      if (t.tag === 'TCB') t.state = { tag: 'BlockedOnReply' };
    });
    const v = benno.monitor().step(fakeStep(last, bad));
    expect(v?.invariant).toBe('benno');
    expect(JSON.stringify(v?.evidence)).toMatch(/blocked thread is in a ready queue|not runnable/);
    expect(benno.full(bad)).not.toBeNull();
    expect(benno.skipWhen!(produce(last, (d) => { d.config.variant.scheduler = 'lazy'; }))).toBe(true);
  });
});

describe('highest-priority-runs', () => {
  const { steps } = contexts(rrTrace());
  const last = steps[steps.length - 1].after;
  it('holds on the trace', () => {
    const m = highestPriorityRuns.monitor();
    for (const s of steps) expect(m.step(s)).toBeNull();
  });
  it('fails when a lower-priority thread runs while a higher one is ready', () => {
    const bad = produce(last, (d) => {
      const t = d.objects[d.curThread];
      if (t.tag === 'TCB') t.priority = 150;
    });
    expect(highestPriorityRuns.monitor().step(fakeStep(last, bad))?.invariant).toBe('highest-priority-runs');
  });
});

describe('round-robin', () => {
  const { steps } = contexts(rrTrace());
  it('holds on Yield and on timeslice expiry', () => {
    const m = roundRobin.monitor();
    for (const s of steps) expect(m.step(s)).toBeNull();
    // The trace really rotates: a and b alternate.
    const currents = steps.slice(-7).map((s) => s.observation.current);
    expect(new Set(currents)).toEqual(new Set(['a', 'b']));
  });
  it('fails when a Yield leaves the yielding thread running although a peer waits', () => {
    const y = steps[steps.length - 1];
    const bad = produce(y.before, (d) => {
      const t = d.objects[d.curThread];
      if (t.tag === 'TCB') t.timeSlice = 5;
    });
    const v = roundRobin.monitor().step({ ...y, after: bad });
    expect(v?.invariant).toBe('round-robin');
  });
});

describe('bounded-scheduler', () => {
  it('the measured benno cost is below the bound', () => {
    expect(SCHEDULE_LOADS_MEASURED).toBeLessThan(SCHEDULE_LOAD_BOUND);
  });
  for (const n of [4, 16, 64]) {
    it(`holds under benno with ${n} blocked threads, with the same cost as with 1`, () => {
      const r = checkTraceChecked(blockedServersTrace(n, 'benno'), [boundedScheduler], impl);
      expect(r.divergence).toBeUndefined();
      expect(r.violation).toBeNull();
      const r1 = checkTraceChecked(blockedServersTrace(1, 'benno'), [boundedScheduler], impl);
      expect(r.maxScheduleLoads).toBe(r1.maxScheduleLoads);
    });
    it(`fails under lazy with ${n} blocked threads in a ready queue`, () => {
      const r = checkTraceChecked(blockedServersTrace(n, 'lazy'), [boundedScheduler], impl);
      expect(r.divergence).toBeUndefined();
      expect(r.violation?.invariant).toBe('bounded-scheduler');
      expect(r.violation?.evidence).toMatchObject({ bound: SCHEDULE_LOAD_BOUND, variant: 'lazy' });
    });
  }
  it('is not checked without costs (spec-only runs)', () => {
    expect(checkTraceSpec(blockedServersTrace(16, 'lazy'), [boundedScheduler]).violation).toBeNull();
  });
});
