// The IPC fastpath changes nothing observable (DESIGN §4): the same events replayed with
// variant.fastpath on and off give the same observation at every step, the same scheduler globals,
// the same ghost records and, at the end, the same physical memory word for word. Replayed on every
// scenario and on random IPC-heavy traces after the generators' setup phase, under both scheduler
// variants; the fastpath must actually be taken.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Config, defaultConfig } from '../../../../abi/config';
import type { KernelEvent, Observation } from '../../../../abi/events';
import { parseEvent, parseTraceText } from '../../../../abi/trace';
import { arbEvent, setupEvents, WORLD } from '../../../../properties/generators';
import { bootKernel } from '../../../../impl/kernel/boot';
import { stepKernel } from '../../../../impl/api/event';
import type { Kernel } from '../../../../impl/model/state';
import { FASTPATH_STATS } from '../../../../impl/fastpath/fastpath';

const SEED = 0xfa57;
const GLOBALS_BYTES = 0x1000;
const SCENARIOS = join(__dirname, '../../../../scenarios');

function withFastpath(config: Config, fastpath: boolean, scheduler = config.variant.scheduler): Config {
  return { ...config, variant: { scheduler, fastpath } };
}

function peekRange(k: Kernel, from: number, to: number): number[] {
  const out: number[] = [];
  for (let p = from; p < to; p += 4) out.push(k.m.peek32(p));
  return out;
}

/** Index of the first differing word of physical memory, or -1. */
function firstMemoryDifference(a: Kernel, b: Kernel): number {
  const bytes = 2 ** a.config.memoryBits;
  for (let p = 0; p < bytes; p += 4) if (a.m.peek32(p) !== b.m.peek32(p)) return p;
  return -1;
}

function ghost(k: Kernel): unknown {
  return { delivered: [...k.delivered].sort((x, y) => x[0] - y[0]), names: [...k.names].sort((x, y) => x[0] - y[0]) };
}

/** Replays `events` on two kernels, fastpath on and off, comparing after every step. */
function compare(config: Config, events: KernelEvent[], label: string): void {
  const on = bootKernel(withFastpath(config, true));
  const off = bootKernel(withFastpath(config, false));
  events.forEach((e, i) => {
    const where = `${label} step ${i + 1} (${JSON.stringify(e)})`;
    let oOn: Observation;
    let oOff: Observation;
    try {
      oOn = stepKernel(on, e, i + 1);
      oOff = stepKernel(off, e, i + 1);
    } catch (x) {
      throw new Error(`${where}: ${(x as Error).stack}`);
    }
    expect(oOn, where).toEqual(oOff);
    expect(peekRange(on, 0, GLOBALS_BYTES), `${where}: kernel globals`).toEqual(peekRange(off, 0, GLOBALS_BYTES));
  });
  expect(ghost(on), `${label}: ghost records`).toEqual(ghost(off));
  const diff = firstMemoryDifference(on, off);
  expect(diff, `${label}: memory differs at 0x${diff.toString(16)}`).toBe(-1);
}

function taken(): number {
  return FASTPATH_STATS.call + FASTPATH_STATS.replyRecv;
}

