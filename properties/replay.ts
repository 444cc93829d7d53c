// Replaying a trace file on a kernel: `as` assertions, `expect` matching, observation lines.
// Used by `l4check replay`, `l4check regress` and the scenario tests.

import type { Observation, TraceEvent } from '../abi/events';
import { matchExpected, type Mismatch } from '../abi/expect';
import type { Trace } from '../abi/trace';
import { type KernelState, bootState, observeBoot, step } from '../spec';

export type ReplayFailure =
  | { kind: 'as'; step: number; expected: string; running: string }
  | { kind: 'expect'; step: number; mismatch: Mismatch }
  | { kind: 'internal'; step: number; error: Error };

export interface ReplayResult {
  observations: Observation[];
  failure?: ReplayFailure;
}

export interface ReplayOptions {
  /** Called with each observation as it is made (for streaming output). */
  onObservation?: (o: Observation) => void;
  /** Called after each event with the states around it (coverage, invariants). */
  onStep?: (event: TraceEvent, before: KernelState, after: KernelState) => void;
}

/** Replays on the abstract kernel; stops at the first failed check. */
export function replaySpec(trace: Trace, opts: ReplayOptions = {}): ReplayResult {
  const expectByStep = new Map(trace.expect.map((e) => [e.step, e.match]));
  const observations: Observation[] = [];
  const emit = (o: Observation): ReplayFailure | undefined => {
    observations.push(o);
    opts.onObservation?.(o);
    const exp = expectByStep.get(o.step);
    if (exp === undefined) return undefined;
    const m = matchExpected(exp, o, '');
    return m ? { kind: 'expect', step: o.step, mismatch: m } : undefined;
  };
  let state;
  try {
    state = bootState(trace.config);
  } catch (e) {
    return { observations, failure: { kind: 'internal', step: 0, error: e as Error } };
  }
  let failure = emit(observeBoot(state));
  if (failure) return { observations, failure };
  let current = observations[0].current;
  for (let i = 0; i < trace.events.length; i++) {
    const ev = trace.events[i];
    if (ev.as !== undefined && ev.as !== current) {
      return { observations, failure: { kind: 'as', step: i + 1, expected: ev.as, running: current } };
    }
    let r;
    try {
      r = step(state, ev.event, i + 1);
    } catch (e) {
      return { observations, failure: { kind: 'internal', step: i + 1, error: e as Error } };
    }
    opts.onStep?.(ev, state, r.state);
    state = r.state;
    current = r.observation.current;
    failure = emit(r.observation);
    if (failure) return { observations, failure };
  }
  return { observations };
}

export function describeFailure(f: ReplayFailure): string {
  switch (f.kind) {
    case 'as':
      return `step ${f.step}: expected ${f.expected} to be running, but ${f.running} is`;
    case 'expect':
      return `step ${f.step}: ${f.mismatch.path || '(observation)'}: expected ${JSON.stringify(f.mismatch.expected)}, observed ${JSON.stringify(f.mismatch.observed)}`;
    case 'internal':
      return `step ${f.step}: internal error of the model: ${f.error.stack ?? f.error.message}`;
  }
}
