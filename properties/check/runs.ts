// The runs of `l4check check`, one fast-check property run each: run r of seed S is fast-check's
// run at path "r" (fc.check with { seed: S, path: "r" }), so it depends on (S, r) alone. That is
// what makes worker and shard splits give the results of one process: a shard takes the indexes
// r ≡ i (mod n), a worker every k-th of those, and the report keeps the runs up to the first
// failing index. A failing run is shrunk by fast-check from that path, and its counterexample is
// replayed once more to write the trace file.

import fc from 'fast-check';
import { applyPlatform, defaultConfig, type Config, type PlatformName, type Variant } from '../../abi/config';
import { type AsidFill, arbFullRun, type GeneratedRun, type GeneratorOptions, type RawEvent, layoutWorld, runConfig, worldSetup } from '../generators';
import { Candidates, type ShrinkStats, shrinkTrace } from './shrink';
import { loadInvariantsFile, type Invariant } from '../invariants';
import { ALL_CHECKS } from '../checks';
import { type Cells, type RunSetup, executeRun } from './execute';
import type { CheckFailure, ImplModule, KernelChoice } from './steppers';

export interface CheckPlan {
  runs: number;
  seed: number;
  kernel: KernelChoice;
  variant: Partial<Variant>;
  /** The interrupt layout (--platform); default when absent. */
  platform?: PlatformName;
  generator: GeneratorOptions;
  /** 1-based shard i of n. */
  shard: { index: number; count: number };
  workers: number;
  /** The --invariants FILE, loaded in every worker. */
  invariantsFile?: string;
  timeLimitMs?: number;
  /**
   * --path: fast-check's path of a failure ("r", or the shrunk "r:i:j..."): only run r is run, and
   * shrunk again from its start. Replaying the shrink steps of the path directly would not give the
   * same run: the driver trims each generated run to the events it consumed (recordConsumed), which
   * fast-check's shrink tree depends on; rerunning r is deterministic and ends where it ended.
   */
  path?: string;
  /** --only / --skip: the names of the invariants and contracts to run, or to leave out (refinement always runs with kernel both). */
  only?: readonly string[];
  skip?: readonly string[];
}

export function planConfig(plan: Pick<CheckPlan, 'variant' | 'platform'>): Config {
  const c = applyPlatform(defaultConfig(), plan.platform ?? 'default');
  c.variant = { ...c.variant, ...plan.variant };
  return c;
}

/** The run indexes of this shard, ascending. */
export function shardIndexes(plan: Pick<CheckPlan, 'runs' | 'shard' | 'path'>): number[] {
  if (plan.path !== undefined) return [Number(plan.path.split(':')[0])];
  const out: number[] = [];
  for (let r = plan.shard.index - 1; r < plan.runs; r += plan.shard.count) out.push(r);
  return out;
}

/** Most executions of one run's property while shrinking (a count, so that results stay reproducible). */
export const MAX_SHRINK_RUNS = 400;

/**
 * The least share of a run's generated thread events that must run (docs/check.md "Vacuity"),
 * judged on runs fed at least VACUITY_MIN_FED of them: below it the run checked too little.
 */
export const GENERATED_RAN_FLOOR = 0.5;
export const VACUITY_MIN_FED = 100;

/** What one run reports to the aggregator. */
export interface RunReport {
  index: number;
  steps: number;
  /** Its generated thread events fed and run (the unshrunk run). */
  generated?: { fed: number; ran: number };
  /** The coverage cells it reached: per row, (outcome, times) pairs. */
  cells: [string, [string, number][]][];
  checked: string[];
  failure?: FailureReport;
  /** Stopped unfinished (IndexHooks.abandon): the aggregator drops it, a lower index failed. */
  abandoned?: boolean;
}

export interface FailureReport {
  /** fast-check's seed and path of the shrunk counterexample (fc.assert(prop, { seed, path }) replays it). */
  seed: number;
  path: string;
  numShrinks: number;
  /** The failure of the first, unshrunk run. */
  original: CheckFailure;
  originalSteps: number;
  /** When the unshrunk failure was found (Date.now()), for the time to a failure. */
  detectedAt: number;
  /** The shrunk run (the generator's values). */
  counterexample: GeneratedRun;
  /** The shrunk run's events as run, shrunk again as a trace (shrink.ts), without `as`. */
  trace?: RawEvent[];
  /** What shrinking ran, and its wall time in seconds (measurements: docs/performance.md). */
  shrink?: ShrinkStats & { seconds: number };
}

/**
 * Which runs fill the ASID table or pool during setup (worldSetup): fixed by the run's index, so
 * that every default-sized check has some (2 pool fills and 10 table fills in 200 runs) and a seed
 * still gives one result. The fills are long (1026 and 128 events), hence rare.
 */
export function asidFillOfRun(index: number): AsidFill {
  if (index % 100 === 99) return 'pool';
  return index % 20 === 9 ? 'table' : 'none';
}

/**
 * The events a run of `index` is expected to take: its setup (the ASID fills are long) and its
 * generated events, for the progress bar's estimate of the time left (runs differ 5x in cost).
 */
export function expectedRunEvents(index: number, generator: GeneratorOptions): number {
  const fill = asidFillOfRun(index);
  // Three setups only (by fill): a check of 10^5 runs asks 10^5 times.
  let byFill = setupLengths.get(generator);
  if (byFill === undefined) setupLengths.set(generator, (byFill = new Map()));
  let n = byFill.get(fill);
  if (n === undefined) {
    const params = { priorities: [], rootPriority: 255, faultHandler: [], boundTo: [], asidFill: fill };
    byFill.set(fill, (n = worldSetup(layoutWorld(generator), params).length));
  }
  return n + generator.steps;
}
const setupLengths = new WeakMap<GeneratorOptions, Map<AsidFill, number>>();

