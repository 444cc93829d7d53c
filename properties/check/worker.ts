// A worker thread of `l4check check --workers N`: takes indexes from the shared queue (pool.ts).

import { parentPort, workerData } from 'node:worker_threads';
import type { CheckPlan } from './runs';
import { type ToMain, makeSetup, runLoop } from './pool';

const { plan, cells, order, deadline } = workerData as { plan: CheckPlan; cells: Int32Array; order: number[]; deadline?: number };
const post = (m: ToMain) => parentPort!.postMessage(m);
try {
  const setup = await makeSetup(plan);
  await runLoop({ cells, order }, plan, setup, post, deadline);
} catch (e) {
  post({ type: 'error', message: (e as Error).stack ?? String(e) });
}
