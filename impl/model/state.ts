// The concrete kernel's state: everything lives in machine memory (kernel globals in the kernel
// region, objects where retype put them), plus a small ghost record that is not kernel state but
// instrumentation: the heap type description (which object lies where, as the C verification's
// ghost `htd`), the thread names DebugNameThread sets, and what the kernel last delivered to each
// thread (for observations). impl/ imports only abi/ and machine/.

import type { Config } from '../../abi/config';
import type { ErrorName } from '../../abi/errors';
import type { MessageInfo } from '../../abi/messageinfo';
import type { ObjectTypeName } from '../../abi/objecttype';
import { Machine } from '../../machine';

/** Kernel globals, in the kernel region [0, 1 MiB) (abi/boot.ts KERNEL_LAYOUT has the rest). */
export const GLOBALS = {
  ksCurThread: 0x0000,
  /** 0 ResumeCurrentThread, 1 ChooseNewThread, otherwise the TCB to switch to. */
  ksSchedulerAction: 0x0004,
  ksIdleThread: 0x0008,
  ksReadyQueuesL1Bitmap: 0x000c,
  /** 8 words; word i stored at index 7 - i (seL4 inverts L2 for locality). */
  ksReadyQueuesL2Bitmap: 0x0010,
  /** armKSASIDTable: 128 words, ASID pool pointers. */
  armKSASIDTable: 0x0040,
  /** intStateIRQTable: one word per IRQ line (IRQ_STATE). */
  intStateIRQTable: 0x0400,
  /** ksReadyQueues: 256 x { head, tail } TCB pointers. */
  ksReadyQueues: 0x0800,
} as const;

export const SCHED_ACTION = { ResumeCurrentThread: 0, ChooseNewThread: 1 } as const;
export const IRQ_STATE = { Inactive: 0, Signal: 1, Timer: 2, Reserved: 3 } as const;

/** Object kinds of the ghost heap type description ('ASIDPool' is made by ASIDControl, not retype). */
export type GhostObjectType = Exclude<ObjectTypeName, 'Untyped'> | 'ASIDPool';

export interface GhostObject {
  type: GhostObjectType;
  /** Size in bits of the object (CNode: 4 + radix). */
  sizeBits: number;
}

/** What the kernel last delivered to a thread (the observation's badge/info/mrs/error). */
export interface Delivered {
  badge?: number;
  info?: MessageInfo;
  mrs?: number[];
  error?: ErrorName;
}

export class Kernel {
  readonly m: Machine;
  readonly config: Config;
  /** Ghost: objects by base address. */
  readonly objects = new Map<number, GhostObject>();
  /** Ghost: DebugNameThread names by TCB address. */
  readonly names = new Map<number, string>();
  /** Ghost: observation record by TCB address. */
  readonly delivered = new Map<number, Delivered>();
  /**
   * Instrumentation: the most memory loads one schedule() took during the last event (the
   * bounded-scheduler check compares it with a constant that must not grow with the thread count).
   */
  scheduleLoads = 0;

  constructor(config: Config) {
    this.config = config;
    this.m = new Machine({ memoryBits: config.memoryBits, tlbEntries: config.tlbEntries, irqLines: config.irqLines });
  }

  load(p: number): number {
    return this.m.load32(p);
  }

  store(p: number, v: number): void {
    this.m.store32(p, v);
  }
}
