// Shrinking from a snapshot after the setup: every candidate, run or trace, failing or passing,
// gives what the same candidate gives from boot (failure, steps, the events as run), on the spec
// alone and on both kernels (the impl's machine and ghost records restored), with invariants that
// read the state and the impl's entry cost, and candidates of several worlds interleaved.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GENERATOR_OPTIONS, type GeneratedRun, type RawEvent, arbFullRun, layoutWorld, worldSetup } from '../../../../properties/generators';
import type { RunSetup } from '../../../../properties/check/execute';
import { Candidates } from '../../../../properties/check/shrink';
import { planConfig } from '../../../../properties/check/runs';
import { boundedScheduler } from '../../../../properties/invariants';
import type { Invariant, StepContext } from '../../../../properties/invariants/types';
import { loadImpl } from '../../../../refinement/kernels';
import { setSpecFreeze } from '../../../../spec';

const O = { ...DEFAULT_GENERATOR_OPTIONS, steps: 40 };
const world = layoutWorld(O);
const lazy = planConfig({ variant: { scheduler: 'lazy' } });

// Fail on what the state holds (two or more threads queued on one endpoint) and on the impl's
// cost (an entry touching many distinct lines): each candidate's verdict and evidence then
// depend on the restored spec state and on the restored machine's counters.
const queued: Invariant = {
  name: 'two-queued', doc: 'test only',
  monitor: () => ({
    step: (c) => {
      for (const o of Object.values(c.after.objects)) {
        if (o.tag === 'Endpoint' && o.queue.length >= 2) return { invariant: 'two-queued', evidence: { queue: o.queue } };
      }
      return null;
    },
  }),
};
/** Chosen so that the candidates below fail either check, or pass. */
const LINES = 13;
const manyLines: Invariant = {
  name: 'many-lines', doc: 'test only', needsImpl: true,
  monitor: () => {
    // Not root's entries: the setup (root's) must pass, for a snapshot to be taken after it.
    let entries = 0;
    const byRoot = (c: StepContext) => (c.before.objects[c.before.curThread] as { name?: string } | undefined)?.name === 'root';
    return { step: (c) => (c.cost && !byRoot(c) && c.cost.lines > LINES && ++entries > 2 ? { invariant: 'many-lines', evidence: { lines: c.cost.lines, loads: c.cost.loads, entries } } : null) };
  },
};

beforeAll(() => setSpecFreeze(false));

/** Everything a candidate's outcome says, for comparing the two ways of running it. */
const outcome = (o: ReturnType<Candidates['run']>) => ({ failure: o.failure, steps: o.steps, events: o.events, checked: o.checked });

describe('Candidates from a snapshot', () => {
  const runs = fc.sample(arbFullRun(O, lazy), { seed: 3, numRuns: 6 });
  // The same worlds again with fewer events (as fast-check's candidates are): several per snapshot.
  const candidates: GeneratedRun[] = runs.flatMap((r) => [r, { ...r, events: r.events.slice(0, 7) }, { ...r, events: r.events.slice(3) }]);

  for (const kernel of ['spec', 'pair'] as const) {
    it(`${kernel}: runs give the outcome of a run from boot, failing or passing`, async () => {
      const setup: RunSetup = { config: lazy, kernel, invariants: kernel === 'spec' ? [queued] : [manyLines, queued, boundedScheduler], impl: await loadImpl(), generator: O };
      const snap = new Candidates(setup, world, true);
      const boot = new Candidates(setup, world, false);
      const failed = new Set<string>();
      // Interleaved: each candidate restores a machine another world's candidate just wrote.
      for (const c of [...candidates, ...candidates.reverse()]) {
        const a = outcome(snap.run(c, true));
        expect(a).toEqual(outcome(boot.run(c, true)));
        failed.add(a.failure?.check ?? 'pass');
      }
      expect([...failed].sort()).toEqual(kernel === 'spec' ? ['pass', 'two-queued'] : ['many-lines', 'pass', 'two-queued']);
      expect(snap.stats.snapshots).toBe(runs.length);
      expect(snap.stats.setupEvents).toBeLessThan(boot.stats.setupEvents / 5);
    });
  }

  it('pair: traces (the second phase) give the outcome of a replay from boot', async () => {
    const setup: RunSetup = { config: lazy, kernel: 'pair', invariants: [manyLines, queued], impl: await loadImpl(), generator: O };
    const snap = new Candidates(setup, world, true);
    const boot = new Candidates(setup, world, false);
    const verdicts = new Set<string>();
    for (const r of runs) {
      const ran = boot.run(r, true).events!.map(({ as: _, ...e }) => e as RawEvent);
      const keep = worldSetup(world, r.world).length;
      const head = ran.slice(0, keep);
      const tail = ran.slice(keep);
      for (const t of [tail, tail.slice(0, tail.length >> 1), tail.filter((_, i) => i % 3 !== 1), []]) {
        const a = snap.trace(r.world, head, t);
        expect({ failure: a.failure, steps: a.steps }).toEqual({ failure: boot.trace(r.world, head, t).failure, steps: boot.trace(r.world, head, t).steps });
        verdicts.add(a.failure?.check ?? 'pass');
      }
    }
    expect(verdicts.has('pass') && verdicts.size > 1).toBe(true);
  });
});
