// System calls of the concrete kernel (seL4 src/api/syscall.c handleSyscall, handleInvocation,
// handleRecv, handleReply, handleYield). The trap's registers are in the current TCB's saved
// register words (stepKernel saved them). schedule() and activateThread() are not called here:
// stepKernel runs them after every entry. Call and ReplyRecv first try the fastpath when the
// configuration enables it.

import { N_MSG_REGISTERS } from '../../abi/messageinfo';
import { CAP_REGISTER, SYSCALL_NUMBER_REGISTER } from '../../abi/registers';
import { SYSCALLS } from '../../abi/syscalls';
import { fastpathCall, fastpathReplyRecv } from '../fastpath/fastpath';
import { handleFault } from '../kernel/faulthandler';
import { rescheduleRequired, setThreadState, tcbSchedAppend, tcbSchedDequeue } from '../kernel/thread';
import {
  deleteCallerCap,
  doReplyTransfer,
  getMessageInfoWord,
  getMessageWords,
  lookupExtraCaps,
  miLabel,
  miLength,
  replyFromKernel,
} from '../kernel/transfer';
import { lookupIPCBuffer } from '../kernel/vspace';
import { lookupCap } from '../kernel/cspace';
import type { Kernel } from '../model/state';
import {
  CAP_TAG,
  capCanReceive,
  capNtfnCanReceive,
  capNtfnPtr,
  capReplyCanGrant,
  capReplyMaster,
  capReplyTCBPtr,
  capType,
  readCap,
} from '../object/cap';
import { receiveIPC } from '../object/endpoint';
import { ntfnBoundTCB, receiveSignal } from '../object/notification';
import { THREAD_STATE } from '../object/structures';
import { TCB_CNODE_SLOT, getCurThread, getRegister, getThreadStateType, tcbSlotAddr } from '../object/tcb-fields';
import type { Fault, LookupFailure } from './failures';
import { decodeInvocation, performInvocation } from './invocation';
import type { InvocationArgs } from './types';

const SYS_CALL = SYSCALLS.Call >>> 0;
const SYS_REPLY_RECV = SYSCALLS.ReplyRecv >>> 0;
const SYS_SEND = SYSCALLS.Send >>> 0;
const SYS_NBSEND = SYSCALLS.NBSend >>> 0;
const SYS_RECV = SYSCALLS.Recv >>> 0;
const SYS_NBRECV = SYSCALLS.NBRecv >>> 0;
const SYS_REPLY = SYSCALLS.Reply >>> 0;
const SYS_YIELD = SYSCALLS.Yield >>> 0;

// spec: handleSyscall
/**
 * `syscallWord` defaults to the current thread's saved r7; any value
 * other than the eight syscalls is an unknown-syscall fault.
 */
export function handleSyscall(k: Kernel, syscallWord: number = getRegister(k, getCurThread(k), SYSCALL_NUMBER_REGISTER)): void {
  const sys = syscallWord >>> 0;
  switch (sys) {
    case SYS_CALL:
      if (k.config.variant.fastpath && fastpathCall(k)) return;
      handleInvocation(k, true, true);
      return;
    case SYS_REPLY_RECV:
      if (k.config.variant.fastpath && fastpathReplyRecv(k)) return;
      handleReply(k);
      handleRecv(k, true);
      return;
    case SYS_SEND:
      handleInvocation(k, false, true);
      return;
    case SYS_NBSEND:
      handleInvocation(k, false, false);
      return;
    case SYS_RECV:
      handleRecv(k, true);
      return;
    case SYS_NBRECV:
      handleRecv(k, false);
      return;
    case SYS_REPLY:
      handleReply(k);
      return;
    case SYS_YIELD:
      handleYield(k);
      return;
    default:
      handleFault(k, getCurThread(k), { tag: 'UnknownSyscall', number: sys });
  }
}

/** Caps whose "invocation" is a send: their decoders read no message words. */
function isSendCap(tag: number): boolean {
  return tag === CAP_TAG.endpoint || tag === CAP_TAG.notification || tag === CAP_TAG.reply;
}

