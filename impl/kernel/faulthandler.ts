// Faults of the concrete kernel (seL4 src/kernel/faulthandler.c, src/api/faults.c,
// src/arch/arm/api/faults.c). The pending fault lives in the TCB's four fault words (FAULT_LAYOUT):
// word 0 type and flags; CapFault: address, lookup failure word (LOOKUP_FAILURE_LAYOUT), guard
// found; UnknownSyscall: number; UserException: number, code; VMFault: address, FSR.

import { LOOKUP_FAILURE_TYPES } from '../../abi/errors';
import { N_MSG_REGISTERS } from '../../abi/messageinfo';
import { MSG_REGISTERS, REG, UNKNOWN_SYSCALL_REGISTERS, USER_EXCEPTION_REGISTERS, sanitiseRegister } from '../../abi/registers';
import { IPC_BUFFER } from '../../abi/ipcbuffer';
import type { Fault, LookupFailure } from '../api/failures';
import type { Kernel } from '../model/state';
import { capCanGrant, capCanGrantReply, capCanSend, capEPBadge, capEPPtr, capType } from '../object/cap';
import { sendIPC } from '../object/endpoint';
import { CAP_TAG, FAULT_TYPE, LOOKUP_FAULT, THREAD_STATE } from '../object/structures';
import {
  faultWord0,
  getFaultHandler,
  getFaultInReceivePhase,
  getFaultInstructionFault,
  getFaultType,
  getFaultWord,
  getRegister,
  lookupFailureBitsFound,
  lookupFailureBitsLeft,
  lookupFailureType,
  lookupFailureWord,
  setFaultWords,
  setRegister,
} from '../object/tcb-fields';
import { lookupCap } from './cspace';
import { setThreadState } from './thread';
import { bufferWordAddr, getMessageInfoWord, miLabel, miLength, setMRs } from './transfer';
import { lookupIPCBuffer } from './vspace';

// ---- the fault in TCB words ----

function lookupFailureToWords(f: LookupFailure): [number, number] {
  switch (f.tag) {
    case 'InvalidRoot':
      return [lookupFailureWord(LOOKUP_FAULT.InvalidRoot, 0, 0), 0];
    case 'MissingCapability':
      return [lookupFailureWord(LOOKUP_FAULT.MissingCapability, f.bitsLeft, 0), 0];
    case 'DepthMismatch':
      return [lookupFailureWord(LOOKUP_FAULT.DepthMismatch, f.bitsLeft, f.bitsFound), 0];
    case 'GuardMismatch':
      return [lookupFailureWord(LOOKUP_FAULT.GuardMismatch, f.bitsLeft, f.guardSize), f.guardFound >>> 0];
    default:
      throw new Error(`kernel bug: unknown lookup failure ${JSON.stringify(f satisfies never)}`);
  }
}

function lookupFailureFromWords(w: number, guardFound: number): LookupFailure {
  const bitsLeft = lookupFailureBitsLeft(w);
  switch (lookupFailureType(w)) {
    case LOOKUP_FAULT.InvalidRoot:
      return { tag: 'InvalidRoot' };
    case LOOKUP_FAULT.MissingCapability:
      return { tag: 'MissingCapability', bitsLeft };
    case LOOKUP_FAULT.DepthMismatch:
      return { tag: 'DepthMismatch', bitsLeft, bitsFound: lookupFailureBitsFound(w) };
    default:
      return { tag: 'GuardMismatch', bitsLeft, guardFound, guardSize: lookupFailureBitsFound(w) };
  }
}

/** Records `fault` as the thread's pending fault (seL4 tptr->tcbFault = ..., tcbLookupFailure). */
export function storeFault(k: Kernel, t: number, fault: Fault): void {
  switch (fault.tag) {
    case 'CapFault': {
      const [luf, guardFound] = lookupFailureToWords(fault.failure);
      setFaultWords(k, t, faultWord0(FAULT_TYPE.CapFault, fault.inReceivePhase, false), fault.address, luf, guardFound);
      return;
    }
    case 'UnknownSyscall':
      setFaultWords(k, t, faultWord0(FAULT_TYPE.UnknownSyscall, false, false), fault.number, 0, 0);
      return;
    case 'UserException':
      setFaultWords(k, t, faultWord0(FAULT_TYPE.UserException, false, false), fault.number, fault.code, 0);
      return;
    case 'VMFault':
      setFaultWords(k, t, faultWord0(FAULT_TYPE.VMFault, false, fault.instruction), fault.address, fault.fsr, 0);
      return;
    default:
      throw new Error(`kernel bug: unknown fault ${JSON.stringify(fault satisfies never)}`);
  }
}

