// The forward-simulation checker (DESIGN §4): both kernels take each event; their observations
// must be equal, and abstract(impl) must equal the spec state. Incremental mode re-abstracts only
// what the machine's dirty tracking says was written (plus what the spec changed, found by
// reference through immer's structural sharing) and runs a full check every `fullEvery` steps.

import type { Config } from '../abi/config';
import type { KernelEvent, Observation } from '../abi/events';
import { KERNEL_LAYOUT } from '../abi/boot';
import { setSpecFreeze, type KernelState } from '../spec';
import type { CTE, KernelObject } from '../spec/object/structures';
import type { PPtr } from '../spec/api/types';
import type { GhostObject } from '../impl/model/state';
import { TCB_OFFSET } from '../impl/object/structures';
import { DIRTY_CHUNK_BYTES, type Machine } from '../machine';
import { ImplRunner, SpecRunner, type loadImpl } from './kernels';
import { type Diff, diff, diffs, hex } from './diff';
import { abstract, absCTEInto, absGlobals, absObject, objectSlots } from './model/state';
import { floorIndex } from './sorted';

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

/** The TCB block's CNode part that holds its five slots. */
const TCB_CTE_BYTES = 5 * 16;

export class RefinementChecker {
  readonly spec: SpecRunner;
  readonly impl: ImplRunner;
  private readonly incremental: boolean;
  private readonly fullEvery: number;
  private readonly limit: number;
  /** The incrementally maintained abstraction of the impl. */
  private absObjects: Record<PPtr, KernelObject> = {};
  private absCtes: Record<PPtr, CTE> = {};
  /** The ghost heap as of the last check, and its sorted bases (for address lookup). */
  private ghost = new Map<PPtr, GhostObject>();
  private bases: number[] = [];
  private readonly irqNodeEnd: number;
  stepsSinceFull = 0;

