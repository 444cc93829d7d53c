// bench/report.ts and cli/bench.ts: `l4check bench --json` has issue 14's shape (one result per
// workload × mode, the three figures, null with a note when a part is not measured), the heap
// figure comes only with a real global.gc, the table shows every row, and the options parse.
// A tiny budget; no figure's size is asserted (the machine is shared).

import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { type BenchPlan, type BenchReport, DEFAULT_BENCH_PLAN, formatBench, runBench, targetsOf } from '../../../bench/report';
import { MODES, WORKLOADS, runHeapBench } from '../../../bench/kernels';
import { makeSetup } from '../../../properties/check/pool';
import { parsePlan } from '../../../cli/check';
import { setupEvents } from '../../../properties/generators';
import { benchPlan } from '../../../cli/bench';
import { runCli } from '../../run-cli';

const TINY: BenchPlan = { ...DEFAULT_BENCH_PLAN, parts: ['kernels', 'heap'], reps: 1, minMs: 0, randomRuns: 1, randomSteps: 20, ipcRounds: 5, heapMarks: [20, 40] };

describe('l4check bench --json', () => {
  it('has the issue 14 shape: every workload × mode, the figures, the machine rows kept in their own field', async () => {
    // As node without --expose-gc (another test file of this worker may have exposed it).
    const had = globalThis.gc;
    globalThis.gc = undefined;
    let r: BenchReport;
    try {
      r = await runBench(TINY);
    } finally {
      globalThis.gc = had;
    }
    expect(Object.keys(r).slice(0, 3)).toEqual(['node', 'date', 'results']);
    expect(r.node).toBe(process.version);
    expect(Number.isNaN(Date.parse(r.date))).toBe(false);
    expect(r.results.map((x) => `${x.workload}/${x.mode}`)).toEqual(WORKLOADS.flatMap((w) => MODES.map((m) => `${w}/${m}`)));
    for (const x of r.results) {
      expect(Object.keys(x).sort()).toEqual(['eventsPerSecond', 'mode', 'usPerEvent', 'workload']);
      expect(x.usPerEvent).toBeGreaterThan(0);
      expect(Math.abs(x.eventsPerSecond * x.usPerEvent - 1e6) / 1e6).toBeLessThan(0.01);
    }
    // setup, the first Call and the server's Recv, then a ReplyRecv and a Call per round
    expect(r.method.workloads.ipc.events).toBe(setupEvents().length + 2 + 2 * TINY.ipcRounds);
    expect(r.method.workloads.random.description).toContain('seed 1, runs 0..0 of 20 steps');
    // no heap figure without global.gc, and the JSON says why
    expect(r.heapGrowthMiBPer1e6).toBeNull();
    expect(r.heapNote).toContain('--expose-gc');
    expect(r.workers2Speedup).toBeNull();
    expect(r.shrinkSeconds).toBeNull();
    expect(r.skipped).toEqual(['machine', 'workers', 'shrink']);
    expect(r.machine).toEqual([]);
    expect(r.other.map((x) => x.name)).toEqual(['random: events skipped (idle thread running)']);
    expect(r.targets.find((x) => x.name === 'heapGrowthMiBPer1e6')?.met).toBeNull();
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('measures the heap of one checked-full run at each mark when global.gc exists', async () => {
    const setup = await makeSetup(parsePlan({ kernel: 'both', seed: '1' }));
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as typeof globalThis.gc;
    const had = globalThis.gc;
    globalThis.gc = gc;
    try {
      const h = runHeapBench(setup, [30, 60]);
      expect(h.heap.points.map((p) => p.events)).toEqual([0, 30, 60]);
      expect(typeof h.heapGrowthMiBPer1e6).toBe('number');
      expect(h.heapNote).toBeUndefined();
      expect(h.heap.method).toContain('between 30 and 60 events');
    } finally {
      globalThis.gc = had;
    }
  });
});

describe('l4check bench without --expose-gc', () => {
  it('runs itself again with it, so that the heap figure is one', () => {
    const r = runCli(['bench', '--json', '--skip', 'machine,kernels,workers,shrink', '--heap-marks', '5,10']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as BenchReport;
    expect(typeof j.heapGrowthMiBPer1e6).toBe('number');
    expect(j.heap?.points.map((p) => p.events)).toEqual([0, 5, 10]);
    expect(j.results).toEqual([]);
  });
});

describe('the table (npm run bench)', () => {
  const report: BenchReport = {
    node: 'v20.0.0', date: '2026-12-08T00:00:00.000Z',
    results: WORKLOADS.flatMap((workload) => MODES.map((mode) => ({ workload, mode, eventsPerSecond: 1000, usPerEvent: 1000 }))),
    heapGrowthMiBPer1e6: 12.5, workers2Speedup: 1.5, shrinkSeconds: 7.25,
    method: { usPerEvent: 'CPU', reps: 5, minMsPerRep: 300, workloads: { ipc: { events: 10, description: 'ipc loop' }, random: { events: 20, description: 'check workload' } } },
    host: { cpus: 2, cpuModel: 'cpu', loadStart: [1, 2, 3], loadEnd: [1, 2, 3] },
    heap: { run: 'ipc', points: [{ events: 0, heapMiB: 1 }, { events: 10, heapMiB: 2 }], method: 'gc' },
    workers: { args: [], budget: { runs: 200, steps: 250, seed: 1 }, runs: [{ workers: 1, wallSeconds: 60, checkSeconds: 58, events: 100, load: [1, 1], cpuSeconds: 50 }, { workers: 2, wallSeconds: 40, checkSeconds: 38, events: 100, load: [1, 1], cpuSeconds: 50 }] },
    shrink: { command: 'l4check check --variant scheduler=lazy --seed 5', run: 17, check: 'bounded-scheduler', findSeconds: 10, eventsBefore: 500, eventsAfter: 109, setupEvents: 102, numShrinks: 28 },
    targets: [],
    machine: [{ name: 'physical word loads', value: 3e8, unit: 'ops/s' }],
    other: [],
    skipped: [],
  };

  it('has a row per workload × mode with events/s and µs/event, then the other figures', () => {
    const t = formatBench(report);
    for (const x of report.results) expect(t).toMatch(new RegExp(`^${x.workload} +${x.mode} +1,000 +1000\\.00$`, 'm'));
    expect(t).toContain('heap growth: 12.5 MiB per 10^6 events');
    expect(t).toContain('--workers 2 speedup: 1.5x');
    expect(t).toContain('lazy-scheduler counterexample: 7.25 s');
    expect(t).toContain('500 events -> 109');
    expect(t).toContain('physical word loads');
  });

  it('judges the issue 14 targets from the figures, and leaves unmeasured ones open', () => {
    const fast = report.results.map((x) => ({ ...x, eventsPerSecond: 2e6, usPerEvent: 0.5 }));
    const t = targetsOf({ results: fast, heapGrowthMiBPer1e6: 12.5, workers2Speedup: 1.5, shrinkSeconds: null });
    const byName = new Map(t.map((x) => [x.name, x]));
    expect(byName.get('random checked-full events/s')).toMatchObject({ value: 2e6, met: true });
    expect(byName.get('ipc checked-full / impl')).toMatchObject({ value: 1, met: true });
    expect(byName.get('heapGrowthMiBPer1e6')).toMatchObject({ value: 12.5, limit: 50, met: true });
    expect(byName.get('workers2Speedup')).toMatchObject({ value: 1.5, limit: 1.7, met: false });
    expect(byName.get('shrinkSeconds')).toMatchObject({ value: null, met: null });
    expect(targetsOf({ results: [], heapGrowthMiBPer1e6: null, workers2Speedup: null, shrinkSeconds: null }).every((x) => x.met === null)).toBe(true);
    expect(formatBench({ ...report, targets: t })).toMatch(/MISS +workers2Speedup +1\.5 \(>= 1\.7\)/);
  });

  it('says what was not measured', () => {
    const t = formatBench({ ...report, heapGrowthMiBPer1e6: null, heapNote: 'not measured: global.gc is missing', workers2Speedup: null, shrinkSeconds: null });
    expect(t).toContain('heap growth: not measured: global.gc is missing');
    expect(t).toContain('--workers 2 speedup: not measured');
    expect(t).toContain('counterexample: not measured');
  });
});

describe('bench options', () => {
  it('--skip, --only, --quick and --long choose the parts and the budget', () => {
    expect(benchPlan({}).parts).toEqual(['machine', 'kernels', 'heap', 'workers', 'shrink']);
    expect(benchPlan({ skip: 'workers,shrink' }).parts).toEqual(['machine', 'kernels', 'heap']);
    expect(benchPlan({ only: 'kernels' }).parts).toEqual(['kernels', 'heap']);
    expect(benchPlan({ only: 'machine' }).parts).toEqual(['machine']);
    expect(benchPlan({}).workersRuns).toBe(200);
    expect(benchPlan({ quick: true })).toMatchObject({ reps: 3, workersRuns: 40 });
    expect(benchPlan({}).heapMarks).toEqual([1e4, 1e5]);
    expect(benchPlan({ long: true }).heapMarks).toEqual([1e4, 1e5, 1e6]);
    expect(benchPlan({ modes: 'spec,checked-full' }).modes).toEqual(['spec', 'checked-full']);
  });

  it('refuses unknown parts, modes and bad counts', () => {
    expect(() => benchPlan({ skip: 'workers,gpu' })).toThrow(/--skip: .*"gpu"/);
    expect(() => benchPlan({ modes: 'fast' })).toThrow(/--modes/);
    expect(() => benchPlan({ reps: '0' })).toThrow(/--reps/);
    expect(() => benchPlan({ heapMarks: '100,50' })).toThrow(/increasing/);
  });
});
