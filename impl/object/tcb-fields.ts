// Word accessors of the concrete TCB. A thread pointer `t` is the address of the TCB block (2^9
// bytes, as in thread caps and the spec's PPtr): its first half is the TCB CNode (slot i at
// t + 16 i), the tcb_t words start at t + TCB_OFFSET (TCB_WORD offsets). Every field is read and
// written through the layouts of impl/object/structures.ts; field specs are looked up once here so
// the accessors allocate nothing.

import { N_USER_REGISTERS } from '../../abi/registers';
import { field, getField, setField } from '../../machine';
import { GLOBALS, type Kernel } from '../model/state';
import {
  CTE_BYTES,
  FAULT_LAYOUT,
  LOOKUP_FAILURE_LAYOUT,
  TCB_FLAGS_LAYOUT,
  TCB_OFFSET,
  TCB_PRIO_LAYOUT,
  TCB_WORD,
  THREAD_STATE,
  THREAD_STATE_LAYOUT,
} from './structures';

/** TCB CNode slot indices (seL4 tcb_cnode_index, non-MCS). */
export const TCB_CNODE_SLOT = { cTable: 0, vTable: 1, reply: 2, caller: 3, buffer: 4 } as const;
export const TCB_CNODE_SLOTS = 5;
export type TCBCNodeSlot = (typeof TCB_CNODE_SLOT)[keyof typeof TCB_CNODE_SLOT];

/** Physical address of tcb_t word `w` (a TCB_WORD offset) of thread t. */
export function tcbWordAddr(t: number, w: number): number {
  return t + TCB_OFFSET + 4 * w;
}

/** Physical address of the TCB CNode slot `slot` of thread t (seL4 TCB_PTR_CTE_PTR). */
export function tcbSlotAddr(t: number, slot: TCBCNodeSlot): number {
  return t + slot * CTE_BYTES;
}

// ---- field specs (looked up once) ----

const TS0 = THREAD_STATE_LAYOUT.words[0]!;
const TS1 = THREAD_STATE_LAYOUT.words[1]!;
const F_TS_TYPE = field(TS0, 'tsType');
const F_BLOCKING_OBJECT = field(TS0, 'blockingObject');
const F_IPC_BADGE = field(TS1, 'blockingIPCBadge');
const F_IPC_CAN_GRANT = field(TS1, 'blockingIPCCanGrant');
const F_IPC_CAN_GRANT_REPLY = field(TS1, 'blockingIPCCanGrantReply');
const F_IPC_IS_CALL = field(TS1, 'blockingIPCIsCall');

const FAULT0 = FAULT_LAYOUT.words[0]!;
const F_FAULT_TYPE = field(FAULT0, 'faultType');
const F_IN_RECEIVE_PHASE = field(FAULT0, 'inReceivePhase');
const F_INSTRUCTION_FAULT = field(FAULT0, 'instructionFault');

const F_LUF_TYPE = field(LOOKUP_FAILURE_LAYOUT, 'lufType');
const F_BITS_LEFT = field(LOOKUP_FAILURE_LAYOUT, 'bitsLeft');
const F_BITS_FOUND = field(LOOKUP_FAILURE_LAYOUT, 'bitsFound');

const F_PRIORITY = field(TCB_PRIO_LAYOUT, 'priority');
const F_MCP = field(TCB_PRIO_LAYOUT, 'mcp');
const F_QUEUED = field(TCB_FLAGS_LAYOUT, 'tcbQueued');

// ---- thread state ----

/** The thread state's type (THREAD_STATE). */
export function getThreadStateType(k: Kernel, t: number): number {
  return getField(k.m.load32(tcbWordAddr(t, TCB_WORD.tsWord0)), F_TS_TYPE);
}

/** The endpoint or notification a blocked thread waits on (0 otherwise). */
export function getBlockingObject(k: Kernel, t: number): number {
  return getField(k.m.load32(tcbWordAddr(t, TCB_WORD.tsWord0)), F_BLOCKING_OBJECT);
}

