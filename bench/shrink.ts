/**
 * The time to shrink the lazy-scheduler counterexample: `l4check check --variant scheduler=lazy
 * --seed 5` fails bounded-scheduler (regressions/lazy-bounded-scheduler.json keeps an earlier
 * shrink of it). Check's own per-index function (checkIndex) runs the indexes in order, as one
 * worker would, until one fails; of that index, the shrink is the wall time from the end of its
 * unshrunk run (its progress callback's last report) to the end of checkIndex: fast-check's
 * shrink of the generated run, then the trace-level shrink. Nothing is written to disk.
 */

import { parsePlan } from '../cli/check';
import { makeSetup } from '../properties/check/pool';
import { checkIndex } from '../properties/check/runs';
import { layoutWorld, worldSetup } from '../properties/generators';

export interface ShrinkResult {
  shrinkSeconds: number;
  shrink: {
    command: string;
    run: number;
    check: string;
    /** Wall seconds of the runs before it and of its unshrunk run (not part of shrinkSeconds). */
    findSeconds: number;
    /** Events of the unshrunk run up to its failure, setup included. */
    eventsBefore: number;
    /** Events of the shrunk trace, setup included, and of its setup. */
    eventsAfter: number;
    setupEvents: number;
    numShrinks: number;
  };
}

export async function runShrinkBench(seed = 5): Promise<ShrinkResult> {
  const plan = parsePlan({ kernel: 'both', seed: String(seed), variant: ['scheduler=lazy'] });
  const setup = await makeSetup(plan);
  const t0 = performance.now();
  for (let index = 0; index < plan.runs; index++) {
    let ranAt = performance.now();
    const r = checkIndex(index, plan, setup, undefined, () => (ranAt = performance.now()));
    const end = performance.now();
    const f = r.failure;
    if (!f) continue;
    const setupEvents = worldSetup(layoutWorld(plan.generator), f.counterexample.world).length;
    return {
      shrinkSeconds: Number(((end - ranAt) / 1000).toFixed(2)),
      shrink: {
        command: `l4check check --variant scheduler=lazy --seed ${seed}`,
        run: index,
        check: f.original.check,
        findSeconds: Number(((ranAt - t0) / 1000).toFixed(2)),
        eventsBefore: f.originalSteps,
        eventsAfter: f.trace?.length ?? 0,
        setupEvents,
        numShrinks: f.numShrinks,
      },
    };
  }
  throw new Error(`bench: l4check check --variant scheduler=lazy --seed ${seed} found no failure in ${plan.runs} runs`);
}
