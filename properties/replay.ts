// Replaying a trace file: on one kernel, or on both with refinement checking (--check).
// `as` assertions, `expect` matching, expectViolation, observation lines.
// Used by `l4check replay`, `l4check regress` and the scenario tests.

import type { Observation, TraceEvent } from '../abi/events';
import { matchExpected, type Mismatch } from '../abi/expect';
import type { Trace } from '../abi/trace';
import type { KernelState } from '../spec';
import { type KernelName, SpecRunner, type loadImpl, makeRunner } from '../refinement/kernels';
import type { Divergence } from '../refinement/check';
import { CheckedKernel, type CheckFailure } from './check/steppers';
import type { Invariant } from './invariants';
import { ALL_CHECKS } from './checks';

/** An exception out of a kernel (or an invariant) during a checked run: a bug of the model. */
class KernelException extends Error {
  constructor(readonly step: number, detail: string) {
    super(detail);
  }
}

type ImplModule = Awaited<ReturnType<typeof loadImpl>>;

/** A failed check of a checked run: a refinement divergence or an invariant's violation. */
export interface Violation {
  /** 'refinement' or an invariant's name. */
  check: string;
  divergence?: Divergence;
  evidence?: unknown;
}

export type ReplayFailure =
  | { kind: 'as'; step: number; expected: string; running: string }
  | { kind: 'expect'; step: number; mismatch: Mismatch }
  | { kind: 'violation'; step: number; violation: Violation }
  | { kind: 'expectViolation'; step: number; expected: string; got?: string }
  | { kind: 'internal'; step: number; error: Error };

/** An observation line, with the failed check of a checked run attached (trace-format.md). */
export type ObservationLine = Observation & {
  divergence?: { event: unknown; diffs: Divergence['diffs'] };
  violation?: { invariant: string; evidence: unknown };
};

export interface ReplayResult {
  observations: ObservationLine[];
  failure?: ReplayFailure;
  /** The check that failed when the trace's expectViolation was met. */
  expectedViolation?: Violation;
}

export interface ReplayOptions {
  kernel?: KernelName;
  /** Run both kernels with refinement and every invariant (needs `impl`). */
  check?: boolean;
  /** The invariants of a checked run (default: every invariant and contract, properties/checks.ts). */
  invariants?: readonly Invariant[];
  /** The impl module (refinement/kernels.ts loadImpl), needed for kernel 'impl' and for check. */
  impl?: ImplModule;
  /** Called with each observation line as it is made (for streaming output). */
  onObservation?: (o: ObservationLine) => void;
  /** Spec and checked runs: called after each event with the spec states around it. */
  onStep?: (event: TraceEvent, before: KernelState, after: KernelState) => void;
}

interface Stepper {
  boot(): { observation: Observation; violation?: Violation };
  step(e: TraceEvent, n: number): { observation: Observation; violation?: Violation };
  specState?(): KernelState;
}

function makeStepper(trace: Trace, opts: ReplayOptions): Stepper {
  if (opts.check) {
    if (!opts.impl) throw new Error('replay: a checked run needs the impl module');
    const k = new CheckedKernel(trace.config, 'both', opts.invariants ?? ALL_CHECKS, opts.impl);
    const v = (f?: CheckFailure): Violation | undefined => {
      if (!f) return undefined;
      if (f.check === 'internal') throw new KernelException(f.step, String(f.evidence));
      return { check: f.check, divergence: f.divergence, evidence: f.evidence };
    };
    return {
      boot: () => {
        const r = k.boot();
        return { observation: r.observation, violation: v(r.failure) };
      },
      step: (e, n) => {
        const r = k.step(e.event);
        const f = r.failure ?? (n === trace.events.length ? k.finish() : undefined);
        return { observation: r.observation, violation: v(f) };
      },
      specState: () => k.state,
    };
  }
  const runner = makeRunner(opts.kernel ?? 'spec', trace.config, opts.impl);
  return {
    boot: () => ({ observation: runner.boot() }),
    step: (e, n) => ({ observation: runner.step(e.event, n) }),
    specState: runner instanceof SpecRunner ? () => runner.state : undefined,
  };
}

