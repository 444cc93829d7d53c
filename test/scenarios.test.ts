// Replays every hand-written scenario (and the shared samples) on the abstract kernel and checks
// that, together, they reach every invocation with success and with every error abi/ lists for it.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTraceText } from '../abi/trace';
import { METHODS, METHOD_NAMES } from '../abi/invocations';
import { describeFailure, replaySpec } from '../properties/replay';
import { coverageOutcome, coverageRow } from '../properties/coverage';

const dirs = ['scenarios', 'scenarios/shared', 'regressions', '../shared/samples'].filter((d) => existsSync(d));
const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.json')).sort().map((f) => join(d, f)));
const reached = new Map<string, Set<string>>();

describe('scenarios replay green on the spec', () => {
  it('there are scenarios', () => {
    expect(files.filter((f) => f.startsWith('scenarios/') && !f.startsWith('scenarios/shared/')).length).toBeGreaterThanOrEqual(40);
  });

  for (const f of files) {
    it(f, () => {
      const trace = parseTraceText(readFileSync(f, 'utf8'));
      const r = replaySpec(trace, {
        onStep: (ev, before, after) => {
          const row = coverageRow(ev.event);
          if (!reached.has(row)) reached.set(row, new Set());
          reached.get(row)!.add(coverageOutcome(ev.event, before, after));
        },
      });
      if (trace.expectViolation === undefined) expect(r.failure && describeFailure(r.failure)).toBeUndefined();
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
