// Packed layouts of every kernel object and cap of the concrete kernel, declared once as data in
// the shape of seL4's structures_32.bf and arm/32 structures.bf (a block of 32-bit words, fields
// given by low bit and width; `high` fields keep an address in place). Accessors, the round-trip
// test and docs/impl-layouts.md all come from these tables. Where seL4 splits a field across words
// (frame ASIDs) the halves are two fields.

import { type FieldSpec, type Layout, defineLayout } from '../../machine';

export interface ObjectLayout {
  name: string;
  doc: string;
  /** One layout per word, word 0 first. */
  words: readonly Layout[];
}

function block(name: string, doc: string, words: readonly (readonly FieldSpec[])[]): ObjectLayout {
  return { name, doc, words: words.map((f, i) => defineLayout(`${name}.w${i}`, `${name} word ${i}`, f)) };
}

const type4 = (tag: number): FieldSpec => ({ name: 'capType', low: 0, width: 4, tag });
const type8 = (tag: number): FieldSpec => ({ name: 'capType', low: 0, width: 8, tag });

/** cap_tag_t values (seL4 structures_32.bf and arm/32 structures.bf tagged_union cap). */
export const CAP_TAG = {
  null: 0, untyped: 2, endpoint: 4, notification: 6, reply: 8, cnode: 10, thread: 12,
  smallFrame: 1, frame: 3, asidPool: 5, pageTable: 7, pageDirectory: 9, asidControl: 11,
  irqControl: 0x0e, irqHandler: 0x1e, zombie: 0x2e, domain: 0x3e,
} as const;

/** The tag of a cap's first word: 4 bits, or 8 when the low nibble is 0xe or 0xf. */
export function capTagOf(w0: number): number {
  return (w0 & 0xe) === 0xe ? w0 & 0xff : w0 & 0xf;
}

