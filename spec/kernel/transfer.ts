// Message transfer between threads (seL4 src/kernel/thread.c doIPCTransfer & co, src/object/tcb.c
// setupCallerCap / deleteCallerCap / lookupExtraCaps / copyMRs, src/object/endpoint.c
// replyFromKernel_*; l4v Ipc_A.thy do_ipc_transfer, do_normal_transfer, transfer_caps).
//
// Message registers: MR0..MR3 are r2..r5; MR i >= 4 is word i+1 of the IPC buffer, which the
// kernel reaches physically through the thread's buffer frame cap (lookupIPCBuffer). A thread
// without a usable buffer only has the four register MRs: longer messages are cut, never refused.
//
// Besides the registers, every delivery records what the observation shows (tcb.delivered,
// trace-format.md "Observations"): a message sets badge, info and mrs and removes error; a kernel
// reply adds the error name; notification deliveries keep only the badge.

import { errorCode } from '../../abi/errors';
import { IPC_BUFFER } from '../../abi/ipcbuffer';
import {
  type MessageInfo,
  MSG_MAX_EXTRA_CAPS,
  N_MSG_REGISTERS,
  messageInfoFromWordKernel,
  wordFromMessageInfo,
} from '../../abi/messageinfo';
import { BADGE_REGISTER, MSG_INFO_REGISTER, MSG_REGISTERS } from '../../abi/registers';
import { type Fault, type Result, type SyscallError, err, ok } from '../api/failures';
import type { ExtraCap, PPtr } from '../api/types';
import { loadFrameWord, storeFrameWord } from '../model/memory';
import { type KernelState, KernelBug, assert, readCTE, getTCB, readTCB, tcbSlot } from '../model/state';
import { cteDeleteOne, cteInsert } from '../object/cnode';
import { deriveCap } from '../object/objecttype';
import { TCB_SLOT } from '../object/structures';
import { lookupCap, lookupSlot, lookupTargetSlot } from './cspace';
import { faultLabel, handleFaultReply, lookupFailureWords, setMRsFault } from './faulthandler';
import { possibleSwitchTo, setThreadState } from './thread';
import { lookupIPCBuffer } from './vspace';

/** A thread's IPC buffer as the kernel reaches it: its frame and the byte offset inside it. */
export type IPCBuffer = { frame: PPtr; offset: number } | null;

/** Word i of an IPC buffer (IPC_BUFFER gives the layout). */
export function loadBufferWord(s: KernelState, buf: NonNullable<IPCBuffer>, i: number): number {
  return loadFrameWord(s, buf.frame, buf.offset + 4 * i);
}

export function storeBufferWord(s: KernelState, buf: NonNullable<IPCBuffer>, i: number, value: number): void {
  storeFrameWord(s, buf.frame, buf.offset + 4 * i, value);
}

export function getRegister(s: KernelState, tcb: PPtr, reg: number): number {
  return readTCB(s, tcb).registers[reg] ?? 0;
}

export function setRegister(s: KernelState, tcb: PPtr, reg: number, value: number): void {
  const v = value >>> 0;
  // An unchanged register is not written (a write takes, i.e. copies, the TCB).
  if (readTCB(s, tcb).registers[reg] === v) return;
  getTCB(s, tcb).registers[reg] = v;
}

/** MR i of a thread (seL4 getSyscallArg); i >= 4 needs a buffer, which callers ensure. */
export function getMR(s: KernelState, tcb: PPtr, buf: IPCBuffer, i: number): number {
  if (i < N_MSG_REGISTERS) return getRegister(s, tcb, MSG_REGISTERS[i]);
  assert(buf !== null, 'getMR: message register beyond the registers without an IPC buffer');
  return loadBufferWord(s, buf, IPC_BUFFER.msg + i);
}

/** The first `length` message words of a thread, cut to the four registers without a buffer. */
export function getMessageWords(s: KernelState, tcb: PPtr, buf: IPCBuffer, length: number): number[] {
  const n = buf === null ? Math.min(length, N_MSG_REGISTERS) : length;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(getMR(s, tcb, buf, i));
  return out;
}

/**
 * seL4 setMR: writes MR i and returns the message length so far. Without a buffer, words past
 * the registers are dropped and the length stays at four.
 */
