// Invariants: named, documented predicates over the kernel's state (DESIGN §4), checked after
// every step on the spec state (and, in checked runs, on abstract(impl) through the refinement
// checker, which already proves it equal to the spec state). Some are monitors that keep their
// own record across steps (the message ledger of "no lost messages"); all report a violation as
// data: the invariant's name and the evidence.

import type { KernelEvent, Observation } from '../../abi/events';
import type { KernelState } from '../../spec';

/** Cost of the impl's last event, from the machine's counters (bounded-scheduler check). */
export interface EntryCost {
  /** The most memory loads one schedule() took during the event (impl Kernel.scheduleLoads). */
  scheduleLoads: number;
  /** Loads, stores and distinct lines of the event's last kernel entry (machine perEntry). */
  loads: number;
  stores: number;
  lines: number;
  /** Number of threads that exist (the bound must not grow with it). */
  threads: number;
  /** The TCBs whose stale ready-queue entries the event's scheduling walked past or removed (lazy scheduling; impl Kernel.sweptEntries). */
  swept: readonly number[];
}

export interface StepContext {
  step: number;
  event: KernelEvent;
  before: KernelState;
  after: KernelState;
  observation: Observation;
  /** Present in checked runs (both kernels). */
  cost?: EntryCost;
}

export interface Violation {
  invariant: string;
  /** What shows the violation: paths, values, the thread or message concerned. */
  evidence: unknown;
}

export interface Invariant {
  /** Kebab-case name, used in reports, --invariants files, expectViolation and JUnit. */
  name: string;
  /** One line saying what must hold. */
  doc: string;
  /** Not checked under these design variants (e.g. the Benno invariant under lazy scheduling). */
  skipWhen?: (s: KernelState) => boolean;
  /** Reads the impl's entry cost (`StepContext.cost`): not checked when the impl does not run. */
  needsImpl?: boolean;
  /**
   * A fresh monitor for one run. `boot` sees the initial state; `step` sees each step and
   * returns a violation or null. Stateless invariants ignore everything but `after`.
   */
  monitor(): Monitor;
}

export interface Monitor {
  boot?(s: KernelState): Violation | null;
  step(ctx: StepContext): Violation | null;
}

/** A stateless invariant from a predicate on one state. */
export function stateInvariant(name: string, doc: string, check: (s: KernelState) => unknown | null, skipWhen?: (s: KernelState) => boolean): Invariant {
  return {
    name,
    doc,
    skipWhen,
    monitor: () => ({
      boot: (s) => {
        const e = check(s);
        return e === null ? null : { invariant: name, evidence: e };
      },
      step: (ctx) => {
        const e = check(ctx.after);
        return e === null ? null : { invariant: name, evidence: e };
      },
    }),
  };
}