export const CAP_LAYOUTS = {
  null: block('null_cap', 'the empty slot', [[type4(CAP_TAG.null)], []]),
  untyped: block('untyped_cap', 'untyped memory; free index in 16-byte units', [
    [type4(CAP_TAG.untyped), { name: 'capPtr', low: 4, width: 28, high: true }],
    [{ name: 'capBlockSize', low: 0, width: 5 }, { name: 'capIsDevice', low: 5, width: 1 }, { name: 'capFreeIndex', low: 6, width: 26 }],
  ]),
  endpoint: block('endpoint_cap', 'endpoint with badge and rights', [
    [type4(CAP_TAG.endpoint), { name: 'capEPBadge', low: 4, width: 28 }],
    [
      { name: 'capCanSend', low: 0, width: 1 }, { name: 'capCanReceive', low: 1, width: 1 },
      { name: 'capCanGrant', low: 2, width: 1 }, { name: 'capCanGrantReply', low: 3, width: 1 },
      { name: 'capEPPtr', low: 4, width: 28, high: true },
    ],
  ]),
  notification: block('notification_cap', 'notification with badge and rights', [
    [type4(CAP_TAG.notification), { name: 'capNtfnPtr', low: 4, width: 28, high: true }],
    [{ name: 'capNtfnCanSend', low: 0, width: 1 }, { name: 'capNtfnCanReceive', low: 1, width: 1 }, { name: 'capNtfnBadge', low: 4, width: 28 }],
  ]),
  reply: block('reply_cap', 'reply cap (master: the TCB\'s own)', [
    [type4(CAP_TAG.reply), { name: 'capReplyMaster', low: 4, width: 1 }, { name: 'capReplyCanGrant', low: 5, width: 1 }, { name: 'capTCBPtr', low: 6, width: 26, high: true }],
    [],
  ]),
  cnode: block('cnode_cap', 'CNode with guard', [
    [type4(CAP_TAG.cnode), { name: 'capCNodePtr', low: 5, width: 27, high: true }],
    [{ name: 'capCNodeGuard', low: 0, width: 18 }, { name: 'capCNodeRadix', low: 18, width: 5 }, { name: 'capCNodeGuardSize', low: 23, width: 5 }],
  ]),
  thread: block('thread_cap', 'TCB (pointer to the TCB block)', [[type4(CAP_TAG.thread), { name: 'capTCBPtr', low: 4, width: 28, high: true }], []]),
  irqControl: block('irq_control_cap', 'IRQ control', [[type8(CAP_TAG.irqControl)], []]),
  irqHandler: block('irq_handler_cap', 'IRQ handler for one line', [[type8(CAP_TAG.irqHandler)], [{ name: 'capIRQ', low: 0, width: 8 }]]),
  domain: block('domain_cap', 'domain control', [[type8(CAP_TAG.domain)], []]),
  zombie: block('zombie_cap', 'a CNode or TCB being finalised: capZombieType is the CNode radix or 32 for a TCB; capZombieID packs the object\'s first slot (high bits) and the number of slots still to empty (low radix+1 bits)', [
    [type8(CAP_TAG.zombie), { name: 'capZombieType', low: 8, width: 6 }],
    [{ name: 'capZombieID', low: 0, width: 32 }],
  ]),
  smallFrame: block('small_frame_cap', '4 KiB frame; mapped iff ASID != 0', [
    [type4(CAP_TAG.smallFrame), { name: 'capFMappedASIDHigh', low: 4, width: 7 }, { name: 'capFIsDevice', low: 11, width: 1 }, { name: 'capFBasePtr', low: 12, width: 20, high: true }],
    [{ name: 'capFMappedASIDLow', low: 0, width: 10 }, { name: 'capFVMRights', low: 10, width: 2 }, { name: 'capFMappedAddress', low: 12, width: 20, high: true }],
  ]),
  frame: block('frame_cap', '64 KiB / 1 MiB / 16 MiB frame (capFSize 1..3); mapped iff ASID != 0', [
    [type4(CAP_TAG.frame), { name: 'capFMappedASIDHigh', low: 4, width: 7 }, { name: 'capFIsDevice', low: 11, width: 1 }, { name: 'capFSize', low: 12, width: 2 }, { name: 'capFBasePtr', low: 16, width: 16, high: true }],
    [{ name: 'capFMappedASIDLow', low: 0, width: 10 }, { name: 'capFVMRights', low: 10, width: 2 }, { name: 'capFMappedAddress', low: 16, width: 16, high: true }],
  ]),
  pageTable: block('page_table_cap', 'page table', [
    [type4(CAP_TAG.pageTable), { name: 'capPTIsMapped', low: 4, width: 1 }, { name: 'capPTBasePtr', low: 10, width: 22, high: true }],
    [{ name: 'capPTMappedASID', low: 0, width: 17 }, { name: 'capPTMappedAddress', low: 20, width: 12, high: true }],
  ]),
  pageDirectory: block('page_directory_cap', 'page directory', [
    [type4(CAP_TAG.pageDirectory), { name: 'capPDIsMapped', low: 4, width: 1 }, { name: 'capPDBasePtr', low: 14, width: 18, high: true }],
    [{ name: 'capPDMappedASID', low: 0, width: 17 }],
  ]),
  asidControl: block('asid_control_cap', 'ASID control', [[type4(CAP_TAG.asidControl)], []]),
  asidPool: block('asid_pool_cap', 'ASID pool', [
    [type4(CAP_TAG.asidPool), { name: 'capASIDPool', low: 4, width: 28, high: true }],
    [{ name: 'capASIDBase', low: 0, width: 17 }],
  ]),
} as const satisfies Record<string, ObjectLayout>;

/** VM rights encoding in frame caps (seL4 vm_rights_t). */
export const VM_RIGHTS = { VMKernelOnly: 1, VMReadOnly: 2, VMReadWrite: 3, VMNoAccess: 0 } as const;
/** capFSize of frame_cap. */
export const FRAME_SIZE_CODE = { LargePage: 1, Section: 2, SuperSection: 3 } as const;

/** A CTE: the cap's two words, then the MDB node's two (seL4 mdb_node). */
export const CTE_LAYOUT = block('cte', 'capability table entry: cap (2 words) + MDB node (2 words)', [
  [{ name: 'capWord0', low: 0, width: 32 }],
  [{ name: 'capWord1', low: 0, width: 32 }],
  [{ name: 'mdbPrev', low: 3, width: 29, high: true }],
  [{ name: 'mdbFirstBadged', low: 0, width: 1 }, { name: 'mdbRevocable', low: 1, width: 1 }, { name: 'mdbNext', low: 3, width: 29, high: true }],
]);
export const CTE_BYTES = 16;

export const EP_STATE = { Idle: 0, Send: 1, Recv: 2 } as const;
export const ENDPOINT_LAYOUT = block('endpoint', 'endpoint: state and FIFO queue (TCB pointers)', [
  [{ name: 'state', low: 0, width: 2 }, { name: 'epQueue_tail', low: 4, width: 28, high: true }],
  [{ name: 'epQueue_head', low: 4, width: 28, high: true }],
  [],
  [],
]);

