// The checked kernel of `l4check check`: one object that takes an event and answers with the
// observation and the first failed check. `both` composes the RefinementChecker (both kernels,
// refinement at every step) with the invariants' monitors, which see the spec state before and
// after each step and the impl's entry cost (Kernel.scheduleLoads, the machine's perEntry
// counters); `spec` runs the monitors on the spec alone; `impl` runs the concrete kernel and the
// monitors on abstract(impl), kept up to date step by step (refinement/incremental.ts) and
// compared with a full abstraction at the end of the run.

import { type Config, timerIrq } from '../../abi/config';
import type { KernelEvent, Observation } from '../../abi/events';
import type { KernelState } from '../../spec';
import { RefinementChecker, type Divergence } from '../../refinement/check';
import { ImplRunner, SpecRunner, type loadImpl } from '../../refinement/kernels';
import { IncrementalAbstraction } from '../../refinement/incremental';
import { diffs } from '../../refinement/diff';
import { noteWrittenKeys } from '../../spec/model/state';
import { activationProbe } from '../../spec/kernel/thread';
import type { EntryCost, Invariant, StepContext } from '../invariants/types';
import { InvariantThrew, MonitorSet, entryCost } from '../invariants/run';
import { ALL_CHECKS } from '../checks';

export type ImplModule = Awaited<ReturnType<typeof loadImpl>>;
/** The impl's machine (properties/ reaches the machine only through the kernels). */
type Machine = ImplRunner['kernel']['m'];
type MachineSnapshot = ReturnType<Machine['save']>;

/**
 * Machines of finished runs, by options, for the next run to boot on after a power-on reset:
 * allocating and zeroing 16 MiB per run cost more than many a run's boot (Machine.reset).
 */
const spareMachines = new Map<string, Machine>();
const machineKey = (o: { memoryBits: number; tlbEntries: number; irqLines: number }, timer: number) => `${o.memoryBits}/${o.tlbEntries}/${o.irqLines}/${timer}`;

function takeMachine(config: Config): Machine | undefined {
  const key = machineKey(config, timerIrq(config));
  const m = spareMachines.get(key);
  spareMachines.delete(key);
  return m;
}
export type KernelChoice = 'spec' | 'impl' | 'both';
/** 'pair': both kernels in lockstep without refinement (shrinking a failure of the impl's cost). */
export type StepperChoice = KernelChoice | 'pair';

/** A failed check: a refinement divergence, an invariant's violation, or an exception of a kernel. */
export interface CheckFailure {
  step: number;
  /** 'refinement', an invariant's name, or 'internal' for an exception out of a kernel. */
  check: string;
  evidence: unknown;
  divergence?: Divergence;
}

export interface SteppedEvent {
  observation: Observation;
  before: KernelState;
  after: KernelState;
  failure?: CheckFailure;
}


/** The invariants' monitors of one run (MonitorSet), answering with CheckFailures. */
class Monitors {
  private readonly set: MonitorSet;
  constructor(invariants: readonly Invariant[], boot: KernelState, withImpl: boolean) {
    this.set = new MonitorSet(invariants, boot, withImpl);
  }
  get names(): string[] {
    return this.set.names;
  }
  boot(s: KernelState): CheckFailure | undefined {
    return caught(0, () => {
      const v = this.set.boot(s);
      return v ? { step: 0, check: v.invariant, evidence: v.evidence } : undefined;
    });
  }
  step(ctx: StepContext): CheckFailure | undefined {
    return caught(ctx.step, () => {
      const v = this.set.step(ctx);
      return v ? { step: ctx.step, check: v.invariant, evidence: v.evidence } : undefined;
    });
  }
}

const PROJECT_CHECKS = new Set(ALL_CHECKS.map((i) => i.name));

/**
 * A monitor that throws: one of the project's is a bug of the model ('internal'); a user's own
 * (--invariants) is that check failing, with the exception's first line as its evidence.
 */
