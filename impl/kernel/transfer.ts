// Message transfer of the concrete kernel (seL4 src/kernel/thread.c doIPCTransfer & co,
// src/object/tcb.c setupCallerCap / deleteCallerCap / lookupExtraCaps / copyMRs,
// src/object/endpoint.c replyFromKernel_*).
//
// MR0..MR3 are the saved registers r2..r5 in the TCB; MR i >= 4 is word i+1 of the IPC buffer,
// reached physically at the address lookupIPCBuffer gives (0 = no usable buffer: only the four
// register MRs exist). Every delivery also updates the ghost record k.delivered (trace-format.md
// observation table); it reads what was written back with peek32, outside the machine's counters.

import { type Field, getField as miGet, setField as miSet } from '../../abi/bitfield';
import { errorCode } from '../../abi/errors';
import { IPC_BUFFER } from '../../abi/ipcbuffer';
import { MESSAGE_INFO_LAYOUT, MSG_MAX_EXTRA_CAPS, MSG_MAX_LENGTH, N_MSG_REGISTERS } from '../../abi/messageinfo';
import { BADGE_REGISTER, MSG_INFO_REGISTER, MSG_REGISTERS } from '../../abi/registers';
import { type Fault, type Result, type SyscallError, err, ok } from '../api/failures';
import type { ExtraCap } from '../api/types';
import type { Kernel } from '../model/state';
import { capEPBadge, capEPPtr, capType, makeReplyCap, readCap, slotCapType } from '../object/cap';
import { cteDeleteOne, cteInsert } from '../object/cnode';
import { deriveCap } from '../object/objecttype';
import { CAP_TAG, FAULT_TYPE, THREAD_STATE } from '../object/structures';
import {
  TCB_CNODE_SLOT,
  clearFault,
  getFaultType,
  getRegister,
  getThreadStateType,
  setRegister,
  tcbSlotAddr,
  tcbWordAddr,
} from '../object/tcb-fields';
import { TCB_WORD } from '../object/structures';
import { lookupCap, lookupSlot, lookupTargetSlot } from './cspace';
import { faultLabelOf, handleFaultReply, lookupFailureWords, setMRsFault } from './faulthandler';
import { possibleSwitchTo, setThreadState } from './thread';
import { lookupIPCBuffer } from './vspace';

// ---- message info word (abi MESSAGE_INFO_LAYOUT) ----

function miField(name: string): Field {
  const f = MESSAGE_INFO_LAYOUT.find((x) => x.name === name);
  if (f === undefined) throw new Error(`message info has no field ${name}`);
  return f;
}
const MI_LABEL = miField('label');
const MI_UNWRAPPED = miField('capsUnwrapped');
const MI_EXTRA = miField('extraCaps');
const MI_LENGTH = miField('length');

export const miLabel = (w: number): number => miGet(MI_LABEL, w);
export const miCapsUnwrapped = (w: number): number => miGet(MI_UNWRAPPED, w);
export const miExtraCaps = (w: number): number => miGet(MI_EXTRA, w);
/** The length as the kernel decodes it (seL4 messageInfoFromWord: above 120 reads as 120). */
export function miLength(w: number): number {
  const n = miGet(MI_LENGTH, w);
  return n > MSG_MAX_LENGTH ? MSG_MAX_LENGTH : n;
}
/** The raw length field (the fastpath's check reads it unclamped, as seL4's does). */
export const miLengthRaw = (w: number): number => miGet(MI_LENGTH, w);

export function messageInfoWord(label: number, capsUnwrapped: number, extraCaps: number, length: number): number {
  return miSet(MI_LENGTH, miSet(MI_EXTRA, miSet(MI_UNWRAPPED, miSet(MI_LABEL, 0, label), capsUnwrapped), extraCaps), length);
}

// ---- message registers ----

/** Byte address of IPC buffer word i. */
export function bufferWordAddr(buf: number, i: number): number {
  return buf + 4 * i;
}

