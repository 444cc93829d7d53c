// The three kinds of failure of a kernel entry, all values (l4v SEL4/API/Failures.lhs):
// lookup failures, faults and syscall errors, with the fields seL4 reports to the user.

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

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}

export function errorName(e: SyscallError): ErrorName {
  return e.tag;
}