function caught(step: number, f: () => CheckFailure | undefined): CheckFailure | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof InvariantThrew && !PROJECT_CHECKS.has(e.invariant)) {
      const msg = e.cause instanceof Error ? `${e.cause.name}: ${e.cause.message}` : String(e.cause);
      return { step, check: e.invariant, evidence: { threw: msg.split('\n')[0].slice(0, 300) } };
    }
    const cause = e instanceof InvariantThrew ? e.cause : e;
    return { step, check: 'internal', evidence: `${e instanceof InvariantThrew ? `invariant ${e.invariant}` : 'an invariant'} threw: ${(cause as Error).stack ?? String(cause)}` };
  }
}

const implProblems = (step: number, problems: string[]): CheckFailure => ({ step, check: 'refinement', evidence: { kind: 'impl-invariant', problems: problems.slice(0, 20) } });

const divergenceFailure = (d: Divergence): CheckFailure => ({ step: d.step, check: 'refinement', evidence: { kind: d.kind, diffs: d.diffs }, divergence: d });

type ImplKernel = ImplRunner['kernel'];

/** The impl kernel's JavaScript-side state besides its machine (ghost records, instrumentation). */
interface GhostSnapshot {
  objects: [number, { type: string; sizeBits: number }][];
  names: [number, string][];
  delivered: [number, unknown][];
  scheduleLoads: number;
  sweptEntries: number[];
}

/**
 * The Kernel fields a snapshot covers: saveGhost throws on any other, so that a field added to
 * the impl's Kernel cannot be left out of snapshots unnoticed. `observed` is a cache (rebuilt
 * when cleared) and `onRestart` a listener.
 */
const GHOST_FIELDS = new Set(['m', 'config', 'objects', 'names', 'delivered', 'scheduleLoads', 'sweptEntries', 'onRestart', 'observed']);

function saveGhost(k: ImplKernel): GhostSnapshot {
  for (const f of Object.keys(k)) if (!GHOST_FIELDS.has(f)) throw new Error(`CheckedKernel.snapshot: the impl Kernel's field ${f} is not covered by snapshots`);
  return {
    objects: [...k.objects].map(([p, o]) => [p, { ...o }]),
    names: [...k.names],
    delivered: structuredClone([...k.delivered]),
    scheduleLoads: k.scheduleLoads,
    sweptEntries: [...k.sweptEntries],
  };
}

function restoreGhost(k: ImplKernel, g: GhostSnapshot): void {
  k.objects.clear();
  for (const [p, o] of g.objects) k.objects.set(p, { ...o } as Parameters<ImplKernel['objects']['set']>[1]);
  k.names.clear();
  for (const [p, n] of g.names) k.names.set(p, n);
  k.delivered.clear();
  for (const [p, d] of structuredClone(g.delivered)) k.delivered.set(p, d as Parameters<ImplKernel['delivered']['set']>[1]);
  k.scheduleLoads = g.scheduleLoads;
  k.sweptEntries.length = 0;
  k.sweptEntries.push(...g.sweptEntries);
  k.observed = undefined;
}

/** Kernel choices with snapshots: the spec alone, or both kernels without refinement (the refinement checker's own state is not saved). */
export function hasSnapshots(kernel: StepperChoice): boolean {
  return kernel === 'spec' || kernel === 'pair';
}

/** CheckedKernel.snapshot's value (CheckedKernel.resume restarts from it, any number of times). */
export interface KernelSnapshot {
  readonly config: Config;
  readonly kernel: StepperChoice;
  readonly steps: number;
  readonly boot: KernelState;
  readonly state: KernelState;
  readonly current: string;
  readonly contexts: readonly StepContext[];
  readonly machine?: MachineSnapshot;
  readonly ghost?: GhostSnapshot;
}

/** Both kernels, refinement, invariants (or fewer, by `kernel`), one event at a time. */
export class CheckedKernel {
  private readonly checker?: RefinementChecker;
  private readonly spec?: SpecRunner;
  private readonly impl?: ImplRunner;
  private monitors!: Monitors;
  /** The impl's maintained abstraction (`impl`: no spec to compare with). */
  private abs?: IncrementalAbstraction;
  private stateNow!: KernelState;
  private bootState!: KernelState;
  /** The monitors' inputs since boot, kept when snapshots are asked for (recordForSnapshot). */
  private contexts?: StepContext[];
  steps = 0;