// spec: getMR
/** MR i of a thread (seL4 getSyscallArg / getMR); i >= 4 needs a buffer, which callers ensure. */
export function getMR(k: Kernel, t: number, buf: number, i: number): number {
  if (i < N_MSG_REGISTERS) return getRegister(k, t, MSG_REGISTERS[i]!);
  return k.m.load32(bufferWordAddr(buf, IPC_BUFFER.msg + i));
}

// spec: setMR
/** seL4 setMR: writes MR i and returns the message length so far (4 when the word has nowhere to go). */
export function setMR(k: Kernel, t: number, buf: number, i: number, v: number): number {
  if (i < N_MSG_REGISTERS) {
    setRegister(k, t, MSG_REGISTERS[i]!, v);
    return i + 1;
  }
  if (buf === 0) return N_MSG_REGISTERS;
  k.m.store32(bufferWordAddr(buf, IPC_BUFFER.msg + i), v >>> 0);
  return i + 1;
}

// spec: setMRs
/** Writes words as MR0.. and returns the resulting message length. */
export function setMRs(k: Kernel, t: number, buf: number, words: readonly number[]): number {
  let len = 0;
  for (let i = 0; i < words.length; i++) len = setMR(k, t, buf, i, words[i]!);
  return len;
}

// spec: getMessageWords
/** The first `length` message words (cut to four without a buffer). */
export function getMessageWords(k: Kernel, t: number, buf: number, length: number): number[] {
  const n = buf === 0 && length > N_MSG_REGISTERS ? N_MSG_REGISTERS : length;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = getMR(k, t, buf, i);
  return out;
}

// spec: getMessageInfo (the word; the fields through mi*)
/** The message info register of a thread. */
export function getMessageInfoWord(k: Kernel, t: number): number {
  return getRegister(k, t, MSG_INFO_REGISTER);
}

// ---- ghost: what the kernel delivered (not kernel state; read with peek32) ----

function peekMRs(k: Kernel, t: number, buf: number, length: number): number[] {
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) {
    out[i] = i < N_MSG_REGISTERS
      ? k.m.peek32(tcbWordAddr(t, TCB_WORD.registers + MSG_REGISTERS[i]!))
      : k.m.peek32(bufferWordAddr(buf, IPC_BUFFER.msg + i));
  }
  return out;
}

// spec: deliverMessage
/** Sets badge and info registers of a receiver and records the delivery (badge, info, mrs). */
export function deliverMessage(k: Kernel, receiver: number, buf: number, badge: number, infoWord: number): void {
  setRegister(k, receiver, MSG_INFO_REGISTER, infoWord);
  setRegister(k, receiver, BADGE_REGISTER, badge);
  recordMessage(k, receiver, buf, badge, infoWord);
}

/** The ghost half of deliverMessage (the fastpath writes registers itself). */
export function recordMessage(k: Kernel, receiver: number, buf: number, badge: number, infoWord: number): void {
  const length = miGet(MI_LENGTH, infoWord);
  k.delivered.set(receiver, {
    badge: badge >>> 0,
    info: { label: miLabel(infoWord), capsUnwrapped: miCapsUnwrapped(infoWord), extraCaps: miExtraCaps(infoWord), length },
    mrs: peekMRs(k, receiver, buf, length),
  });
}

// spec: deliverNotificationWord
/** A notification delivers only its word, in the badge register; the observation keeps only the badge. */
export function deliverNotificationWord(k: Kernel, t: number, word: number): void {
  setRegister(k, t, BADGE_REGISTER, word);
  k.delivered.set(t, { badge: word >>> 0 });
}

// spec: doNBRecvFailedTransfer
export function doNBRecvFailedTransfer(k: Kernel, t: number): void {
  deliverNotificationWord(k, t, 0);
}

// ---- extra caps ----

const NO_CAPS: ExtraCap[] = [];

// spec: lookupExtraCaps
export function lookupExtraCaps(k: Kernel, thread: number, buf: number, infoWord: number): Result<ExtraCap[], Fault> {
  const n = miExtraCaps(infoWord);
  if (buf === 0 || n === 0) return ok(NO_CAPS);
  const out: ExtraCap[] = [];
  for (let i = 0; i < n; i++) {
    const cptr = k.m.load32(bufferWordAddr(buf, IPC_BUFFER.capsOrBadges + i));
    const lu = lookupSlot(k, thread, cptr);
    if (!lu.ok) return err({ tag: 'CapFault', address: cptr, inReceivePhase: false, failure: lu.error });
    out.push({ cap: readCap(k, lu.value), slot: lu.value });
  }
  return ok(out);
}

