// The half of every method's contract that is shared: what an error reply promises (seL4
// reference manual Appendix "Error Codes": an invocation with invalid parameters returns an error
// code in the message tag and a description in the message registers; §2.2 "System Calls": a
// kernel invocation that fails changes nothing but the reply), and what success needs of the
// message (the method's arguments must all be there, or the reply is a Truncated Message).

import { METHODS, argWords, type MethodName } from '../../abi/invocations';
import type { SyscallErrorName } from '../../abi/errors';
import type { Invocation } from './decode';
import { onlyReplyChanged } from './frame';

/** The message words and extra caps a method's arguments take (libsel4's marshalling). */
export function argumentNeeds(m: MethodName): { words: number; caps: number } | null {
  const args = METHODS[m].args;
  // WriteRegisters reads a count-dependent number of words: no fixed need.
  if (args.some((a) => a.type === 'regs')) return null;
  return { words: argWords(args), caps: args.filter((a) => a.type === 'cap').length };
}

/** The error half: the error is one the method lists, and nothing but the reply changed. */
export function errorHalf(inv: Invocation, m: MethodName, error: SyscallErrorName): unknown | null {
  const allowed: readonly SyscallErrorName[] = METHODS[m].errors;
  if (!allowed.includes(error)) return { error, promise: `${m} returns only ${allowed.join(', ') || 'no error'}` };
  const changed = onlyReplyChanged(inv);
  return changed === null ? null : { error, promise: 'an error reply changes nothing else', ...(changed as object) };
}

/** Success needs the whole argument list: words and caps (else Truncated Message). */
export function argumentsPresent(inv: Invocation, m: MethodName): unknown | null {
  const need = argumentNeeds(m);
  if (need === null) return null;
  const words = inv.buffer === null ? Math.min(inv.info.length, 4) : inv.info.length;
  if (words >= need.words && inv.extra.length >= need.caps) return null;
  return { promise: `${m} succeeds only with its ${need.words} argument words and ${need.caps} caps`, words, caps: inv.extra.length };
}
