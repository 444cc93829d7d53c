// The second shrinking phase: fast-check shrinks the generated events, but removing one of them
// changes everything the driver does after it (nonces, re-issues, the watchdog's help), so it
// stops at traces that are short of generated events yet long as run. This phase works on the
// trace as run: it removes events after the setup (the driver's as well as generated ones),
// halves first, then quarters, down to single events, keeping a removal whenever the trace still
// fails the same check on replay. A replay budget bounds it (a count: results stay reproducible), and --time-limit.

import type { Config } from '../../abi/config';
import type { TraceEvent } from '../../abi/events';
import { parseEvent, type Trace } from '../../abi/trace';
import { type GeneratedRun, type RawEvent, type World, runConfig, worldSetup } from '../generators';
import { type RunOutcome, type RunSetup, type SetupPoint, executeRun, executeTrace, takeSetupPoint } from './execute';

/** What one failure's shrinking ran (both phases, and the runs that chose its kernels). */
export interface ShrinkStats {
  /** Candidate runs and traces. */
  candidates: number;
  /** Events stepped, setup phases and snapshots included. */
  events: number;
  /** Of those, events of setup phases (each candidate's from boot; each snapshot's once). */
  setupEvents: number;
  /** Setup points taken (one per world the candidates met, while their kernels allow snapshots). */
  snapshots: number;
}

/** Setup points kept at once (fast-check's candidates come world after world, rarely back). */
const POINTS_KEPT = 8;

/**
 * The candidates of one failure's shrinking on `setup`'s kernels: each starts from the snapshot
 * taken after its world's setup (CheckedKernel.snapshot; taken once per world) instead of booting
 * and replaying the setup, which is most of a short candidate. The outcome is the one a run from
 * boot gives (test/unit/properties/check/shrink.test.ts); `fromSnapshots: false` runs from boot.
 */
export class Candidates {
  private readonly points = new Map<string, SetupPoint | undefined>();

  /** `stats`: counts to add to (those of the runs before, which chose the kernels). */
  constructor(readonly setup: RunSetup, readonly world: World, readonly fromSnapshots = true, readonly stats: ShrinkStats = { candidates: 0, events: 0, setupEvents: 0, snapshots: 0 }) {}

  /** executeRun(run, setup, world, { trace }), from the point after the run's setup. */
  run(run: GeneratedRun, trace = false): RunOutcome {
    const from = this.point(run.world);
    const out = executeRun(run, this.setup, this.world, { trace }, from);
    this.count(out, run.world, from);
    return out;
  }

  /**
   * executeTrace of the setup of world `params` (as run, without `as`) followed by `tail`: from
   * the point after that setup.
   */
  trace(params: GeneratedRun['world'], head: readonly RawEvent[], tail: readonly RawEvent[]): RunOutcome {
    const config = runConfig(this.setup.config, params);
    const from = this.point(params);
    const out = from
      ? executeTrace(traceOf(config, tail), this.setup, undefined, from)
      : executeTrace(traceOf(config, [...head, ...tail]), this.setup);
    this.count(out, params, from);
    return out;
  }

  private point(params: GeneratedRun['world']): SetupPoint | undefined {
    if (!this.fromSnapshots) return undefined;
    const key = JSON.stringify(params);
    if (!this.points.has(key)) {
      const p = takeSetupPoint(params, this.setup, this.world);
      if (this.points.size >= POINTS_KEPT) this.points.delete(this.points.keys().next().value!);
      this.points.set(key, p);
      const n = p?.snapshot.steps ?? 0;
      this.stats.snapshots += p ? 1 : 0;
      this.stats.events += n;
      this.stats.setupEvents += n;
    }
    return this.points.get(key);
  }

  private count(out: RunOutcome, params: GeneratedRun['world'], from: SetupPoint | undefined): void {
    this.stats.candidates++;
    const after = from?.snapshot.steps ?? 0;
    this.stats.events += out.steps - after;
    if (!from) this.stats.setupEvents += Math.min(out.steps, worldSetup(this.world, params).length);
  }
}

/** Most replays of the trace-level phase. */
export const MAX_TRACE_SHRINK_REPLAYS = 300;

/** `events` (as run, without `as`) as a trace of `config`. */
export function traceOf(config: Config, events: readonly RawEvent[]): Trace {
  const parsed: TraceEvent[] = events.map((raw, i) => ({ event: parseEvent(raw, `events[${i}]`, config).event, raw }));
  return { config, events: parsed, expect: [], rawConfig: {} };
}

/**
 * The shortest trace found that still fails `check`: `keep` leading events (the setup) stay, the
 * rest is cut down by removing chunks while the replay on `setup`'s kernels fails the same check.
 * `replay` runs a candidate (default: executeTrace from boot; checkIndex gives Candidates.trace,
 * which starts after the setup).
 */
export function shrinkTrace(
  config: Config, events: readonly RawEvent[], keep: number, check: string, setup: Omit<RunSetup, 'config' | 'generator'>,
  deadline?: number, budget = MAX_TRACE_SHRINK_REPLAYS,
  replay: (head: readonly RawEvent[], tail: readonly RawEvent[]) => RunOutcome = (h, t) => executeTrace(traceOf(config, [...h, ...t]), setup),
): RawEvent[] {
  const head = events.slice(0, keep);
  let tail = events.slice(keep);
  let replays = 0;
  const fails = (t: readonly RawEvent[]) => {
    // Past --time-limit's deadline (the one bound that is not reproducible), every candidate passes.
    if (deadline !== undefined && Date.now() > deadline) return false;
    replays++;
    return replay(head, t).failure?.check === check;
  };
  for (let size = Math.max(1, tail.length >> 1); size >= 1 && replays < budget; size = size === 1 ? 0 : Math.max(1, size >> 1)) {
    // Chunks from the end: what comes last is the likeliest to be unneeded.
    for (let start = Math.max(0, tail.length - size); start >= 0 && replays < budget; start = start === 0 ? -1 : Math.max(0, start - size)) {
      const candidate = [...tail.slice(0, start), ...tail.slice(start + size)];
      if (fails(candidate)) tail = candidate;
    }
  }
  return [...head, ...tail];
}
