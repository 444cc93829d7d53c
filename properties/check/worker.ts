// A worker thread of `l4check check --workers N`: runs its share of the indexes (pool.ts).

import { parentPort, workerData } from 'node:worker_threads';
import type { CheckPlan } from './runs';
import { type ToMain, type ToWorker, makeSetup, runLoop } from './pool';

const { plan, indexes, deadline } = workerData as { plan: CheckPlan; indexes: number[]; deadline?: number };
let stopAbove = Infinity;
parentPort!.on('message', (m: ToWorker) => {
  if (m.type === 'stopAbove') stopAbove = Math.min(stopAbove, m.index);
});
const post = (m: ToMain) => parentPort!.postMessage(m);
try {
  const setup = await makeSetup(plan);
  await runLoop(indexes, plan, setup, post, () => stopAbove, deadline);
} catch (e) {
  post({ type: 'error', message: (e as Error).stack ?? String(e) });
}
