// l4check check: the generated world's setup succeeds, the driver's nonces and restart re-issues
// follow trace-format.md, runs do not depend on --workers or --shard, a failure shrinks to a short
// trace file that fails the same check on replay, and bad options are exit 2.

import fc from 'fast-check';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseEvent, parseTraceText } from '../../../abi/trace';
import {
  DEFAULT_GENERATOR_OPTIONS, NONCE_BASE, type RawEvent, TraceDriver, arbFullRun, arbWorldParams, isNonce, layoutWorld, runConfig, worldSetup,
} from '../../../properties/generators';
import { executeRun, executeTrace, type RunSetup } from '../../../properties/check/execute';
import { CheckedKernel } from '../../../properties/check/steppers';
import { type CheckPlan, GENERATED_RAN_FLOOR, checkIndex, planConfig, shardIndexes } from '../../../properties/check/runs';
import { runPool } from '../../../properties/check/pool';
import { counterexampleTrace, generatedShare, junitXML, writeCounterexample } from '../../../properties/check/report';
import type { Invariant } from '../../../properties/invariants/types';
import { loadImpl } from '../../../refinement/kernels';
import { setSpecFreeze } from '../../../spec';
import { main } from '../../../cli/main';

const O = { ...DEFAULT_GENERATOR_OPTIONS, steps: 60 };
const world = layoutWorld(O);
const config = planConfig({ variant: {} });
const spec: RunSetup = { config, kernel: 'spec', invariants: [], generator: O };

beforeAll(() => setSpecFreeze(false));

describe('the generated world', () => {
  it('every setup invocation succeeds, whatever the world parameters', () => {
    fc.assert(fc.property(arbWorldParams(O), (p) => {
      const k = new CheckedKernel(config, 'spec', []);
      k.boot();
      for (const [i, raw] of worldSetup(world, p).entries()) {
        const e = parseEvent(raw, `setup[${i}]`, config).event;
        const r = k.step(e);
        const root = r.observation.threads.root;
        if ('invoke' in raw && raw.invoke !== 'DebugNameThread') expect([raw.invoke, root.error]).toEqual([raw.invoke, 'NoError']);
      }
      expect(Object.keys(k.state.objects).filter((p2) => k.state.objects[Number(p2)].tag === 'TCB').length).toBe(O.threads + 3);
    }), { seed: 1, numRuns: 10 });
  });

  for (const fill of ['table', 'pool'] as const) {
    it(`the ${fill} fill succeeds and leaves no ${fill === 'table' ? 'ASID pool' : 'ASID of the root pool'} free`, () => {
      const [p] = fc.sample(arbWorldParams(O, fill), { seed: 1, numRuns: 1 });
      const c = runConfig(config, p);
      const k = new CheckedKernel(c, 'spec', []);
      k.boot();
      const failed: string[] = [];
      for (const [i, raw] of worldSetup(world, p).entries()) {
        const r = k.step(parseEvent(raw, `setup[${i}]`, c).event);
        if ('invoke' in raw && raw.invoke !== 'DebugNameThread' && r.observation.threads.root.error !== 'NoError') failed.push(`${i}: ${raw.invoke}`);
      }
      expect(failed).toEqual([]);
      const s = k.state;
      if (fill === 'table') expect(Object.keys(s.asidTable).length).toBe(128);
      else {
        const pool = s.objects[s.asidTable[0]];
        expect(pool.tag === 'ASIDPool' && Object.keys(pool.entries).length).toBe(1023);
      }
    });
  }
});

/** The events a run issues, as run (with `as`). */
function issued(run: { world: Parameters<typeof worldSetup>[1]; events: RawEvent[] }): RawEvent[] {
  return executeRun(run, spec, world, { trace: true }).events!;
}

