/**
 * Kernel throughput (issue 14's table): CPU µs per event of five modes on two workloads, and the
 * heap growth of one long fully checked run.
 *
 * Modes:
 *  - spec: the abstract kernel alone (`SpecRunner.step`, observation included);
 *  - impl: the concrete kernel alone with observations (`ImplRunner.step`, i.e. `stepKernel`);
 *  - impl-noobs: the concrete kernel applying events only (`ImplRunner.apply`, i.e. `applyEvent`);
 *  - checked: both kernels and the refinement at every step (`RefinementChecker`);
 *  - checked-full: what `l4check check` runs per index — its `CheckedKernel` (both kernels,
 *    refinement, every invariant and contract of ALL_CHECKS, the closing full refinement check) and
 *    the coverage cells, through `executeRun` on the random workload.
 *
 * Workloads:
 *  - ipc: the seed's benchmark — the world's setup, then a client Calls and a server answers with
 *    ReplyRecv, round after round (the fastpath's case);
 *  - random: check's own default workload — seed 1, runs 0..N-1 (40 by default) of the default
 *    budget, each its setup and the generated events as its driver ran them (nonces, re-issues,
 *    the watchdog), each run from boot, as check runs them.
 *
 * One event is one trace event (a syscall, a user load/store, an exception, an irq, a tick of
 * `count` timer interrupts, a debugName); a run's boot is counted in its time, not as an event.
 * Each figure is the process's CPU time (process.cpuUsage: user + system) divided by the events
 * stepped; each repetition steps whole passes of the workload until at least `minMs` of CPU time;
 * repetitions are interleaved (every mode of every workload once, then again) and the median is
 * reported. Impl runs reuse one machine across boots (Machine.reset), as check does.
 */

import fc from 'fast-check';
import v8 from 'node:v8';
import { type Config, defaultConfig } from '../abi/config';
import type { KernelEvent } from '../abi/events';
import { parseEvent } from '../abi/trace';
import { DEFAULT_GENERATOR_OPTIONS, type GeneratedRun, WORLD, arbFullRun, layoutWorld, runConfig, setupEvents, type RawEvent } from '../properties/generators';
import { type Cells, type RunSetup, addCell, executeRun } from '../properties/check/execute';
import { asidFillOfRun } from '../properties/check/runs';
import { CheckedKernel } from '../properties/check/steppers';
import { PATH_ROW, coverageOutcome, coveragePaths, coverageRow } from '../properties/coverage';
import { RefinementChecker } from '../refinement/check';
import { ImplRunner, SpecRunner } from '../refinement/kernels';
import type { BenchResult } from './machine';

export const MODES = ['spec', 'impl', 'impl-noobs', 'checked', 'checked-full'] as const;
export type Mode = (typeof MODES)[number];
export const WORKLOADS = ['ipc', 'random'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** One row of `l4check bench --json`'s results (the issue's shape, nothing more). */
export interface ModeResult {
  workload: WorkloadName;
  mode: Mode;
  eventsPerSecond: number;
  usPerEvent: number;
}

/** One run of a workload: its config and its events from boot (and, for random, the generated run). */
interface WorkloadRun {
  config: Config;
  events: KernelEvent[];
  generated?: GeneratedRun;
}

export interface Workload {
  name: WorkloadName;
  runs: WorkloadRun[];
  /** Events of one pass (every run once). */
  events: number;
  /** What the workload is, for the JSON and the table. */
  description: string;
}

const parse = (raws: readonly RawEvent[], config: Config): KernelEvent[] => raws.map((r, i) => parseEvent(r, `events[${i}]`, config).event);

const CALL: RawEvent = { syscall: 'Call', cap: WORLD.ep, info: { label: 1 }, mrs: [1, 2] };
const REPLY_RECV: RawEvent = { syscall: 'ReplyRecv', cap: WORLD.ep, info: { label: 0 }, mrs: [3] };

