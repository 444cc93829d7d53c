// The fixed boot layout (trace-format.md "Boot"): addresses of kernel globals and of the root
// task's boot objects, and the root CNode's slot numbers. Both kernels boot from this one table.

import type { Config } from './config';
import type { BootInfoObservation } from './events';
import { SIZE_BITS } from './objecttype';

/** [0, 1 MiB) is the kernel's; no cap ever points into it. */
export const KERNEL_REGION_END = 0x00100000;
/** Kernel objects the spec state names (they live in the kernel region). */
export const KERNEL_LAYOUT = {
  /** The IRQ node: one CTE per IRQ line, 16 bytes each (at most 256 lines). */
  irqNode: 0x00004000,
  /** The idle thread's TCB block (2^9 bytes). */
  idleThread: 0x00008000,
  /** The kernel's own page directory (2^14 bytes, 16 KiB aligned). */
  kernelPD: 0x000f8000,
} as const;

export const BOOT_REGION = { start: 0x00100000, end: 0x00200000 } as const;

export const ROOT_SLOTS = {
  null: 0,
  tcb: 1,
  cnode: 2,
  vspace: 3,
  irqControl: 4,
  asidControl: 5,
  asidPool: 6,
  bootInfoFrame: 9,
  ipcBuffer: 10,
  domain: 11,
  pageTable: 16,
  firstUntyped: 17,
} as const;

export const ROOT_IPC_BUFFER_VADDR = 0x00200000;
export const ROOT_BOOTINFO_VADDR = 0x00201000;
export const ROOT_ASID = 1;
export const ROOT_PRIORITY = 255;
/** The user CPSR seL4 gives new threads on aarch32 (CPSR_USER, non-debug build). */
export const CPSR_USER = 0x150;

export interface BootLayout {
  rootCNode: number;
  rootPD: number;
  rootASIDPool: number;
  ipcBufferFrame: number;
  bootInfoFrame: number;
  pageTable: number;
  rootTCB: number;
  /** First address after the boot objects. */
  end: number;
}

/** Boot objects packed upwards from 1 MiB in the contract's order, each naturally aligned. */
export function bootLayout(config: Pick<Config, 'rootCNodeBits'>): BootLayout {
  let p = BOOT_REGION.start;
  const place = (bits: number): number => {
    const a = Math.ceil(p / 2 ** bits) * 2 ** bits;
    p = a + 2 ** bits;
    return a;
  };
  const rootCNode = place(config.rootCNodeBits + SIZE_BITS.Slot);
  const rootPD = place(SIZE_BITS.PageDirectory);
  const rootASIDPool = place(SIZE_BITS.ASIDPool);
  const ipcBufferFrame = place(SIZE_BITS.SmallPage);
  const bootInfoFrame = place(SIZE_BITS.SmallPage);
  const pageTable = place(SIZE_BITS.PageTable);
  const rootTCB = place(SIZE_BITS.TCB);
  return { rootCNode, rootPD, rootASIDPool, ipcBufferFrame, bootInfoFrame, pageTable, rootTCB, end: p };
}

/** Step 0's bootinfo: the untyped caps (slot, paddr, sizeBits) and the free slot range. */
export function bootInfoObservation(config: Pick<Config, 'untyped' | 'rootCNodeBits'>): BootInfoObservation {
  const untyped = config.untyped.map((u, i) => ({ slot: ROOT_SLOTS.firstUntyped + i, paddr: u.paddr, sizeBits: u.sizeBits }));
  return { untyped, empty: [ROOT_SLOTS.firstUntyped + untyped.length, 2 ** config.rootCNodeBits - 1] };
}
