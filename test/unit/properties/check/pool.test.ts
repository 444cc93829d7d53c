// The pool's lanes (this thread and worker threads, one shared queue, a failure posted before it is
// shrunk): a failing plan gives the same kept runs, failing index, shrunk run and trace whatever
// the worker count; the runs above the failure are skipped or abandoned, never kept.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GENERATOR_OPTIONS } from '../../../../properties/generators';
import { runPool, startPool, workOrder } from '../../../../properties/check/pool';
import type { CheckPlan } from '../../../../properties/check/runs';
import { setSpecFreeze } from '../../../../spec';

beforeAll(() => setSpecFreeze(false));

// A planted invariant in a file (workers load it as --invariants): no thread but root and the
// watchdog may Yield. Several runs of the plan below fail it, the first of them not run 0.
const file = join(mkdtempSync(join(tmpdir(), 'l4check-pool-')), 'no-yield.mjs');
writeFileSync(file, `export default [{
  name: 'no-yield', doc: 'only root and the watchdog yield',
  monitor: () => ({
    step: (c) => {
      const t = c.before.objects[c.before.curThread];
      return c.event.tag === 'syscall' && c.event.number === 0xfffffff9 && t?.tag === 'TCB' && !['root', 'watchdog'].includes(t.name ?? '')
        ? { invariant: 'no-yield', evidence: { thread: c.before.curThread } } : null;
    },
  }),
}];
`);

describe('the pool', () => {
  const plan: CheckPlan = {
    runs: 8, seed: 11, kernel: 'spec', variant: {}, generator: { ...DEFAULT_GENERATOR_OPTIONS, steps: 15 },
    shard: { index: 1, count: 1 }, workers: 1, invariantsFile: file, only: ['no-yield'],
  };

  it('a failing plan: the same runs kept, failure, shrunk run and trace for 1, 2 and 3 workers', async () => {
    const results = [];
    for (const workers of [1, 2, 3]) {
      const seen: number[] = [];
      const r = await runPool({ ...plan, workers }, (x) => seen.push(x.index));
      const f = r.failure?.failure;
      // Wall time and the moment it was found are the only fields that may differ.
      results.push({
        kept: r.reports.map((x) => ({ index: x.index, steps: x.steps, cells: x.cells, failed: x.failure?.original })),
        failure: f && { index: r.failure!.index, path: f.path, counterexample: f.counterexample, trace: f.trace, numShrinks: f.numShrinks, shrunk: { ...f.shrink, seconds: 0 } },
        notRun: r.notRun,
      });
      expect(r.reports.every((x) => !x.abandoned)).toBe(true);
      expect(Math.max(...r.reports.map((x) => x.index))).toBe(r.failure?.index);
    }
    expect(results[0].failure?.index).toBeGreaterThan(0);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it("tells the progress bar each shrink candidate of the failing run, counting up from 1", async () => {
    const told: [number, number][] = [];
    const r = await startPool(plan, () => {}, () => {}, (index, candidate) => told.push([index, candidate])).finish();
    expect(told.length).toBeGreaterThan(0);
    expect(told.every(([index]) => index === r.failure?.index)).toBe(true);
    expect(told.map(([, c]) => c)).toEqual(told.map((_, i) => i + 1));
  });

  it('orders the work costliest first, every index once', () => {
    expect(workOrder([0, 1, 9, 19, 29, 99, 100])).toEqual([99, 9, 29, 0, 1, 19, 100]);
  });
});