// spec: getReceiveSlots
export function getReceiveSlots(k: Kernel, receiver: number, buf: number): number {
  if (buf === 0) return 0;
  const root = lookupCap(k, receiver, k.m.load32(bufferWordAddr(buf, IPC_BUFFER.receiveCNode)));
  if (!root.ok) return 0;
  const slot = lookupTargetSlot(
    k,
    root.value.cap,
    k.m.load32(bufferWordAddr(buf, IPC_BUFFER.receiveIndex)),
    k.m.load32(bufferWordAddr(buf, IPC_BUFFER.receiveDepth)),
  );
  if (!slot.ok) return 0;
  return slotCapType(k, slot.value) === CAP_TAG.null ? slot.value : 0;
}

/**
 * spec: transferCaps. Returns the message info word of the receiver with extraCaps and
 * capsUnwrapped set (label and length as in `infoWord`). `ep` 0 for replies (no unwrapping).
 */
export function transferCaps(
  k: Kernel,
  infoWord: number,
  ep: number,
  receiver: number,
  recvBuf: number,
  caps: readonly ExtraCap[],
): number {
  let info = miSet(MI_UNWRAPPED, miSet(MI_EXTRA, infoWord, 0), 0);
  if (caps.length === 0 || recvBuf === 0) return info;
  let destSlot = getReceiveSlots(k, receiver, recvBuf);
  let unwrapped = 0;
  let i = 0;
  for (; i < caps.length && i < MSG_MAX_EXTRA_CAPS; i++) {
    const { cap, slot } = caps[i]!;
    if (capType(cap) === CAP_TAG.endpoint && ep !== 0 && capEPPtr(cap) === ep) {
      k.m.store32(bufferWordAddr(recvBuf, IPC_BUFFER.capsOrBadges + i), capEPBadge(cap));
      unwrapped |= 1 << i;
      continue;
    }
    if (destSlot === 0) break;
    const derived = deriveCap(k, slot, cap);
    if (!derived.ok || capType(derived.value) === CAP_TAG.null) break;
    cteInsert(k, derived.value, slot, destSlot);
    destSlot = 0;
  }
  info = miSet(MI_UNWRAPPED, info, unwrapped);
  return miSet(MI_EXTRA, info, i);
}

// ---- transfers ----

// spec: copyMRs
export function copyMRs(k: Kernel, sender: number, sendBuf: number, receiver: number, recvBuf: number, n: number): number {
  let i = 0;
  for (; i < n && i < N_MSG_REGISTERS; i++) {
    const r = MSG_REGISTERS[i]!;
    setRegister(k, receiver, r, getRegister(k, sender, r));
  }
  if (sendBuf === 0 || recvBuf === 0) return i;
  for (; i < n; i++) {
    k.m.store32(bufferWordAddr(recvBuf, IPC_BUFFER.msg + i), k.m.load32(bufferWordAddr(sendBuf, IPC_BUFFER.msg + i)));
  }
  return i;
}

// spec: doIPCTransfer
export function doIPCTransfer(k: Kernel, sender: number, ep: number, badge: number, grant: boolean, receiver: number): void {
  const recvBuf = lookupIPCBuffer(k, true, receiver);
  if (getFaultType(k, sender) === FAULT_TYPE.NullFault) {
    doNormalTransfer(k, sender, lookupIPCBuffer(k, false, sender), ep, badge, grant, receiver, recvBuf);
  } else {
    doFaultTransfer(k, badge, sender, receiver, recvBuf);
  }
}