  constructor(readonly config: Config, readonly kernel: StepperChoice, private readonly invariants: readonly Invariant[], implModule?: ImplModule) {
    const machine = kernel === 'spec' ? undefined : takeMachine(config);
    if (kernel === 'both') this.checker = new RefinementChecker(config, implModule!, { machine });
    if (kernel === 'spec' || kernel === 'pair') this.spec = new SpecRunner(config);
    if (kernel === 'impl' || kernel === 'pair') this.impl = new ImplRunner(implModule!, config, machine);
  }

  /** Ends the run: its machine goes to the next run of the same machine options (the kernel must not be stepped again). */
  release(): void {
    const m = (this.checker?.impl ?? this.impl)?.kernel.m;
    if (m !== undefined) spareMachines.set(machineKey(m.options, m.irq.timerLine), m);
  }

  /**
   * Instrumentation: `f` hears each restart a kernel's activateThread makes (spec first, then the
   * impl, as each steps), until the returned function is called.
   */
  watchRestarts(f: (kernel: 'spec' | 'impl', tcb: number) => void): () => void {
    const impl = (this.checker?.impl ?? this.impl)?.kernel;
    const specRuns = this.checker !== undefined || this.spec !== undefined;
    if (specRuns) activationProbe.onRestart = (t) => f('spec', t);
    if (impl) impl.onRestart = (t) => f('impl', t);
    return () => {
      if (specRuns) activationProbe.onRestart = undefined;
      if (impl) impl.onRestart = undefined;
    };
  }

  /** The invariants this run checks (those not skipped under its variant). */
  get checkedInvariants(): string[] {
    return this.monitors.names;
  }

  get state(): KernelState {
    return this.stateNow;
  }

  boot(): { observation: Observation; failure?: CheckFailure } {
    let observation: Observation;
    let failure: CheckFailure | undefined;
    if (this.checker) {
      const r = this.checker.boot();
      observation = r.observation;
      if (r.divergence) failure = divergenceFailure(r.divergence);
      this.stateNow = this.checker.spec.state;
    } else if (this.spec) {
      observation = this.spec.boot();
      this.impl?.boot();
      this.stateNow = this.spec.state;
    } else {
      observation = this.impl!.boot();
      this.abs = new IncrementalAbstraction(this.impl!.kernel);
      const a = this.abs.full();
      this.stateNow = a.state;
      if (a.problems.length > 0) failure = implProblems(0, a.problems);
    }
    this.bootState = this.stateNow;
    this.monitors = new Monitors(this.invariants, this.stateNow, this.kernel !== 'spec');
    return { observation, failure: failure ?? this.monitors.boot(this.stateNow) };
  }

  /** Whether snapshot() works for this kernel choice (hasSnapshots). */
  get snapshots(): boolean {
    return hasSnapshots(this.kernel);
  }

  /** Keep what snapshot() needs from now on (call before boot). */
  recordForSnapshot(): void {
    if (!this.snapshots) throw new Error(`CheckedKernel: no snapshots of kernel ${this.kernel}`);
    this.contexts = [];
  }

  /**
   * The run's state now, after boot and the events stepped since, none of them failed: the spec
   * state (a value), the impl's machine and ghost records, and the monitors' inputs since boot
   * (monitors keep state in closures, so resume() builds fresh ones and feeds them those inputs
   * again: the invariants are functions of what they were shown). `current` is the thread the
   * last observation said was running.
   */
  snapshot(current: string): KernelSnapshot {
    if (this.contexts === undefined) throw new Error('CheckedKernel.snapshot: recordForSnapshot() was not called before boot');
    const k = this.impl?.kernel;
    return {
      config: this.config, kernel: this.kernel, steps: this.steps, boot: this.bootState, state: this.stateNow, current,
      contexts: this.contexts.slice(), machine: k?.m.save(), ghost: k && saveGhost(k),
    };
  }

