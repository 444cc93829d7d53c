// Value types shared by the concrete kernel's decoders: what an invocation carries.

import type { Cap } from '../object/cap';

/** An extra cap of an invocation: the cap (its two words) and the slot it was found in. */
export interface ExtraCap {
  cap: Cap;
  slot: number;
}

/**
 * What a decoder sees of an invocation: the label, the message words the kernel read (length
 * already clamped; words[i] is getSyscallArg(i)), and the extra caps looked up from the IPC buffer.
 */
export interface InvocationArgs {
  label: number;
  words: number[];
  extraCaps: ExtraCap[];
}

export type { Decoded, Result, SyscallError, LookupFailure, Fault } from './failures';
export type { Cap } from '../object/cap';