describe('TraceDriver', () => {
  it('gives every message a fresh nonce, increasing; a re-issue repeats the thread\'s last trapping event', () => {
    let reissues = 0;
    fc.assert(fc.property(arbFullRun(O), (run) => {
      const evs = issued(run).slice(worldSetup(world, run.world).length);
      let last = -1;
      const lastByThread = new Map<string, RawEvent>();
      for (const e of evs) {
        const { as, comment, ...raw } = e;
        if (comment === 're-issue after restart') {
          reissues++;
          expect(raw).toEqual(lastByThread.get(as as string));
          continue;
        }
        const m0 = Array.isArray(raw.mrs) ? Number(raw.mrs[0]) : undefined;
        if ('syscall' in raw && ['Send', 'NBSend', 'Call', 'Reply', 'ReplyRecv'].includes(raw.syscall as string)) {
          expect(isNonce(m0!)).toBe(true);
          expect(m0! - NONCE_BASE).toBe(last + 1);
          last = m0! - NONCE_BASE;
        }
        if (!('irq' in raw) && !('tick' in raw) && raw.invoke !== 'DebugNameThread') lastByThread.set(as as string, raw);
      }
    }), { seed: 2, numRuns: 12 });
    expect(reissues).toBeGreaterThan(0);
  });

  it('never issues an event other than irq/tick while idle runs (no skipped steps)', () => {
    fc.assert(fc.property(arbFullRun(O), (run) => {
      for (const e of issued(run)) if (e.as === 'idle') expect('irq' in e || 'tick' in e).toBe(true);
    }), { seed: 3, numRuns: 8 });
  });

  it('restarts a thread woken by the deletion of the endpoint it was sending on', () => {
    const k = new CheckedKernel(config, 'spec', []);
    k.boot();
    const evs: RawEvent[] = [];
    const d = new TraceDriver((raw) => {
      evs.push(raw);
      k.step(parseEvent(raw, 'e', config).event);
      return true;
    }, () => k.state, world);
    const p = { priorities: [200, 100, 100, 100], rootPriority: 255, faultHandler: [true, true, true, true], boundTo: [-1, -1], asidFill: 'none' as const };
    for (const raw of worldSetup(world, p)) d.feed(raw);
    d.feed({ invoke: 'TCB_SetPriority', cap: 1, args: { authority: 1, priority: 150 } }); // the watchdog (254) and t1 (200) run
    d.feed({ syscall: 'Yield' }); // first the watchdog's code runs (it waits for its IRQ), then t1 yields
    d.feed({ syscall: 'Send', cap: world.eps[0], mrs: [7] }); // t1 blocks; root runs again
    d.feed({ invoke: 'CNode_Revoke', cap: 2, args: { index: world.eps[0], depth: 32 } }); // the copies go
    d.feed({ invoke: 'CNode_Delete', cap: 2, args: { index: world.eps[0], depth: 32 } }); // the last cap: t1 restarts and runs
    const before = evs.length;
    d.feed({ syscall: 'Yield' }); // t1's next event is the re-issue; this one comes after it
    const send = evs.find((e) => e.syscall === 'Send')!;
    const reissue = evs[before];
    expect(reissue.comment).toBe('re-issue after restart');
    expect(reissue.mrs).toEqual(send.mrs);
    expect(evs[evs.length - 1].syscall).toBe('Yield');
  });
});

describe('vacuity', () => {
  it('the watchdog still helps threads whose caps random events deleted: it holds caps of its own, and the run does not go vacuous', () => {
    const k = new CheckedKernel(config, 'spec', []);
    k.boot();
    const d = new TraceDriver((raw) => {
      k.step(parseEvent(raw, 'e', config).event);
      return true;
    }, () => k.state, world);
    // No fault handlers: each exception leaves its thread Inactive, for the watchdog to resume.
    const p = { priorities: [100, 100, 100, 100], rootPriority: 255, faultHandler: [false, false, false, false], boundTo: [-1, -1], asidFill: 'none' as const };
    for (const raw of worldSetup(world, p)) d.feed(raw);
    const before = d.generated;
    // Root runs first: it deletes every thread cap of the world's slots, its own included.
    for (const slot of [1, ...world.tcbs]) d.feed({ invoke: 'CNode_Delete', cap: 2, args: { index: slot, depth: 32 } });
    for (let i = 0; i < 100; i++) d.feed({ exception: 0 });
    const fed = d.generated.fed - before.fed;
    const ran = d.generated.ran - before.ran;
    expect(fed).toBe(105);
    // 10% before the harness held caps of its own (the world's threads were beyond help after the deletes).
    expect(ran / fed).toBeGreaterThan(0.8);
  });

  it('the share of generated events run, over the runs and in the worst run judged (at least VACUITY_MIN_FED fed)', () => {
    const g = generatedShare([
      { index: 0, generated: { fed: 200, ran: 200 } },
      { index: 1, generated: { fed: 300, ran: 60 } },
      { index: 2, generated: { fed: 50, ran: 0 } },
      { index: 3 },
    ]);
    expect(g).toEqual({ fed: 550, ran: 260, share: 260 / 550, lowest: { run: 1, share: 0.2, fed: 300 } });
    expect(g.lowest!.share).toBeLessThan(GENERATED_RAN_FLOOR);
    expect(generatedShare([]).lowest).toBeUndefined();
  });
});

