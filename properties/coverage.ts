// Outcome of each system call and invocation, for coverage matrices: which method/error and
// syscall/result cells a set of traces reaches.

import type { KernelEvent } from '../abi/events';
import { syscallOfWord } from '../abi/syscalls';
import type { KernelState } from '../spec';

/** The row of the matrix an event belongs to: a method name, a syscall name, or the event kind. */
export function coverageRow(e: KernelEvent): string {
  if (e.tag !== 'syscall') return e.tag;
  if (e.method) return e.method;
  return syscallOfWord(e.number) ?? 'UnknownSyscall';
}

/**
 * The result of the event for the thread that made it: the seL4 error name of a kernel reply
 * (NoError for success), the fault it raised, or "done" when the kernel delivered nothing to it.
 */
export function coverageOutcome(e: KernelEvent, before: KernelState, after: KernelState): string {
  const caller = before.curThread;
  if (caller === before.idleThread) return 'skipped';
  const b = before.objects[caller];
  const a = after.objects[caller];
  if (b?.tag !== 'TCB' || a?.tag !== 'TCB') return 'done';
  if (a.fault !== null && a.fault !== b.fault) return a.fault.tag;
  if (a.state.tag === 'Inactive' && b.state.tag !== 'Inactive') return 'Inactive';
  if (a.delivered !== b.delivered && a.delivered.error !== undefined) return a.delivered.error;
  return 'done';
}

