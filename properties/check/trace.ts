// The public checked replay (`l4check/properties`): a trace on both kernels with refinement, every
// invariant and every contract — what `replay --check` and the regression corpus of `check` run —
// without any internal import.

import type { Trace } from '../../abi/trace';
import { loadImpl } from '../../refinement/kernels';
import type { Invariant } from '../invariants/types';
import { executeTrace } from './execute';
import { loadInvariants } from './runs';
import type { CheckFailure, KernelChoice } from './steppers';

export interface CheckTraceOptions {
  /** both (default): both kernels with refinement; spec or impl: one kernel and the invariants. */
  kernel?: KernelChoice;
  /** The checks to run (default: every invariant and contract, plus invariantsFile's). */
  invariants?: readonly Invariant[];
  /** A module of the user's own invariants (as `check --invariants FILE`), checked with the project's. */
  invariantsFile?: string;
}

export interface CheckTraceResult {
  /** The first failed check: `refinement`, an invariant's or contract's name, `as`, or `internal` (a bug of the model). */
  failure?: CheckFailure;
  /** Events run. */
  steps: number;
}

/** Replays the trace with its own config on the checked kernels; stops at the first failed check. */
export async function checkTrace(trace: Trace, o: CheckTraceOptions = {}): Promise<CheckTraceResult> {
  if (o.invariants !== undefined && o.invariantsFile !== undefined) throw new Error('checkTrace: give invariants or invariantsFile, not both');
  const kernel = o.kernel ?? 'both';
  const invariants = o.invariants ?? (await loadInvariants(o.invariantsFile));
  const r = executeTrace(trace, { kernel, invariants, impl: kernel === 'spec' ? undefined : await loadImpl() });
  return { failure: r.failure, steps: r.steps };
}
