// The invocation API, declared once as data (as libsel4's object-api*.xml declare it): every
// invocation label in seL4's order for aarch32 without MCS, SMP, SMMU, hypervisor or the debug
// API; for each modelled method its argument list (libsel4's parameter order and types, which fix
// the marshalling) and the seL4 errors its decoder can return. From this table come the label
// enum, the marshalling of `invoke` events, the decoders' argument positions, the generators
// and the coverage matrix.

import type { SyscallErrorName } from './errors';

/** Invocation labels in generation order: generic, then aarch32, then ARM (seL4 1326364b). */
export const INVOCATION_LABELS = [
  'InvalidInvocation',
  'UntypedRetype',
  'TCBReadRegisters',
  'TCBWriteRegisters',
  'TCBCopyRegisters',
  'TCBConfigure',
  'TCBSetPriority',
  'TCBSetMCPriority',
  'TCBSetSchedParams',
  'TCBSetIPCBuffer',
  'TCBSetSpace',
  'TCBSuspend',
  'TCBResume',
  'TCBBindNotification',
  'TCBUnbindNotification',
  'TCBSetTLSBase',
  'TCBSetFlags',
  'CNodeRevoke',
  'CNodeDelete',
  'CNodeCancelBadgedSends',
  'CNodeCopy',
  'CNodeMint',
  'CNodeMove',
  'CNodeMutate',
  'CNodeRotate',
  'CNodeSaveCaller',
  'IRQIssueIRQHandler',
  'IRQAckIRQ',
  'IRQSetIRQHandler',
  'IRQClearIRQHandler',
  'DomainSetSet',
  'DomainScheduleConfigure',
  'DomainScheduleSetStart',
  'ARMPDClean_Data',
  'ARMPDInvalidate_Data',
  'ARMPDCleanInvalidate_Data',
  'ARMPDUnify_Instruction',
  'ARMPageTableMap',
  'ARMPageTableUnmap',
  'ARMPageMap',
  'ARMPageUnmap',
  'ARMPageClean_Data',
  'ARMPageInvalidate_Data',
  'ARMPageCleanInvalidate_Data',
  'ARMPageUnify_Instruction',
  'ARMPageGetAddress',
  'ARMASIDControlMakePool',
  'ARMASIDPoolAssign',
  'ARMIRQIssueIRQHandlerTrigger',
  'ARMIRQIssueSGISignal',
] as const;

export type InvocationLabel = (typeof INVOCATION_LABELS)[number];

export const LABEL: Record<InvocationLabel, number> = Object.fromEntries(
  INVOCATION_LABELS.map((l, i) => [l, i]),
) as Record<InvocationLabel, number>;

export function labelName(n: number): InvocationLabel | undefined {
  return INVOCATION_LABELS[n];
}

/**
 * Argument types as libsel4 marshals them: `word` and `rights` and `objtype` take a whole message
 * word, `u8` 8 bits and `bool` 1 bit packed from the least significant bit (each aligned to its own
 * size), `cap` an extra cap, `regs` the 17 words of seL4_UserContext.
 */
export type ArgType = 'word' | 'u8' | 'bool' | 'rights' | 'objtype' | 'cap' | 'regs';

export interface ArgSpec {
  /** The name used in trace files (`args`). */
  name: string;
  type: ArgType;
}

/** The kind of capability a method is invoked on. */
export type CapInterface =
  | 'Untyped' | 'TCB' | 'CNode' | 'IRQControl' | 'IRQHandler' | 'Frame' | 'PageTable' | 'PageDirectory' | 'ASIDControl' | 'ASIDPool';

export interface MethodSpec {
  label: InvocationLabel;
  interface: CapInterface;
  args: readonly ArgSpec[];
  /** Every error the decoder of this method can return when invoked on a cap of its interface. */
  errors: readonly SyscallErrorName[];
}

const w = (name: string): ArgSpec => ({ name, type: 'word' });
const u8 = (name: string): ArgSpec => ({ name, type: 'u8' });
const flag = (name: string): ArgSpec => ({ name, type: 'bool' });
const cap = (name: string): ArgSpec => ({ name, type: 'cap' });

