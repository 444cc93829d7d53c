// Replaying a trace file on a kernel: `as` assertions, `expect` matching, observation lines.
// Used by `l4check replay`, `l4check regress` and the scenario tests.

import type { Observation, TraceEvent } from '../abi/events';
import { matchExpected, type Mismatch } from '../abi/expect';
import type { Trace } from '../abi/trace';
import type { KernelState } from '../spec';
import { type KernelName, type KernelRunner, SpecRunner, type loadImpl, makeRunner } from '../refinement/kernels';

export type ReplayFailure =
  | { kind: 'as'; step: number; expected: string; running: string }
  | { kind: 'expect'; step: number; mismatch: Mismatch }
  | { kind: 'internal'; step: number; error: Error };

export interface ReplayResult {
  observations: Observation[];
  failure?: ReplayFailure;
}

export interface ReplayOptions {
  kernel?: KernelName;
  /** The impl module (refinement/kernels.ts loadImpl), needed when kernel is 'impl'. */
  impl?: Awaited<ReturnType<typeof loadImpl>>;
  /** Called with each observation as it is made (for streaming output). */
  onObservation?: (o: Observation) => void;
  /** Spec runs only: called after each event with the states around it (coverage, invariants). */
  onStep?: (event: TraceEvent, before: KernelState, after: KernelState) => void;
}

/** Replays a trace on one kernel; stops at the first failed check. */
export function replay(trace: Trace, opts: ReplayOptions = {}): ReplayResult {
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
  let runner: KernelRunner;
  let failure: ReplayFailure | undefined;
  try {
    runner = makeRunner(opts.kernel ?? 'spec', trace.config, opts.impl);
    failure = emit(runner.boot());
  } catch (e) {
    return { observations, failure: { kind: 'internal', step: 0, error: e as Error } };
  }
  if (failure) return { observations, failure };
  let current = observations[0].current;
  for (let i = 0; i < trace.events.length; i++) {
    const ev = trace.events[i];
    if (ev.as !== undefined && ev.as !== current) {
      return { observations, failure: { kind: 'as', step: i + 1, expected: ev.as, running: current } };
    }
    let o: Observation;
    try {
      const before = runner instanceof SpecRunner ? runner.state : undefined;
      o = runner.step(ev.event, i + 1);
      if (before && runner instanceof SpecRunner) opts.onStep?.(ev, before, runner.state);
    } catch (e) {
      return { observations, failure: { kind: 'internal', step: i + 1, error: e as Error } };
    }
    current = o.current;
    failure = emit(o);
    if (failure) return { observations, failure };
  }
  return { observations };
}

/** Replays on the abstract kernel. */
export function replaySpec(trace: Trace, opts: Omit<ReplayOptions, 'kernel'> = {}): ReplayResult {
  return replay(trace, { ...opts, kernel: 'spec' });
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
