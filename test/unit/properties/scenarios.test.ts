// Every invariant holds on every scenario (replayed on the spec, monitors fed through onStep), and
// each incremental state invariant agrees with its full check at every step.

import { describe, expect, it } from 'vitest';
import { ALL_INVARIANTS } from '../../../properties/invariants';
import type { StateInvariant } from '../../../properties/invariants/changes';
import { checkTraceSpec } from '../../../properties/invariants/run';
import { contexts, scenarioTraces } from './fixtures';

const stateInvariants = ALL_INVARIANTS.filter((i): i is StateInvariant => 'full' in i);

describe('every invariant holds on every scenario', () => {
  for (const { file, trace } of scenarioTraces()) {
    it(file, () => {
      const r = checkTraceSpec(trace, ALL_INVARIANTS);
      expect(r.violation).toBeNull();
      expect(r.steps).toBe(trace.events.length);
      // The full checks agree with the incremental ones (none fails where they all passed).
      const { steps } = contexts(trace);
      for (const s of steps) {
        if (s.observation.step % 5 !== 0 && s.step !== steps.length) continue;
        for (const inv of stateInvariants) {
          if (inv.skipWhen?.(s.after)) continue;
          expect(inv.full(s.after), `${inv.name} at step ${s.step}`).toBeNull();
        }
      }
    });
  }
});

describe('the invariant list', () => {
  it('names are unique and kebab-case, each with a one-line doc', () => {
    const names = ALL_INVARIANTS.map((i) => i.name);
    expect(new Set(names).size).toBe(names.length);
    for (const i of ALL_INVARIANTS) {
      expect(i.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(i.doc.length).toBeGreaterThan(20);
      expect(i.doc).not.toContain('\n');
    }
    expect(names).toEqual(expect.arrayContaining(['bounded-scheduler', 'benno', 'highest-priority-runs', 'round-robin', 'authority-confinement', 'no-lost-messages']));
  });
});