const cnodeDest = [w('destIndex'), u8('destDepth')];
/** The cache maintenance methods: a virtual range [start, end) of a page directory, or of a frame by offsets. */
const pdFlush = {
  interface: 'PageDirectory', args: [w('start'), w('end')],
  errors: ['TruncatedMessage', 'InvalidArgument', 'IllegalOperation', 'InvalidCapability', 'FailedLookup', 'RangeError'],
} as const;
const pageFlush = {
  interface: 'Frame', args: [w('start_offset'), w('end_offset')],
  errors: ['TruncatedMessage', 'IllegalOperation', 'FailedLookup', 'InvalidArgument', 'InvalidCapability'],
} as const;
const cnodeSrc = [cap('srcRoot'), w('srcIndex'), u8('srcDepth')];

export const METHODS = {
  Untyped_Retype: {
    label: 'UntypedRetype', interface: 'Untyped',
    args: [{ name: 'type', type: 'objtype' }, w('sizeBits'), cap('root'), w('nodeIndex'), w('nodeDepth'), w('nodeOffset'), w('numObjects')],
    errors: ['TruncatedMessage', 'InvalidArgument', 'RangeError', 'FailedLookup', 'DeleteFirst', 'NotEnoughMemory'],
  },
  TCB_ReadRegisters: {
    label: 'TCBReadRegisters', interface: 'TCB',
    args: [flag('suspendSource'), u8('archFlags'), w('count')],
    errors: ['TruncatedMessage', 'RangeError', 'IllegalOperation'],
  },
  TCB_WriteRegisters: {
    label: 'TCBWriteRegisters', interface: 'TCB',
    args: [flag('resumeTarget'), u8('archFlags'), w('count'), { name: 'regs', type: 'regs' }],
    errors: ['TruncatedMessage', 'IllegalOperation'],
  },
  TCB_CopyRegisters: {
    label: 'TCBCopyRegisters', interface: 'TCB',
    args: [cap('source'), flag('suspendSource'), flag('resumeTarget'), flag('transferFrame'), flag('transferInteger'), u8('archFlags')],
    errors: ['TruncatedMessage', 'InvalidCapability'],
  },
  TCB_Configure: {
    label: 'TCBConfigure', interface: 'TCB',
    args: [w('faultEP'), cap('cspaceRoot'), w('cspaceRootData'), cap('vspaceRoot'), w('vspaceRootData'), w('buffer'), cap('bufferFrame')],
    errors: ['TruncatedMessage', 'IllegalOperation', 'AlignmentError', 'RevokeFirst'],
  },
  TCB_SetPriority: {
    label: 'TCBSetPriority', interface: 'TCB',
    args: [cap('authority'), w('priority')],
    errors: ['TruncatedMessage', 'InvalidCapability', 'RangeError'],
  },
  TCB_SetMCPriority: {
    label: 'TCBSetMCPriority', interface: 'TCB',
    args: [cap('authority'), w('mcp')],
    errors: ['TruncatedMessage', 'InvalidCapability', 'RangeError'],
  },
  TCB_SetIPCBuffer: {
    label: 'TCBSetIPCBuffer', interface: 'TCB',
    args: [w('buffer'), cap('bufferFrame')],
    errors: ['TruncatedMessage', 'IllegalOperation', 'AlignmentError', 'RevokeFirst'],
  },
  TCB_SetSpace: {
    label: 'TCBSetSpace', interface: 'TCB',
    args: [w('faultEP'), cap('cspaceRoot'), w('cspaceRootData'), cap('vspaceRoot'), w('vspaceRootData')],
    errors: ['TruncatedMessage', 'IllegalOperation', 'RevokeFirst'],
  },
  TCB_Suspend: { label: 'TCBSuspend', interface: 'TCB', args: [], errors: [] },
  TCB_Resume: { label: 'TCBResume', interface: 'TCB', args: [], errors: [] },
  TCB_BindNotification: {
    label: 'TCBBindNotification', interface: 'TCB',
    args: [cap('notification')],
    errors: ['TruncatedMessage', 'IllegalOperation'],
  },
  TCB_UnbindNotification: { label: 'TCBUnbindNotification', interface: 'TCB', args: [], errors: ['IllegalOperation'] },
  CNode_Revoke: { label: 'CNodeRevoke', interface: 'CNode', args: [w('index'), u8('depth')], errors: ['TruncatedMessage', 'RangeError', 'FailedLookup'] },
  CNode_Delete: { label: 'CNodeDelete', interface: 'CNode', args: [w('index'), u8('depth')], errors: ['TruncatedMessage', 'RangeError', 'FailedLookup'] },
  CNode_CancelBadgedSends: {
    label: 'CNodeCancelBadgedSends', interface: 'CNode', args: [w('index'), u8('depth')],
    errors: ['TruncatedMessage', 'RangeError', 'FailedLookup', 'IllegalOperation'],
  },
  CNode_Copy: {
    label: 'CNodeCopy', interface: 'CNode', args: [...cnodeDest, ...cnodeSrc, { name: 'rights', type: 'rights' }],
    errors: ['TruncatedMessage', 'RangeError', 'FailedLookup', 'DeleteFirst', 'IllegalOperation', 'RevokeFirst'],
  },
  CNode_Mint: {
    label: 'CNodeMint', interface: 'CNode', args: [...cnodeDest, ...cnodeSrc, { name: 'rights', type: 'rights' }, w('badge')],
    errors: ['TruncatedMessage', 'RangeError', 'FailedLookup', 'DeleteFirst', 'IllegalOperation', 'RevokeFirst'],
  },
  CNode_Move: {
    label: 'CNodeMove', interface: 'CNode', args: [...cnodeDest, ...cnodeSrc],
    errors: ['TruncatedMessage', 'RangeError', 'FailedLookup', 'DeleteFirst'],
  },
  CNode_Mutate: {
    label: 'CNodeMutate', interface: 'CNode', args: [...cnodeDest, ...cnodeSrc, w('badge')],
    errors: ['TruncatedMessage', 'RangeError', 'FailedLookup', 'DeleteFirst', 'IllegalOperation'],
  },
  CNode_Rotate: {
    label: 'CNodeRotate', interface: 'CNode',
    args: [w('destIndex'), u8('destDepth'), w('destBadge'), cap('pivotRoot'), w('pivotIndex'), u8('pivotDepth'), w('pivotBadge'), cap('srcRoot'), w('srcIndex'), u8('srcDepth')],
    errors: ['TruncatedMessage', 'RangeError', 'FailedLookup', 'DeleteFirst', 'IllegalOperation'],
  },
  CNode_SaveCaller: {
    label: 'CNodeSaveCaller', interface: 'CNode', args: [w('index'), u8('depth')],
    errors: ['TruncatedMessage', 'RangeError', 'FailedLookup', 'DeleteFirst'],
  },
  IRQControl_Get: {
    label: 'IRQIssueIRQHandler', interface: 'IRQControl', args: [w('irq'), cap('root'), w('index'), u8('depth')],
    errors: ['TruncatedMessage', 'RangeError', 'RevokeFirst', 'FailedLookup', 'DeleteFirst'],
  },
  IRQHandler_Ack: { label: 'IRQAckIRQ', interface: 'IRQHandler', args: [], errors: [] },
  IRQHandler_SetNotification: {
    label: 'IRQSetIRQHandler', interface: 'IRQHandler', args: [cap('notification')],
    errors: ['TruncatedMessage', 'InvalidCapability'],
  },
  IRQHandler_Clear: { label: 'IRQClearIRQHandler', interface: 'IRQHandler', args: [], errors: [] },
  Page_Map: {
    label: 'ARMPageMap', interface: 'Frame', args: [cap('vspace'), w('vaddr'), { name: 'rights', type: 'rights' }, w('attr')],
    errors: ['TruncatedMessage', 'InvalidCapability', 'InvalidArgument', 'FailedLookup', 'AlignmentError', 'DeleteFirst'],
  },
  Page_Unmap: { label: 'ARMPageUnmap', interface: 'Frame', args: [], errors: [] },
  Page_GetAddress: { label: 'ARMPageGetAddress', interface: 'Frame', args: [], errors: [] },
  Page_Clean_Data: { label: 'ARMPageClean_Data', ...pageFlush },
  Page_Invalidate_Data: { label: 'ARMPageInvalidate_Data', ...pageFlush },
  Page_CleanInvalidate_Data: { label: 'ARMPageCleanInvalidate_Data', ...pageFlush },
  Page_Unify_Instruction: { label: 'ARMPageUnify_Instruction', ...pageFlush },
  PageDirectory_Clean_Data: { label: 'ARMPDClean_Data', ...pdFlush },
  PageDirectory_Invalidate_Data: { label: 'ARMPDInvalidate_Data', ...pdFlush },
  PageDirectory_CleanInvalidate_Data: { label: 'ARMPDCleanInvalidate_Data', ...pdFlush },
  PageDirectory_Unify_Instruction: { label: 'ARMPDUnify_Instruction', ...pdFlush },
  PageTable_Map: {
    label: 'ARMPageTableMap', interface: 'PageTable', args: [cap('vspace'), w('vaddr'), w('attr')],
    errors: ['TruncatedMessage', 'InvalidCapability', 'InvalidArgument', 'FailedLookup', 'DeleteFirst'],
  },
  PageTable_Unmap: { label: 'ARMPageTableUnmap', interface: 'PageTable', args: [], errors: ['RevokeFirst'] },
  ASIDControl_MakePool: {
    label: 'ARMASIDControlMakePool', interface: 'ASIDControl', args: [cap('untyped'), cap('root'), w('index'), u8('depth')],
    errors: ['TruncatedMessage', 'DeleteFirst', 'InvalidCapability', 'RevokeFirst', 'RangeError', 'FailedLookup'],
  },
  ASIDPool_Assign: {
    label: 'ARMASIDPoolAssign', interface: 'ASIDPool', args: [cap('vspace')],
    errors: ['TruncatedMessage', 'InvalidCapability', 'DeleteFirst'],
  },
} as const satisfies Record<string, MethodSpec>;

