// Boot: the initial kernel state from a config, laid out exactly as trace-format.md "Boot" fixes
// it (seL4 src/kernel/boot.c and arch/arm/kernel/boot.c build the same root-task environment).

import { KERNEL_LAYOUT, ROOT_ASID, ROOT_BOOTINFO_VADDR, ROOT_IPC_BUFFER_VADDR, ROOT_PRIORITY, ROOT_SLOTS, CPSR_USER, bootLayout } from '../../abi/boot';
import { type Config, timerIrq } from '../../abi/config';
import { ASID_LOW_BITS } from '../../abi/objecttype';
import { N_USER_REGISTERS, REG } from '../../abi/registers';
import type { Cap, PPtr } from '../api/types';
import { type CTE, type KernelObject, type TCB, TCB_SLOT } from '../object/structures';
import { type KernelState, cnodeSlot, tcbSlot } from '../model/state';

/** A TCB as seL4's createObject leaves it (Inactive, priority 0, user CPSR). */
export function newTCB(config: Config): TCB {
  const registers = new Array<number>(N_USER_REGISTERS).fill(0);
  registers[REG.cpsr] = CPSR_USER;
  return {
    tag: 'TCB', state: { tag: 'Inactive' }, registers, faultHandler: 0, ipcBuffer: 0, fault: null,
    boundNotification: null, mcp: 0, priority: 0, timeSlice: config.timeslice, name: null, delivered: {},
  };
}

