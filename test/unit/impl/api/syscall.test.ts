// The concrete kernel's system calls refine the abstract kernel's on random IPC-heavy traces:
// after the generators' setup phase, events are mostly Send/Call/Recv/ReplyRecv/Reply/NBRecv on the
// world's endpoints and notifications (with extra caps and receive slots, so caps travel and
// unwrap), mixed with the generators' arbitrary events (faults, invocations, interrupts). At every
// step the observations are equal and abstract(impl) equals the spec state (full check), under
// both scheduler variants, with the fastpath on and off.

import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { type Config, defaultConfig } from '../../../../abi/config';
import type { KernelEvent } from '../../../../abi/events';
import { parseEvent } from '../../../../abi/trace';
import { arbEvent, setupEvents, WORLD } from '../../../../properties/generators';
import { RefinementChecker, prepareCheckedRun } from '../../../../refinement/check';
import { loadImpl } from '../../../../refinement/kernels';

const SEED = 0x1bc5;
let impl: Awaited<ReturnType<typeof loadImpl>>;

beforeAll(async () => {
  impl = await loadImpl();
  prepareCheckedRun();
});

const base = defaultConfig();
const parse = (raw: unknown, i: number): KernelEvent => parseEvent(raw, `events[${i}]`, base).event;
const setup = setupEvents().map(parse);
const rootWaits = parse({ syscall: 'Recv', cap: WORLD.ep2 }, setup.length);

const word = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 1000 }) }, { weight: 1, arbitrary: fc.nat({ max: 0xffffffff }) });
const ipc = fc.record(
  {
    syscall: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('Call', 'ReplyRecv') },
      { weight: 3, arbitrary: fc.constantFrom('Send', 'NBSend', 'Recv', 'NBRecv', 'Reply', 'Yield') },
    ),
    cap: fc.constantFrom(WORLD.ep, WORLD.ep2, WORLD.badgedEp, WORLD.ntfn, WORLD.badgedNtfn, WORLD.tcbA, 0, 99),
    info: fc.record({ label: fc.integer({ min: 0, max: 3 }) }),
    mrs: fc.array(word, { maxLength: 8 }),
    extraCaps: fc.array(fc.constantFrom(WORLD.ep, WORLD.badgedEp, WORLD.ntfn, WORLD.cnode, WORLD.frameA, 3, 77), { maxLength: 3 }),
    receive: fc.record({ root: fc.constantFrom(0, 2), index: fc.integer({ min: 32, max: 40 }), depth: fc.constantFrom(32, 0, 31) }),
  },
  { requiredKeys: ['syscall', 'cap'] },
);
const traces = fc.tuple(
  fc.boolean(),
  fc.array(fc.oneof({ weight: 4, arbitrary: ipc }, { weight: 1, arbitrary: arbEvent(base) }), { minLength: 5, maxLength: 60 }),
);

function check(config: Config, events: KernelEvent[]): void {
  const c = new RefinementChecker(config, impl, { incremental: false });
  const b = c.boot();
  if (b.divergence) throw new Error(`boot: ${JSON.stringify(b.divergence)}`);
  events.forEach((e, i) => {
    const r = c.step(e, i + 1);
    if (r.divergence) throw new Error(`step ${i + 1} ${JSON.stringify(e)}: ${JSON.stringify(r.divergence)}`);
  });
}

describe('syscalls refine the spec on random IPC traces', () => {
  const variants: [Config['variant']['scheduler'], boolean][] = [['benno', true], ['benno', false], ['lazy', true]];
  it.each(variants)('scheduler %s, fastpath %s', (scheduler, fastpath) => {
    const config: Config = { ...base, variant: { scheduler, fastpath } };
    fc.assert(
      fc.property(traces, ([waits, raws]) => {
        const events = raws.map((r, i) => parse(r, setup.length + 1 + i));
        check(config, [...setup, ...(waits ? [rootWaits] : []), ...events]);
      }),
      { seed: SEED, numRuns: 40 },
    );
  });
});