  constructor(config: Config, implModule: Awaited<ReturnType<typeof loadImpl>>, opts: CheckOptions = {}) {
    this.spec = new SpecRunner(config);
    this.impl = new ImplRunner(implModule, config, opts.machine);
    this.incremental = opts.incremental ?? true;
    this.fullEvery = opts.fullEvery ?? 1000;
    this.limit = opts.limit ?? 20;
    this.irqNodeEnd = KERNEL_LAYOUT.irqNode + 16 * config.irqLines;
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
    const k = this.impl.kernel;
    k.m.memory.resetDirty();
    const a = abstract(k);
    this.absObjects = a.state.objects;
    this.absCtes = a.state.ctes;
    this.snapshotGhost();
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

  /** The ghost object containing physical address a, if any. */
  private objectAt(a: number): [PPtr, GhostObject] | undefined {
    const b = this.bases;
    const hi = floorIndex(b, a);
    if (hi < 0) return undefined;
    const o = this.ghost.get(b[hi]);
    return o && a < b[hi] + 2 ** o.sizeBits ? [b[hi], o] : undefined;
  }

  private incrementalCheck(stepNo: number, before: KernelState, after: KernelState): Divergence | undefined {
    const k = this.impl.kernel;
    const problems: string[] = [];
    const problem = (w: string) => problems.push(w);
    const objs = new Set<PPtr>();
    const slots = new Set<PPtr>();

    // Objects created or destroyed (retype, reset) since the last step.
    if (k.objects.size !== this.ghost.size || this.bases.some((p) => !k.objects.has(p))) {
      for (const [p, o] of this.ghost) {
        if (k.objects.has(p)) continue;
        objs.add(p);
        for (const s of objectSlots(p, o)) slots.add(s);
      }
      for (const [p, o] of k.objects) {
        if (this.ghost.has(p)) continue;
        objs.add(p);
        for (const s of objectSlots(p, o)) slots.add(s);
      }
      this.snapshotGhost();
    }

    // What the machine saw written: CTEs by slot, other objects whole, TCB blocks by half.
    for (const c of k.m.memory.takeDirty()) {
      const a = c * DIRTY_CHUNK_BYTES;
      if (this.inIrqNode(a)) {
        slots.add(a);
        continue;
      }
      const hit = this.objectAt(a);
      if (!hit) continue;
      const [p, o] = hit;
      if (o.type === 'CNode' || (o.type === 'TCB' && a - p < TCB_CTE_BYTES)) slots.add(a);
      else if (o.type !== 'TCB' || a - p >= TCB_OFFSET) objs.add(p);
    }

    // What the spec changed, found by reference (re-abstracted too: ghost records such as names change no memory).
    if (after.objects !== before.objects) {
      for (const p of Object.keys(after.objects)) if (after.objects[Number(p)] !== before.objects[Number(p)]) objs.add(Number(p));
      for (const p of Object.keys(before.objects)) if (!(p in after.objects)) objs.add(Number(p));
    }
    if (after.ctes !== before.ctes) {
      for (const s of Object.keys(after.ctes)) if (after.ctes[Number(s)] !== before.ctes[Number(s)]) slots.add(Number(s));
      for (const s of Object.keys(before.ctes)) if (!(s in after.ctes)) slots.add(Number(s));
    }

    // A TCB's queue links live in the TCB: re-walk the queue it was blocked on, and the one it is.
    for (const p of [...objs]) this.addBlockingObject(this.absObjects[p], objs);
    const reabstract = (p: PPtr) => {
      const o = k.objects.get(p);
      if (o) this.absObjects[p] = absObject(k, p, o, (w) => problem(`object 0x${p.toString(16)}: ${w}`));
      else delete this.absObjects[p];
    };
    for (const p of objs) reabstract(p);
    for (const p of [...objs]) {
      const q = blockingObject(this.absObjects[p]);
      if (q !== 0 && !objs.has(q)) {
        objs.add(q);
        reabstract(q);
      }
    }
    for (const s of slots) {
      delete this.absCtes[s];
      absCTEInto(k, s, this.absCtes, problem);
    }
    const globals = absGlobals(k, problem);
    if (problems.length > 0) return this.invariantDivergence(stepNo, problems);

    const out: Diff[] = [];
    const { objects: _o, ctes: _c, config: _f, ...specGlobals } = after;
    diff(specGlobals, globals, '', out, this.limit);
    for (const p of objs) diff(after.objects[p], this.absObjects[p], `objects[${hex(p)}]`, out, this.limit);
    for (const s of slots) diff(after.ctes[s], this.absCtes[s], `ctes[${hex(s)}]`, out, this.limit);
    return out.length > 0 ? { step: stepNo, kind: 'state', diffs: out } : undefined;
  }

  /** The incrementally maintained abstraction (for tests that compare it with a full one). */
  maintainedAbstraction(): { objects: Record<PPtr, KernelObject>; ctes: Record<PPtr, CTE> } {
    return { objects: this.absObjects, ctes: this.absCtes };
  }

  private snapshotGhost(): void {
    this.ghost = new Map(this.impl.kernel.objects);
    this.bases = [...this.ghost.keys()].sort((x, y) => x - y);
  }

  private inIrqNode(a: number): boolean {
    return a >= KERNEL_LAYOUT.irqNode && a < this.irqNodeEnd;
  }

  private addBlockingObject(t: KernelObject | undefined, objs: Set<PPtr>): void {
    const q = blockingObject(t);
    if (q !== 0) objs.add(q);
  }
}


/** The endpoint or notification a TCB record is queued on (0 for none). */
function blockingObject(t: KernelObject | undefined): PPtr {
  if (t?.tag !== 'TCB') return 0;
  const st = t.state;
  return st.tag === 'BlockedOnSend' || st.tag === 'BlockedOnReceive' ? st.ep : st.tag === 'BlockedOnNotification' ? st.ntfn : 0;
}

/** Checked runs turn immer's auto-freeze off (DESIGN §6). */
export function prepareCheckedRun(): void {
  setSpecFreeze(false);
}
