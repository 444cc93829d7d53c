// The IPC fastpath (seL4 src/fastpath/fastpath.c, non-MCS): Call and ReplyRecv with a short
// message (at most four words, no caps) between threads that can be switched to directly. Every
// check that fails sends the syscall down the slowpath (the function returns false having changed
// nothing); once the checks pass the IPC is done in place, with a direct process switch: no
// scheduler action, no ready-queue operation (under the lazy variant, switchToThread keeps that
// variant's queue rule). The result is exactly the slowpath's, including the ghost delivery record
// and the scheduler state (test/unit/impl/fastpath/fastpath.test.ts replays both).
//
// The VSpace check is seL4's isValidVTableRoot_fp (a mapped page-directory cap). The machine has no
// hardware-ASID table (DESIGN §3), so seL4's stored-hw-ASID check has no counterpart: the switch
// loads the VSpace with setVMRoot, as the slowpath's switchToThread does.

import { N_MSG_REGISTERS } from '../../abi/messageinfo';
import { BADGE_REGISTER, CAP_REGISTER, MSG_INFO_REGISTER, MSG_REGISTERS } from '../../abi/registers';
import type { Kernel } from '../model/state';
import {
  type Cap,
  NULL_CAP,
  capCNodeGuard,
  capCNodeGuardSize,
  capCNodePtr,
  capCNodeRadix,
  capCanGrant,
  capCanGrantReply,
  capCanReceive,
  capCanSend,
  capEPBadge,
  capEPPtr,
  capPDIsMapped,
  capReplyMaster,
  capReplyTCBPtr,
  capType,
  makeReplyCap,
  mdbPrev,
  readCap,
  setMdbNext,
  writeCap,
  writeMdb,
} from '../object/cap';
import { EP_QUEUE, epState, queueHead, setObjState, tcbEPAppend, tcbEPDequeue } from '../object/endpoint';
import { ntfnState } from '../object/notification';
import { CAP_TAG, CTE_BYTES, EP_STATE, FAULT_TYPE, NTFN_STATE, THREAD_STATE } from '../object/structures';
import {
  TCB_CNODE_SLOT,
  getBlockingIPCCanGrant,
  getBoundNotification,
  getCurThread,
  getFaultType,
  getPriority,
  getRegister,
  setCurThread,
  setRegister,
  setThreadStateWords,
  tcbSlotAddr,
  threadStateWord0,
  threadStateWord1,
} from '../object/tcb-fields';
import { isHighestPrio, switchToThread } from '../kernel/thread';
import { getMessageInfoWord, messageInfoWord, miExtraCaps, miLabel, miLengthRaw, recordMessage } from '../kernel/transfer';
import { setVMRoot } from '../kernel/vspace';

const WORD_BITS = 32;

/** How often each fastpath was taken (instrumentation for tests and `bench`; not kernel state). */
export const FASTPATH_STATS = { call: 0, replyRecv: 0 };

/** seL4 fastpath_mi_check: no extra caps and at most four words (the raw length field). */
function miCheck(info: number): boolean {
  return miExtraCaps(info) === 0 && miLengthRaw(info) <= N_MSG_REGISTERS;
}

/**
 * seL4 lookup_fp: a cap lookup that gives up (NullCap) on anything unusual — a guard mismatch, a
 * level that would resolve more bits than the word has — where the slowpath would report a
 * failure or find the same cap.
 */
export function lookupFp(k: Kernel, root: Cap, cptr: number): Cap {
  let cap = root;
  if (capType(cap) !== CAP_TAG.cnode) return NULL_CAP;
  let bits = 0;
  do {
    const guardBits = capCNodeGuardSize(cap);
    const radixBits = capCNodeRadix(cap);
    const levelBits = guardBits + radixBits;
    if (levelBits === 0 || bits + levelBits > WORD_BITS) return NULL_CAP;
    const cptr2 = (cptr << bits) >>> 0;
    if (guardBits !== 0 && cptr2 >>> (WORD_BITS - guardBits) !== capCNodeGuard(cap)) return NULL_CAP;
    const index = radixBits === 0 ? 0 : ((cptr2 << guardBits) >>> 0) >>> (WORD_BITS - radixBits);
    cap = readCap(k, capCNodePtr(cap) + index * CTE_BYTES);
    bits += levelBits;
  } while (bits < WORD_BITS && capType(cap) === CAP_TAG.cnode);
  return cap;
}

/** seL4 isValidVTableRoot_fp: a mapped page-directory cap in the thread's VTable slot. */
function hasValidVTable(k: Kernel, t: number): boolean {
  const cap = readCap(k, tcbSlotAddr(t, TCB_CNODE_SLOT.vTable));
  return capType(cap) === CAP_TAG.pageDirectory && capPDIsMapped(cap);
}

function lazy(k: Kernel): boolean {
  return k.config.variant.scheduler === 'lazy';
}

/** seL4 switchToThread_fp: the direct process switch. */
function switchToThreadFp(k: Kernel, t: number): void {
  if (lazy(k)) {
    switchToThread(k, t);
    return;
  }
  setVMRoot(k, t);
  setCurThread(k, t);
}

/** seL4 fastpath_copy_mrs: the (at most four) register words. */
function copyMRsFp(k: Kernel, length: number, src: number, dest: number): void {
  for (let i = 0; i < length; i++) {
    const r = MSG_REGISTERS[i]!;
    setRegister(k, dest, r, getRegister(k, src, r));
  }
}