export function getBlockingIPCBadge(k: Kernel, t: number): number {
  return getField(k.m.load32(tcbWordAddr(t, TCB_WORD.tsWord1)), F_IPC_BADGE);
}

export function getBlockingIPCCanGrant(k: Kernel, t: number): boolean {
  return getField(k.m.load32(tcbWordAddr(t, TCB_WORD.tsWord1)), F_IPC_CAN_GRANT) !== 0;
}

export function getBlockingIPCCanGrantReply(k: Kernel, t: number): boolean {
  return getField(k.m.load32(tcbWordAddr(t, TCB_WORD.tsWord1)), F_IPC_CAN_GRANT_REPLY) !== 0;
}

export function getBlockingIPCIsCall(k: Kernel, t: number): boolean {
  return getField(k.m.load32(tcbWordAddr(t, TCB_WORD.tsWord1)), F_IPC_IS_CALL) !== 0;
}

/** Word 0 of a thread state: type and blocking object. */
export function threadStateWord0(type: number, blockingObject: number): number {
  return setField(setField(0, F_TS_TYPE, type), F_BLOCKING_OBJECT, blockingObject);
}

/** Word 1 of a thread state: the IPC flags of a thread blocked on send/receive. */
export function threadStateWord1(badge: number, canGrant: boolean, canGrantReply: boolean, isCall: boolean): number {
  let w = setField(0, F_IPC_BADGE, badge);
  w = setField(w, F_IPC_CAN_GRANT, canGrant ? 1 : 0);
  w = setField(w, F_IPC_CAN_GRANT_REPLY, canGrantReply ? 1 : 0);
  return setField(w, F_IPC_IS_CALL, isCall ? 1 : 0);
}

/**
 * Writes both thread state words as given (no scheduling side effects: kernel code changing a
 * thread's state calls setThreadState in impl/kernel/thread.ts, which uses this).
 */
export function setThreadStateWords(k: Kernel, t: number, w0: number, w1: number): void {
  k.m.store32(tcbWordAddr(t, TCB_WORD.tsWord0), w0);
  k.m.store32(tcbWordAddr(t, TCB_WORD.tsWord1), w1);
}

/** A state with no payload (Inactive, Running, Restart, Idle, BlockedOnReply): other bits zero. */
export function setThreadStateSimpleWords(k: Kernel, t: number, type: number): void {
  setThreadStateWords(k, t, threadStateWord0(type, 0), 0);
}

/** seL4 isRunnable: Running or Restart. */
export function isRunnable(k: Kernel, t: number): boolean {
  const ty = getThreadStateType(k, t);
  return ty === THREAD_STATE.Running || ty === THREAD_STATE.Restart;
}

/** seL4 isBlocked: blocked on send, receive, reply or notification. */
export function isBlocked(k: Kernel, t: number): boolean {
  const ty = getThreadStateType(k, t);
  return ty === THREAD_STATE.BlockedOnSend || ty === THREAD_STATE.BlockedOnReceive
    || ty === THREAD_STATE.BlockedOnReply || ty === THREAD_STATE.BlockedOnNotification;
}

// ---- registers (saved user context, abi/registers.ts order) ----

export function getRegister(k: Kernel, t: number, reg: number): number {
  return k.m.load32(tcbWordAddr(t, TCB_WORD.registers + reg));
}

/** Stores a register as given (callers writing user-supplied values apply sanitiseRegister). */
export function setRegister(k: Kernel, t: number, reg: number, value: number): void {
  k.m.store32(tcbWordAddr(t, TCB_WORD.registers + reg), value >>> 0);
}

/** Address of the saved register file (N_USER_REGISTERS words). */
export function registersAddr(t: number): number {
  return tcbWordAddr(t, TCB_WORD.registers);
}

export const USER_CONTEXT_BYTES = 4 * N_USER_REGISTERS;