/** The thread's pending fault as a value, or null (for fault messages and the abstraction). */
export function loadFault(k: Kernel, t: number): Fault | null {
  const type = getFaultType(k, t);
  switch (type) {
    case FAULT_TYPE.NullFault:
      return null;
    case FAULT_TYPE.CapFault:
      return {
        tag: 'CapFault',
        address: getFaultWord(k, t, 1),
        inReceivePhase: getFaultInReceivePhase(k, t),
        failure: lookupFailureFromWords(getFaultWord(k, t, 2), getFaultWord(k, t, 3)),
      };
    case FAULT_TYPE.UnknownSyscall:
      return { tag: 'UnknownSyscall', number: getFaultWord(k, t, 1) };
    case FAULT_TYPE.UserException:
      return { tag: 'UserException', number: getFaultWord(k, t, 1), code: getFaultWord(k, t, 2) };
    case FAULT_TYPE.VMFault:
      return { tag: 'VMFault', address: getFaultWord(k, t, 1), fsr: getFaultWord(k, t, 2), instruction: getFaultInstructionFault(k, t) };
    default:
      throw new Error(`kernel bug: TCB 0x${t.toString(16)} holds fault type ${type}`);
  }
}

// spec: faultLabel
/** The label of the thread's fault message: the seL4_FaultType (FAULT_TYPE has seL4's values). */
export function faultLabelOf(k: Kernel, t: number): number {
  return getFaultType(k, t);
}

// ---- delivery ----

// spec: handleFault
export function handleFault(k: Kernel, tcb: number, fault: Fault): void {
  if (!sendFaultIPC(k, tcb, fault)) handleDoubleFault(k, tcb);
}

// spec: sendFaultIPC
export function sendFaultIPC(k: Kernel, tcb: number, fault: Fault): boolean {
  const lu = lookupCap(k, tcb, getFaultHandler(k, tcb));
  if (!lu.ok) return false;
  const cap = lu.value.cap;
  if (capType(cap) !== CAP_TAG.endpoint || !capCanSend(cap) || !(capCanGrant(cap) || capCanGrantReply(cap))) return false;
  storeFault(k, tcb, fault);
  sendIPC(k, true, true, capEPBadge(cap), capCanGrant(cap), true, tcb, capEPPtr(cap));
  return true;
}

// spec: handleDoubleFault
export function handleDoubleFault(k: Kernel, tcb: number): void {
  setThreadState(k, tcb, THREAD_STATE.Inactive);
}

// spec: lookupFailureWords
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
      throw new Error(`kernel bug: unknown lookup failure ${JSON.stringify(f satisfies never)}`);
  }
}

// spec: faultMessageWords
/** The words of the sender's fault message: its registers in seL4's order, then the fault's fields. */
function faultMessageWords(k: Kernel, t: number, fault: Fault): number[] {
  switch (fault.tag) {
    case 'CapFault':
      return [getRegister(k, t, REG.pc), fault.address, fault.inReceivePhase ? 1 : 0, ...lookupFailureWords(fault.failure)];
    case 'UnknownSyscall':
      return [...UNKNOWN_SYSCALL_REGISTERS.map((r) => getRegister(k, t, r)), fault.number];
    case 'UserException':
      return [...USER_EXCEPTION_REGISTERS.map((r) => getRegister(k, t, r)), fault.number, fault.code];
    case 'VMFault':
      return [getRegister(k, t, REG.pc), fault.address, fault.instruction ? 1 : 0, fault.fsr];
    default:
      throw new Error(`kernel bug: unknown fault ${JSON.stringify(fault satisfies never)}`);
  }
}

// spec: setMRsFault
export function setMRsFault(k: Kernel, sender: number, receiver: number, recvBuf: number): number {
  const fault = loadFault(k, sender);
  if (fault === null) throw new Error('kernel bug: setMRsFault: sender has no fault');
  return setMRs(k, receiver, recvBuf, faultMessageWords(k, sender, fault));
}

// spec: handleFaultReply
/**
 * The sender's reply decides: cap and VM faults always restart;
 * unknown-syscall and user-exception replies write their first words back into the registers of
 * the fault message (sanitised) and restart only with label 0.
 */
export function handleFaultReply(k: Kernel, receiver: number, sender: number): boolean {
  const tag = getMessageInfoWord(k, sender);
  switch (getFaultType(k, receiver)) {
    case FAULT_TYPE.CapFault:
    case FAULT_TYPE.VMFault:
      return true;
    case FAULT_TYPE.UnknownSyscall:
      copyMRsFaultReply(k, sender, receiver, UNKNOWN_SYSCALL_REGISTERS, miLength(tag));
      return miLabel(tag) === 0;
    case FAULT_TYPE.UserException:
      copyMRsFaultReply(k, sender, receiver, USER_EXCEPTION_REGISTERS, miLength(tag));
      return miLabel(tag) === 0;
    default:
      throw new Error('kernel bug: handleFaultReply: receiver has no fault');
  }
}

/** seL4 copyMRsFaultReply: MR i goes to the i-th register of the fault message, sanitised. */
function copyMRsFaultReply(k: Kernel, sender: number, receiver: number, regs: readonly number[], length: number): void {
  const n = Math.min(length, regs.length);
  let i = 0;
  for (; i < n && i < N_MSG_REGISTERS; i++) {
    const r = regs[i]!;
    setRegister(k, receiver, r, sanitiseRegister(r, getRegister(k, sender, MSG_REGISTERS[i]!)));
  }
  if (i >= n) return;
  const buf = lookupIPCBuffer(k, false, sender);
  if (buf === 0) return;
  for (; i < n; i++) {
    const r = regs[i]!;
    setRegister(k, receiver, r, sanitiseRegister(r, k.m.load32(bufferWordAddr(buf, IPC_BUFFER.msg + i))));
  }
}