/** Setup, then the client/server loop: root Calls the endpoint, thread a answers with ReplyRecv. */
export function ipcWorkload(rounds: number, config = defaultConfig()): KernelEvent[] {
  return parse([...ipcHead(), ...Array.from({ length: rounds }, () => [REPLY_RECV, CALL]).flat()], config);
}

/** The ipc workload's events before its loop: the setup, the first Call, the server's Recv. */
function ipcHead(): RawEvent[] {
  return [...setupEvents(), CALL, { syscall: 'Recv', cap: WORLD.ep }];
}

/** The ipc workload: one run of `rounds` Call / ReplyRecv pairs. */
export function ipcBenchWorkload(setup: RunSetup, rounds: number): Workload {
  const events = ipcWorkload(rounds, setup.config);
  return { name: 'ipc', runs: [{ config: setup.config, events }], events: events.length, description: `setup, then ${rounds} Call / ReplyRecv rounds (${events.length} events, one run)` };
}

/**
 * One run of check's default size (seed 42 unless given) as the events it ran, from the default
 * config: the contracts' bench (bench/contracts.ts) takes its spec states from these.
 */
export function randomWorkload(n = DEFAULT_GENERATOR_OPTIONS.steps, seed = 42): KernelEvent[] {
  const config = defaultConfig();
  const generator = { ...DEFAULT_GENERATOR_OPTIONS, steps: n };
  const [run] = fc.sample(arbFullRun(generator, config), { numRuns: 1, seed });
  const ran = executeRun(run, { config, kernel: 'spec', invariants: [], generator }, layoutWorld(generator), { trace: true }).events!;
  return parse(ran.map(({ as: _, ...e }) => e), config);
}

/**
 * Run `index` of `seed` as `l4check check` generates it: fast-check's run at path "index" of the
 * same arbitrary (checkIndex in properties/check/runs.ts).
 */
export function generatedRun(setup: RunSetup, seed: number, index: number): GeneratedRun {
  let got: GeneratedRun | undefined;
  fc.check(fc.property(arbFullRun(setup.generator, setup.config, asidFillOfRun(index)), (run) => {
    got = run;
    return true;
  }), { seed, path: String(index), numRuns: 1 });
  return got!;
}

/** Check's workload: runs 0..runs-1 of `seed`, each its events as the driver ran them. */
export function randomBenchWorkload(setup: RunSetup, seed: number, runs: number): Workload {
  const world = layoutWorld(setup.generator);
  const out: WorkloadRun[] = [];
  for (let index = 0; index < runs; index++) {
    const generated = generatedRun(setup, seed, index);
    // The spec alone gives the same events as check's kernels: the driver reads only the spec state and the running thread.
    const r = executeRun(generated, { ...setup, kernel: 'spec', invariants: [] }, world, { trace: true });
    if (r.failure) throw new Error(`bench: run ${index} of seed ${seed} fails ${r.failure.check} at step ${r.failure.step}: the bench measures green runs`);
    const config = runConfig(setup.config, generated.world);
    out.push({ config, events: parse(r.events!.map(({ as: _, ...e }) => e), config), generated });
  }
  const events = out.reduce((a, r) => a + r.events.length, 0);
  return { name: 'random', runs: out, events, description: `check's workload: seed ${seed}, runs 0..${runs - 1} of ${setup.generator.steps} steps, setup and driver events as run (${events} events)` };
}

/**
 * One pass of `mode` over the workload: every run from boot. Returns the events stepped.
 * `machines` keeps the impl's machine between passes (a new one costs milliseconds to zero).
 */
