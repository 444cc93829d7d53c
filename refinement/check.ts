// The forward-simulation checker (DESIGN §4): both kernels take each event; their observations
// must be equal, and abstract(impl) must equal the spec state. Incremental mode re-abstracts only
// what the machine's dirty tracking says was written (plus what the spec changed, found by
// reference through immer's structural sharing) and runs a full check every `fullEvery` steps.

import type { Config } from '../abi/config';
import type { KernelEvent, Observation } from '../abi/events';
import { setSpecFreeze, type KernelState } from '../spec';
import type { CTE, KernelObject } from '../spec/object/structures';
import type { PPtr } from '../spec/api/types';
import type { Machine } from '../machine';
import { ImplRunner, SpecRunner, type loadImpl } from './kernels';
import { type Diff, diff, diffs, hex } from './diff';
import { IncrementalAbstraction } from './incremental';
import { differingKeys } from '../spec/model/state';

export type DivergenceKind = 'observation' | 'state' | 'impl-invariant';

export interface Divergence {
  step: number;
  kind: DivergenceKind;
  diffs: Diff[];
}

export interface CheckOptions {
  /** Re-abstract only what changed (default true). */
  incremental?: boolean;
  /** With incremental checking, a full check every this many steps (default 1000; 0 = never). */
  fullEvery?: number;
  /** Most differences reported per divergence. */
  limit?: number;
  /** A machine to boot the impl on after a power-on reset (see ImplRunner), instead of a new one. */
  machine?: Machine;
}

export interface CheckedStep {
  /** The spec's observation (equal to the impl's unless there is a divergence). */
  observation: Observation;
  implObservation: Observation;
  divergence?: Divergence;
}

export class RefinementChecker {
  readonly spec: SpecRunner;
  readonly impl: ImplRunner;
  private readonly incremental: boolean;
  private readonly fullEvery: number;
  private readonly limit: number;
  /** The incrementally maintained abstraction of the impl. */
  private readonly abs: IncrementalAbstraction;
  stepsSinceFull = 0;

  constructor(config: Config, implModule: Awaited<ReturnType<typeof loadImpl>>, opts: CheckOptions = {}) {
    this.spec = new SpecRunner(config);
    this.impl = new ImplRunner(implModule, config, opts.machine);
    this.incremental = opts.incremental ?? true;
    this.fullEvery = opts.fullEvery ?? 1000;
    this.limit = opts.limit ?? 20;
    this.abs = new IncrementalAbstraction(this.impl.kernel);
  }

  /** Boot both kernels and check the initial states. */
  boot(): CheckedStep {
    const observation = this.spec.boot();
    const implObservation = this.impl.boot();
    return { observation, implObservation, divergence: this.compareObservations(0, observation, implObservation) ?? this.fullCheck(0) };
  }

  step(event: KernelEvent, stepNo: number): CheckedStep {
    const before = this.spec.state;
    const observation = this.spec.step(event, stepNo);
    const implObservation = this.impl.step(event, stepNo);
    const divergence = this.compareObservations(stepNo, observation, implObservation)
      ?? (this.incremental && (this.fullEvery === 0 || ++this.stepsSinceFull < this.fullEvery)
        ? this.incrementalCheck(stepNo, before, this.spec.state)
        : this.fullCheck(stepNo));
    return { observation, implObservation, divergence };
  }

  /** A full check (the periodic one, and the one at the end of a run). */
  fullCheck(stepNo: number): Divergence | undefined {
    this.stepsSinceFull = 0;
    const a = this.abs.full();
    if (a.problems.length > 0) return this.invariantDivergence(stepNo, a.problems);
    const d = diffs(this.spec.state, a.state, '', this.limit);
    return d.length > 0 ? { step: stepNo, kind: 'state', diffs: d } : undefined;
  }

  private compareObservations(stepNo: number, s: Observation, i: Observation): Divergence | undefined {
    const d = diffs(s, i, 'observation', this.limit);
    return d.length > 0 ? { step: stepNo, kind: 'observation', diffs: d } : undefined;
  }

  private invariantDivergence(stepNo: number, problems: string[]): Divergence {
    return { step: stepNo, kind: 'impl-invariant', diffs: problems.slice(0, this.limit).map((p) => ({ path: 'impl', spec: 'well-formed', impl: p })) };
  }

  private incrementalCheck(stepNo: number, before: KernelState, after: KernelState): Divergence | undefined {
    const problems: string[] = [];
    const problem = (w: string) => problems.push(w);
    const c = this.abs.changed();
    // What the spec changed, found by reference (abstracted again too: ghost records such as names change no memory).
    for (const p of differingKeys(before.objects, after.objects)) c.objs.add(p);
    for (const s of differingKeys(before.ctes, after.ctes)) c.slots.add(s);
    this.abs.update(c, problem);
    const globals = this.abs.globals(problem);
    if (problems.length > 0) return this.invariantDivergence(stepNo, problems);

    const out: Diff[] = [];
    const { objects: _o, ctes: _c, config: _f, ...specGlobals } = after;
    diff(specGlobals, globals, '', out, this.limit);
    for (const p of c.objs) diff(after.objects[p], this.abs.objects[p], `objects[${hex(p)}]`, out, this.limit);
    for (const s of c.slots) diff(after.ctes[s], this.abs.ctes[s], `ctes[${hex(s)}]`, out, this.limit);
    return out.length > 0 ? { step: stepNo, kind: 'state', diffs: out } : undefined;
  }

  /** The incrementally maintained abstraction (for tests that compare it with a full one). */
  maintainedAbstraction(): { objects: Record<PPtr, KernelObject>; ctes: Record<PPtr, CTE> } {
    return { objects: this.abs.objects, ctes: this.abs.ctes };
  }

}

/** Checked runs turn immer's auto-freeze off (DESIGN §6). */
export function prepareCheckedRun(): void {
  setSpecFreeze(false);
}
