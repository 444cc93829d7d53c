// Outcome of each system call and invocation, for coverage matrices: which method/error and
// syscall/result cells a set of traces reaches.

import type { KernelEvent } from '../abi/events';
import { type CapInterface, METHODS } from '../abi/invocations';
import { syscallOfWord } from '../abi/syscalls';
import type { KernelState } from '../spec';
import type { Cap } from '../spec/api/types';
import { lookupCap } from '../spec/kernel/cspace';

/** The cap each invocation interface is decoded on (the matrix credits a method only on it). */
const INTERFACE_CAP: Record<CapInterface, Cap['tag']> = {
  Untyped: 'UntypedCap', TCB: 'ThreadCap', CNode: 'CNodeCap', IRQControl: 'IRQControlCap', IRQHandler: 'IRQHandlerCap',
  Frame: 'FrameCap', PageTable: 'PageTableCap', PageDirectory: 'PageDirectoryCap', ASIDControl: 'ASIDControlCap', ASIDPool: 'ASIDPoolCap',
};

/**
 * The row of the matrix an event belongs to: a method name when the invoked cap (looked up in the
 * caller's CSpace before the event) is of the method's interface — the table lists the errors of
 * that decoder — else the syscall's name; or the event kind.
 */
export function coverageRow(e: KernelEvent, before: KernelState): string {
  if (e.tag !== 'syscall') return e.tag;
  const syscall = syscallOfWord(e.number) ?? 'UnknownSyscall';
  if (!e.method || before.curThread === before.idleThread) return syscall;
  const found = lookupCap(before, before.curThread, e.cap);
  return found.ok && found.value.cap.tag === INTERFACE_CAP[METHODS[e.method].interface] ? e.method : syscall;
}

/** Whether two deliveries or faults are the same (a thread's record is copied whenever it changes). */
const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * The result of the event for the thread that made it: the seL4 error name of a kernel reply
 * (NoError for success), the fault it raised, or "done" when the kernel delivered nothing new to
 * it. What is left in the thread's record from an earlier event must not be credited to this one
 * (the record is copied whenever the thread changes), so a delivery or fault counts when it
 * differs from the one before — or, for a method row (`coverageRow`), when the record was written
 * and the caller is running: a Call on a kernel object always ends in the kernel's reply, and
 * successive replies are often identical (NoError).
 */
export function coverageOutcome(e: KernelEvent, before: KernelState, after: KernelState, row = coverageRow(e, before)): string {
  const caller = before.curThread;
  if (caller === before.idleThread) return 'skipped';
  const b = before.objects[caller];
  const a = after.objects[caller];
  if (b?.tag !== 'TCB' || a?.tag !== 'TCB') return 'done';
  if (a.fault !== null && !same(a.fault, b.fault)) return a.fault.tag;
  if (a.state.tag === 'Inactive' && b.state.tag !== 'Inactive') return 'Inactive';
  const error = a.delivered.error;
  if (error === undefined || a.delivered === b.delivered) return 'done';
  const replied = e.tag === 'syscall' && row === e.method && a.state.tag === 'Running';
  return replied || !same(a.delivered, b.delivered) ? error : 'done';
}
