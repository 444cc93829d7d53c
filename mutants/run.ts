// Running the default `l4check check` against one mutant: in the mutant's copy of the project
// (apply.ts), as a child process on one worker, with a fixed seed; its JSON summary says which
// check failed first, after how many events, and how short the counterexample shrank.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT, materialise } from './apply';
import type { Mutant } from './types';

export interface MutantRunOptions {
  seed: number;
  /** Replay regressions/ first (a regression trace may then be the killer). */
  regressions: boolean;
  /** Extra `check` options (tests use a small budget; `l4check mutants` none). */
  checkArgs?: readonly string[];
  root?: string;
  /** The snapshot of the project the copy is made from (apply.ts snapshot); the project itself when absent. */
  source?: string;
}

export interface MutantResult {
  name: string;
  class: Mutant['class'];
  area: Mutant['area'];
  killed: boolean;
  /** What killed it: `refinement`, an invariant's or contract's name, or `regression FILE`; null when it survived. */
  by: string | null;
  /** Events checked until the failure was found (before shrinking); all events checked when it survived. */
  events: number;
  /** Seconds from the start of the check to the failure (before shrinking); the whole check when it survived. */
  seconds: number;
  /** Events of the shrunk counterexample after the world's setup phase; null when none was written. */
  shrunkEvents: number | null;
  /** A mutant must not make a kernel throw (a crash is not a realistic miss): the exception, when one did. */
  crashed?: string;
  /** The check's whole wall time, shrinking included. */
  totalSeconds: number;
}

/** The part of `check --json` read here. */
interface CheckSummary {
  events: number;
  seconds: number;
  regressions: { file: string; ok: boolean; detail: string; steps: number }[];
  failure?: { check: string; evidence: unknown; events: number; setupEvents: number; foundAfter: { events: number; seconds: number } };
}

function runCheck(dir: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, 'bin', 'l4check.js'), 'check', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function runMutant(m: Mutant, o: MutantRunOptions): Promise<MutantResult> {
  const root = o.root ?? PROJECT_ROOT;
  const dir = materialise(m, root, true, undefined, o.source ?? root);
  const started = Date.now();
  const args = ['--json', '--workers', '1', '--seed', String(o.seed), ...(o.regressions ? [] : ['--no-regressions']), ...(o.checkArgs ?? [])];
  const r = await runCheck(dir, args);
  const totalSeconds = (Date.now() - started) / 1000;
  const base = { name: m.name, class: m.class, area: m.area, totalSeconds };
  let s: CheckSummary;
  try {
    s = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as CheckSummary;
  } catch {
    // The check itself died (a mutant that breaks loading, or an exception outside a step).
    const why = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(0, 3).join(' | ').slice(0, 400);
    return { ...base, killed: false, by: null, events: 0, seconds: totalSeconds, shrunkEvents: null, crashed: `check exited ${r.code}: ${why}` };
  }
  const bad = s.regressions.find((x) => !x.ok);
  if (bad) {
    const crashed = /internal/.test(bad.detail) ? bad.detail.slice(0, 400) : undefined;
    return { ...base, killed: !crashed, by: `regression ${bad.file}`, events: s.regressions.reduce((a, x) => a + x.steps, 0), seconds: s.seconds, shrunkEvents: null, crashed };
  }
  if (!s.failure) return { ...base, killed: false, by: null, events: s.events, seconds: s.seconds, shrunkEvents: null };
  const f = s.failure;
  const crashed = f.check === 'internal' ? (typeof f.evidence === 'string' ? f.evidence : JSON.stringify(f.evidence)).split('\n')[0].slice(0, 400) : undefined;
  return {
    ...base, killed: !crashed, by: f.check, events: f.foundAfter.events, seconds: f.foundAfter.seconds,
    shrunkEvents: f.events - f.setupEvents, crashed,
  };
}
