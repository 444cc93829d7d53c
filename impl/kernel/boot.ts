// Boot of the concrete kernel: the same fixed layout as spec/kernel/boot.ts (trace-format.md
// "Boot"), written into machine memory as seL4's boot code does (src/kernel/boot.c: write_slot
// for the root caps, cteInsert for the root thread's own slots, setupReplyMaster), with real
// page tables for the root VSpace.

import { KERNEL_LAYOUT, ROOT_ASID, ROOT_BOOTINFO_VADDR, ROOT_IPC_BUFFER_VADDR, ROOT_PRIORITY, ROOT_SLOTS, CPSR_USER, bootLayout } from '../../abi/boot';
import { type Config, timerIrq } from '../../abi/config';
import { ASID_LOW_BITS, SIZE_BITS } from '../../abi/objecttype';
import { REG } from '../../abi/registers';
import { AP, type Machine, pdeCoarse, pdIndex, pteSmall, ptIndex } from '../../machine';
import { GLOBALS, IRQ_STATE, Kernel } from '../model/state';
import {
  type Cap, makeASIDControlCap, makeASIDPoolCap, makeCNodeCap, makeDomainCap, makeFrameCap, makeIRQControlCap,
  makePageDirectoryCap, makePageTableCap, makeReplyCap, makeThreadCap, makeUntypedCap, writeCap, writeMdb, mdbNext, setMdbNext, setMdbPrev,
} from '../object/cap';
import { VM_RIGHTS, CTE_BYTES, THREAD_STATE } from '../object/structures';
import {
  TCB_CNODE_SLOT, setIPCBuffer, setMCPField, setPriorityField, setRegister, setThreadStateSimpleWords, setTimeSlice, tcbSlotAddr,
} from '../object/tcb-fields';
import { tcbSchedEnqueue } from './thread';
import { setIRQState } from '../object/interrupt';
import { restoreUserContext } from '../api/event';

/**
 * spec: initIRQs — every line Inactive (state word 0 in zeroed memory, masked at power-on), then
 * the platform's timer line IRQTimer, which unmasks it.
 */
function initIRQs(k: Kernel, timer: number): void {
  setIRQState(k, IRQ_STATE.Timer, timer);
}

/** seL4 write_slot: an original (revocable, firstBadged) cap with no MDB links. */
function writeSlot(k: Kernel, slot: number, cap: Cap): void {
  writeCap(k, slot, cap);
  writeMdb(k, slot, 0, 0, true, true);
}

/** cteInsert of a copy that is not revocable, right after its source. */
function insertCopy(k: Kernel, src: number, dest: number, cap: Cap): void {
  const next = mdbNext(k, src);
  writeCap(k, dest, cap);
  writeMdb(k, dest, src, next, false, false);
  setMdbNext(k, src, dest);
  if (next !== 0) setMdbPrev(k, next, dest);
}

/** A fresh TCB as createObject leaves it, plus the fields boot sets. */
function initTCB(k: Kernel, t: number, state: number, prio: number): void {
  setRegister(k, t, REG.cpsr, CPSR_USER);
  setThreadStateSimpleWords(k, t, state);
  setPriorityField(k, t, prio);
  setMCPField(k, t, prio);
  setTimeSlice(k, t, k.config.timeslice);
}

/**
 * Boots a kernel on a new machine, or on `machine` (same options as the configuration's) after a
 * power-on reset (Machine.reset): the result is the same, without allocating memory again.
 * The previous kernel on that machine must not be used afterwards.
 */
