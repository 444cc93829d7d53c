// The three kinds of failure of a kernel entry, as values: lookup failures, syscall errors and
// faults, with the fields seL4 reports to the user (seL4 lookup_fault_t, syscall_error_t,
// seL4_Fault_t). Errors are never thrown: every fallible kernel function returns a Result.

import type { ErrorName } from '../../abi/errors';

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
/** A decoder's result (spec's Decoded). */
export type Decoded<T> = Result<T, SyscallError>;

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

export function err<E>(error: E): Err<E> {
  return { ok: false, error };
}

/** Shared success value without a payload (no allocation on the success path). */
export const OK_VOID: Ok<void> = Object.freeze({ ok: true, value: undefined }) as Ok<void>;

export function errorName(e: SyscallError): ErrorName {
  return e.tag;
}

// Small constructors so call sites read like seL4's `current_syscall_error.type = ...`.
export const invalidArgument = (argument: number): Err<SyscallError> => err({ tag: 'InvalidArgument', argument });
export const invalidCapability = (argument: number): Err<SyscallError> => err({ tag: 'InvalidCapability', argument });
export const illegalOperation = (): Err<SyscallError> => err({ tag: 'IllegalOperation' });
export const rangeError = (min: number, max: number): Err<SyscallError> => err({ tag: 'RangeError', min, max });
export const alignmentError = (): Err<SyscallError> => err({ tag: 'AlignmentError' });
export const failedLookup = (source: boolean, failure: LookupFailure): Err<SyscallError> =>
  err({ tag: 'FailedLookup', source, failure });
export const truncatedMessage = (): Err<SyscallError> => err({ tag: 'TruncatedMessage' });
export const deleteFirst = (): Err<SyscallError> => err({ tag: 'DeleteFirst' });
export const revokeFirst = (): Err<SyscallError> => err({ tag: 'RevokeFirst' });
export const notEnoughMemory = (available: number): Err<SyscallError> => err({ tag: 'NotEnoughMemory', available });
