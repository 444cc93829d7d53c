// `l4check bench`: throughput figures (DESIGN §6, issue 14) — kernel events per CPU second by
// workload and mode, the heap growth of a long checked run, `check --workers 2`'s speedup, the
// lazy-scheduler shrink, and the machine's accesses and translations. Results go to stdout as a
// table (or JSON with --json); docs/performance.md records them. With --ipc instead: the seed's
// IPC table in the machine's counters (bench/ipc.ts), which docs/ipc-cost.md records.

import { spawnSync } from 'node:child_process';
import { formatIpcBench, runIpcBench } from '../bench/ipc';
import { runContractBench } from '../bench/contracts';
import { BENCH_PARTS, type BenchPart, type BenchPlan, DEFAULT_BENCH_PLAN, formatBench, runBench } from '../bench/report';
import { MODES, type Mode } from '../bench/kernels';
import { UsageError } from './input';

export interface BenchOpts {
  json?: boolean;
  only?: string;
  ipc?: boolean;
  quick?: boolean;
  long?: boolean;
  skip?: string;
  /** Hidden (tests, quick looks): the budget. */
  reps?: string;
  minMs?: string;
  randomRuns?: string;
  randomSteps?: string;
  ipcRounds?: string;
  modes?: string;
  heapMarks?: string;
  workersRuns?: string;
  workersSteps?: string;
}

/** Set in the re-executed process: it must not re-execute again. */
const REEXEC_ENV = 'L4CHECK_BENCH_GC';

function count(name: string, v: string | undefined, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi) throw new UsageError(`--${name}: expected an integer in ${lo}..${hi}, got "${v.slice(0, 100)}"`);
  return Number(v);
}

function list<T extends string>(name: string, v: string, allowed: readonly T[]): T[] {
  const items = v.split(',').map((x) => x.trim()).filter(Boolean);
  for (const x of items) if (!(allowed as readonly string[]).includes(x)) throw new UsageError(`--${name}: expected a comma-separated list of ${allowed.join(', ')}, got "${x.slice(0, 100)}"`);
  return items as T[];
}

export function benchPlan(o: BenchOpts): BenchPlan {
  const d = DEFAULT_BENCH_PLAN;
  const skip = o.skip === undefined ? [] : list('skip', o.skip, BENCH_PARTS);
  // --only kernels keeps the heap figure, as it always did.
  const only: readonly BenchPart[] = o.only === 'machine' ? ['machine'] : o.only === 'kernels' ? ['kernels', 'heap'] : BENCH_PARTS;
  const heapMarks = o.heapMarks !== undefined
    ? o.heapMarks.split(',').map((x) => count('heap-marks', x, 1, 1e7, 0))
    : o.long ? [1e4, 1e5, 1e6] : d.heapMarks;
  if (heapMarks.some((m, i) => i > 0 && m <= heapMarks[i - 1])) throw new UsageError('--heap-marks: expected increasing event counts');
  return {
    parts: only.filter((p) => !skip.includes(p)),
    reps: count('reps', o.reps, 1, 100, o.quick ? 3 : d.reps),
    minMs: count('min-ms', o.minMs, 0, 60000, d.minMs),
    randomRuns: count('random-runs', o.randomRuns, 1, 200, d.randomRuns),
    randomSteps: count('random-steps', o.randomSteps, 1, 60000, d.randomSteps),
    ipcRounds: count('ipc-rounds', o.ipcRounds, 1, 1e6, d.ipcRounds),
    modes: o.modes === undefined ? d.modes : list<Mode>('modes', o.modes, MODES),
    heapMarks,
    workersRuns: count('workers-runs', o.workersRuns, 1, 1e6, o.quick ? 40 : d.workersRuns),
    workersSteps: count('workers-steps', o.workersSteps, 1, 60000, d.workersSteps),
  };
}

/**
 * The heap figure needs global.gc: without --expose-gc the command runs itself again with it (once:
 * the child is marked), passing its arguments and output through.
 */
function reexecWithGC(): number | undefined {
  if (typeof globalThis.gc === 'function' || process.env[REEXEC_ENV] !== undefined || process.argv[1] === undefined) return undefined;
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, process.argv[1], ...process.argv.slice(2)], {
    stdio: 'inherit', env: { ...process.env, [REEXEC_ENV]: '1' },
  });
  return r.status ?? 1;
}

export async function benchCommand(opts: BenchOpts): Promise<number> {
  if (opts.ipc) {
    const r = await runIpcBench();
    if (opts.json) process.stdout.write(JSON.stringify({ node: process.version, date: new Date().toISOString(), ...r }) + '\n');
    else process.stdout.write(formatIpcBench(r));
    return 0;
  }
  if (opts.only === 'contracts') {
    const results = runContractBench();
    if (opts.json) process.stdout.write(JSON.stringify({ node: process.version, date: new Date().toISOString(), results }) + '\n');
    else for (const r of results) process.stdout.write(`${r.name.padEnd(52)} ${r.value.toFixed(2)} ${r.unit}\n`);
    return 0;
  }
  const plan = benchPlan(opts);
  if (plan.parts.includes('heap')) {
    const code = reexecWithGC();
    if (code !== undefined) return code;
  }
  const report = await runBench(plan);
  process.stdout.write(opts.json ? JSON.stringify(report) + '\n' : formatBench(report));
  return 0;
}