// spec: doNormalTransfer
export function doNormalTransfer(
  k: Kernel,
  sender: number,
  sendBuf: number,
  ep: number,
  badge: number,
  grant: boolean,
  receiver: number,
  recvBuf: number,
): void {
  const tag = getMessageInfoWord(k, sender);
  let caps = NO_CAPS;
  if (grant) {
    const lu = lookupExtraCaps(k, sender, sendBuf, tag);
    if (lu.ok) caps = lu.value;
  }
  const transferred = copyMRs(k, sender, sendBuf, receiver, recvBuf, miLength(tag));
  const info = transferCaps(k, tag, ep, receiver, recvBuf, caps);
  deliverMessage(k, receiver, recvBuf, badge, miSet(MI_LENGTH, info, transferred));
}

// spec: doFaultTransfer
export function doFaultTransfer(k: Kernel, badge: number, sender: number, receiver: number, recvBuf: number): void {
  const sent = setMRsFault(k, sender, receiver, recvBuf);
  deliverMessage(k, receiver, recvBuf, badge, messageInfoWord(faultLabelOf(k, sender), 0, 0, sent));
}

// spec: doReplyTransfer
export function doReplyTransfer(k: Kernel, sender: number, receiver: number, slot: number, grant: boolean): void {
  if (getThreadStateType(k, receiver) !== THREAD_STATE.BlockedOnReply) {
    throw new Error('kernel bug: doReplyTransfer: receiver is not BlockedOnReply');
  }
  if (getFaultType(k, receiver) === FAULT_TYPE.NullFault) {
    doIPCTransfer(k, sender, 0, 0, grant, receiver);
    cteDeleteOne(k, slot);
    setThreadState(k, receiver, THREAD_STATE.Running);
    possibleSwitchTo(k, receiver);
    return;
  }
  cteDeleteOne(k, slot);
  const restart = handleFaultReply(k, receiver, sender);
  clearFault(k, receiver);
  if (restart) {
    setThreadState(k, receiver, THREAD_STATE.Restart);
    possibleSwitchTo(k, receiver);
  } else {
    setThreadState(k, receiver, THREAD_STATE.Inactive);
  }
}

// spec: setupCallerCap
export function setupCallerCap(k: Kernel, sender: number, receiver: number, canGrant: boolean): void {
  setThreadState(k, sender, THREAD_STATE.BlockedOnReply);
  const replySlot = tcbSlotAddr(sender, TCB_CNODE_SLOT.reply);
  const callerSlot = tcbSlotAddr(receiver, TCB_CNODE_SLOT.caller);
  cteInsert(k, makeReplyCap(sender, false, canGrant), replySlot, callerSlot);
}

// spec: deleteCallerCap
export function deleteCallerCap(k: Kernel, receiver: number): void {
  cteDeleteOne(k, tcbSlotAddr(receiver, TCB_CNODE_SLOT.caller));
}

// ---- the kernel's own replies ----

// spec: syscallErrorWords
/** The message words of a syscall error reply (seL4 setMRs_syscall_error). */
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
      throw new Error(`kernel bug: unknown syscall error ${JSON.stringify(e satisfies never)}`);
  }
}

const NO_WORDS: number[] = [];

// spec: replyFromKernel
/** seL4 replyFromKernel_success_empty / _error, and the replies performers return. */
export function replyFromKernel(
  k: Kernel,
  thread: number,
  result: { ok: true; words: readonly number[] } | { ok: false; error: SyscallError },
): void {
  const words = result.ok ? result.words : syscallErrorWords(result.error);
  // short replies live in registers only (seL4's replyFromKernel_success_empty reads no buffer)
  const buf = words.length > N_MSG_REGISTERS ? lookupIPCBuffer(k, true, thread) : 0;
  const label = result.ok ? 0 : errorCode(result.error.tag);
  const length = setMRs(k, thread, buf, words);
  deliverMessage(k, thread, buf, 0, messageInfoWord(label, 0, 0, length));
  const d = k.delivered.get(thread);
  if (d !== undefined) d.error = result.ok ? 'NoError' : result.error.tag;
}

/** The empty success reply of a Call (seL4 replyFromKernel_success_empty). */
export function replyFromKernelSuccessEmpty(k: Kernel, thread: number): void {
  replyFromKernel(k, thread, { ok: true, words: NO_WORDS });
}
