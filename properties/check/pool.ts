// Running the shard's indexes on --workers N worker threads (or in this thread for N = 1), with
// results that do not depend on N: every run reports to the aggregator, which keeps the runs up to
// the first failing index; a worker skips indexes above a failure already found.

import { Worker } from 'node:worker_threads';
import { setSpecFreeze } from '../../spec';
import { loadImpl } from '../../refinement/kernels';
import { type CheckPlan, type RunReport, asidFillOfRun, checkIndex, loadInvariants, planConfig, selectChecks, shardIndexes } from './runs';
import type { RunSetup } from './execute';

export type ToMain = { type: 'run'; report: RunReport } | { type: 'events'; count: number } | { type: 'done' } | { type: 'error'; message: string };
export type ToWorker = { type: 'stopAbove'; index: number };

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

/** The loop of one worker (or of the main thread): its indexes in order, yielding between runs. */
export async function runLoop(indexes: number[], plan: CheckPlan, setup: RunSetup, post: (m: ToMain) => void, stopAbove: () => number, deadline?: number): Promise<void> {
  for (const i of indexes) {
    if (i > stopAbove()) break;
    if (deadline !== undefined && Date.now() > deadline) break;
    post({ type: 'run', report: checkIndex(i, plan, setup, deadline, (count) => post({ type: 'events', count })) });
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
 * The indexes each of n workers runs, ascending: each index, in order, goes to the worker with
 * the least expected work so far (the fill runs are costly, and all fall on odd indexes). Which
 * worker runs an index does not change its result.
 */
export function shareIndexes(indexes: readonly number[], n: number): number[][] {
  const shares: number[][] = Array.from({ length: n }, () => []);
  const load = new Array<number>(n).fill(0);
  for (const i of indexes) {
    const w = load.indexOf(Math.min(...load));
    shares[w].push(i);
    load[w] += FILL_COST[asidFillOfRun(i)];
  }
  return shares;
}

/** Runs the plan; `onReport` sees every finished run and `onEvents` the events of runs under way (for progress). */
export async function runPool(plan: CheckPlan, onReport: (r: RunReport) => void, onEvents: (count: number) => void = () => {}): Promise<PoolResult> {
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
  const shares = shareIndexes(indexes, n);
  const workers: Worker[] = [];
  if (n === 1) {
    const setup = await makeSetup(plan);
    await runLoop(indexes, plan, setup, (m) => (m.type === 'run' ? take(m.report) : m.type === 'events' && onEvents(m.count)), () => firstFail, deadline);
  } else {
    await Promise.all(Array.from({ length: n }, (_, w) => new Promise<void>((resolve, reject) => {
      const mine = shares[w];
      const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: { plan, indexes: mine, deadline } });
      worker.on('message', (m: ToMain) => {
        if (m.type === 'events') onEvents(m.count);
        else if (m.type === 'run') {
          take(m.report);
          if (m.report.failure) for (const o of workers) o.postMessage({ type: 'stopAbove', index: firstFail } satisfies ToWorker);
        } else if (m.type === 'error') reject(new Error(m.message));
        else if (m.type === 'done') void worker.terminate().then(() => resolve());
      });
      worker.on('error', reject);
      workers.push(worker);
    })));
  }
  const reports = all.filter((r) => r.index <= firstFail).sort((a, b) => a.index - b.index);
  const done = new Set(all.map((r) => r.index));
  const notRun = firstFail === Infinity ? indexes.filter((i) => !done.has(i)).length : 0;
  return { reports, failure: reports.find((r) => r.failure), notRun };
}
