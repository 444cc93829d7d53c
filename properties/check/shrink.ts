// The second shrinking phase: fast-check shrinks the generated events, but removing one of them
// changes everything the driver does after it (nonces, re-issues, the watchdog's help), so it
// stops at traces that are short of generated events yet long as run. This phase works on the
// trace as run: it removes events after the setup (the driver's as well as generated ones),
// halves first, then quarters, down to single events, keeping a removal whenever the trace still
// fails the same check on replay. A replay budget bounds it (a count: results stay reproducible), and --time-limit.

import type { Config } from '../../abi/config';
import type { TraceEvent } from '../../abi/events';
import { parseEvent, type Trace } from '../../abi/trace';
import type { RawEvent } from '../generators';
import { type RunSetup, executeTrace } from './execute';

/** Most replays of the trace-level phase. */
export const MAX_TRACE_SHRINK_REPLAYS = 300;

/** `events` (as run, without `as`) as a trace of `config`. */
export function traceOf(config: Config, events: readonly RawEvent[]): Trace {
  const parsed: TraceEvent[] = events.map((raw, i) => ({ event: parseEvent(raw, `events[${i}]`, config).event, raw }));
  return { config, events: parsed, expect: [], rawConfig: {} };
}

/**
 * The shortest trace found that still fails `check`: `keep` leading events (the setup) stay, the
 * rest is cut down by removing chunks while the replay on `setup`'s kernels fails the same check.
 */
export function shrinkTrace(
  config: Config, events: readonly RawEvent[], keep: number, check: string, setup: Omit<RunSetup, 'config' | 'generator'>,
  deadline?: number, budget = MAX_TRACE_SHRINK_REPLAYS,
): RawEvent[] {
  const head = events.slice(0, keep);
  let tail = events.slice(keep);
  let replays = 0;
  const fails = (t: readonly RawEvent[]) => {
    // Past --time-limit's deadline (the one bound that is not reproducible), every candidate passes.
    if (deadline !== undefined && Date.now() > deadline) return false;
    replays++;
    return executeTrace(traceOf(config, [...head, ...t]), setup).failure?.check === check;
  };
  for (let size = Math.max(1, tail.length >> 1); size >= 1 && replays < budget; size = size === 1 ? 0 : Math.max(1, size >> 1)) {
    // Chunks from the end: what comes last is the likeliest to be unneeded.
    for (let start = Math.max(0, tail.length - size); start >= 0 && replays < budget; start = start === 0 ? -1 : Math.max(0, start - size)) {
      const candidate = [...tail.slice(0, start), ...tail.slice(start + size)];
      if (fails(candidate)) tail = candidate;
    }
  }
  return [...head, ...tail];
}
