// Reading user input: trace files and options. Problems are UsageErrors: one line, exit 2.

import { readFileSync } from 'node:fs';
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
    if (e instanceof TraceError) throw new UsageError(`${path}: ${e.message}`);
    throw e;
  }
}

export function checkMutant(trace: Trace, path: string, allowMutant: boolean): void {
  if (trace.config.mutant === undefined) return;
  if (!allowMutant) throw new UsageError(`${path}: config.mutant: "${trace.config.mutant}" is only run with --allow-mutant`);
  throw new UsageError(`${path}: config.mutant: unknown mutant "${trace.config.mutant}"`);
}