describe('runs, workers and shards', () => {
  const plan: CheckPlan = { runs: 4, seed: 42, kernel: 'spec', variant: {}, generator: { ...O, steps: 30 }, shard: { index: 1, count: 1 }, workers: 1 };

  it('shards split the runs and cover them all', () => {
    const a = shardIndexes({ runs: 10, shard: { index: 1, count: 3 } });
    const b = shardIndexes({ runs: 10, shard: { index: 2, count: 3 } });
    const c = shardIndexes({ runs: 10, shard: { index: 3, count: 3 } });
    expect([...a, ...b, ...c].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('--workers 2 and shards give the results of --workers 1', async () => {
    const strip = (r: Awaited<ReturnType<typeof runPool>>) => r.reports.map((x) => JSON.stringify(x));
    const one = strip(await runPool(plan, () => {}));
    const two = strip(await runPool({ ...plan, workers: 2 }, () => {}));
    expect(two).toEqual(one);
    const s1 = strip(await runPool({ ...plan, shard: { index: 1, count: 2 } }, () => {}));
    const s2 = strip(await runPool({ ...plan, shard: { index: 2, count: 2 } }, () => {}));
    expect([...s1, ...s2].sort()).toEqual([...one].sort());
  });
});

describe('a failure', () => {
  // A planted invariant: no thread but root and the watchdog may Yield.
  const noYield: Invariant = {
    name: 'no-yield', doc: 'only root yields',
    monitor: () => ({
      step: (c) => (c.event.tag === 'syscall' && c.event.number === 0xfffffff9 && c.before.objects[c.before.curThread]?.tag === 'TCB'
        && !['root', 'watchdog'].includes((c.before.objects[c.before.curThread] as { name: string | null }).name ?? '')
        ? { invariant: 'no-yield', evidence: { thread: c.before.curThread } } : null),
    }),
  };

  it('is shrunk to a short trace whose file fails the same check on replay', async () => {
    const impl = await loadImpl();
    const setup: RunSetup = { config, kernel: 'both', invariants: [noYield], impl, generator: { ...O, steps: 80 } };
    const plan: CheckPlan = { runs: 20, seed: 7, kernel: 'both', variant: {}, generator: setup.generator, shard: { index: 1, count: 1 }, workers: 1 };
    let found;
    for (let i = 0; i < 20 && !found; i++) found = checkIndex(i, plan, setup).failure;
    expect(found).toBeDefined();
    const r = executeRun(found!.counterexample, setup, layoutWorld(setup.generator), { trace: true });
    expect(r.failure?.check).toBe('no-yield');
    const random = r.events!.length - worldSetup(layoutWorld(setup.generator), found!.counterexample.world).length;
    expect(random).toBeLessThanOrEqual(4);
    const dir = mkdtempSync(join(tmpdir(), 'l4check-'));
    const path = writeCounterexample(counterexampleTrace({ check: 'no-yield', step: r.failure!.step, config: { variant: config.variant, seed: 7, path: found!.path }, events: r.events! }), dir);
    expect(writeCounterexample(counterexampleTrace({ check: 'no-yield', step: r.failure!.step, config: { variant: config.variant, seed: 7, path: found!.path }, events: r.events! }), dir)).toBe(path);
    const trace = parseTraceText(readFileSync(path, 'utf8'));
    expect(executeTrace(trace, { kernel: 'both', invariants: [noYield], impl }).failure?.check).toBe('no-yield');
    expect(found!.path.startsWith(`${found!.path.split(':')[0]}:`)).toBe(true);
  });
});

describe('reports and options', () => {
  it('JUnit XML has one testcase per check, failures marked', () => {
    const x = junitXML('l4check check', [{ name: 'refinement' }, { name: 'benno', failure: 'step 3: <x>' }, { name: 'lazy', skipped: 'variant' }], 1.5);
    expect(x).toContain('tests="3" failures="1" skipped="1"');
    expect(x).toContain('<failure message="step 3: &lt;x&gt;">');
  });

  for (const [args, msg] of [
    [['--runs', 'x'], '--runs'], [['--shard', '3/2'], '--shard'], [['--kernel', 'both2'], '--kernel'],
    [['--variant', 'scheduler=eager'], '--variant'], [['--weights', 'ipc=-1'], '--weights'], [['--time-limit', '0'], '--time-limit'],
  ] as const) {
    it(`check ${args.join(' ')}: one line, exit 2`, async () => {
      const errs: string[] = [];
      const orig = process.stderr.write.bind(process.stderr);
      const origOut = process.stdout.write.bind(process.stdout);
      process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
      process.stdout.write = (() => true) as typeof process.stdout.write;
      try {
        expect(await main(['check', ...args])).toBe(2);
      } finally {
        process.stderr.write = orig;
        process.stdout.write = origOut;
      }
      expect(errs.join('')).toContain(msg);
      expect(errs.join('').trim().split('\n')).toHaveLength(1);
    });
  }

  it('check --kernel spec skips what needs the impl: bounded-scheduler, and the regression that expects it to fail', async () => {
    const out: string[] = [];
    const origOut = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((x: string) => (out.push(String(x)), true)) as typeof process.stdout.write;
    try {
      expect(await main(['check', '--kernel', 'spec', '--runs', '1', '--steps', '20', '--seed', '1', '--workers', '1'])).toBe(0);
    } finally {
      process.stdout.write = origOut;
    }
    // CI turns picocolors on (it reads the CI variable): compare the text without its colour codes.
    const text = stripVTControlCharacters(out.join(''));
    expect(text).toContain('lazy-bounded-scheduler.json: skipped: bounded-scheduler is not checked with --kernel spec');
    expect(text).toMatch(/skip\s+bounded-scheduler/);
  });
});
