/**
 * `l4check bench`'s report (issue 14): the kernels' µs per event by workload and mode, the heap
 * growth of a long fully checked run, the speedup of `check --workers 2`, the time to shrink the
 * lazy-scheduler counterexample, and the machine's own figures; as one JSON object or a table.
 */

import os from 'node:os';
import { runMachineBench, type BenchResult } from './machine';
import { type HeapResult, type ModeResult, type Mode, type Workload, MODES, ipcBenchWorkload, randomBenchWorkload, runHeapBench, runModeBench, skippedShare } from './kernels';
import { type WorkersResult, runWorkersBench } from './workers';
import { type ShrinkResult, runShrinkBench } from './shrink';
import { parsePlan } from '../cli/check';
import { makeSetup } from '../properties/check/pool';

/** The parts of the report, each skippable (--skip). */
export const BENCH_PARTS = ['machine', 'kernels', 'heap', 'workers', 'shrink'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

export interface BenchPlan {
  parts: readonly BenchPart[];
  /** Interleaved repetitions of each (workload, mode); the median is reported. */
  reps: number;
  /** Least CPU ms of one repetition. */
  minMs: number;
  /** Runs of check's workload (0..n-1 of seed 1). */
  randomRuns: number;
  /** The generated steps of each of those runs (check's --steps: 250 by default). */
  randomSteps: number;
  ipcRounds: number;
  modes: readonly Mode[];
  /** Event counts at which the heap is measured. */
  heapMarks: readonly number[];
  /** The --runs and --steps of the workers' check. */
  workersRuns: number;
  workersSteps: number;
}

export const DEFAULT_BENCH_PLAN: BenchPlan = {
  parts: BENCH_PARTS,
  reps: 5,
  minMs: 300,
  randomRuns: 40,
  randomSteps: 250,
  ipcRounds: 5000,
  modes: MODES,
  heapMarks: [1e4, 1e5],
  workersRuns: 200,
  workersSteps: 250,
};

export interface BenchReport {
  node: string;
  date: string;
  results: ModeResult[];
  heapGrowthMiBPer1e6: number | null;
  heapNote?: string;
  workers2Speedup: number | null;
  shrinkSeconds: number | null;
  /** What the figures are (units, workloads, repetitions). */
  method: {
    usPerEvent: string;
    reps: number;
    minMsPerRep: number;
    workloads: Record<string, { events: number; description: string }>;
  };
  /** Load averages (1, 5, 15 min) at the start and the end, and the cores: the machine is shared. */
  host: { cpus: number; cpuModel: string; loadStart: number[]; loadEnd: number[] };
  heap?: HeapResult['heap'];
  workers?: WorkersResult['workers'];
  shrink?: ShrinkResult['shrink'];
  /** Issue 14's targets against this run's figures (null: not measured in this run). */
  targets: Target[];
  /** The machine's micro-benchmarks (bench/machine.ts). */
  machine: BenchResult[];
  /** Other figures: the share of the random workload the impl skips. */
  other: BenchResult[];
  skipped: BenchPart[];
}

export interface Target {
  name: string;
  value: number | null;
  /** 'min': value >= limit; 'max': value <= limit. */
  bound: 'min' | 'max';
  limit: number;
  met: boolean | null;
}

/** Issue 14's targets, each from this run's figures. */
export function targetsOf(r: Pick<BenchReport, 'results' | 'heapGrowthMiBPer1e6' | 'workers2Speedup' | 'shrinkSeconds'>): Target[] {
  const rate = (workload: string, mode: Mode) => r.results.find((x) => x.workload === workload && x.mode === mode)?.usPerEvent;
  const perS = (workload: string, mode: Mode) => {
    const us = rate(workload, mode);
    return us === undefined ? null : 1e6 / us;
  };
  const ratio = (workload: string) => {
    const full = rate(workload, 'checked-full');
    const impl = rate(workload, 'impl');
    return full === undefined || impl === undefined ? null : full / impl;
  };
  const t = (name: string, value: number | null, bound: 'min' | 'max', limit: number): Target => ({
    name, value: value === null ? null : Number(value.toFixed(2)), bound, limit,
    met: value === null ? null : bound === 'min' ? value >= limit : value <= limit,
  });
  return [
    t('random checked-full events/s', perS('random', 'checked-full'), 'min', 50000),
    t('ipc checked-full events/s', perS('ipc', 'checked-full'), 'min', 100000),
    t('ipc spec events/s', perS('ipc', 'spec'), 'min', 300000),
    t('ipc impl events/s', perS('ipc', 'impl'), 'min', 1000000),
    t('random checked-full / impl', ratio('random'), 'max', 20),
    t('ipc checked-full / impl', ratio('ipc'), 'max', 20),
    t('workers2Speedup', r.workers2Speedup, 'min', 1.7),
    t('heapGrowthMiBPer1e6', r.heapGrowthMiBPer1e6, 'max', 50),
    t('shrinkSeconds', r.shrinkSeconds, 'max', 10),
  ];
}

const load = () => os.loadavg().map((x) => Number(x.toFixed(2)));

export async function runBench(plan: BenchPlan): Promise<BenchReport> {
  const has = (p: BenchPart) => plan.parts.includes(p);
  const loadStart = load();
  const checkPlan = parsePlan({ kernel: 'both', seed: '1', steps: String(plan.randomSteps) });
  const setup = await makeSetup(checkPlan);
  const machine = has('machine') ? runMachineBench() : [];
  let workloads: Workload[] = [];
  let results: ModeResult[] = [];
  const other: BenchResult[] = [];
  if (has('kernels')) {
    workloads = [ipcBenchWorkload(setup, plan.ipcRounds), randomBenchWorkload(setup, 1, plan.randomRuns)];
    results = runModeBench(workloads, setup, { reps: plan.reps, minMs: plan.minMs, modes: plan.modes });
    other.push(skippedShare(workloads[1], setup));
  }
  const shrink = has('shrink') ? await runShrinkBench() : undefined;
  const heap = has('heap') ? runHeapBench(setup, plan.heapMarks) : undefined;
  const workers = has('workers') ? await runWorkersBench(plan.workersRuns, plan.workersSteps) : undefined;
  const heapNote = heap ? heap.heapNote : 'not measured (--skip heap)';
  const figures = { results, heapGrowthMiBPer1e6: heap?.heapGrowthMiBPer1e6 ?? null, workers2Speedup: workers?.workers2Speedup ?? null, shrinkSeconds: shrink?.shrinkSeconds ?? null };
  return {
    node: process.version,
    date: new Date().toISOString(),
    results,
    heapGrowthMiBPer1e6: heap?.heapGrowthMiBPer1e6 ?? null,
    ...(heapNote !== undefined ? { heapNote } : {}),
    workers2Speedup: workers?.workers2Speedup ?? null,
    shrinkSeconds: shrink?.shrinkSeconds ?? null,
    method: {
      usPerEvent: 'CPU time of this process (process.cpuUsage, user + system) per trace event, boots included; median of the repetitions',
      reps: plan.reps,
      minMsPerRep: plan.minMs,
      workloads: Object.fromEntries(workloads.map((w) => [w.name, { events: w.events, description: w.description }])),
    },
    host: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', loadStart, loadEnd: load() },
    ...(heap ? { heap: heap.heap } : {}),
    ...(workers ? { workers: workers.workers } : {}),
    ...(shrink ? { shrink: shrink.shrink } : {}),
    targets: targetsOf(figures),
    machine,
    other,
    skipped: BENCH_PARTS.filter((p) => !has(p)),
  };
}

function fmtValue(v: number, unit: string): string {
  if (unit === 'MiB') return `${v.toFixed(1)} MiB`;
  if (unit === '%') return `${v.toFixed(1)} %`;
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)} M${unit.replace(/^ops/, '')}` : `${Math.round(v).toLocaleString('en')} ${unit}`;
}

/** The report as the table `npm run bench` prints. */
export function formatBench(r: BenchReport): string {
  const lines: string[] = [];
  lines.push(`l4check bench: ${r.date}, node ${r.node}, ${r.host.cpus} cores (${r.host.cpuModel}), load ${r.host.loadStart.join(' ')} at the start, ${r.host.loadEnd.join(' ')} at the end`);
  if (r.results.length > 0) {
    lines.push('', `CPU µs per event, median of ${r.method.reps} interleaved repetitions (each >= ${r.method.minMsPerRep} ms of CPU time)`);
    for (const [name, w] of Object.entries(r.method.workloads)) lines.push(`  ${name}: ${w.description}`);
    lines.push('', `${'workload'.padEnd(10)}${'mode'.padEnd(14)}${'events/s'.padStart(12)}${'µs/event'.padStart(12)}`);
    for (const x of r.results) lines.push(`${x.workload.padEnd(10)}${x.mode.padEnd(14)}${x.eventsPerSecond.toLocaleString('en').padStart(12)}${x.usPerEvent.toFixed(2).padStart(12)}`);
  }
  lines.push('');
  if (r.heapGrowthMiBPer1e6 !== null && r.heap) {
    lines.push(`heap growth: ${r.heapGrowthMiBPer1e6} MiB per 10^6 events (${r.heap.run}; ${r.heap.points.map((p) => `${p.events.toLocaleString('en')}: ${p.heapMiB} MiB`).join(', ')})`);
  } else lines.push(`heap growth: ${r.heapNote ?? 'not measured'}`);
  if (r.heapGrowthMiBPer1e6 !== null && r.heapNote) lines.push(`  ${r.heapNote}`);
  if (r.workers2Speedup !== null && r.workers) {
    const [a, b] = r.workers.runs;
    lines.push(`--workers 2 speedup: ${r.workers2Speedup}x wall (l4check check --seed ${r.workers.budget.seed} --runs ${r.workers.budget.runs} --steps ${r.workers.budget.steps}: 1 worker ${a.wallSeconds} s, 2 workers ${b.wallSeconds} s${a.cpuSeconds !== null && b.cpuSeconds !== null ? ` (${a.cpuSeconds} and ${b.cpuSeconds} CPU s)` : ''}; ${a.events.toLocaleString('en')} events; load ${a.load.join('-')} and ${b.load.join('-')})`);
  } else lines.push('--workers 2 speedup: not measured (--skip workers)');
  if (r.shrinkSeconds !== null && r.shrink) {
    const s = r.shrink;
    lines.push(`shrink of the lazy-scheduler counterexample: ${r.shrinkSeconds} s wall (${s.command}: run ${s.run} fails ${s.check}; ${s.eventsBefore} events -> ${s.eventsAfter}, of which ${s.setupEvents} setup; ${s.numShrinks} shrink steps)`);
  } else lines.push('shrink of the lazy-scheduler counterexample: not measured (--skip shrink)');
  lines.push('', 'issue 14 targets');
  for (const x of r.targets) {
    const v = x.value === null ? 'not measured' : x.value.toLocaleString('en');
    lines.push(`  ${(x.met === null ? '    ' : x.met ? 'met ' : 'MISS').padEnd(5)}${x.name.padEnd(32)} ${v.padStart(12)} (${x.bound === 'min' ? '>=' : '<='} ${x.limit.toLocaleString('en')})`);
  }
  if (r.machine.length > 0) {
    lines.push('', 'machine');
    for (const x of r.machine) lines.push(`  ${x.name.padEnd(50)} ${fmtValue(x.value, x.unit)}`);
  }
  for (const x of r.other) lines.push(`${x.name.padEnd(52)} ${fmtValue(x.value, x.unit)}`);
  return lines.join('\n') + '\n';
}