function pass(mode: Mode, w: Workload, setup: RunSetup, machines: Map<Config, ImplRunner['kernel']['m']>): number {
  const impl = setup.impl!;
  let n = 0;
  for (const run of w.runs) {
    const { config, events } = run;
    const machine = machines.get(config);
    switch (mode) {
      case 'spec': {
        const r = new SpecRunner(config);
        for (let i = 0; i < events.length; i++) r.step(events[i], i + 1);
        break;
      }
      case 'impl':
      case 'impl-noobs': {
        const r = new ImplRunner(impl, config, machine);
        if (mode === 'impl') for (let i = 0; i < events.length; i++) r.step(events[i], i + 1);
        else for (let i = 0; i < events.length; i++) r.apply(events[i]);
        machines.set(config, r.kernel.m);
        break;
      }
      case 'checked': {
        const c = new RefinementChecker(config, impl, { machine });
        c.boot();
        for (let i = 0; i < events.length; i++) {
          const d = c.step(events[i], i + 1).divergence;
          if (d) throw new Error(`bench: ${w.name} diverges at step ${d.step} (${d.kind})`);
        }
        machines.set(config, c.impl.kernel.m);
        break;
      }
      case 'checked-full': {
        // check's own run: executeRun on the generated run (its machine comes from the steppers' spares).
        if (run.generated) {
          const r = executeRun(run.generated, setup, layoutWorld(setup.generator), { cells: new Map() });
          if (r.failure) throw new Error(`bench: ${w.name} fails ${r.failure.check} at step ${r.failure.step}`);
          if (r.steps !== events.length) throw new Error(`bench: ${w.name}: check ran ${r.steps} events, the recorded run has ${events.length}`);
        } else {
          const k = new CheckedKernel(config, 'both', setup.invariants, impl);
          const cells: Cells = new Map();
          k.boot();
          for (let i = 0; i < events.length; i++) checkedStep(k, events[i], cells, w.name);
          const f = k.finish();
          if (f) throw new Error(`bench: ${w.name} fails ${f.check} at its end`);
          k.release();
        }
        break;
      }
    }
    n += events.length;
  }
  return n;
}