export function setMR(s: KernelState, tcb: PPtr, buf: IPCBuffer, i: number, value: number): number {
  if (i < N_MSG_REGISTERS) {
    setRegister(s, tcb, MSG_REGISTERS[i], value);
    return i + 1;
  }
  if (buf === null) return N_MSG_REGISTERS;
  storeBufferWord(s, buf, IPC_BUFFER.msg + i, value);
  return i + 1;
}

/** Writes words as MR0.. and returns the resulting message length (0 for no words). */
export function setMRs(s: KernelState, tcb: PPtr, buf: IPCBuffer, words: readonly number[]): number {
  let len = 0;
  for (let i = 0; i < words.length; i++) len = setMR(s, tcb, buf, i, words[i]);
  return len;
}

/** The message info register as the kernel decodes it (length clamped to 120). */
export function getMessageInfo(s: KernelState, tcb: PPtr): MessageInfo {
  return messageInfoFromWordKernel(getRegister(s, tcb, MSG_INFO_REGISTER));
}

/**
 * Sets badge and info registers of a receiver and records the delivery: badge, info and the
 * first info.length message words as they now stand in the receiver.
 */
function deliverMessage(s: KernelState, receiver: PPtr, buf: IPCBuffer, badge: number, info: MessageInfo): void {
  setRegister(s, receiver, MSG_INFO_REGISTER, wordFromMessageInfo(info));
  setRegister(s, receiver, BADGE_REGISTER, badge);
  const mrs = getMessageWords(s, receiver, buf, info.length);
  getTCB(s, receiver).delivered = { badge: badge >>> 0, info: { ...info }, mrs };
}

/**
 * A notification delivers only its word, in the badge register (sendSignal, receiveSignal,
 * completeSignal); the observation drops info, mrs and error.
 */
export function deliverNotificationWord(s: KernelState, tcb: PPtr, word: number): void {
  setRegister(s, tcb, BADGE_REGISTER, word);
  getTCB(s, tcb).delivered = { badge: word >>> 0 };
}

/** NBRecv/Poll found nothing: badge 0 is the only sign (seL4 doNBRecvFailedTransfer). */
export function doNBRecvFailedTransfer(s: KernelState, thread: PPtr): void {
  deliverNotificationWord(s, thread, 0);
}

/**
 * seL4 lookupExtraCaps: the slots of the extra caps named in caps_or_badges of the thread's
 * buffer. Without a buffer there are none. A failed lookup gives the send-phase cap fault.
 */
export function lookupExtraCaps(
  s: KernelState,
  thread: PPtr,
  buf: IPCBuffer,
  info: MessageInfo,
): Result<ExtraCap[], Fault> {
  if (buf === null) return ok([]);
  const out: ExtraCap[] = [];
  for (let i = 0; i < info.extraCaps; i++) {
    const cptr = loadBufferWord(s, buf, IPC_BUFFER.capsOrBadges + i);
    const lu = lookupSlot(s, thread, cptr);
    if (!lu.ok) return err({ tag: 'CapFault', address: cptr, inReceivePhase: false, failure: lu.error });
    out.push({ cap: readCTE(s, lu.value).cap, slot: lu.value });
  }
  return ok(out);
}

/**
 * seL4 doIPCTransfer: a sender with a pending fault sends its fault message instead of its
 * message registers. `ep` is null for replies (no unwrapping then).
 */
export function doIPCTransfer(
  s: KernelState,
  sender: PPtr,
  ep: PPtr | null,
  badge: number,
  grant: boolean,
  receiver: PPtr,
): void {
  const recvBuf = lookupIPCBuffer(s, true, receiver);
  if (getTCB(s, sender).fault === null) {
    doNormalTransfer(s, sender, lookupIPCBuffer(s, false, sender), ep, badge, grant, receiver, recvBuf);
  } else {
    doFaultTransfer(s, badge, sender, receiver, recvBuf);
  }
}

/**
 * seL4 doNormalTransfer: message words, then caps (only with grant; a failed extra-cap lookup
 * silently sends none), then info and badge. The delivered length is what copyMRs copied.
 */
export function doNormalTransfer(
  s: KernelState,
  sender: PPtr,
  sendBuf: IPCBuffer,
  ep: PPtr | null,
  badge: number,
  grant: boolean,
  receiver: PPtr,
  recvBuf: IPCBuffer,
): void {
  const tag = getMessageInfo(s, sender);
  let caps: ExtraCap[] = [];
  if (grant) {
    const lu = lookupExtraCaps(s, sender, sendBuf, tag);
    if (lu.ok) caps = lu.value;
  }
  const transferred = copyMRs(s, sender, sendBuf, receiver, recvBuf, tag.length);
  const info = transferCaps(s, tag, ep, receiver, recvBuf, caps);
  deliverMessage(s, receiver, recvBuf, badge, { ...info, length: transferred });
}