/** The initial state. Pure: builds fresh records. */
export function bootState(config: Config): KernelState {
  const L = bootLayout(config);
  const objects: Record<PPtr, KernelObject> = {};
  const ctes: Record<PPtr, CTE> = {};
  const pdIndex = ROOT_IPC_BUFFER_VADDR >>> 20;
  const ptIndex = (va: number) => (va >>> 12) & 0xff;

  objects[L.rootCNode] = { tag: 'CNode', radix: config.rootCNodeBits };
  objects[L.rootPD] = { tag: 'PageDirectory', entries: { [pdIndex]: { tag: 'PageTablePDE', pt: L.pageTable } } };
  objects[L.rootASIDPool] = { tag: 'ASIDPool', entries: { [ROOT_ASID & ((1 << ASID_LOW_BITS) - 1)]: L.rootPD } };
  objects[L.ipcBufferFrame] = { tag: 'Frame', size: 'SmallPage', words: {} };
  objects[L.bootInfoFrame] = { tag: 'Frame', size: 'SmallPage', words: {} };
  objects[L.pageTable] = {
    tag: 'PageTable',
    entries: {
      [ptIndex(ROOT_IPC_BUFFER_VADDR)]: { tag: 'SmallPagePTE', frame: L.ipcBufferFrame, rights: 'VMReadWrite' },
      [ptIndex(ROOT_BOOTINFO_VADDR)]: { tag: 'SmallPagePTE', frame: L.bootInfoFrame, rights: 'VMReadWrite' },
    },
  };
  const root = newTCB(config);
  root.state = { tag: 'Running' };
  root.priority = ROOT_PRIORITY;
  root.mcp = ROOT_PRIORITY;
  root.ipcBuffer = ROOT_IPC_BUFFER_VADDR;
  root.name = 'root';
  objects[L.rootTCB] = root;
  const idle = newTCB(config);
  idle.state = { tag: 'Idle' };
  idle.name = 'idle';
  objects[KERNEL_LAYOUT.idleThread] = idle;

  // Boot caps are originals (seL4 write_slot: revocable and firstBadged, unlinked).
  const write = (slot: PPtr, cap: Cap) => {
    ctes[slot] = { cap, mdb: { prev: 0, next: 0, revocable: true, firstBadged: true } };
  };
  // A copy inserted right after its source, as cteInsert does (not revocable for these types).
  const insertCopy = (src: PPtr, dest: PPtr, cap: Cap) => {
    const next = ctes[src].mdb.next;
    ctes[dest] = { cap, mdb: { prev: src, next, revocable: false, firstBadged: false } };
    ctes[src].mdb.next = dest;
    if (next !== 0) ctes[next].mdb.prev = dest;
  };
  const slot = (i: number) => cnodeSlot(L.rootCNode, i);
  const cnodeCap: Cap = { tag: 'CNodeCap', ptr: L.rootCNode, radix: config.rootCNodeBits, guardSize: 32 - config.rootCNodeBits, guard: 0 };
  const pdCap: Cap = { tag: 'PageDirectoryCap', ptr: L.rootPD, mapped: ROOT_ASID };
  const ipcCap = (mapped: boolean): Cap => ({
    tag: 'FrameCap', ptr: L.ipcBufferFrame, size: 'SmallPage', rights: 'VMReadWrite',
    mapped: mapped ? { asid: ROOT_ASID, vaddr: ROOT_IPC_BUFFER_VADDR } : null,
  });

  write(slot(ROOT_SLOTS.cnode), cnodeCap);
  write(slot(ROOT_SLOTS.vspace), pdCap);
  write(slot(ROOT_SLOTS.irqControl), { tag: 'IRQControlCap' });
  write(slot(ROOT_SLOTS.asidControl), { tag: 'ASIDControlCap' });
  write(slot(ROOT_SLOTS.asidPool), { tag: 'ASIDPoolCap', ptr: L.rootASIDPool, asidBase: 0 });
  write(slot(ROOT_SLOTS.bootInfoFrame), {
    tag: 'FrameCap', ptr: L.bootInfoFrame, size: 'SmallPage', rights: 'VMReadWrite', mapped: { asid: ROOT_ASID, vaddr: ROOT_BOOTINFO_VADDR },
  });
  write(slot(ROOT_SLOTS.ipcBuffer), ipcCap(true));
  write(slot(ROOT_SLOTS.domain), { tag: 'DomainCap' });
  write(slot(ROOT_SLOTS.pageTable), { tag: 'PageTableCap', ptr: L.pageTable, mapped: { asid: ROOT_ASID, vaddr: ROOT_IPC_BUFFER_VADDR & 0xfff00000 } });
  config.untyped.forEach((u, i) => {
    write(slot(ROOT_SLOTS.firstUntyped + i), { tag: 'UntypedCap', ptr: u.paddr, sizeBits: u.sizeBits, freeIndex: 0, isDevice: false });
  });
  // The root thread's own slots: derived copies of its CSpace, VSpace and (unmapped) IPC buffer cap.
  insertCopy(slot(ROOT_SLOTS.cnode), tcbSlot(L.rootTCB, TCB_SLOT.cTable), cnodeCap);
  insertCopy(slot(ROOT_SLOTS.vspace), tcbSlot(L.rootTCB, TCB_SLOT.vTable), pdCap);
  insertCopy(slot(ROOT_SLOTS.ipcBuffer), tcbSlot(L.rootTCB, TCB_SLOT.buffer), ipcCap(false));
  write(tcbSlot(L.rootTCB, TCB_SLOT.reply), { tag: 'ReplyCap', tcb: L.rootTCB, master: true, canGrant: true });
  write(slot(ROOT_SLOTS.tcb), { tag: 'ThreadCap', ptr: L.rootTCB });

  const { irqStates, irqMasked } = initIRQs(config);

  return {
    config,
    objects,
    ctes,
    curThread: L.rootTCB,
    idleThread: KERNEL_LAYOUT.idleThread,
    schedulerAction: { tag: 'ResumeCurrentThread' },
    // Under lazy scheduling the running thread stays in its ready queue.
    readyQueues: config.variant.scheduler === 'lazy' ? { [ROOT_PRIORITY]: [L.rootTCB] } : {},
    asidTable: { [ROOT_ASID >>> ASID_LOW_BITS]: L.rootASIDPool },
    irqStates,
    irqMasked,
    irqPending: new Array<boolean>(config.irqLines).fill(false),
  };
}

/**
 * seL4 init_irqs (src/arch/arm/kernel/boot.c): every line 0..maxIRQ Inactive (masked), then the
 * platform's timer line IRQTimer (unmasked). The platforms modelled reserve no other line.
 */
function initIRQs(config: Config): Pick<KernelState, 'irqStates' | 'irqMasked'> {
  const irqStates = new Array(config.irqLines).fill('Inactive') as KernelState['irqStates'];
  const irqMasked = new Array<boolean>(config.irqLines).fill(true);
  const timer = timerIrq(config);
  irqStates[timer] = 'Timer';
  irqMasked[timer] = false;
  return { irqStates, irqMasked };
}
