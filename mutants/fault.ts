// Mutants of the fault area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

const F_SPEC = 'spec/kernel/faulthandler.ts';
const F_IMPL = 'impl/kernel/faulthandler.ts';

export const FAULT_MUTANTS: readonly Mutant[] = [
  {
    name: 'both-fault-handler-needs-grant',
    class: 'both',
    area: 'fault',
    doc: 'A fault handler cap is accepted only with Grant: a handler cap with Write and GrantReply alone is taken for no handler and the thread is suspended.',
    patches: [
      { file: F_SPEC, find: '!(cap.rights.grant || cap.rights.grantReply)', replace: '!cap.rights.grant' },
      { file: F_IMPL, find: '!(capCanGrant(cap) || capCanGrantReply(cap))', replace: '!capCanGrant(cap)' },
    ],
  },
  {
    name: 'both-fault-reply-restarts-any-label',
    class: 'both',
    area: 'fault',
    doc: 'A reply to a user-exception fault restarts the thread whatever its label, instead of only for label 0.',
    patches: [
      { file: F_SPEC, find: 'copyMRsFaultReply(s, receiver, USER_EXCEPTION_REGISTERS, info.length, words);\n      return info.label === 0;', replace: 'copyMRsFaultReply(s, receiver, USER_EXCEPTION_REGISTERS, info.length, words);\n      return true;' },
      { file: F_IMPL, find: 'copyMRsFaultReply(k, sender, receiver, USER_EXCEPTION_REGISTERS, miLength(tag));\n      return miLabel(tag) === 0;', replace: 'copyMRsFaultReply(k, sender, receiver, USER_EXCEPTION_REGISTERS, miLength(tag));\n      return true;' },
    ],
  },
  {
    name: 'both-fault-label-off-by-one',
    class: 'both',
    area: 'fault',
    doc: 'The fault message label counts fault types from 0 without NullFault (one less than seL4_FaultType).',
    patches: [
      { file: F_SPEC, find: 'return FAULT_TYPES[fault.tag];', replace: 'return FAULT_TYPES[fault.tag] - 1;' },
      { file: F_IMPL, find: 'return getFaultType(k, t);', replace: 'return getFaultType(k, t) - 1;' },
    ],
  },
  {
    name: 'both-fault-handler-no-write',
    class: 'both',
    area: 'fault',
    doc: 'The fault handler cap is not checked for the Write right: a fault is sent through a handler cap that cannot send.',
    patches: [
      { file: F_SPEC, find: "cap.tag !== 'EndpointCap' || !cap.rights.write ||", replace: "cap.tag !== 'EndpointCap' ||" },
      { file: F_IMPL, find: 'capType(cap) !== CAP_TAG.endpoint || !capCanSend(cap) ||', replace: 'capType(cap) !== CAP_TAG.endpoint ||' },
    ],
  },
  {
    name: 'spec-double-fault-restarts',
    class: 'spec',
    area: 'fault',
    doc: 'The abstract kernel restarts a thread that faults with no valid handler instead of suspending it.',
    patches: [{ file: F_SPEC, find: "export function handleDoubleFault(s: KernelState, tcb: PPtr): void {\n  setThreadState(s, tcb, { tag: 'Inactive' });", replace: "export function handleDoubleFault(s: KernelState, tcb: PPtr): void {\n  setThreadState(s, tcb, { tag: 'Restart' });" }],
  },
  {
    name: 'spec-unknown-syscall-no-number',
    class: 'spec',
    area: 'fault',
    doc: 'The abstract unknown-syscall fault message leaves out the syscall number after the registers.',
    patches: [{ file: F_SPEC, find: 'return [...UNKNOWN_SYSCALL_REGISTERS.map(reg), fault.number];', replace: 'return [...UNKNOWN_SYSCALL_REGISTERS.map(reg)];' }],
  },
  {
    name: 'both-user-exception-no-sp',
    class: 'both',
    area: 'fault',
    doc: 'Both kernels put FaultIP where SP belongs in a user exception message (FaultIP, FaultIP, CPSR, Number, Code).',
    patches: [
      { file: F_SPEC, find: 'return [...USER_EXCEPTION_REGISTERS.map(reg), fault.number, fault.code];', replace: 'return [...USER_EXCEPTION_REGISTERS.map((r) => reg(r === REG.sp ? REG.pc : r)), fault.number, fault.code];' },
      { file: F_IMPL, find: 'return [...USER_EXCEPTION_REGISTERS.map((r) => getRegister(k, t, r)), fault.number, fault.code];', replace: 'return [...USER_EXCEPTION_REGISTERS.map((r) => getRegister(k, t, r === REG.sp ? REG.pc : r)), fault.number, fault.code];' },
    ],
  },
  {
    name: 'both-cap-fault-no-ip',
    class: 'both',
    area: 'fault',
    doc: 'Both kernels start a cap fault message with 0 instead of the restart address (FaultIP).',
    patches: [
      { file: F_SPEC, find: "return [reg(REG.pc), fault.address, fault.inReceivePhase ? 1 : 0, ...lookupFailureWords(fault.failure)];", replace: "return [0, fault.address, fault.inReceivePhase ? 1 : 0, ...lookupFailureWords(fault.failure)];" },
      { file: F_IMPL, find: 'return [getRegister(k, t, REG.pc), fault.address, fault.inReceivePhase ? 1 : 0, ...lookupFailureWords(fault.failure)];', replace: 'return [0, fault.address, fault.inReceivePhase ? 1 : 0, ...lookupFailureWords(fault.failure)];' },
    ],
  },
  {
    name: 'impl-fault-badge-zero',
    class: 'impl',
    area: 'fault',
    doc: "The concrete kernel sends a fault message with badge 0 instead of the handler cap's badge.",
    patches: [{ file: F_IMPL, find: 'sendIPC(k, true, true, capEPBadge(cap), capCanGrant(cap), true, tcb, capEPPtr(cap));', replace: 'sendIPC(k, true, true, 0, capCanGrant(cap), true, tcb, capEPPtr(cap));' }],
  },
  {
    name: 'impl-recv-cap-fault-send-phase',
    class: 'impl',
    area: 'fault',
    doc: 'A failed cap lookup in Recv is reported as a send-phase cap fault (inReceivePhase 0).',
    patches: [{ file: 'impl/api/syscall.ts', find: 'handleFault(k, thread, capFault(cptr, true, lu.error));', replace: 'handleFault(k, thread, capFault(cptr, false, lu.error));' }],
  },
  {
    name: 'impl-fault-reply-no-writeback',
    class: 'impl',
    area: 'fault',
    doc: 'A reply to an unknown-syscall fault restarts the thread without writing the reply words back into its registers.',
    patches: [{ file: F_IMPL, find: 'copyMRsFaultReply(k, sender, receiver, UNKNOWN_SYSCALL_REGISTERS, miLength(tag));\n', replace: '' }],
  },
];