// ---- fault handler cptr, IPC buffer ----

export function getFaultHandler(k: Kernel, t: number): number {
  return k.m.load32(tcbWordAddr(t, TCB_WORD.faultHandler));
}

export function setFaultHandler(k: Kernel, t: number, cptr: number): void {
  k.m.store32(tcbWordAddr(t, TCB_WORD.faultHandler), cptr >>> 0);
}

/** The IPC buffer's user virtual address (tcbIPCBuffer). */
export function getIPCBuffer(k: Kernel, t: number): number {
  return k.m.load32(tcbWordAddr(t, TCB_WORD.ipcBuffer));
}

export function setIPCBuffer(k: Kernel, t: number, vaddr: number): void {
  k.m.store32(tcbWordAddr(t, TCB_WORD.ipcBuffer), vaddr >>> 0);
}

// ---- pending fault ----

/** FAULT_TYPE of the pending fault (NullFault = none). */
export function getFaultType(k: Kernel, t: number): number {
  return getField(k.m.load32(tcbWordAddr(t, TCB_WORD.fault0)), F_FAULT_TYPE);
}

export function getFaultInReceivePhase(k: Kernel, t: number): boolean {
  return getField(k.m.load32(tcbWordAddr(t, TCB_WORD.fault0)), F_IN_RECEIVE_PHASE) !== 0;
}

export function getFaultInstructionFault(k: Kernel, t: number): boolean {
  return getField(k.m.load32(tcbWordAddr(t, TCB_WORD.fault0)), F_INSTRUCTION_FAULT) !== 0;
}

/** Fault word i (0..3; 1..3 are the payload words of FAULT_LAYOUT). */
export function getFaultWord(k: Kernel, t: number, i: number): number {
  return k.m.load32(tcbWordAddr(t, TCB_WORD.fault0 + i));
}

/** Word 0 of a fault: type and flags. */
export function faultWord0(type: number, inReceivePhase: boolean, instructionFault: boolean): number {
  let w = setField(0, F_FAULT_TYPE, type);
  w = setField(w, F_IN_RECEIVE_PHASE, inReceivePhase ? 1 : 0);
  return setField(w, F_INSTRUCTION_FAULT, instructionFault ? 1 : 0);
}

export function setFaultWords(k: Kernel, t: number, w0: number, w1: number, w2: number, w3: number): void {
  k.m.store32(tcbWordAddr(t, TCB_WORD.fault0), w0 >>> 0);
  k.m.store32(tcbWordAddr(t, TCB_WORD.fault1), w1 >>> 0);
  k.m.store32(tcbWordAddr(t, TCB_WORD.fault2), w2 >>> 0);
  k.m.store32(tcbWordAddr(t, TCB_WORD.fault3), w3 >>> 0);
}

/** Clears the pending fault (all four words zero: NullFault). */
export function clearFault(k: Kernel, t: number): void {
  setFaultWords(k, t, 0, 0, 0, 0);
}

/** A lookup failure in one word (LOOKUP_FAILURE_LAYOUT; type LOOKUP_FAULT). */
export function lookupFailureWord(type: number, bitsLeft: number, bitsFound: number): number {
  let w = setField(0, F_LUF_TYPE, type);
  w = setField(w, F_BITS_LEFT, bitsLeft);
  return setField(w, F_BITS_FOUND, bitsFound);
}

export function lookupFailureType(word: number): number {
  return getField(word, F_LUF_TYPE);
}

export function lookupFailureBitsLeft(word: number): number {
  return getField(word, F_BITS_LEFT);
}

export function lookupFailureBitsFound(word: number): number {
  return getField(word, F_BITS_FOUND);
}

// ---- bound notification ----

export function getBoundNotification(k: Kernel, t: number): number {
  return k.m.load32(tcbWordAddr(t, TCB_WORD.boundNotification));
}

export function setBoundNotification(k: Kernel, t: number, ntfn: number): void {
  k.m.store32(tcbWordAddr(t, TCB_WORD.boundNotification), ntfn >>> 0);
}

