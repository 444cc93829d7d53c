// Faults (seL4 src/kernel/faulthandler.c, src/api/faults.c, src/arch/arm/api/faults.c; l4v
// Ipc_A.thy handle_fault, send_fault_ipc, handle_fault_reply; sel4-facts §10).
//
// A fault becomes a Call from the faulting thread to its fault endpoint: the handler CPtr is
// looked up in the thread's own CSpace (non-MCS) and must name an endpoint cap with Write and
// Grant or GrantReply. Otherwise it is a double fault and the thread just stops (Inactive).

import { FAULT_TYPES, LOOKUP_FAILURE_TYPES } from '../../abi/errors';
import type { MessageInfo } from '../../abi/messageinfo';
import { REG, UNKNOWN_SYSCALL_REGISTERS, USER_EXCEPTION_REGISTERS, sanitiseRegister } from '../../abi/registers';
import type { Fault, LookupFailure } from '../api/failures';
import type { PPtr } from '../api/types';
import { type KernelState, KernelBug, assert, getTCB } from '../model/state';
import { sendIPC } from '../object/endpoint';
import { lookupCap } from './cspace';
import { type IPCBuffer, getRegister, setMRs, setRegister } from './transfer';
import { setThreadState } from './thread';

/**
 * seL4 handleFault: deliver `fault` of thread `tcb` to its fault handler, or stop the thread
 * when there is no valid handler.
 */
export function handleFault(s: KernelState, tcb: PPtr, fault: Fault): void {
  if (!sendFaultIPC(s, tcb, fault)) handleDoubleFault(s, tcb);
}

/**
 * seL4 sendFaultIPC: records the fault in the TCB and sends it as a blocking Call through the
 * handler cap (badge and Grant of that cap, GrantReply always). False when the handler is
 * missing or not an endpoint cap with Write and Grant or GrantReply.
 */
export function sendFaultIPC(s: KernelState, tcb: PPtr, fault: Fault): boolean {
  const lu = lookupCap(s, tcb, getTCB(s, tcb).faultHandler);
  if (!lu.ok) return false;
  const cap = lu.value.cap;
  if (cap.tag !== 'EndpointCap' || !cap.rights.write || !(cap.rights.grant || cap.rights.grantReply)) return false;
  getTCB(s, tcb).fault = fault;
  sendIPC(s, true, true, cap.badge, cap.rights.grant, true, tcb, cap.ptr);
  return true;
}

/** seL4 handleDoubleFault (non-debug): the thread is stopped; nothing is delivered. */
export function handleDoubleFault(s: KernelState, tcb: PPtr): void {
  setThreadState(s, tcb, { tag: 'Inactive' });
}

/** The label of a fault message: the seL4_FaultType. */
export function faultLabel(fault: Fault): number {
  return FAULT_TYPES[fault.tag];
}

/** seL4 setMRs_lookup_failure: type (seL4_LookupFailureType) then its fields. */
export function lookupFailureWords(f: LookupFailure): number[] {
  switch (f.tag) {
    case 'InvalidRoot':
      return [LOOKUP_FAILURE_TYPES.InvalidRoot];
    case 'MissingCapability':
      return [LOOKUP_FAILURE_TYPES.MissingCapability, f.bitsLeft];
    case 'DepthMismatch':
      return [LOOKUP_FAILURE_TYPES.DepthMismatch, f.bitsLeft, f.bitsFound];
    case 'GuardMismatch':
      return [LOOKUP_FAILURE_TYPES.GuardMismatch, f.bitsLeft, f.guardFound, f.guardSize];
    default:
      return assertNever(f);
  }
}

/**
 * The words of a fault message (sel4-facts §10): registers of the faulting thread in seL4's
 * order, then the fault's own fields. The restart PC is the pc: events never move it.
 */
export function faultMessageWords(s: KernelState, tcb: PPtr, fault: Fault): number[] {
  const reg = (r: number): number => getRegister(s, tcb, r);
  switch (fault.tag) {
    case 'CapFault':
      return [reg(REG.pc), fault.address, fault.inReceivePhase ? 1 : 0, ...lookupFailureWords(fault.failure)];
    case 'UnknownSyscall':
      return [...UNKNOWN_SYSCALL_REGISTERS.map(reg), fault.number];
    case 'UserException':
      return [...USER_EXCEPTION_REGISTERS.map(reg), fault.number, fault.code];
    case 'VMFault':
      return [reg(REG.pc), fault.address, fault.instruction ? 1 : 0, fault.fsr];
    default:
      return assertNever(fault);
  }
}

/**
 * seL4 setMRs_fault: writes the sender's fault message into the receiver's MRs and returns its
 * length (cut to four when the receiver has no IPC buffer, as setMR does).
 */
export function setMRsFault(s: KernelState, sender: PPtr, receiver: PPtr, recvBuf: IPCBuffer): number {
  const fault = getTCB(s, sender).fault;
  assert(fault !== null, 'setMRsFault: sender has no fault');
  return setMRs(s, receiver, recvBuf, faultMessageWords(s, sender, fault));
}

/**
 * seL4 handleFaultReply: what a reply to a fault does to the faulted thread. Cap and VM faults
 * always restart it. Unknown-syscall and user-exception replies write their first words back
 * into the registers of the fault message (sanitised) and restart only with label 0. `words` are
 * the replier's message words (already cut to four when it has no buffer). True = restart.
 */
export function handleFaultReply(
  s: KernelState,
  receiver: PPtr,
  fault: Fault,
  info: MessageInfo,
  words: readonly number[],
): boolean {
  switch (fault.tag) {
    case 'CapFault':
    case 'VMFault':
      return true;
    case 'UnknownSyscall':
      copyMRsFaultReply(s, receiver, UNKNOWN_SYSCALL_REGISTERS, info.length, words);
      return info.label === 0;
    case 'UserException':
      copyMRsFaultReply(s, receiver, USER_EXCEPTION_REGISTERS, info.length, words);
      return info.label === 0;
    default:
      return assertNever(fault);
  }
}

function copyMRsFaultReply(
  s: KernelState,
  receiver: PPtr,
  regs: readonly number[],
  length: number,
  words: readonly number[],
): void {
  const n = Math.min(length, regs.length, words.length);
  for (let i = 0; i < n; i++) setRegister(s, receiver, regs[i], sanitiseRegister(regs[i], words[i]));
}

function assertNever(x: never): never {
  throw new KernelBug(`unexpected value ${JSON.stringify(x)}`);
}