/** seL4 doFaultTransfer: the fault message, labelled with the fault type, no caps. */
export function doFaultTransfer(s: KernelState, badge: number, sender: PPtr, receiver: PPtr, recvBuf: IPCBuffer): void {
  const fault = getTCB(s, sender).fault;
  assert(fault !== null, 'doFaultTransfer: sender has no fault');
  const sent = setMRsFault(s, sender, receiver, recvBuf);
  deliverMessage(s, receiver, recvBuf, badge, { label: faultLabel(fault), capsUnwrapped: 0, extraCaps: 0, length: sent });
}

/**
 * seL4 copyMRs: registers first; buffer words only when both threads have a buffer. Returns
 * the number of words copied.
 */
export function copyMRs(
  s: KernelState,
  sender: PPtr,
  sendBuf: IPCBuffer,
  receiver: PPtr,
  recvBuf: IPCBuffer,
  n: number,
): number {
  let i = 0;
  for (; i < n && i < N_MSG_REGISTERS; i++) {
    setRegister(s, receiver, MSG_REGISTERS[i], getRegister(s, sender, MSG_REGISTERS[i]));
  }
  if (sendBuf === null || recvBuf === null) return i;
  for (; i < n; i++) {
    storeBufferWord(s, recvBuf, IPC_BUFFER.msg + i, loadBufferWord(s, sendBuf, IPC_BUFFER.msg + i));
  }
  return i;
}

/**
 * seL4 getReceiveSlots: the receiver's one receive slot, named by receiveCNode (looked up in its
 * CSpace) and receiveIndex/receiveDepth inside that CNode; it must be empty. Any failure: none.
 */
export function getReceiveSlots(s: KernelState, receiver: PPtr, buf: IPCBuffer): PPtr | null {
  if (buf === null) return null;
  const root = lookupCap(s, receiver, loadBufferWord(s, buf, IPC_BUFFER.receiveCNode));
  if (!root.ok) return null;
  const slot = lookupTargetSlot(
    s,
    root.value.cap,
    loadBufferWord(s, buf, IPC_BUFFER.receiveIndex),
    loadBufferWord(s, buf, IPC_BUFFER.receiveDepth),
  );
  if (!slot.ok) return null;
  return readCTE(s, slot.value).cap.tag === 'NullCap' ? slot.value : null;
}

/**
 * seL4 transferCaps. In order: a cap to the very endpoint the message travels through is
 * unwrapped (its badge written to caps_or_badges[i], bit i of capsUnwrapped set, no slot used);
 * any other cap is derived into the single receive slot as a CDT child of the sender's slot.
 * The first cap that cannot go (no slot left, derivation fails or gives NullCap) stops the
 * transfer; extraCaps counts the caps handled before it.
 */
export function transferCaps(
  s: KernelState,
  info: MessageInfo,
  ep: PPtr | null,
  receiver: PPtr,
  recvBuf: IPCBuffer,
  caps: readonly ExtraCap[],
): MessageInfo {
  const out: MessageInfo = { ...info, extraCaps: 0, capsUnwrapped: 0 };
  if (caps.length === 0 || recvBuf === null) return out;
  let destSlot = getReceiveSlots(s, receiver, recvBuf);
  let i = 0;
  for (; i < caps.length && i < MSG_MAX_EXTRA_CAPS; i++) {
    const { cap, slot } = caps[i];
    if (cap.tag === 'EndpointCap' && ep !== null && cap.ptr === ep) {
      storeBufferWord(s, recvBuf, IPC_BUFFER.capsOrBadges + i, cap.badge);
      out.capsUnwrapped |= 1 << i;
      continue;
    }
    if (destSlot === null) break;
    const derived = deriveCap(s, slot, cap);
    if (!derived.ok || derived.value.tag === 'NullCap') break;
    cteInsert(s, derived.value, slot, destSlot);
    destSlot = null;
  }
  out.extraCaps = i;
  return out;
}

