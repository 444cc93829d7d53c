// The three kinds of failure of a kernel entry, as values (l4v SEL4/API/Failures.lhs; seL4
// lookup_fault_t, syscall_error_t, seL4_Fault_t): lookup failures, syscall errors and faults, with
// the fields seL4 reports to the user. Both kernels use them; errors are never thrown.

import type { ErrorName } from './errors';

export type LookupFailure =
  | { tag: 'InvalidRoot' }
  | { tag: 'MissingCapability'; bitsLeft: number }
  | { tag: 'DepthMismatch'; bitsLeft: number; bitsFound: number }
  | { tag: 'GuardMismatch'; bitsLeft: number; guardFound: number; guardSize: number };

export type SyscallError =
  | { tag: 'InvalidArgument'; argument: number }
  | { tag: 'InvalidCapability'; argument: number }
  | { tag: 'IllegalOperation' }
  | { tag: 'RangeError'; min: number; max: number }
  | { tag: 'AlignmentError' }
  | { tag: 'FailedLookup'; source: boolean; failure: LookupFailure }
  | { tag: 'TruncatedMessage' }
  | { tag: 'DeleteFirst' }
  | { tag: 'RevokeFirst' }
  | { tag: 'NotEnoughMemory'; available: number };

export type Fault =
  | { tag: 'CapFault'; address: number; inReceivePhase: boolean; failure: LookupFailure }
  | { tag: 'UnknownSyscall'; number: number }
  | { tag: 'UserException'; number: number; code: number }
  | { tag: 'VMFault'; address: number; fsr: number; instruction: boolean };

export type Ok<T> = { ok: true; value: T };
export type Err<E> = { ok: false; error: E };
export type Result<T, E> = Ok<T> | Err<E>;

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

export function err<E>(error: E): Err<E> {
  return { ok: false, error };
}

export function errorName(e: SyscallError): ErrorName {
  return e.tag;
}
