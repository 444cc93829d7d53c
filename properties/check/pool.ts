// Running the shard's indexes on --workers N worker threads (or in this thread for N = 1), with
// results that do not depend on N: the workers take indexes from one shared queue, every run
// reports to the aggregator, which keeps the runs up to the first failing index; a failing run
// posts its index before shrinking, and the workers skip or stop the runs above it.

import { Worker } from 'node:worker_threads';
import { setSpecFreeze } from '../../spec';
import { loadImpl } from '../../refinement/kernels';
import { type CheckPlan, type RunReport, asidFillOfRun, checkIndex, loadInvariants, planConfig, selectChecks, shardIndexes } from './runs';
import type { RunSetup } from './execute';

export type ToMain = { type: 'run'; report: RunReport } | { type: 'events'; count: number } | { type: 'shrink'; index: number; candidate: number } | { type: 'done' } | { type: 'error'; message: string };

/**
 * What the workers share with the main thread (one SharedArrayBuffer, read and written with
 * Atomics, so that no message waits for a busy worker's event loop): the next position of the
 * work order to take, and the lowest failing index found so far (posted before shrinking it).
 */
export interface Shared {
  /** [0]: next position in the order; [1]: the lowest failing index (NO_FAILURE while none). */
  cells: Int32Array;
  order: readonly number[];
}

const NEXT = 0;
const FAILED = 1;
const NO_FAILURE = 0x7fffffff;

export function sharedState(order: readonly number[]): Shared {
  const cells = new Int32Array(new SharedArrayBuffer(8));
  cells[FAILED] = NO_FAILURE;
  return { cells, order };
}

/** The lowest failing index so far (Infinity while none). */
export function firstFailure(s: Shared): number {
  const f = Atomics.load(s.cells, FAILED);
  return f === NO_FAILURE ? Infinity : f;
}

function postFailure(s: Shared, index: number): void {
  for (let f = Atomics.load(s.cells, FAILED); index < f; f = Atomics.load(s.cells, FAILED)) {
    if (Atomics.compareExchange(s.cells, FAILED, f, index) === f) return;
  }
}

/** Builds the run setup of a plan (in each worker). */
export async function makeSetup(plan: CheckPlan): Promise<RunSetup> {
  setSpecFreeze(false);
  return {
    config: planConfig(plan),
    kernel: plan.kernel,
    invariants: selectChecks(await loadInvariants(plan.invariantsFile), plan),
    impl: plan.kernel === 'spec' ? undefined : await loadImpl(),
    generator: plan.generator,
  };
}

/**
 * The loop of one worker (or of the main thread): takes the next index of the shared order
 * until none is left, skipping those above a failure found (by any worker); a run under way
 * stops as soon as a lower index fails (its report is dropped by the aggregator).
 */
export async function runLoop(shared: Shared, plan: CheckPlan, setup: RunSetup, post: (m: ToMain) => void, deadline?: number): Promise<void> {
  for (let at = Atomics.add(shared.cells, NEXT, 1); at < shared.order.length; at = Atomics.add(shared.cells, NEXT, 1)) {
    const i = shared.order[at];
    if (i > firstFailure(shared)) continue;
    if (deadline !== undefined && Date.now() > deadline) break;
    const report = checkIndex(i, plan, setup, deadline, (count) => post({ type: 'events', count }), {
      onFailure: (index) => postFailure(shared, index),
      onShrink: (candidate) => post({ type: 'shrink', index: i, candidate }),
      abandon: () => firstFailure(shared) < i,
    });
    post({ type: 'run', report });
    await new Promise((r) => setImmediate(r));
  }
  post({ type: 'done' });
}

export interface PoolResult {
  /** Reports of the runs kept (index <= first failure), by index. */
  reports: RunReport[];
  failure?: RunReport;
  /** Runs of the shard not run because of --time-limit. */
  notRun: number;
}

/** Rough relative cost of a run by its ASID fill (measured: docs/check.md "Budget and figures"). */
export const FILL_COST = { none: 1, table: 3, pool: 20 } as const;

/**
 * The order the workers take the indexes in: the costly fill runs first (pool, then table, each
 * ascending), then the others ascending, so that no long run starts last while the other workers
 * have nothing left. Which worker runs an index, and when, does not change its result.
 */
export function workOrder(indexes: readonly number[]): number[] {
  return [...indexes].sort((a, b) => FILL_COST[asidFillOfRun(b)] - FILL_COST[asidFillOfRun(a)] || a - b);
}

/** A pool under way (startPool): its workers take runs while this thread does something else. */
export interface StartedPool {
  /** This thread joins the workers until the queue is empty; the result of the runs. */
  finish(): Promise<PoolResult>;
  /** Stops every run at once (their results are not wanted) and ends the workers. */
  cancel(): Promise<void>;
}

/**
 * Starts the plan's runs on --workers N lanes: this thread and N - 1 worker threads, which begin
 * as soon as they are loaded, while this thread goes on with what it has to do first (check
 * replays the corpus), then joins them (finish). `onReport` sees every finished run and
 * `onEvents` the events of runs under way (for progress), on this thread's event loop.
 */
export function startPool(plan: CheckPlan, onReport: (r: RunReport) => void, onEvents: (count: number) => void = () => {}, onShrink: (index: number, candidate: number) => void = () => {}): StartedPool {
  const indexes = shardIndexes(plan);
  const all: RunReport[] = [];
  let firstFail = Infinity;
  const deadline = plan.timeLimitMs !== undefined ? Date.now() + plan.timeLimitMs : undefined;
  const take = (r: RunReport) => {
    all.push(r);
    if (r.failure && r.index < firstFail) firstFail = r.index;
    onReport(r);
  };
  const n = Math.max(1, Math.min(plan.workers, indexes.length));
  const shared = sharedState(n === 1 ? indexes : workOrder(indexes));
  const workers = Array.from({ length: n - 1 }, () => new Promise<void>((resolve, reject) => {
    const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: { plan, cells: shared.cells, order: shared.order, deadline } });
    worker.on('message', (m: ToMain) => {
      if (m.type === 'events') onEvents(m.count);
      else if (m.type === 'shrink') onShrink(m.index, m.candidate);
      else if (m.type === 'run') take(m.report);
      else if (m.type === 'error') reject(new Error(m.message));
      else if (m.type === 'done') void worker.terminate().then(() => resolve());
    });
    worker.on('error', reject);
  }));
  const ended = Promise.all(workers);
  // Seen by finish or cancel; until then a worker's error must not be an unhandled rejection.
  ended.catch(() => {});
  return {
    async finish() {
      const setup = await makeSetup(plan);
      await runLoop(shared, plan, setup, (m) => {
        if (m.type === 'run') take(m.report);
        else if (m.type === 'events') onEvents(m.count);
        else if (m.type === 'shrink') onShrink(m.index, m.candidate);
      }, deadline);
      await ended;
      const reports = all.filter((r) => r.index <= firstFail).sort((a, b) => a.index - b.index);
      const done = new Set(all.map((r) => r.index));
      const notRun = firstFail === Infinity ? indexes.filter((i) => !done.has(i)).length : 0;
      return { reports, failure: reports.find((r) => r.failure), notRun };
    },
    async cancel() {
      postFailure(shared, -1);
      await ended;
    },
  };
}

/** Runs the plan (startPool, then finish at once). */
export async function runPool(plan: CheckPlan, onReport: (r: RunReport) => void, onEvents: (count: number) => void = () => {}): Promise<PoolResult> {
  return startPool(plan, onReport, onEvents).finish();
}