// spec: handleInvocation
export function handleInvocation(k: Kernel, isCall: boolean, isBlocking: boolean): void {
  const thread = getCurThread(k);
  const info = getMessageInfoWord(k, thread);
  const cptr = getRegister(k, thread, CAP_REGISTER);
  const lu = lookupCap(k, thread, cptr);
  if (!lu.ok) {
    if (isBlocking) handleFault(k, thread, capFault(cptr, false, lu.error));
    return;
  }
  const buf = lookupIPCBuffer(k, false, thread);
  const extra = lookupExtraCaps(k, thread, buf, info);
  if (!extra.ok) {
    if (isBlocking) handleFault(k, thread, extra.error);
    return;
  }
  const { cap, slot } = lu.value;
  // without a buffer the message is cut to the registers, never refused
  const length = buf === 0 && miLength(info) > N_MSG_REGISTERS ? N_MSG_REGISTERS : miLength(info);
  const args: InvocationArgs = {
    label: miLabel(info),
    words: isSendCap(capType(cap)) ? [] : getMessageWords(k, thread, buf, length),
    extraCaps: extra.value,
  };
  const decoded = decodeInvocation(k, args, cptr, cap, slot, thread, isCall, isBlocking);
  if (!decoded.ok) {
    if (isCall) replyFromKernel(k, thread, { ok: false, error: decoded.error });
    return;
  }
  setThreadState(k, thread, THREAD_STATE.Restart);
  const words = performInvocation(k, decoded.value, thread, isCall, isBlocking);
  if (getThreadStateType(k, thread) !== THREAD_STATE.Restart) return;
  if (isCall) replyFromKernel(k, thread, { ok: true, words: words ?? [] });
  setThreadState(k, thread, THREAD_STATE.Running);
}

// spec: handleRecv
export function handleRecv(k: Kernel, isBlocking: boolean): void {
  const thread = getCurThread(k);
  const cptr = getRegister(k, thread, CAP_REGISTER);
  const lu = lookupCap(k, thread, cptr);
  if (!lu.ok) {
    handleFault(k, thread, capFault(cptr, true, lu.error));
    return;
  }
  const cap = lu.value.cap;
  switch (capType(cap)) {
    case CAP_TAG.endpoint:
      if (!capCanReceive(cap)) break;
      deleteCallerCap(k, thread);
      receiveIPC(k, thread, cap, isBlocking);
      return;
    case CAP_TAG.notification: {
      const bound = ntfnBoundTCB(k, capNtfnPtr(cap));
      if (!capNtfnCanReceive(cap) || (bound !== 0 && bound !== thread)) break;
      receiveSignal(k, thread, cap, isBlocking);
      return;
    }
    default:
      break;
  }
  handleFault(k, thread, capFault(cptr, true, { tag: 'MissingCapability', bitsLeft: 0 }));
}

// spec: handleReply
export function handleReply(k: Kernel): void {
  const thread = getCurThread(k);
  const callerSlot = tcbSlotAddr(thread, TCB_CNODE_SLOT.caller);
  const cap = readCap(k, callerSlot);
  switch (capType(cap)) {
    case CAP_TAG.null:
      return;
    case CAP_TAG.reply:
      if (!capReplyMaster(cap) && capReplyTCBPtr(cap) !== thread) {
        doReplyTransfer(k, thread, capReplyTCBPtr(cap), callerSlot, capReplyCanGrant(cap));
        return;
      }
      break;
    default:
      break;
  }
  throw new Error('kernel bug: handleReply: invalid caller cap');
}

// spec: handleYield
export function handleYield(k: Kernel): void {
  const t = getCurThread(k);
  tcbSchedDequeue(k, t);
  tcbSchedAppend(k, t);
  rescheduleRequired(k);
}

function capFault(address: number, inReceivePhase: boolean, failure: LookupFailure): Fault {
  return { tag: 'CapFault', address, inReceivePhase, failure };
}