describe('fastpath on = fastpath off', () => {
  const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.json'));

  it.each(files)('scenario %s', (file) => {
    const trace = parseTraceText(readFileSync(join(SCENARIOS, file), 'utf8'));
    for (const scheduler of ['benno', 'lazy'] as const) {
      compare(withFastpath(trace.config, true, scheduler), trace.events.map((t) => t.event), `${file} (${scheduler})`);
    }
  });

  const config = defaultConfig();
  const parse = (raw: unknown, i: number): KernelEvent => parseEvent(raw, `events[${i}]`, config).event;
  const setup = setupEvents().map(parse);

  // IPC between the setup's threads a and b (root waits on ep2, where their faults go): mostly Call
  // and ReplyRecv on the world's endpoints with short messages (the fastpath's domain), mixed with
  // the generators' arbitrary events.
  const u = fc.integer({ min: 0, max: 1000 });
  const ipc = fc.record({
    syscall: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('Call', 'ReplyRecv') },
      { weight: 2, arbitrary: fc.constantFrom('Recv', 'Reply') },
      { weight: 1, arbitrary: fc.constantFrom('Send', 'NBRecv', 'Yield') },
    ),
    cap: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(WORLD.ep, WORLD.badgedEp) },
      { weight: 1, arbitrary: fc.constantFrom(WORLD.ep2, WORLD.ntfn, WORLD.badgedNtfn, 1) },
    ),
    info: fc.record({ label: fc.integer({ min: 0, max: 3 }) }),
    mrs: fc.array(u, { maxLength: 5 }),
  });
  const events = fc.array(fc.oneof({ weight: 12, arbitrary: ipc }, { weight: 1, arbitrary: arbEvent(config) }), {
    minLength: 5,
    maxLength: 60,
  });
  const rootWaits = parse({ syscall: 'Recv', cap: WORLD.ep2 }, setup.length);

  it.each(['benno', 'lazy'] as const)('random IPC traces after setup (%s)', (scheduler) => {
    const before = taken();
    fc.assert(
      fc.property(events, (raws) => {
        const evs = [...setup, rootWaits, ...raws.map((r, i) => parse(r, setup.length + 1 + i))];
        compare(withFastpath(config, true, scheduler), evs, 'random');
      }),
      { seed: SEED, numRuns: 40 },
    );
    expect(taken()).toBeGreaterThan(before);
  });

  // A client/server ping-pong under different priorities (equal, server above, server below with
  // and without a third ready thread): message lengths 0..6 cross the fastpath's limit of four.
  const prioCases: [number, number, number, boolean][] = [
    [200, 200, 255, true], [200, 100, 255, true], [100, 200, 255, true], [100, 200, 150, true], [100, 200, 150, false],
  ];
  it.each(prioCases)('ping-pong, b at %i, a at %i, root at %i (root waits: %s)', (pb, pa, proot, rootWaiting) => {
    const pre = [
      { invoke: 'TCB_SetPriority', cap: WORLD.tcbA, args: { authority: 1, priority: pa } },
      { invoke: 'TCB_SetPriority', cap: WORLD.tcbB, args: { authority: 1, priority: pb } },
      { invoke: 'TCB_SetPriority', cap: 1, args: { authority: 1, priority: proot } },
    ];
    const rounds: unknown[] = [];
    for (let i = 0; i < 30; i++) {
      const mrs = Array.from({ length: i % 7 }, (_, j) => i * 10 + j);
      rounds.push({ syscall: 'Call', cap: i % 3 === 0 ? WORLD.badgedEp : WORLD.ep, info: { label: i % 4 }, mrs });
      rounds.push({ syscall: i % 5 === 4 ? 'Recv' : 'ReplyRecv', cap: WORLD.ep, mrs: mrs.slice(0, (i + 3) % 7) });
      if (i % 9 === 8) rounds.push({ tick: 3 });
    }
    const waits = rootWaiting ? [{ syscall: 'Recv', cap: WORLD.ep2 }] : [];
    const raws = [...pre, ...waits, { syscall: 'Recv', cap: WORLD.ep }, ...rounds];
    const before = taken();
    for (const scheduler of ['benno', 'lazy'] as const) {
      compare(withFastpath(config, true, scheduler), [...setup, ...raws.map((r, i) => parse(r, setup.length + i))], `ping-pong ${scheduler}`);
    }
    expect(taken()).toBeGreaterThan(before);
  });

  it('the fastpath is taken by Call and ReplyRecv of a client/server pair', () => {
    // root blocks; b and a (both 200, b queued ahead) run: b waits on ep, a calls it, b replies and waits again
    const k = bootKernel(withFastpath(config, true));
    setup.forEach((e, i) => stepKernel(k, e, i + 1));
    let n = setup.length;
    const step = (raw: unknown): Observation => stepKernel(k, parse(raw, n), ++n);
    expect(step({ syscall: 'Recv', cap: WORLD.ep2 }).current).toBe('b');
    const c0 = FASTPATH_STATS.call;
    const r0 = FASTPATH_STATS.replyRecv;
    expect(step({ syscall: 'Recv', cap: WORLD.ep }).current).toBe('a');
    const call = step({ syscall: 'Call', cap: WORLD.badgedEp, info: { label: 7 }, mrs: [1, 2, 3] });
    expect(call.current).toBe('b');
    expect(call.threads.b).toMatchObject({ state: 'Running', badge: 5, info: { label: 7, length: 3 }, mrs: [1, 2, 3] });
    expect(call.threads.a!.state).toBe('BlockedOnReply');
    const rr = step({ syscall: 'ReplyRecv', cap: WORLD.ep, info: { label: 0 }, mrs: [9] });
    expect(rr.current).toBe('a');
    expect(rr.threads.a).toMatchObject({ state: 'Running', badge: 0, info: { label: 0, length: 1 }, mrs: [9] });
    expect(rr.threads.b!.state).toBe('BlockedOnReceive');
    expect(FASTPATH_STATS.call).toBe(c0 + 1);
    expect(FASTPATH_STATS.replyRecv).toBe(r0 + 1);
  });
});
