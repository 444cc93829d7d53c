// Abstraction of the concrete kernel's packed value types into the spec's: caps, thread states,
// faults, lookup failures (l4v proof/refine StateRelation: cap_relation, thread_state_relation,
// fault_rel). Each is an exhaustive dispatch on the packed tag.

import { field, getField } from '../../machine';
import type { Cap as SpecCap, ThreadState, VMRights } from '../../spec/api/types';
import type { Fault, LookupFailure } from '../../spec/api/failures';
import {
  type Cap, CAP_TAG, capType, capUntypedPtr, capBlockSize, capFreeIndex, capIsDevice, FREE_INDEX_SHIFT, capEPPtr, capEPBadge,
  capCanSend, capCanReceive, capCanGrant, capCanGrantReply, capNtfnPtr, capNtfnBadge, capNtfnCanSend, capNtfnCanReceive,
  capReplyTCBPtr, capReplyMaster, capReplyCanGrant, capCNodePtr, capCNodeRadix, capCNodeGuardSize, capCNodeGuard, capTCBPtr,
  capIRQ, capFBasePtr, capFSize, capFVMRights, capFMappedASID, capFMappedAddress, FRAME_SIZE_NAMES, capPTBasePtr, capPTIsMapped,
  capPTMappedASID, capPTMappedAddress, capPDBasePtr, capPDIsMapped, capPDMappedASID, capASIDPool, capASIDBase, capZombieNumber,
  capZombiePtr, capZombieType, ZOMBIE_TYPE_TCB,
} from '../../impl/object/cap';
import { FAULT_LAYOUT, FAULT_TYPE, LOOKUP_FAILURE_LAYOUT, LOOKUP_FAULT, THREAD_STATE, THREAD_STATE_LAYOUT, VM_RIGHTS } from '../../impl/object/structures';

/** A problem found while abstracting: the impl state is not the image of any spec state. */
export class AbstractionError extends Error {}

const VM_RIGHTS_NAME: Record<number, VMRights> = Object.fromEntries(
  Object.entries(VM_RIGHTS).map(([n, v]) => [v, n as VMRights]),
);

export function absVMRights(code: number): VMRights {
  return VM_RIGHTS_NAME[code];
}

/** spec: the Cap a packed cap denotes. */
export function absCap(c: Cap): SpecCap {
  switch (capType(c)) {
    case CAP_TAG.null:
      return { tag: 'NullCap' };
    case CAP_TAG.untyped:
      return { tag: 'UntypedCap', ptr: capUntypedPtr(c), sizeBits: capBlockSize(c), freeIndex: capFreeIndex(c) * 2 ** FREE_INDEX_SHIFT, isDevice: capIsDevice(c) };
    case CAP_TAG.endpoint:
      return {
        tag: 'EndpointCap', ptr: capEPPtr(c), badge: capEPBadge(c),
        rights: { write: capCanSend(c), read: capCanReceive(c), grant: capCanGrant(c), grantReply: capCanGrantReply(c) },
      };
    case CAP_TAG.notification:
      return {
        tag: 'NotificationCap', ptr: capNtfnPtr(c), badge: capNtfnBadge(c),
        rights: { write: capNtfnCanSend(c), read: capNtfnCanReceive(c), grant: false, grantReply: false },
      };
    case CAP_TAG.reply:
      return { tag: 'ReplyCap', tcb: capReplyTCBPtr(c), master: capReplyMaster(c), canGrant: capReplyCanGrant(c) };
    case CAP_TAG.cnode:
      return { tag: 'CNodeCap', ptr: capCNodePtr(c), radix: capCNodeRadix(c), guardSize: capCNodeGuardSize(c), guard: capCNodeGuard(c) };
    case CAP_TAG.thread:
      return { tag: 'ThreadCap', ptr: capTCBPtr(c) };
    case CAP_TAG.zombie:
      return {
        tag: 'ZombieCap', ptr: capZombiePtr(c),
        zombieType: capZombieType(c) === ZOMBIE_TYPE_TCB ? { tag: 'ZombieTCB' } : { tag: 'ZombieCNode', radix: capZombieType(c) },
        number: capZombieNumber(c),
      };
    case CAP_TAG.irqControl:
      return { tag: 'IRQControlCap' };
    case CAP_TAG.irqHandler:
      return { tag: 'IRQHandlerCap', irq: capIRQ(c) };
    case CAP_TAG.domain:
      return { tag: 'DomainCap' };
    case CAP_TAG.smallFrame:
    case CAP_TAG.frame: {
      const asid = capFMappedASID(c);
      return {
        tag: 'FrameCap', ptr: capFBasePtr(c), size: FRAME_SIZE_NAMES[capFSize(c)], rights: absVMRights(capFVMRights(c)),
        mapped: asid === 0 ? null : { asid, vaddr: capFMappedAddress(c) },
      };
    }
    case CAP_TAG.pageTable:
      return { tag: 'PageTableCap', ptr: capPTBasePtr(c), mapped: capPTIsMapped(c) ? { asid: capPTMappedASID(c), vaddr: capPTMappedAddress(c) } : null };
    case CAP_TAG.pageDirectory:
      return { tag: 'PageDirectoryCap', ptr: capPDBasePtr(c), mapped: capPDIsMapped(c) ? capPDMappedASID(c) : null };
    case CAP_TAG.asidControl:
      return { tag: 'ASIDControlCap' };
    case CAP_TAG.asidPool:
      return { tag: 'ASIDPoolCap', ptr: capASIDPool(c), asidBase: capASIDBase(c) };
    default:
      throw new AbstractionError(`cap with unknown tag 0x${capType(c).toString(16)} (words 0x${c.w0.toString(16)} 0x${c.w1.toString(16)})`);
  }
}

