/**
 * `l4check check --workers 1` against `--workers 2`: the wall time of each as a child process
 * (node start-up, the regression corpus and the runs, as a user runs it), same seed and budget,
 * one after the other. `--no-replay-failures` keeps counterexamples/ of the working folder out
 * of it; `--no-coverage` only drops the matrix from the text summary (the cells are collected).
 */

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/l4check.js', import.meta.url));

export interface WorkersRun {
  workers: number;
  /** Wall seconds of the child process, start to exit. */
  wallSeconds: number;
  /** The seconds check itself reports (from its start, node and tsx start-up excluded). */
  checkSeconds: number;
  events: number;
  /** The 1-minute load average when it started and when it ended (the other work on the machine). */
  load: [number, number];
  /**
   * CPU seconds of the child (all its threads; null where /proc is missing): over its wall
   * seconds, how many cores it kept busy — near 2 with two workers unless they wait or the machine is busy.
   */
  cpuSeconds: number | null;
}

export interface WorkersResult {
  workers2Speedup: number;
  workers: { args: string[]; budget: { runs: number; steps: number; seed: number }; runs: WorkersRun[] };
}

/**
 * CPU seconds (user + system) of this process's children that have been waited for: /proc/self/stat's
 * cutime and cstime, in Linux's USER_HZ (100) ticks; null where there is no /proc.
 */
function childrenCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) " the fields start at the third (state): cutime is the 16th, cstime the 17th.
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return null;
  }
}

function checkOnce(args: string[]): Promise<{ wallSeconds: number; out: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallSeconds = (performance.now() - t0) / 1000;
      if (code !== 0) reject(new Error(`bench: l4check ${args.join(' ')} exited with ${code}: ${(err || out).slice(0, 500)}`));
      else resolve({ wallSeconds, out });
    });
  });
}

/** `--runs runs` (the default budget: 200), seed 1; --workers 1 first, then 2. */
export async function runWorkersBench(runs: number, steps: number, seed = 1): Promise<WorkersResult> {
  const args = ['check', '--seed', String(seed), '--runs', String(runs), '--steps', String(steps), '--no-coverage', '--no-replay-failures', '--json'];
  const out: WorkersRun[] = [];
  for (const workers of [1, 2]) {
    const before = os.loadavg()[0];
    const cpuBefore = childrenCpuSeconds();
    const r = await checkOnce([...args, '--workers', String(workers)]);
    const cpuAfter = childrenCpuSeconds();
    const load: [number, number] = [Number(before.toFixed(2)), Number(os.loadavg()[0].toFixed(2))];
    const cpuSeconds = cpuBefore === null || cpuAfter === null ? null : Number((cpuAfter - cpuBefore).toFixed(2));
    const j = JSON.parse(r.out) as { ok: boolean; seconds: number; events: number };
    if (!j.ok) throw new Error(`bench: l4check ${args.join(' ')} --workers ${workers} failed a check`);
    out.push({ workers, wallSeconds: Number(r.wallSeconds.toFixed(2)), checkSeconds: j.seconds, events: j.events, load, cpuSeconds });
  }
  return {
    workers2Speedup: Number((out[0].wallSeconds / out[1].wallSeconds).toFixed(2)),
    workers: { args: [...args, '--workers', '1|2'], budget: { runs, steps, seed }, runs: out },
  };
}