/**
 * Runs one index: the generated run, and when it fails the shrink. Shrinking keeps the failed
 * check (a candidate that fails another check counts as passing), and runs on the spec alone when
 * the unshrunk run fails the same check there too (invariants of the spec state: 5-10x faster),
 * else on both kernels without refinement (the impl's cost bound); refinement shrinks as it ran. Only the failed invariant's monitor
 * runs while shrinking.
 */
export function checkIndex(index: number, plan: CheckPlan, setup: RunSetup, deadline?: number, progress?: (events: number) => void, hooks: IndexHooks = {}): RunReport {
  const cells: Cells = new Map();
  const world = layoutWorld(setup.generator);
  let first = true;
  let report: RunReport = { index, steps: 0, cells: [], checked: [] };
  let executions = 0;
  let candidates: Candidates | undefined;
  let shrinkStart = 0;
  const prop = fc.property(arbFullRun(setup.generator, setup.config, asidFillOfRun(index)), (run) => {
    if (first) {
      first = false;
      const r = executeRun(run, setup, world, { cells, progress, abandon: hooks.abandon });
      report = { index, steps: r.steps, generated: r.generated, cells: [...cells].map(([k, v]) => [k, [...v]]), checked: r.checked, ...(r.abandoned ? { abandoned: true } : {}) };
      if (!r.failure) return true;
      report.failure = { seed: plan.seed, path: String(index), numShrinks: 0, original: r.failure, originalSteps: r.steps, detectedAt: Date.now(), counterexample: run };
      // Told before shrinking: the pool stops the runs above this index now, not when the shrink ends.
      hooks.onFailure?.(index);
      shrinkStart = performance.now();
      // Shrink with the failed invariant's monitor alone (monitors are independent), on the spec alone if that reproduces it.
      let shrinkSetup: RunSetup = { ...setup, invariants: setup.invariants.filter((i) => i.name === r.failure!.check) };
      const stats: ShrinkStats = { candidates: 0, events: 0, setupEvents: 0, snapshots: 0 };
      if (setup.kernel === 'both' && r.failure.check !== 'refinement') {
        for (const kernel of ['spec', 'pair'] as const) {
          if (new Candidates({ ...shrinkSetup, kernel }, world, false, stats).run(run).failure?.check !== r.failure.check) continue;
          shrinkSetup = { ...shrinkSetup, kernel };
          break;
        }
      }
      candidates = new Candidates(shrinkSetup, world, hooks.fromSnapshots ?? true, stats);
      return false;
    }
    // A deterministic bound on shrinking: past it, every candidate counts as passing. So does
    // every candidate past --time-limit's deadline (the one bound that is not reproducible).
    if (++executions > MAX_SHRINK_RUNS || (deadline !== undefined && Date.now() > deadline)) return true;
    hooks.onShrink?.(executions);
    return candidates!.run(run).failure?.check !== report.failure!.original.check;
  });
  const d = fc.check(prop, { seed: plan.seed, path: String(index), numRuns: 1 });
  if (d.failed && report.failure && d.counterexample && candidates) {
    const f = report.failure;
    const c = candidates;
    f.counterexample = d.counterexample[0];
    f.path = d.counterexamplePath ?? String(index);
    f.numShrinks = d.numShrinks;
    // Then shrink the events as run (the setup kept whole), on the same kernels and monitor.
    const ran = c.run(f.counterexample, true).events!.map(({ as: _, ...e }) => e);
    const keep = worldSetup(world, f.counterexample.world).length;
    const params = f.counterexample.world;
    f.trace = shrinkTrace(runConfig(setup.config, params), ran, keep, f.original.check, c.setup, deadline, undefined, (h, t) => c.trace(params, h, t));
    f.shrink = { ...c.stats, seconds: (performance.now() - shrinkStart) / 1000 };
  }
  return report;
}

/** checkIndex's optional hooks. */
export interface IndexHooks {
  /** Told the index as soon as its run fails, before shrinking. */
  onFailure?: (index: number) => void;
  /** Told each shrink candidate's number (up to MAX_SHRINK_RUNS), for the progress bar. */
  onShrink?: (candidate: number) => void;
  /** Shrink candidates from a snapshot after their setup (default), or from boot. */
  fromSnapshots?: boolean;
  /** Asked during the run (executeRun's RecordOptions.abandon): stop, the result is not wanted (a lower index failed). */
  abandon?: () => boolean;
}

/** The project's invariants and contracts, plus those of the user's file when one is given (--invariants). */
export async function loadInvariants(file?: string): Promise<Invariant[]> {
  return file === undefined ? [...ALL_CHECKS] : [...ALL_CHECKS, ...(await loadInvariantsFile(file))];
}

/** The checks a plan runs: --only's, else all but --skip's; an unknown name is an Error naming it. */
export function selectChecks(list: readonly Invariant[], plan: Pick<CheckPlan, 'only' | 'skip'>): Invariant[] {
  for (const n of [...(plan.only ?? []), ...(plan.skip ?? [])]) {
    if (!list.some((i) => i.name === n)) throw new Error(`no invariant or contract "${n}" (l4check list names them)`);
  }
  return list.filter((i) => (plan.only === undefined || plan.only.includes(i.name)) && !(plan.skip ?? []).includes(i.name));
}

export type { ImplModule };
