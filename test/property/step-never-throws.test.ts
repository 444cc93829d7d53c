// Any event with arbitrary register contents gets an seL4 answer (an error reply, a fault, a
// delivery or nothing) — never an exception out of `step`; and every invocation of a method on a
// cap of its own interface answers with success or one of the errors abi/ lists for that method.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../abi/config';
import { parseEvent } from '../../abi/trace';
import { METHODS } from '../../abi/invocations';
import { arbEvent, setupEvents } from '../../properties/generators';
import { coverageOutcome, coverageRow } from '../../properties/coverage';
import { type KernelState, bootState, step } from '../../spec';

const config = defaultConfig();
const parse = (raw: unknown, i: number) => parseEvent(raw, `events[${i}]`, config).event;
const setup = setupEvents().map(parse);

function booted(): KernelState {
  let s = bootState(config);
  setup.forEach((e, i) => (s = step(s, e, i + 1).state));
  return s;
}

const NOT_ERRORS = new Set(['NoError', 'done', 'skipped', 'Inactive', 'CapFault', 'UnknownSyscall', 'UserException', 'VMFault']);

describe('step on arbitrary events', () => {
  it('the setup phase runs without errors', () => {
    const s = booted();
    expect(Object.values(s.objects).filter((o) => o.tag === 'TCB').length).toBe(4);
  });

  it('never throws, and decoders only return the errors abi/ lists', () => {
    const start = booted();
    fc.assert(
      fc.property(fc.array(arbEvent(config), { maxLength: 40 }), (raws) => {
        let s = start;
        raws.forEach((raw, i) => {
          const e = parse(raw, i);
          const before = s;
          s = step(s, e, setup.length + i + 1).state;
          // A method's row: invoked on a cap of its interface (coverageRow looks it up).
          if (e.tag === 'syscall' && e.method && coverageRow(e, before) === e.method) {
            const outcome = coverageOutcome(e, before, s);
            if (!NOT_ERRORS.has(outcome)) expect(METHODS[e.method].errors).toContain(outcome);
          }
        });
      }),
      { seed: 20261127, numRuns: 300 },
    );
  });
});