export function bootKernel(config: Config, machine?: Machine): Kernel {
  const k = new Kernel(config, machine);
  const L = bootLayout(config);
  const slot = (i: number) => L.rootCNode + i * CTE_BYTES;
  const ghost = (p: number, type: Parameters<Kernel['objects']['set']>[1]['type'], sizeBits: number) => k.objects.set(p, { type, sizeBits });

  ghost(L.rootCNode, 'CNode', config.rootCNodeBits + SIZE_BITS.Slot);
  ghost(L.rootPD, 'PageDirectory', SIZE_BITS.PageDirectory);
  ghost(L.rootASIDPool, 'ASIDPool', SIZE_BITS.ASIDPool);
  ghost(L.ipcBufferFrame, 'SmallPage', SIZE_BITS.SmallPage);
  ghost(L.bootInfoFrame, 'SmallPage', SIZE_BITS.SmallPage);
  ghost(L.pageTable, 'PageTable', SIZE_BITS.PageTable);
  ghost(L.rootTCB, 'TCB', SIZE_BITS.TCB);
  ghost(KERNEL_LAYOUT.idleThread, 'TCB', SIZE_BITS.TCB);
  k.names.set(L.rootTCB, 'root');
  k.names.set(KERNEL_LAYOUT.idleThread, 'idle');

  // The root VSpace: one page table holding the IPC buffer and bootinfo frames.
  k.store(L.rootPD + 4 * pdIndex(ROOT_IPC_BUFFER_VADDR), pdeCoarse(L.pageTable));
  k.store(L.pageTable + 4 * ptIndex(ROOT_IPC_BUFFER_VADDR), pteSmall(L.ipcBufferFrame, AP.UserReadWrite));
  k.store(L.pageTable + 4 * ptIndex(ROOT_BOOTINFO_VADDR), pteSmall(L.bootInfoFrame, AP.UserReadWrite));
  k.store(L.rootASIDPool + 4 * (ROOT_ASID & ((1 << ASID_LOW_BITS) - 1)), L.rootPD);
  k.store(GLOBALS.armKSASIDTable + 4 * (ROOT_ASID >>> ASID_LOW_BITS), L.rootASIDPool);

  const cnodeCap = makeCNodeCap(L.rootCNode, config.rootCNodeBits, 32 - config.rootCNodeBits, 0);
  const pdCap = makePageDirectoryCap(L.rootPD, true, ROOT_ASID);
  writeSlot(k, slot(ROOT_SLOTS.cnode), cnodeCap);
  writeSlot(k, slot(ROOT_SLOTS.vspace), pdCap);
  writeSlot(k, slot(ROOT_SLOTS.irqControl), makeIRQControlCap());
  writeSlot(k, slot(ROOT_SLOTS.asidControl), makeASIDControlCap());
  writeSlot(k, slot(ROOT_SLOTS.asidPool), makeASIDPoolCap(L.rootASIDPool, 0));
  writeSlot(k, slot(ROOT_SLOTS.bootInfoFrame), makeFrameCap(L.bootInfoFrame, 0, VM_RIGHTS.VMReadWrite, false, ROOT_ASID, ROOT_BOOTINFO_VADDR));
  writeSlot(k, slot(ROOT_SLOTS.ipcBuffer), makeFrameCap(L.ipcBufferFrame, 0, VM_RIGHTS.VMReadWrite, false, ROOT_ASID, ROOT_IPC_BUFFER_VADDR));
  writeSlot(k, slot(ROOT_SLOTS.domain), makeDomainCap());
  writeSlot(k, slot(ROOT_SLOTS.pageTable), makePageTableCap(L.pageTable, true, ROOT_ASID, ROOT_IPC_BUFFER_VADDR & 0xfff00000));
  config.untyped.forEach((u, i) => writeSlot(k, slot(ROOT_SLOTS.firstUntyped + i), makeUntypedCap(u.paddr, u.sizeBits, 0, false)));

  const root = L.rootTCB;
  insertCopy(k, slot(ROOT_SLOTS.cnode), tcbSlotAddr(root, TCB_CNODE_SLOT.cTable), cnodeCap);
  insertCopy(k, slot(ROOT_SLOTS.vspace), tcbSlotAddr(root, TCB_CNODE_SLOT.vTable), pdCap);
  insertCopy(k, slot(ROOT_SLOTS.ipcBuffer), tcbSlotAddr(root, TCB_CNODE_SLOT.buffer), makeFrameCap(L.ipcBufferFrame, 0, VM_RIGHTS.VMReadWrite, false, 0, 0));
  writeSlot(k, tcbSlotAddr(root, TCB_CNODE_SLOT.reply), makeReplyCap(root, true, true));
  writeSlot(k, slot(ROOT_SLOTS.tcb), makeThreadCap(root));
  initTCB(k, root, THREAD_STATE.Running, ROOT_PRIORITY);
  setIPCBuffer(k, root, ROOT_IPC_BUFFER_VADDR);

  const idle = KERNEL_LAYOUT.idleThread;
  initTCB(k, idle, THREAD_STATE.Idle, 0);
  setMCPField(k, idle, 0);

  k.store(GLOBALS.ksCurThread, root);
  k.store(GLOBALS.ksIdleThread, idle);
  initIRQs(k, timerIrq(config));
  if (config.variant.scheduler === 'lazy') tcbSchedEnqueue(k, root);
  k.m.setVSpace(L.rootPD, ROOT_ASID);
  restoreUserContext(k);
  k.m.kernelExit();
  return k;
}