  /**
   * Instead of boot(): the state `s` was taken in, as if the events before it had been stepped
   * here (the same verdicts, observations and costs from here on as a run from boot gives).
   */
  resume(s: KernelSnapshot): void {
    if (s.kernel !== this.kernel || s.config !== this.config) throw new Error('CheckedKernel.resume: a snapshot of another kernel choice or configuration');
    if (this.spec) this.spec.state = s.state;
    if (this.impl) {
      this.impl.kernel.m.restore(s.machine!);
      restoreGhost(this.impl.kernel, s.ghost!);
    }
    this.stateNow = this.bootState = s.boot;
    this.monitors = new Monitors(this.invariants, s.boot, this.kernel !== 'spec');
    let failure = this.monitors.boot(s.boot);
    this.contexts = this.contexts && [...s.contexts];
    for (const ctx of s.contexts) failure ??= this.monitors.step(ctx);
    if (failure) throw new Error(`CheckedKernel.resume: ${failure.check} fails at step ${failure.step} on the snapshot's own steps (a monitor that is not a function of its inputs)`);
    this.stateNow = s.state;
    this.steps = s.steps;
  }

  /** One event; a kernel's exception is a failure ('internal'), not an exception. */
  step(event: KernelEvent): SteppedEvent {
    const n = ++this.steps;
    const before = this.stateNow;
    let observation: Observation;
    let cost: EntryCost | undefined;
    let failure: CheckFailure | undefined;
    try {
      if (this.checker) {
        const r = this.checker.step(event, n);
        observation = r.observation;
        this.stateNow = this.checker.spec.state;
        if (r.divergence) failure = divergenceFailure(r.divergence);
        cost = this.cost(this.checker.impl);
      } else if (this.spec) {
        observation = this.spec.step(event, n);
        this.stateNow = this.spec.state;
        if (this.impl) {
          this.impl.step(event, n);
          cost = this.cost(this.impl);
        }
      } else {
        observation = this.impl!.step(event, n);
        const problems: string[] = [];
        this.stateNow = this.abstractStep((w) => problems.push(w));
        if (problems.length > 0) failure = implProblems(n, problems);
        cost = this.cost(this.impl!);
      }
    } catch (e) {
      const err = e as Error;
      return { observation: { step: n, current: '?', threads: {} }, before, after: before, failure: { step: n, check: 'internal', evidence: err.stack ?? String(err) } };
    }
    const after = this.stateNow;
    if (!failure) {
      const ctx: StepContext = { step: n, event, before, after, observation, cost };
      this.contexts?.push(ctx);
      failure = this.monitors.step(ctx);
    }
    return { observation, before, after, failure };
  }

  /**
   * The impl's next abstract state, without the spec: what the step wrote (and the ghost records
   * it changed) is abstracted again, and the state shares every other object and slot record with
   * the previous one, as the spec's steps do (the invariants find changes by reference).
   */
  private abstractStep(problem: (what: string) => void): KernelState {
    const abs = this.abs!;
    const c = abs.changed();
    abs.ghostRecordChanges(c);
    abs.update(c, problem);
    const prev = this.stateNow;
    const objects = c.objs.size > 0 ? { ...prev.objects } : prev.objects;
    for (const p of c.objs) {
      if (abs.objects[p] !== undefined) objects[p] = abs.objects[p];
      else delete objects[p];
    }
    const ctes = c.slots.size > 0 ? { ...prev.ctes } : prev.ctes;
    for (const x of c.slots) {
      if (abs.ctes[x] !== undefined) ctes[x] = abs.ctes[x];
      else delete ctes[x];
    }
    if (objects !== prev.objects) noteWrittenKeys(prev.objects, objects, c.objs);
    if (ctes !== prev.ctes) noteWrittenKeys(prev.ctes, ctes, c.slots);
    return { config: prev.config, objects, ctes, ...abs.globals(problem) };
  }

  /** The full refinement check that closes a run (the incremental one is proved against it). */
  finish(): CheckFailure | undefined {
    if (this.abs) {
      // The maintained abstraction against a full one, as the refinement checker closes its runs.
      const kept = this.stateNow;
      const a = this.abs.full();
      if (a.problems.length > 0) return implProblems(this.steps, a.problems);
      const d = diffs(kept, a.state, '', 20);
      return d.length > 0 ? { step: this.steps, check: 'refinement', evidence: { kind: 'incremental-abstraction', diffs: d } } : undefined;
    }
    if (!this.checker) return undefined;
    const d = this.checker.fullCheck(this.steps);
    return d ? divergenceFailure(d) : undefined;
  }

  private cost(r: ImplRunner): EntryCost {
    return entryCost(r.kernel, this.stateNow);
  }
}
