// The public API a researcher imports in their own vitest tests (package.json "exports":
// l4check/properties): generators, invariants and replay, used with @fast-check/vitest.

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ALL_INVARIANTS, arbEvent, checkTraceSpec, parseTrace, setupEvents, stateInvariant, type Invariant } from 'l4check/properties';

const noThreadAbove255: Invariant = stateInvariant('priorities-in-range', 'every priority is 0..255', (s) => {
  for (const k of Object.keys(s.objects)) {
    const o = s.objects[Number(k)];
    if (o.tag === 'TCB' && (o.priority < 0 || o.priority > 255)) return { tcb: k, priority: o.priority };
  }
  return null;
});

describe('l4check/properties', () => {
  it('exports every invariant', () => {
    expect(ALL_INVARIANTS.length).toBeGreaterThanOrEqual(17);
  });
  test.prop([fc.array(arbEvent({ irqLines: 32 }), { maxLength: 40 })], { numRuns: 15, seed: 42 })(
    'the built-in invariants and one of the researcher\'s hold on random traces',
    (events) => {
      const trace = parseTrace({ format: 'l4check-trace/1', config: {}, events: [...setupEvents(), ...events] });
      const r = checkTraceSpec(trace, [...ALL_INVARIANTS, noThreadAbove255]);
      expect(r.violation).toBeNull();
    },
  );
});