/** One event on check's stepper with its coverage cells, as executeRun steps a generated run. */
function checkedStep(k: CheckedKernel, event: KernelEvent, cells: Cells, what: string): void {
  const r = k.step(event);
  if (r.failure) throw new Error(`bench: ${what} fails ${r.failure.check} at step ${r.failure.step}`);
  const row = coverageRow(event, r.before);
  addCell(cells, row, coverageOutcome(event, r.before, r.after, row));
  for (const path of coveragePaths(event, r.before, r.after)) addCell(cells, PATH_ROW, path);
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

/** CPU µs per event of whole passes until at least `minMs` of CPU time. */
function measure(mode: Mode, w: Workload, setup: RunSetup, machines: Map<Config, ImplRunner['kernel']['m']>, minMs: number): number {
  let events = 0;
  const start = process.cpuUsage();
  let ms = 0;
  do {
    events += pass(mode, w, setup, machines);
    ms = cpuMs(start);
  } while (ms < minMs);
  return (ms * 1000) / events;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface ModeBenchOptions {
  reps: number;
  minMs: number;
  modes?: readonly Mode[];
}

/**
 * Every mode on every workload: a warm-up pass each (the JIT), then `reps` interleaved
 * repetitions; the median per (workload, mode).
 */
export function runModeBench(workloads: readonly Workload[], setup: RunSetup, o: ModeBenchOptions): ModeResult[] {
  const modes = o.modes ?? MODES;
  const machines = new Map<Config, ImplRunner['kernel']['m']>();
  const samples = new Map<string, number[]>();
  for (const w of workloads) for (const m of modes) pass(m, { ...w, runs: w.runs.slice(0, 2) }, setup, machines);
  for (let rep = 0; rep < o.reps; rep++) {
    for (const w of workloads) {
      for (const m of modes) {
        const key = `${w.name}/${m}`;
        samples.set(key, [...(samples.get(key) ?? []), measure(m, w, setup, machines, o.minMs)]);
      }
    }
  }
  return workloads.flatMap((w) => modes.map((m) => {
    const us = median(samples.get(`${w.name}/${m}`)!);
    return { workload: w.name, mode: m, eventsPerSecond: Math.round(1e6 / us), usPerEvent: Number(us.toFixed(2)) };
  }));
}

/** The share of the random workload's events that the impl skips (they arrive while the idle thread runs: no kernel entry). */
export function skippedShare(w: Workload, setup: RunSetup): BenchResult {
  const impl = setup.impl!;
  let skipped = 0;
  for (const run of w.runs) {
    const k = impl.bootKernel(run.config);
    for (const e of run.events) if (impl.applyEvent(k, e) === impl.EVENT_SKIPPED) skipped++;
  }
  return { name: `${w.name}: events skipped (idle thread running)`, value: (100 * skipped) / w.events, unit: '%' };
}

export interface HeapPoint {
  events: number;
  heapMiB: number;
}

export interface HeapResult {
  /** MiB per 10^6 events, from the last two points; null without global.gc. */
  heapGrowthMiBPer1e6: number | null;
  heapNote?: string;
  heap: {
    run: string;
    /** heapUsed after a full collection, at boot (0 events) and at each mark. */
    points: HeapPoint[];
    method: string;
  };
}

/**
 * Heap growth of one long checked-full run of the ipc loop (check's stepper, every check, coverage
 * cells): heapUsed after global.gc() at boot and at each mark; the figure is the growth between
 * the last two marks per 10^6 events. The events are made as they go (the run keeps no trace).
 * Without global.gc (node without --expose-gc) heapUsed would count garbage too: no figure then.
 * A run whose heap comes near V8's limit stops there (it would end the process) and says so.
 */
export function runHeapBench(setup: RunSetup, marks: readonly number[]): HeapResult {
  const run = `checked-full (l4check check's stepper, every check, coverage) on the ipc loop, one run of ${marks[marks.length - 1]} events`;
  const gc = globalThis.gc;
  if (typeof gc !== 'function') {
    return {
      heapGrowthMiBPer1e6: null,
      heapNote: 'not measured: global.gc is missing (node without --expose-gc), and heapUsed without a full collection counts garbage',
      heap: { run, points: [], method: 'none' },
    };
  }
  const config = setup.config;
  const head = parse(ipcHead(), config);
  const [replyRecv, call] = parse([REPLY_RECV, CALL], config);
  const k = new CheckedKernel(config, 'both', setup.invariants, setup.impl);
  const cells: Cells = new Map();
  k.boot();
  const heap = () => {
    gc();
    return process.memoryUsage().heapUsed / 2 ** 20;
  };
  const points: HeapPoint[] = [{ events: 0, heapMiB: heap() }];
  const limit = 0.75 * v8.getHeapStatistics().heap_size_limit;
  let note: string | undefined;
  let n = 0;
  outer: for (const mark of marks) {
    while (n < mark) {
      checkedStep(k, n < head.length ? head[n] : (n - head.length) % 2 === 0 ? replyRecv : call, cells, 'ipc');
      n++;
      if (n % 10000 === 0 && process.memoryUsage().heapUsed > limit) {
        note = `stopped at ${n} events: the heap reached 75% of V8's limit (${Math.round(limit / 2 ** 20)} MiB)`;
        points.push({ events: n, heapMiB: heap() });
        break outer;
      }
    }
    points.push({ events: n, heapMiB: heap() });
  }
  k.release();
  const [a, b] = points.slice(-2);
  const growth = ((b.heapMiB - a.heapMiB) / (b.events - a.events)) * 1e6;
  return {
    heapGrowthMiBPer1e6: Number(growth.toFixed(1)),
    ...(note ? { heapNote: note } : {}),
    heap: { run, points: points.map((p) => ({ events: p.events, heapMiB: Number(p.heapMiB.toFixed(2)) })), method: `heapUsed after global.gc(); growth between ${a.events} and ${b.events} events, per 10^6 events` },
  };
}