/** seL4 fastpath_restore's register half, plus the ghost record the slowpath's delivery makes. */
function deliverFp(k: Kernel, dest: number, badge: number, info: number, length: number): void {
  const out = messageInfoWord(miLabel(info), 0, 0, length);
  setRegister(k, dest, BADGE_REGISTER, badge);
  setRegister(k, dest, MSG_INFO_REGISTER, out);
  recordMessage(k, dest, 0, badge, out);
}

/** seL4 fastpath_call. True when the Call was done here; false leaves everything to the slowpath. */
export function fastpathCall(k: Kernel): boolean {
  const cur = getCurThread(k);
  const info = getMessageInfoWord(k, cur);
  if (!miCheck(info) || getFaultType(k, cur) !== FAULT_TYPE.NullFault) return false;
  const epCap = lookupFp(k, readCap(k, tcbSlotAddr(cur, TCB_CNODE_SLOT.cTable)), getRegister(k, cur, CAP_REGISTER));
  if (capType(epCap) !== CAP_TAG.endpoint || !capCanSend(epCap)) return false;
  const ep = capEPPtr(epCap);
  if (epState(k, ep) !== EP_STATE.Recv) return false;
  const dest = queueHead(k, ep, EP_QUEUE);
  if (!hasValidVTable(k, dest)) return false;
  const destPrio = getPriority(k, dest);
  if (destPrio < getPriority(k, cur) && !isHighestPrio(k, destPrio)) return false;
  if (!capCanGrant(epCap) && !capCanGrantReply(epCap)) return false;

  // point of no return
  tcbEPDequeue(k, ep, EP_QUEUE, dest);
  if (queueHead(k, ep, EP_QUEUE) === 0) setObjState(k, ep, EP_QUEUE, EP_STATE.Idle);
  const badge = capEPBadge(epCap);
  setThreadStateWords(k, cur, threadStateWord0(THREAD_STATE.BlockedOnReply, 0), 0);
  // the reply cap: child of the caller's master reply cap (which has no other child)
  const replySlot = tcbSlotAddr(cur, TCB_CNODE_SLOT.reply);
  const callerSlot = tcbSlotAddr(dest, TCB_CNODE_SLOT.caller);
  writeCap(k, callerSlot, makeReplyCap(cur, false, getBlockingIPCCanGrant(k, dest)));
  writeMdb(k, callerSlot, replySlot, 0, false, false);
  setMdbNext(k, replySlot, callerSlot);
  const length = miLengthRaw(info);
  copyMRsFp(k, length, cur, dest);
  setThreadStateWords(k, dest, threadStateWord0(THREAD_STATE.Running, 0), 0);
  switchToThreadFp(k, dest);
  deliverFp(k, dest, badge, info, length);
  FASTPATH_STATS.call++;
  return true;
}

/** seL4 fastpath_reply_recv. True when the ReplyRecv was done here. */
export function fastpathReplyRecv(k: Kernel): boolean {
  const cur = getCurThread(k);
  const info = getMessageInfoWord(k, cur);
  if (!miCheck(info) || getFaultType(k, cur) !== FAULT_TYPE.NullFault) return false;
  const epCap = lookupFp(k, readCap(k, tcbSlotAddr(cur, TCB_CNODE_SLOT.cTable)), getRegister(k, cur, CAP_REGISTER));
  if (capType(epCap) !== CAP_TAG.endpoint || !capCanReceive(epCap)) return false;
  const ntfn = getBoundNotification(k, cur);
  if (ntfn !== 0 && ntfnState(k, ntfn) === NTFN_STATE.Active) return false;
  const ep = capEPPtr(epCap);
  if (epState(k, ep) === EP_STATE.Send) return false;
  const callerSlot = tcbSlotAddr(cur, TCB_CNODE_SLOT.caller);
  const callerCap = readCap(k, callerSlot);
  if (capType(callerCap) !== CAP_TAG.reply || capReplyMaster(callerCap)) return false;
  const caller = capReplyTCBPtr(callerCap);
  if (getFaultType(k, caller) !== FAULT_TYPE.NullFault) return false;
  if (!hasValidVTable(k, caller)) return false;
  if (!isHighestPrio(k, getPriority(k, caller))) return false;

  // point of no return
  setThreadStateWords(
    k,
    cur,
    threadStateWord0(THREAD_STATE.BlockedOnReceive, ep),
    threadStateWord1(0, capCanGrant(epCap), false, false),
  );
  tcbEPAppend(k, ep, EP_QUEUE, cur);
  setObjState(k, ep, EP_QUEUE, EP_STATE.Recv);
  // delete the reply cap: it is the only child of the caller's master reply cap
  setMdbNext(k, mdbPrev(k, callerSlot), 0);
  writeCap(k, callerSlot, NULL_CAP);
  writeMdb(k, callerSlot, 0, 0, false, false);
  const length = miLengthRaw(info);
  copyMRsFp(k, length, cur, caller);
  setThreadStateWords(k, caller, threadStateWord0(THREAD_STATE.Running, 0), 0);
  switchToThreadFp(k, caller);
  deliverFp(k, caller, 0, info, length);
  FASTPATH_STATS.replyRecv++;
  return true;
}
