// The failures of a kernel entry are the ABI's (abi/failures.ts); here the impl's helpers: a
// decoder's result type, a shared success value, and constructors that read like seL4's
// `current_syscall_error.type = ...`. Errors are never thrown: every fallible function returns a Result.

import { type Err, type LookupFailure, type Ok, type Result, type SyscallError, err } from '../../abi/failures';

export * from '../../abi/failures';

/** A decoder's result (spec's Decoded). */
export type Decoded<T> = Result<T, SyscallError>;

/** Shared success value without a payload (no allocation on the success path). */
export const OK_VOID: Ok<void> = Object.freeze({ ok: true, value: undefined }) as Ok<void>;

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
