// seL4_Error codes, lookup-failure types and fault types (libsel4 errors.h, shared_types.h,
// constants.h for aarch32 non-MCS).

export const SEL4_ERRORS = [
  'NoError',
  'InvalidArgument',
  'InvalidCapability',
  'IllegalOperation',
  'RangeError',
  'AlignmentError',
  'FailedLookup',
  'TruncatedMessage',
  'DeleteFirst',
  'RevokeFirst',
  'NotEnoughMemory',
] as const;

export type ErrorName = (typeof SEL4_ERRORS)[number];
/** Errors a decoder may return (NoError is success, not an error). */
export type SyscallErrorName = Exclude<ErrorName, 'NoError'>;

export function errorCode(e: ErrorName): number {
  return SEL4_ERRORS.indexOf(e);
}

/** seL4_LookupFailureType as written to user (kernel tag + 1). */
export const LOOKUP_FAILURE_TYPES = {
  NoFailure: 0,
  InvalidRoot: 1,
  MissingCapability: 2,
  DepthMismatch: 3,
  GuardMismatch: 4,
} as const;

/** seL4_FaultType on aarch32 without MCS or the debug API: the label of a fault message. */
export const FAULT_TYPES = {
  NullFault: 0,
  CapFault: 1,
  UnknownSyscall: 2,
  UserException: 3,
  VMFault: 5,
} as const;

/** Lengths of the fault messages (seL4_CapFault_Length etc. on aarch32). */
export const FAULT_LENGTHS = {
  CapFault: 7,
  UnknownSyscall: 13,
  UserException: 5,
  VMFault: 4,
} as const;

/** ARM short-descriptor data fault status values the model produces (DFSR[10,3:0]). */
export const FSR = {
  alignment: 0x1,
  translationSection: 0x5,
  translationPage: 0x7,
  permissionSection: 0xd,
  permissionPage: 0xf,
  /** WnR: the access was a write. */
  write: 1 << 11,
} as const;