// ---- priority, MCP, time slice ----

export function getPriority(k: Kernel, t: number): number {
  return getField(k.m.load32(tcbWordAddr(t, TCB_WORD.prio)), F_PRIORITY);
}

/** Writes the priority field only (the scheduling side is setPriority in impl/kernel/thread.ts). */
export function setPriorityField(k: Kernel, t: number, prio: number): void {
  const a = tcbWordAddr(t, TCB_WORD.prio);
  k.m.store32(a, setField(k.m.load32(a), F_PRIORITY, prio));
}

export function getMCP(k: Kernel, t: number): number {
  return getField(k.m.load32(tcbWordAddr(t, TCB_WORD.prio)), F_MCP);
}

export function setMCPField(k: Kernel, t: number, mcp: number): void {
  const a = tcbWordAddr(t, TCB_WORD.prio);
  k.m.store32(a, setField(k.m.load32(a), F_MCP, mcp));
}

export function getTimeSlice(k: Kernel, t: number): number {
  return k.m.load32(tcbWordAddr(t, TCB_WORD.timeSlice));
}

export function setTimeSlice(k: Kernel, t: number, ticks: number): void {
  k.m.store32(tcbWordAddr(t, TCB_WORD.timeSlice), ticks >>> 0);
}

// ---- intrusive list links (0 = none) ----

export function getSchedNext(k: Kernel, t: number): number {
  return k.m.load32(tcbWordAddr(t, TCB_WORD.schedNext));
}

export function setSchedNext(k: Kernel, t: number, p: number): void {
  k.m.store32(tcbWordAddr(t, TCB_WORD.schedNext), p);
}

export function getSchedPrev(k: Kernel, t: number): number {
  return k.m.load32(tcbWordAddr(t, TCB_WORD.schedPrev));
}

export function setSchedPrev(k: Kernel, t: number, p: number): void {
  k.m.store32(tcbWordAddr(t, TCB_WORD.schedPrev), p);
}

export function getEpNext(k: Kernel, t: number): number {
  return k.m.load32(tcbWordAddr(t, TCB_WORD.epNext));
}

export function setEpNext(k: Kernel, t: number, p: number): void {
  k.m.store32(tcbWordAddr(t, TCB_WORD.epNext), p);
}

export function getEpPrev(k: Kernel, t: number): number {
  return k.m.load32(tcbWordAddr(t, TCB_WORD.epPrev));
}

export function setEpPrev(k: Kernel, t: number, p: number): void {
  k.m.store32(tcbWordAddr(t, TCB_WORD.epPrev), p);
}

// ---- flags ----

export function getTcbQueued(k: Kernel, t: number): boolean {
  return getField(k.m.load32(tcbWordAddr(t, TCB_WORD.flags)), F_QUEUED) !== 0;
}

export function setTcbQueued(k: Kernel, t: number, queued: boolean): void {
  const a = tcbWordAddr(t, TCB_WORD.flags);
  k.m.store32(a, setField(k.m.load32(a), F_QUEUED, queued ? 1 : 0));
}

// ---- kernel globals about threads ----

export function getCurThread(k: Kernel): number {
  return k.m.load32(GLOBALS.ksCurThread);
}

export function setCurThread(k: Kernel, t: number): void {
  k.m.store32(GLOBALS.ksCurThread, t);
}

export function getIdleThread(k: Kernel): number {
  return k.m.load32(GLOBALS.ksIdleThread);
}

/** GLOBALS.ksSchedulerAction: SCHED_ACTION.ResumeCurrentThread / ChooseNewThread, or a TCB. */
export function getSchedulerAction(k: Kernel): number {
  return k.m.load32(GLOBALS.ksSchedulerAction);
}

export function setSchedulerAction(k: Kernel, action: number): void {
  k.m.store32(GLOBALS.ksSchedulerAction, action);
}
