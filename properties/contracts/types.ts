// Contracts (DESIGN §4, oracle 2): for each invocation method and syscall, the outcome seL4's
// reference manual promises, as a predicate over (state before, state after, event, what was
// delivered). A row is data: the subject it judges, the manual section it paraphrases, a one-line
// promise and the check. Rows never call spec kernel logic to predict a result; they read the
// two states and compare them with what the manual's sentences say.

import type { SyscallErrorName } from '../../abi/errors';
import type { MethodName } from '../../abi/invocations';
import type { SyscallName } from '../../abi/syscalls';
import type { StepContext } from '../invariants/types';
import type { Invocation, SyscallStep } from './decode';

/** Evidence of a broken promise, or null. */
export type Verdict = unknown | null;

interface RowBase {
  /** `contract-<Method or Syscall>`: the name reports, --invariants and expectViolation use. */
  name: string;
  /** The manual section(s) the promise paraphrases (seL4 reference manual, by number and title). */
  section: string;
  /** One line saying what is promised. */
  promise: string;
}

/**
 * A method's row. On an error reply the shared error half applies (errors.ts: the error is one
 * the method lists, and nothing but the invoker's reply changed); `success` judges a reply of
 * NoError (or a Call whose invoker did not run on to take a reply). Rows without `success`
 * promise only the error half.
 */
export interface MethodContract extends RowBase {
  kind: 'method';
  method: MethodName;
  success?: (inv: Invocation) => Verdict;
  /** A promise of this method about which error an error reply carries (beside the shared half). */
  error?: (inv: Invocation, error: SyscallErrorName) => Verdict;
}

/** A syscall's row (Yield, Send/Call delivery, ...): sees the decoded step. */
export interface SyscallContract extends RowBase {
  kind: 'syscall';
  syscall: SyscallName;
  check: (st: SyscallStep) => Verdict;
}

/** A row over the other events (timer ticks, faults). */
export interface EventContract extends RowBase {
  kind: 'event';
  check: (ctx: StepContext) => Verdict;
}

export type Contract = MethodContract | SyscallContract | EventContract;
