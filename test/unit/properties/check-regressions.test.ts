// The regression corpus on the checker's own stepper (both kernels, refinement, every invariant):
// each file is green, or fails exactly its expectViolation — as `l4check check` replays it first.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTraceText } from '../../../abi/trace';
import { executeTrace } from '../../../properties/check/execute';
import { loadInvariants } from '../../../properties/check/runs';
import type { Invariant } from '../../../properties/invariants/types';
import { loadImpl } from '../../../refinement/kernels';
import { setSpecFreeze } from '../../../spec';

const files = existsSync('regressions') ? readdirSync('regressions').filter((f) => f.endsWith('.json')).sort().map((f) => join('regressions', f)) : [];
let invariants: Invariant[];
let impl: Awaited<ReturnType<typeof loadImpl>>;

beforeAll(async () => {
  setSpecFreeze(false);
  invariants = await loadInvariants();
  impl = await loadImpl();
});

describe('regressions/ on the checked stepper', () => {
  it('holds the lazy-scheduling counterexample', () => {
    expect(files).toContain(join('regressions', 'lazy-bounded-scheduler.json'));
  });
  for (const f of files) {
    it(`${f}: green, or exactly its expectViolation fails`, () => {
      const trace = parseTraceText(readFileSync(f, 'utf8'));
      const r = executeTrace(trace, { kernel: 'both', invariants, impl });
      expect(r.failure?.check).toBe(trace.expectViolation);
    });
  }
});