/** Replays a trace; stops at the first failed check. */
export function replay(trace: Trace, opts: ReplayOptions = {}): ReplayResult {
  const expectByStep = new Map(trace.expect.map((e) => [e.step, e.match]));
  const observations: ObservationLine[] = [];
  const result: ReplayResult = { observations };
  /** Records the line; returns the failure it shows, if any. */
  const emit = (o: ObservationLine, violation: Violation | undefined, raw: unknown): ReplayFailure | 'stop' | undefined => {
    if (violation?.divergence) o = { ...o, divergence: { event: raw, diffs: violation.divergence.diffs } };
    else if (violation) o = { ...o, violation: { invariant: violation.check, evidence: violation.evidence } };
    observations.push(o);
    opts.onObservation?.(o);
    if (violation) {
      if (trace.expectViolation === violation.check) {
        result.expectedViolation = violation;
        return 'stop';
      }
      return { kind: 'violation', step: o.step, violation };
    }
    const exp = expectByStep.get(o.step);
    if (exp === undefined) return undefined;
    const m = matchExpected(exp, o, '');
    return m ? { kind: 'expect', step: o.step, mismatch: m } : undefined;
  };
  const finish = (f?: ReplayFailure | 'stop'): ReplayResult => {
    if (f && f !== 'stop') result.failure = f;
    else if (trace.expectViolation !== undefined && opts.check && !result.expectedViolation) {
      result.failure = { kind: 'expectViolation', step: observations.length - 1, expected: trace.expectViolation };
    }
    return result;
  };
  let stepper: Stepper;
  let f: ReplayFailure | 'stop' | undefined;
  try {
    stepper = makeStepper(trace, opts);
    const b = stepper.boot();
    f = emit(b.observation, b.violation, null);
  } catch (e) {
    return finish({ kind: 'internal', step: 0, error: e as Error });
  }
  if (f) return finish(f);
  let current = observations[0].current;
  for (let i = 0; i < trace.events.length; i++) {
    const ev = trace.events[i];
    if (ev.as !== undefined && ev.as !== current) return finish({ kind: 'as', step: i + 1, expected: ev.as, running: current });
    let r;
    try {
      const before = stepper.specState?.();
      r = stepper.step(ev, i + 1);
      if (before && opts.onStep) opts.onStep(ev, before, stepper.specState!());
    } catch (e) {
      return finish({ kind: 'internal', step: e instanceof KernelException ? e.step : i + 1, error: e as Error });
    }
    current = r.observation.current;
    f = emit(r.observation, r.violation, ev.raw);
    if (f) return finish(f);
  }
  return finish();
}

/** Replays on the abstract kernel. */
export function replaySpec(trace: Trace, opts: Omit<ReplayOptions, 'kernel' | 'check'> = {}): ReplayResult {
  return replay(trace, { ...opts, kernel: 'spec' });
}

export function describeFailure(f: ReplayFailure): string {
  switch (f.kind) {
    case 'as':
      return `step ${f.step}: expected ${f.expected} to be running, but ${f.running} is`;
    case 'expect':
      return `step ${f.step}: ${f.mismatch.path || '(observation)'}: expected ${JSON.stringify(f.mismatch.expected)}, observed ${JSON.stringify(f.mismatch.observed)}`;
    case 'violation': {
      const d = f.violation.divergence;
      const lines = d
        ? d.diffs.map((x) => `  ${x.path}: spec ${JSON.stringify(x.spec)}, impl ${JSON.stringify(x.impl)}`)
        : [`  evidence: ${JSON.stringify(f.violation.evidence)}`];
      return [`step ${f.step}: ${f.violation.check} failed${d ? ` (${d.kind})` : ''}`, ...lines].join('\n');
    }
    case 'expectViolation':
      return `the trace expects ${f.expected} to fail, but every check passed`;
    case 'internal':
      return `step ${f.step}: internal error of the model: ${f.error.stack ?? f.error.message}`;
  }
}
