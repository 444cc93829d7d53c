// One run of `l4check check`: the world's setup phase, then the generated events fed through the
// TraceDriver (nonces, restart re-issue, skipped steps) to the checked kernel; and the replay of
// a trace file (the regression corpus) on the same checked kernel.

import type { Config } from '../../abi/config';
import type { KernelEvent } from '../../abi/events';
import { parseEvent, type Trace } from '../../abi/trace';
import { PATH_ROW, coverageOutcome, coveragePaths, coverageRow } from '../coverage';
import { type GeneratedRun, type GeneratorOptions, type RawEvent, TraceDriver, type World, layoutWorld, recordConsumed, runConfig, worldSetup } from '../generators';
import type { Invariant } from '../invariants/types';
import { type CheckFailure, CheckedKernel, type ImplModule, type KernelSnapshot, type StepperChoice, hasSnapshots } from './steppers';

export interface RunSetup {
  config: Config;
  kernel: StepperChoice;
  invariants: readonly Invariant[];
  impl?: ImplModule;
  generator: GeneratorOptions;
}

/** Which (row, outcome) cells of the coverage matrix a run reached, and how many times. */
export type Cells = Map<string, Map<string, number>>;

export function addCell(cells: Cells, row: string, outcome: string, count = 1): void {
  let s = cells.get(row);
  if (!s) cells.set(row, (s = new Map()));
  s.set(outcome, (s.get(outcome) ?? 0) + count);
}

export interface RunOutcome {
  failure?: CheckFailure;
  /** Events run (setup included). */
  steps: number;
  /** The events as run, with `as` (when asked for). */
  events?: RawEvent[];
  /** The invariants checked under the run's variant. */
  checked: string[];
  /** Stopped by RecordOptions.abandon: neither passed nor failed. */
  abandoned?: boolean;
  /** A generated run's thread events: how many were fed, and how many ran (TraceDriver.generated). */
  generated?: { fed: number; ran: number };
}

export interface RecordOptions {
  cells?: Cells;
  trace?: boolean;
  /** Told the events run, every PROGRESS_EVERY events and at the end (for a live progress bar). */
  progress?: (events: number) => void;
  /** Asked every PROGRESS_EVERY events: true stops the run there, unfinished (its result is not wanted any more). */
  abandon?: () => boolean;
}

const PROGRESS_EVERY = 256;

/**
 * A run's state after its world's setup (CheckedKernel.snapshot), with the setup's events as run:
 * shrinking restarts every candidate of that world from it instead of from boot.
 */
export interface SetupPoint {
  snapshot: KernelSnapshot;
  events: RawEvent[];
}

/**
 * The setup of world parameters `params` run on a kernel that keeps what a snapshot needs; no
 * point when the kernel choice has no snapshots or a check fails during the setup (the candidates
 * then run from boot, where they fail at the same step).
 */
export function takeSetupPoint(params: GeneratedRun['world'], setup: RunSetup, world: World): SetupPoint | undefined {
  if (!hasSnapshots(setup.kernel)) return undefined;
  const k = new CheckedKernel(runConfig(setup.config, params), setup.kernel, setup.invariants, setup.impl);
  k.recordForSnapshot();
  const out = executeRun({ world: params, events: [] }, setup, world, { trace: true }, undefined, k);
  return out.failure ? undefined : { snapshot: out.snapshot!, events: out.events! };
}

/**
 * Runs a generated run on a fresh checked kernel; stops at the first failed check. From `from`
 * (a setup point of the run's world), the run starts after its setup instead of at boot, with the
 * same outcome. `kernel` (takeSetupPoint's) is the kernel to run on, and is snapshot after the setup.
 */
export function executeRun(run: GeneratedRun, setup: RunSetup, world: World = layoutWorld(setup.generator), rec: RecordOptions = {}, from?: SetupPoint, kernel?: CheckedKernel): RunOutcome & { snapshot?: KernelSnapshot } {
  const config = from?.snapshot.config ?? kernel?.config ?? runConfig(setup.config, run.world);
  const k = kernel ?? new CheckedKernel(config, setup.kernel, setup.invariants, setup.impl);
  let current: string;
  let out: RunOutcome & { snapshot?: KernelSnapshot };
  if (from) {
    k.resume(from.snapshot);
    current = from.snapshot.current;
    out = { steps: 0, checked: k.checkedInvariants, events: rec.trace ? [...from.events] : undefined };
  } else {
    const b = k.boot();
    out = { steps: 0, checked: k.checkedInvariants, events: rec.trace ? [] : undefined, failure: b.failure };
    if (out.failure) return out;
    current = b.observation.current;
  }
  const exec = (raw: RawEvent): boolean => {
    const event: KernelEvent = parseEvent(raw, `events[${k.steps}]`, config).event;
    out.events?.push({ as: current, ...raw });
    const r = k.step(event);
    current = r.observation.current;
    if (k.steps % PROGRESS_EVERY === 0) {
      rec.progress?.(PROGRESS_EVERY);
      if (rec.abandon?.()) out.abandoned = true;
    }
    if (rec.cells && !r.failure) {
      const row = coverageRow(event, r.before);
      addCell(rec.cells, row, coverageOutcome(event, r.before, r.after, row));
      for (const path of coveragePaths(event, r.before, r.after)) addCell(rec.cells, PATH_ROW, path);
    }
    if (r.failure) {
      out.failure = r.failure;
      return false;
    }
    return !out.abandoned;
  };
  const finish = () => {
    out.steps = k.steps;
    rec.progress?.(k.steps % PROGRESS_EVERY);
    if (!out.failure && !out.abandoned) out.failure = k.finish();
    k.release();
    return out;
  };
  if (!from) for (const raw of worldSetup(world, run.world)) if (!exec(raw)) return finish();
  if (kernel) out.snapshot = k.snapshot(current);
  const driver = new TraceDriver(exec, () => k.state, world);
  for (let i = 0; i < run.events.length; i++) {
    if (!driver.feed(run.events[i])) {
      recordConsumed(run.events, i + 1);
      break;
    }
  }
  out.generated = driver.generated;
  return finish();
}

/**
 * Replays a trace file (its own config) on the checked kernel; `as` mismatches are failures too.
 * `running` collects the thread running before each event (the `as` a file of the trace would carry).
 */
export function executeTrace(trace: Trace, setup: Omit<RunSetup, 'config' | 'generator'>, running?: string[], from?: SetupPoint): RunOutcome {
  const k = new CheckedKernel(from?.snapshot.config ?? trace.config, setup.kernel, setup.invariants, setup.impl);
  let current: string;
  let out: RunOutcome;
  if (from) {
    // The trace's events after the point's (the caller cut them off: shrink.ts).
    k.resume(from.snapshot);
    current = from.snapshot.current;
    out = { steps: 0, checked: k.checkedInvariants };
    running?.push(...from.events.map((e) => e.as as string));
  } else {
    const b = k.boot();
    out = { steps: 0, checked: k.checkedInvariants, failure: b.failure };
    current = b.observation.current;
  }
  for (const ev of trace.events) {
    if (out.failure) break;
    if (ev.as !== undefined && ev.as !== current) {
      out.failure = { step: k.steps + 1, check: 'as', evidence: `expected ${ev.as} to be running, but ${current} is` };
      break;
    }
    running?.push(current);
    const r = k.step(ev.event);
    current = r.observation.current;
    out.failure = r.failure;
  }
  out.steps = k.steps;
  if (!out.failure) out.failure = k.finish();
  k.release();
  return out;
}