const TS = THREAD_STATE_LAYOUT.words;
const TS_TYPE = field(TS[0], 'tsType');
const TS_OBJ = field(TS[0], 'blockingObject');
const TS_BADGE = field(TS[1], 'blockingIPCBadge');
const TS_GRANT = field(TS[1], 'blockingIPCCanGrant');
const TS_GRANT_REPLY = field(TS[1], 'blockingIPCCanGrantReply');
const TS_CALL = field(TS[1], 'blockingIPCIsCall');

/** spec: the ThreadState of the two packed thread-state words. */
export function absThreadState(w0: number, w1: number): ThreadState {
  const obj = getField(w0, TS_OBJ);
  switch (getField(w0, TS_TYPE)) {
    case THREAD_STATE.Inactive:
      return { tag: 'Inactive' };
    case THREAD_STATE.Running:
      return { tag: 'Running' };
    case THREAD_STATE.Restart:
      return { tag: 'Restart' };
    case THREAD_STATE.BlockedOnReceive:
      return { tag: 'BlockedOnReceive', ep: obj, canGrant: getField(w1, TS_GRANT) === 1 };
    case THREAD_STATE.BlockedOnSend:
      return {
        tag: 'BlockedOnSend', ep: obj, badge: getField(w1, TS_BADGE), canGrant: getField(w1, TS_GRANT) === 1,
        canGrantReply: getField(w1, TS_GRANT_REPLY) === 1, isCall: getField(w1, TS_CALL) === 1,
      };
    case THREAD_STATE.BlockedOnReply:
      return { tag: 'BlockedOnReply' };
    case THREAD_STATE.BlockedOnNotification:
      return { tag: 'BlockedOnNotification', ntfn: obj };
    case THREAD_STATE.Idle:
      return { tag: 'Idle' };
    default:
      throw new AbstractionError(`thread state with unknown type ${getField(w0, TS_TYPE)}`);
  }
}

const F_TYPE = field(FAULT_LAYOUT.words[0], 'faultType');
const F_RECV = field(FAULT_LAYOUT.words[0], 'inReceivePhase');
const F_INSTR = field(FAULT_LAYOUT.words[0], 'instructionFault');
const LUF_TYPE = field(LOOKUP_FAILURE_LAYOUT, 'lufType');
const LUF_LEFT = field(LOOKUP_FAILURE_LAYOUT, 'bitsLeft');
const LUF_FOUND = field(LOOKUP_FAILURE_LAYOUT, 'bitsFound');

export function absLookupFailure(w: number, guardFound: number): LookupFailure {
  const bitsLeft = getField(w, LUF_LEFT);
  switch (getField(w, LUF_TYPE)) {
    case LOOKUP_FAULT.InvalidRoot:
      return { tag: 'InvalidRoot' };
    case LOOKUP_FAULT.MissingCapability:
      return { tag: 'MissingCapability', bitsLeft };
    case LOOKUP_FAULT.DepthMismatch:
      return { tag: 'DepthMismatch', bitsLeft, bitsFound: getField(w, LUF_FOUND) };
    default:
      return { tag: 'GuardMismatch', bitsLeft, guardFound, guardSize: getField(w, LUF_FOUND) };
  }
}

/** spec: the pending fault of the four packed fault words (null when NullFault). */
export function absFault(w0: number, w1: number, w2: number, w3: number): Fault | null {
  switch (getField(w0, F_TYPE)) {
    case FAULT_TYPE.NullFault:
      return null;
    case FAULT_TYPE.CapFault:
      return { tag: 'CapFault', address: w1, inReceivePhase: getField(w0, F_RECV) === 1, failure: absLookupFailure(w2, w3) };
    case FAULT_TYPE.UnknownSyscall:
      return { tag: 'UnknownSyscall', number: w1 };
    case FAULT_TYPE.UserException:
      return { tag: 'UserException', number: w1, code: w2 };
    case FAULT_TYPE.VMFault:
      return { tag: 'VMFault', address: w1, fsr: w2, instruction: getField(w0, F_INSTR) === 1 };
    default:
      throw new AbstractionError(`fault with unknown type ${getField(w0, F_TYPE)}`);
  }
}
