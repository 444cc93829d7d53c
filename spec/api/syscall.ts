// System calls (seL4 src/api/syscall.c handleSyscall, handleInvocation, handleRecv, handleReply,
// handleYield; l4v Syscall_A.thy; sel4-facts §2).
//
// The skeleton of every kernel entry through a syscall: look up the cap (may fault) → decode
// (may return a syscall error, never changes state) → perform (cannot fail). schedule() and
// activateThread() are not called here: the step (api/event.ts) runs them after every entry.

import { N_MSG_REGISTERS } from '../../abi/messageinfo';
import { CAP_REGISTER } from '../../abi/registers';
import { syscallOfWord } from '../../abi/syscalls';
import { handleFault } from '../kernel/faulthandler';
import {
  deleteCallerCap,
  doReplyTransfer,
  getMessageInfo,
  getMessageWords,
  getRegister,
  lookupExtraCaps,
  replyFromKernel,
} from '../kernel/transfer';
import { rescheduleRequired, setThreadState, tcbSchedAppend, tcbSchedDequeue } from '../kernel/thread';
import { lookupIPCBuffer } from '../kernel/vspace';
import { lookupCap } from '../kernel/cspace';
import { type KernelState, KernelBug, assert, readCTE, getObject, getTCB, tcbSlot } from '../model/state';
import { receiveIPC } from '../object/endpoint';
import { receiveSignal } from '../object/notification';
import { TCB_SLOT } from '../object/structures';
import type { Fault, LookupFailure } from './failures';
import { decodeInvocation, performInvocation } from './invocation';
import type { InvocationArgs } from './types';

/**
 * seL4 handleSyscall for the current thread: the syscall register value `syscallWord` selects
 * one of the eight syscalls; any other value is an unknown-syscall fault.
 */
export function handleSyscall(s: KernelState, syscallWord: number): void {
  const name = syscallOfWord(syscallWord);
  if (name === undefined) {
    handleFault(s, s.curThread, { tag: 'UnknownSyscall', number: syscallWord >>> 0 });
    return;
  }
  switch (name) {
    case 'Send':
      return handleInvocation(s, false, true);
    case 'NBSend':
      return handleInvocation(s, false, false);
    case 'Call':
      return handleInvocation(s, true, true);
    case 'Recv':
      return handleRecv(s, true);
    case 'NBRecv':
      return handleRecv(s, false);
    case 'Reply':
      return handleReply(s);
    case 'ReplyRecv':
      handleReply(s);
      return handleRecv(s, true);
    case 'Yield':
      return handleYield(s);
    default:
      throw new KernelBug(`unhandled syscall ${String(name satisfies never)}`);
  }
}

/**
 * seL4 handleInvocation (Send, NBSend, Call): invoke the cap named by r0 with the message in
 * r1..r5 and the IPC buffer. Lookup failures of the cap or of an extra cap fault for Send and
 * Call and are silently ignored for NBSend. Decode errors are replied to a Call and lost
 * otherwise. The caller is Restart while the operation runs; if it still is afterwards, it
 * runs on (a Call first gets the kernel's success reply).
 */
export function handleInvocation(s: KernelState, isCall: boolean, isBlocking: boolean): void {
  const thread = s.curThread;
  const info = getMessageInfo(s, thread);
  const cptr = getRegister(s, thread, CAP_REGISTER);
  const lu = lookupCap(s, thread, cptr);
  if (!lu.ok) {
    if (isBlocking) handleFault(s, thread, capFault(cptr, false, lu.error));
    return;
  }
  const buf = lookupIPCBuffer(s, false, thread);
  const extra = lookupExtraCaps(s, thread, buf, info);
  if (!extra.ok) {
    if (isBlocking) handleFault(s, thread, extra.error);
    return;
  }
  // Without a buffer the kernel truncates rather than refuses (not every path may fail).
  const length = buf === null ? Math.min(info.length, N_MSG_REGISTERS) : info.length;
  const args: InvocationArgs = {
    label: info.label,
    words: getMessageWords(s, thread, buf, length),
    extraCaps: extra.value,
  };
  const decoded = decodeInvocation(s, args, cptr, lu.value.cap, lu.value.slot, thread, isCall, isBlocking);
  if (!decoded.ok) {
    if (isCall) replyFromKernel(s, thread, { ok: false, error: decoded.error });
    return;
  }
  setThreadState(s, thread, { tag: 'Restart' });
  const words = performInvocation(s, decoded.value, thread, isCall, isBlocking);
  if (getTCB(s, thread).state.tag !== 'Restart') return;
  if (isCall) replyFromKernel(s, thread, { ok: true, words: words ?? [] });
  setThreadState(s, thread, { tag: 'Running' });
}

/**
 * seL4 handleRecv (Recv, NBRecv, the receive half of ReplyRecv). The cap must be an endpoint
 * cap with Read (a pending reply cap is dropped first), or a notification cap with Read whose
 * notification is not bound to another thread; anything else is a receive-phase cap fault,
 * raised for NBRecv too.
 */
export function handleRecv(s: KernelState, isBlocking: boolean): void {
  const thread = s.curThread;
  const cptr = getRegister(s, thread, CAP_REGISTER);
  const lu = lookupCap(s, thread, cptr);
  if (!lu.ok) {
    handleFault(s, thread, capFault(cptr, true, lu.error));
    return;
  }
  const cap = lu.value.cap;
  const missing = (): void => handleFault(s, thread, capFault(cptr, true, { tag: 'MissingCapability', bitsLeft: 0 }));
  switch (cap.tag) {
    case 'EndpointCap':
      if (!cap.rights.read) return missing();
      deleteCallerCap(s, thread);
      return receiveIPC(s, thread, cap, isBlocking);
    case 'NotificationCap': {
      const bound = getObject(s, cap.ptr, 'Notification').boundTCB;
      if (!cap.rights.read || (bound !== null && bound !== thread)) return missing();
      return receiveSignal(s, thread, cap, isBlocking);
    }
    default:
      return missing();
  }
}

/**
 * seL4 handleReply (non-MCS): reply through the reply cap in the caller slot; with none there,
 * do nothing.
 */
export function handleReply(s: KernelState): void {
  const thread = s.curThread;
  const callerSlot = tcbSlot(thread, TCB_SLOT.caller);
  const cap = readCTE(s, callerSlot).cap;
  if (cap.tag === 'NullCap') return;
  assert(cap.tag === 'ReplyCap' && !cap.master, 'handleReply: invalid caller cap');
  assert(cap.tcb !== thread, 'handleReply: caller must not be the current thread');
  doReplyTransfer(s, thread, cap.tcb, callerSlot, cap.canGrant);
}

/** seL4 handleYield: the current thread goes to the tail of its ready queue. */
export function handleYield(s: KernelState): void {
  tcbSchedDequeue(s, s.curThread);
  tcbSchedAppend(s, s.curThread);
  rescheduleRequired(s);
}

function capFault(address: number, inReceivePhase: boolean, failure: LookupFailure): Fault {
  return { tag: 'CapFault', address, inReceivePhase, failure };
}
