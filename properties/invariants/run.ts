// Running invariants over a trace: the monitors of a list of invariants, fed with each step's
// context, on the spec alone (replay's onStep) or on both kernels with refinement and the impl's
// entry cost (a RefinementChecker of our own). Used by the tests, and by anyone who wants the
// invariants outside `replay --check` (a researcher's own vitest tests, through properties/index.ts).

import type { Observation } from '../../abi/events';
import type { Trace } from '../../abi/trace';
import type { KernelState } from '../../spec';
import { RefinementChecker, type Divergence } from '../../refinement/check';
import type { loadImpl } from '../../refinement/kernels';
import { replay } from '../replay';
import type { EntryCost, Invariant, Monitor, StepContext, Violation } from './types';

/** A violation with the step it happened at (0 = boot). */
export type StepViolation = Violation & { step: number };

/** The monitors of a run: one per invariant that applies to the configuration. */
/** The invariants a run checks: not those its variant skips, nor those that need the impl when it does not run. */
export function applicableInvariants(invariants: readonly Invariant[], boot: KernelState, withImpl = true): Invariant[] {
  return invariants.filter((i) => !i.skipWhen?.(boot) && (withImpl || !i.needsImpl));
}

/** An invariant's monitor threw: which one, and what. */
export class InvariantThrew extends Error {
  constructor(readonly invariant: string, override readonly cause: unknown) {
    super(`invariant ${invariant} threw: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export class MonitorSet {
  private readonly monitors: { inv: Invariant; m: Monitor }[];

  constructor(invariants: readonly Invariant[], boot: KernelState, withImpl = true) {
    this.monitors = applicableInvariants(invariants, boot, withImpl).map((inv) => ({ inv, m: inv.monitor() }));
  }

  get names(): string[] {
    return this.monitors.map((x) => x.inv.name);
  }

  boot(s: KernelState): StepViolation | null {
    let i = 0;
    try {
      for (; i < this.monitors.length; i++) {
        const v = this.monitors[i].m.boot?.(s) ?? null;
        if (v !== null) return { ...v, step: 0 };
      }
    } catch (e) {
      throw new InvariantThrew(this.monitors[i].inv.name, e);
    }
    return null;
  }

  step(ctx: StepContext): StepViolation | null {
    // One try around the loop (the index names the monitor that threw): no closure per monitor per step.
    let i = 0;
    try {
      for (; i < this.monitors.length; i++) {
        const v = this.monitors[i].m.step(ctx);
        if (v !== null) return { ...v, step: ctx.step };
      }
    } catch (e) {
      throw new InvariantThrew(this.monitors[i].inv.name, e);
    }
    return null;
  }
}

export interface InvariantRun {
  /** The first violation, if any. */
  violation: StepViolation | null;
  /** Steps run (events replayed before stopping). */
  steps: number;
  /** Checked runs: a refinement divergence, if one stopped the run first. */
  divergence?: Divergence;
  /** Checked runs: the largest schedule() load count seen (for measurements). */
  maxScheduleLoads?: number;
}

/** Runs the invariants' monitors on the spec states of a replay (spec kernel only, no `expect` stop). */
export function checkTraceSpec(trace: Trace, invariants: readonly Invariant[]): InvariantRun {
  let set: MonitorSet | null = null;
  let violation: StepViolation | null = null;
  let steps = 0;
  let pending: { before: KernelState; after: KernelState; event: Trace['events'][number] } | null = null;
  replay({ ...trace, expect: [] }, {
    onStep: (event, before, after) => {
      pending = { before, after, event };
    },
    onObservation: (o: Observation) => {
      if (violation !== null) return;
      if (o.step === 0) return;
      const p = pending!;
      if (set === null) {
        set = new MonitorSet(invariants, p.before, false);
        violation = set.boot(p.before);
        if (violation !== null) return;
      }
      steps = o.step;
      violation = set.step({ step: o.step, event: p.event.event, before: p.before, after: p.after, observation: o });
    },
  });
  return { violation, steps };
}

/**
 * The entry cost of the impl's last event (what checked runs give StepContext.cost). The thread
 * count of `state` is evidence only (a walk over every object): it is counted when read.
 */
export function entryCost(k: RefinementChecker['impl']['kernel'], state: KernelState): EntryCost {
  const e = k.m.perEntry();
  return { scheduleLoads: k.scheduleLoads, loads: e.loads, stores: e.stores, lines: e.lines, swept: k.sweptEntries, get threads() { return countThreads(state); } };
}

function countThreads(s: KernelState): number {
  let n = 0;
  for (const k in s.objects) if (s.objects[k as unknown as number].tag === 'TCB') n++;
  return n;
}

/**
 * Runs both kernels with refinement at every step and the invariants' monitors with the impl's
 * entry cost (the bounded-scheduler check needs it). Stops at the first divergence or violation.
 */
export function checkTraceChecked(trace: Trace, invariants: readonly Invariant[], impl: Awaited<ReturnType<typeof loadImpl>>): InvariantRun {
  const checker = new RefinementChecker(trace.config, impl, {});
  const b = checker.boot();
  if (b.divergence) return { violation: null, steps: 0, divergence: b.divergence };
  const set = new MonitorSet(invariants, checker.spec.state);
  let violation = set.boot(checker.spec.state);
  let maxScheduleLoads = 0;
  let n = 0;
  for (const ev of trace.events) {
    if (violation !== null) break;
    n++;
    const before = checker.spec.state;
    const r = checker.step(ev.event, n);
    if (r.divergence) return { violation, steps: n, divergence: r.divergence, maxScheduleLoads };
    const after = checker.spec.state;
    const cost = entryCost(checker.impl.kernel, after);
    maxScheduleLoads = Math.max(maxScheduleLoads, cost.scheduleLoads);
    violation = set.step({ step: n, event: ev.event, before, after, observation: r.observation, cost });
  }
  return { violation, steps: n, maxScheduleLoads };
}