/**
 * seL4 doReplyTransfer: the receiver waits in BlockedOnReply. Without a fault it gets the
 * reply as a message (badge 0, caps only with the reply cap's Grant) and runs; with a fault,
 * handleFaultReply decides between Restart and Inactive and the message is not delivered.
 * The reply cap in `slot` is consumed either way.
 */
export function doReplyTransfer(s: KernelState, sender: PPtr, receiver: PPtr, slot: PPtr, grant: boolean): void {
  const rcv = getTCB(s, receiver);
  assert(rcv.state.tag === 'BlockedOnReply', 'doReplyTransfer: receiver is not BlockedOnReply');
  const fault = rcv.fault;
  if (fault === null) {
    doIPCTransfer(s, sender, null, 0, grant, receiver);
    cteDeleteOne(s, slot);
    setThreadState(s, receiver, { tag: 'Running' });
    possibleSwitchTo(s, receiver);
    return;
  }
  cteDeleteOne(s, slot);
  const info = getMessageInfo(s, sender);
  const words = getMessageWords(s, sender, lookupIPCBuffer(s, false, sender), info.length);
  const restart = handleFaultReply(s, receiver, fault, info, words);
  getTCB(s, receiver).fault = null;
  if (restart) {
    setThreadState(s, receiver, { tag: 'Restart' });
    possibleSwitchTo(s, receiver);
  } else {
    setThreadState(s, receiver, { tag: 'Inactive' });
  }
}

/**
 * seL4 setupCallerCap: the caller waits for the reply; the receiver's caller slot gets a reply
 * cap to it, inserted as CDT child of the caller's master reply cap, with Grant = canGrant (the
 * receiver's Grant right on the endpoint it received through).
 */
export function setupCallerCap(s: KernelState, sender: PPtr, receiver: PPtr, canGrant: boolean): void {
  setThreadState(s, sender, { tag: 'BlockedOnReply' });
  const replySlot = tcbSlot(sender, TCB_SLOT.reply);
  const master = readCTE(s, replySlot).cap;
  assert(
    master.tag === 'ReplyCap' && master.master && master.canGrant && master.tcb === sender,
    'setupCallerCap: sender must have a valid master reply cap',
  );
  const callerSlot = tcbSlot(receiver, TCB_SLOT.caller);
  assert(readCTE(s, callerSlot).cap.tag === 'NullCap', 'setupCallerCap: caller cap must not already exist');
  cteInsert(s, { tag: 'ReplyCap', tcb: sender, master: false, canGrant }, replySlot, callerSlot);
}

/** seL4 deleteCallerCap: drops a pending reply cap (the caller then waits for ever). */
export function deleteCallerCap(s: KernelState, receiver: PPtr): void {
  cteDeleteOne(s, tcbSlot(receiver, TCB_SLOT.caller));
}

/** The message words of a syscall error reply (seL4 setMRs_syscall_error, sel4-facts §5.2). */
export function syscallErrorWords(e: SyscallError): number[] {
  switch (e.tag) {
    case 'InvalidArgument':
    case 'InvalidCapability':
      return [e.argument];
    case 'RangeError':
      return [e.min, e.max];
    case 'FailedLookup':
      return [e.source ? 1 : 0, ...lookupFailureWords(e.failure)];
    case 'NotEnoughMemory':
      return [e.available];
    case 'IllegalOperation':
    case 'AlignmentError':
    case 'TruncatedMessage':
    case 'DeleteFirst':
    case 'RevokeFirst':
      return [];
    default:
      return assertNever(e);
  }
}

/**
 * The kernel's own reply to a Call (seL4 replyFromKernel_error / _success_empty, and the replies
 * performers write): badge 0, label = error code (0 for success), the words as MRs (cut to four
 * without a buffer). The observation records the error name (NoError for success).
 */
export function replyFromKernel(
  s: KernelState,
  thread: PPtr,
  result: { ok: true; words: number[] } | { ok: false; error: SyscallError },
): void {
  const buf = lookupIPCBuffer(s, true, thread);
  const words = result.ok ? result.words : syscallErrorWords(result.error);
  const label = result.ok ? 0 : errorCode(result.error.tag);
  const length = setMRs(s, thread, buf, words);
  deliverMessage(s, thread, buf, 0, { label, capsUnwrapped: 0, extraCaps: 0, length });
  getTCB(s, thread).delivered.error = result.ok ? 'NoError' : result.error.tag;
}

function assertNever(x: never): never {
  throw new KernelBug(`unexpected value ${JSON.stringify(x)}`);
}
