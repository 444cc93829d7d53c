// Replays every hand-written scenario (and the shared samples) on the abstract kernel, then on
// both kernels with refinement checked at every step (so the concrete kernel's observations are
// identical to the spec's and abstract(impl) equals the spec state throughout); and checks that,
// together, the scenarios reach every invocation with success and with every error abi/ lists.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTraceText } from '../abi/trace';
import { METHODS, METHOD_NAMES } from '../abi/invocations';
import { describeFailure, replay } from '../properties/replay';
import { coverageOutcome, coverageRow } from '../properties/coverage';
import { loadImpl } from '../refinement/kernels';

const dirs = ['scenarios', 'scenarios/shared', 'regressions', '../shared/samples'].filter((d) => existsSync(d));
const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.json')).sort().map((f) => join(d, f)));
const reached = new Map<string, Set<string>>();
let impl: Awaited<ReturnType<typeof loadImpl>>;

beforeAll(async () => {
  impl = await loadImpl();
});

describe('scenarios', () => {
  it('there are at least 40 hand-written scenarios', () => {
    expect(files.filter((f) => f.startsWith('scenarios/') && !f.startsWith('scenarios/shared/')).length).toBeGreaterThanOrEqual(40);
  });

  for (const f of files) {
    it(`${f}: green on the spec, and on both kernels with refinement`, () => {
      const trace = parseTraceText(readFileSync(f, 'utf8'));
      const spec = replay(trace, {
        onStep: (ev, before, after) => {
          const row = coverageRow(ev.event, before);
          if (!reached.has(row)) reached.set(row, new Set());
          reached.get(row)!.add(coverageOutcome(ev.event, before, after, row));
        },
      });
      expect(spec.failure && describeFailure(spec.failure)).toBeUndefined();
      const checked = replay(trace, { check: true, impl });
      expect(checked.failure && describeFailure(checked.failure)).toBeUndefined();
      expect(checked.observations.length).toBe(trace.events.length + 1);
    });
  }
});

describe('coverage of the invocation table', () => {
  it('every method is reached with success and with every error it lists', () => {
    const missing: string[] = [];
    for (const m of METHOD_NAMES) {
      const got = reached.get(m) ?? new Set<string>();
      for (const e of ['NoError', ...METHODS[m].errors]) if (!got.has(e)) missing.push(`${m}/${e}`);
    }
    expect(missing).toEqual([]);
  });
});
