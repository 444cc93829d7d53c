// Rows with only the shared error half so far (the IRQ handler methods), and the syscalls with a
// promise of their own (Yield). The error half alone already catches an error that changes
// state, or an error the method does not list.

import { threadName } from '../invariants/changes';
import type { SyscallStep } from './decode';
import { globalsChanged } from './frame';
import type { Contract, MethodContract } from './types';
import { IRQ_GET_CONTRACT } from './vspace';

const errorsOnly = (method: MethodContract['method'], section: string): MethodContract => ({
  kind: 'method', name: `contract-${method}`, method, section, promise: 'an error is one the method lists and changes nothing but the reply',
});

export const IRQ_CONTRACTS: readonly MethodContract[] = [
  IRQ_GET_CONTRACT,
  errorsOnly('IRQHandler_Ack', '§8.1 Interrupt Delivery'),
  errorsOnly('IRQHandler_SetNotification', '§8.1 Interrupt Delivery'),
  errorsOnly('IRQHandler_Clear', '§8.1 Interrupt Delivery'),
];


/**
 * Yield (§2.2 System Calls): the thread gives up the rest of its timeslice to the threads of its
 * own priority: afterwards it is last in its priority's ready queue (or still running when it is
 * alone there), and no cap or object changed.
 */
function yieldCheck(st: SyscallStep): unknown | null {
  const { before, after, invoker } = st;
  const t = after.objects[invoker];
  if (t?.tag !== 'TCB') return null;
  const c = st.changes;
  if (c.slots.length > 0) return { promise: 'Yield changes no cap', slotsChanged: c.slots.length };
  const q = after.readyQueues[t.priority] ?? [];
  // Only runnable peers count: under lazy scheduling a queue may hold threads that are blocked.
  const peers = (before.readyQueues[t.priority] ?? []).filter((x) => {
    const p = before.objects[x];
    return x !== invoker && p?.tag === 'TCB' && (p.state.tag === 'Running' || p.state.tag === 'Restart');
  });
  if (after.curThread === invoker) {
    if (peers.length === 0 || globalsChanged(before, after).includes('irqPending')) return null;
    return { promise: 'Yield lets a ready thread of the same priority run', thread: threadName(after, invoker), ready: peers.map((p) => threadName(after, p)) };
  }
  if (q.length > 0 && q[q.length - 1] !== invoker && q.includes(invoker)) return { promise: 'a yielding thread goes last in its priority\'s queue', queue: q.map((p) => threadName(after, p)) };
  return null;
}

export const SYSCALL_CONTRACTS: readonly Contract[] = [
  { kind: 'syscall', name: 'contract-Yield', syscall: 'Yield', section: '§2.2 System Calls', promise: 'the thread goes last among the ready threads of its priority; nothing else changes', check: yieldCheck },
];