export type MethodName = keyof typeof METHODS;
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

/** The pseudo-method of traces that names a thread (not a system call). */
export const DEBUG_NAME_THREAD = 'DebugNameThread';

const METHOD_BY_LABEL = new Map<number, MethodName>(METHOD_NAMES.map((m) => [LABEL[METHODS[m].label], m]));

/** The modelled method a label selects, if any (labels of unmodelled methods give undefined). */
export function methodOfLabel(label: number): MethodName | undefined {
  return METHOD_BY_LABEL.get(label);
}

export interface ArgPosition {
  /** 'mr': bits [lsb, lsb+width) of message register `index`; 'cap': extra cap `index`; 'regs': MRs from `index`. */
  kind: 'mr' | 'cap' | 'regs';
  index: number;
  lsb: number;
  width: number;
}

const ARG_BITS: Record<ArgType, number> = { word: 32, rights: 32, objtype: 32, u8: 8, bool: 1, cap: 0, regs: 17 * 32 };

/** libsel4's get_parameter_positions: where each argument of a method travels. */
export function argPositions(args: readonly ArgSpec[]): Record<string, ArgPosition> {
  const out: Record<string, ArgPosition> = {};
  let bits = 0;
  let caps = 0;
  for (const a of args) {
    if (a.type === 'cap') {
      out[a.name] = { kind: 'cap', index: caps++, lsb: 0, width: 0 };
      continue;
    }
    const size = ARG_BITS[a.type];
    const align = Math.min(size, 32);
    bits = Math.ceil(bits / align) * align;
    out[a.name] = a.type === 'regs'
      ? { kind: 'regs', index: bits / 32, lsb: 0, width: 32 }
      : { kind: 'mr', index: Math.floor(bits / 32), lsb: bits % 32, width: Math.min(size, 32) };
    bits += size;
  }
  return out;
}

/** Number of message words a method's arguments occupy (the stub's message length). */
export function argWords(args: readonly ArgSpec[]): number {
  let bits = 0;
  for (const a of args) {
    if (a.type === 'cap') continue;
    const size = ARG_BITS[a.type];
    const align = Math.min(size, 32);
    bits = Math.ceil(bits / align) * align + size;
  }
  return Math.ceil(bits / 32);
}

export const ARG_POSITIONS: Record<MethodName, Record<string, ArgPosition>> = Object.fromEntries(
  METHOD_NAMES.map((m) => [m, argPositions(METHODS[m].args)]),
) as Record<MethodName, Record<string, ArgPosition>>;
