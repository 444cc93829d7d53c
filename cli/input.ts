// Reading user input: trace files and options. Problems are UsageErrors: one line, exit 2.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { type Mutant, activeMutant, materialise, mutantByName } from '../mutants';
import { type ConfigOverrides, TraceError, parseTraceText, type Trace } from '../abi/trace';

/** Bad input: one line, exit 2. */
export class UsageError extends Error {}

/** A trace file, parsed (with `overrides` applied to its config before its events are checked). */
export function loadTrace(path: string, overrides: ConfigOverrides = {}): Trace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return parseTraceText(text, overrides);
  } catch (e) {
    if (e instanceof TraceError) throw new UsageError(`${path}: ${stepNumbered(e.message)}`);
    throw e;
  }
}

/** A problem in events[i] also names its step (i + 1), the number replay and check print. */
export function stepNumbered(message: string): string {
  return message.replace(/^events\[(\d+)\]/, (m, i: string) => `step ${Number(i) + 1}: ${m}`);
}

/**
 * The mutant a trace needs (config.mutant), when it needs one that this copy of the project is not:
 * a trace of a mutant runs only with --allow-mutant, and only in that mutant's copy (mutants/apply.ts).
 */
export function checkMutant(trace: Trace, path: string, allowMutant: boolean): Mutant | undefined {
  const name = trace.config.mutant;
  if (name === undefined) return undefined;
  if (!allowMutant) throw new UsageError(`${path}: config.mutant: "${name}" is only run with --allow-mutant`);
  const m = mutantByName(name);
  if (!m) throw new UsageError(`${path}: config.mutant: unknown mutant "${name}" (l4check mutants --list names them)`);
  return activeMutant() === name ? undefined : m;
}

/** Runs this command line again in the mutant's copy of the project (written afresh); its exit code. */
export function rerunInMutant(m: Mutant, argv: readonly string[]): number {
  const dir = materialise(m);
  const r = spawnSync(process.execPath, [join(dir, 'bin', 'l4check.js'), ...argv], { stdio: 'inherit' });
  return r.status ?? 3;
}


/** The project root: the nearest directory from the cwd up that holds a package.json (else the cwd). */
export function projectRoot(from = process.cwd()): string {
  for (let d = resolve(from); ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) return resolve(from);
  }
}

/** A corpus folder (scenarios, regressions) of the project, as a path relative to the cwd when inside it. */
export function corpusDir(name: 'scenarios' | 'regressions', corpus?: string): string {
  const dir = corpus !== undefined ? join(corpus, name) : join(projectRoot(), name);
  const rel = relative(process.cwd(), dir);
  return rel === '' || rel.startsWith('..') ? dir : rel;
}