export const NTFN_STATE = { Idle: 0, Waiting: 1, Active: 2 } as const;
export const NOTIFICATION_LAYOUT = block('notification', 'notification: state, queue, word, bound TCB', [
  [{ name: 'state', low: 0, width: 2 }, { name: 'ntfnQueue_tail', low: 4, width: 28, high: true }],
  [{ name: 'ntfnQueue_head', low: 4, width: 28, high: true }],
  [{ name: 'ntfnMsgIdentifier', low: 0, width: 32 }],
  [{ name: 'ntfnBoundTCB', low: 4, width: 28, high: true }],
]);

/** seL4 _thread_state_t values. */
export const THREAD_STATE = {
  Inactive: 0, Running: 1, Restart: 2, BlockedOnReceive: 3, BlockedOnSend: 4, BlockedOnReply: 5, BlockedOnNotification: 6, Idle: 7,
} as const;

/** Fault types in the TCB's fault word (seL4_FaultType; 0 = no fault). */
export const FAULT_TYPE = { NullFault: 0, CapFault: 1, UnknownSyscall: 2, UserException: 3, VMFault: 5 } as const;
/** Lookup failure types as stored (seL4 lookup_fault tag: 0 InvalidRoot .. 3 GuardMismatch). */
export const LOOKUP_FAULT = { InvalidRoot: 0, MissingCapability: 1, DepthMismatch: 2, GuardMismatch: 3 } as const;

/**
 * The TCB block: 2^9 bytes, its first half the TCB CNode (slots 0..4 used), the tcb_t at offset
 * 256 (seL4 TCB_OFFSET). Word offsets below are from the tcb_t. The registers fill its first
 * 64-byte line and part of the second; what an IPC touches (state, bound notification, priority,
 * queue links, the fault's type word) stays in the second, and the fault block comes last so that
 * its payload words, written only by a fault, spill into the third.
 */
export const TCB_OFFSET = 256;
export const TCB_WORD = {
  /** 19 saved user registers in seL4_UserContext order (abi/registers.ts). */
  registers: 0,
  tsWord0: 19,
  tsWord1: 20,
  faultHandler: 21,
  ipcBuffer: 22,
  boundNotification: 23,
  prio: 24,
  timeSlice: 25,
  schedNext: 26,
  schedPrev: 27,
  epNext: 28,
  epPrev: 29,
  flags: 30,
  fault0: 31,
  fault1: 32,
  fault2: 33,
  fault3: 34,
} as const;

export const THREAD_STATE_LAYOUT = block('thread_state', 'TCB state: type, blocking object, IPC flags', [
  [{ name: 'tsType', low: 0, width: 4 }, { name: 'blockingObject', low: 4, width: 28, high: true }],
  [{ name: 'blockingIPCBadge', low: 0, width: 28 }, { name: 'blockingIPCCanGrant', low: 28, width: 1 }, { name: 'blockingIPCCanGrantReply', low: 29, width: 1 }, { name: 'blockingIPCIsCall', low: 30, width: 1 }],
]);

export const TCB_PRIO_LAYOUT = defineLayout('tcb_prio', 'priority and MCP', [
  { name: 'priority', low: 0, width: 8 },
  { name: 'mcp', low: 8, width: 8 },
]);

export const TCB_FLAGS_LAYOUT = defineLayout('tcb_flags', 'scheduler flags', [{ name: 'tcbQueued', low: 0, width: 1 }]);

/**
 * The pending fault (4 words). CapFault: fault1 = address, fault2 = lookup failure (type, bitsLeft,
 * bitsFound/guardSize), fault3 = guardFound. UnknownSyscall: fault1 = number. UserException:
 * fault1 = number, fault2 = code. VMFault: fault1 = address, fault2 = FSR.
 */
export const FAULT_LAYOUT = block('fault', 'pending fault', [
  [{ name: 'faultType', low: 0, width: 4 }, { name: 'inReceivePhase', low: 4, width: 1 }, { name: 'instructionFault', low: 5, width: 1 }],
  [{ name: 'faultWord1', low: 0, width: 32 }],
  [{ name: 'faultWord2', low: 0, width: 32 }],
  [{ name: 'faultWord3', low: 0, width: 32 }],
]);

/** A lookup failure in one word (CapFault's fault2): type, bitsLeft, bitsFound or guard size. */
export const LOOKUP_FAILURE_LAYOUT = defineLayout('lookup_fault', 'lookup failure', [
  { name: 'lufType', low: 0, width: 2 },
  { name: 'bitsLeft', low: 2, width: 6 },
  { name: 'bitsFound', low: 8, width: 6 },
]);

export const ALL_LAYOUTS: readonly ObjectLayout[] = [
  ...Object.values(CAP_LAYOUTS), CTE_LAYOUT, ENDPOINT_LAYOUT, NOTIFICATION_LAYOUT, THREAD_STATE_LAYOUT, FAULT_LAYOUT,
];
