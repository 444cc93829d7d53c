// The concrete kernel's state: everything lives in machine memory (kernel globals in the kernel
// region, objects where retype put them), plus a small ghost record that is not kernel state but
// instrumentation: the heap type description (which object lies where, as the C verification's
// ghost `htd`), the thread names DebugNameThread sets, and what the kernel last delivered to each
// thread (for observations). impl/ imports only abi/ and machine/.

import { type Config, timerIrq } from '../../abi/config';
import type { ErrorName } from '../../abi/errors';
import type { MessageInfo } from '../../abi/messageinfo';
import type { ObjectTypeName } from '../../abi/objecttype';
import { Machine, type MachineOptions } from '../../machine';

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

/**
 * A Map that counts its changes (set, delete, clear), so that what is derived from it (the
 * observation's sorted thread list) is rebuilt only when it changed.
 */
export class VersionedMap<K, V> extends Map<K, V> {
  version = 0;
  override set(key: K, value: V): this {
    this.version++;
    return super.set(key, value);
  }
  override delete(key: K): boolean {
    this.version++;
    return super.delete(key);
  }
  override clear(): void {
    this.version++;
    super.clear();
  }
}

/** The threads an observation lists, derived from the ghost records (see Kernel.observed). */
export interface ObservedThreads {
  /** objects.version and names.version it was built from, and the idle thread. */
  readonly objectsVersion: number;
  readonly namesVersion: number;
  readonly idle: number;
  /** TCB addresses in ascending order, the idle thread last. */
  readonly tcbs: readonly number[];
  /** Their names (threadName), in the same order. */
  readonly names: readonly string[];
}

function machineOptions(config: Config): MachineOptions {
  return { memoryBits: config.memoryBits, tlbEntries: config.tlbEntries, irqLines: config.irqLines, timerIrq: timerIrq(config) };
}

export class Kernel {
  readonly m: Machine;
  readonly config: Config;
  /** Ghost: objects by base address (versioned: observations cache the thread list derived from it). */
  readonly objects = new VersionedMap<number, GhostObject>();
  /** Ghost: DebugNameThread names by TCB address (versioned likewise). */
  readonly names = new VersionedMap<number, string>();
  /** Ghost: observation record by TCB address. */
  readonly delivered = new Map<number, Delivered>();
  /**
   * Instrumentation: the most memory loads one schedule() took during the last event (the
   * bounded-scheduler check compares it with a constant that must not grow with the thread count).
   */
  scheduleLoads = 0;
  /**
   * Instrumentation: the TCBs whose stale ready-queue entries the scheduler walked past (looking
   * for a runnable thread) or removed during the last event, in that order, repeats included: lazy
   * scheduling's unbounded work, which a bounded-scheduler failure names.
   */
  readonly sweptEntries: number[] = [];

  /**
   * Instrumentation: told each time activateThread restarts a thread (seL4 moves its next pc to
   * the restart pc there); the conformance comparer tells restarted calls from returns by it.
   */
  onRestart: ((tcb: number) => void) | undefined = undefined;

  /**
   * Instrumentation for observations (impl/api/observation.ts): the thread list (TCB addresses in
   * observation order, the idle thread last, with their names), valid while the versions match.
   */
  observed: ObservedThreads | undefined = undefined;

  /**
   * A kernel on a new machine, or on `machine` (of the same options) after a power-on reset —
   * reusing a machine saves allocating and zeroing its memory at every boot.
   */
  constructor(config: Config, machine?: Machine) {
    this.config = config;
    const o = machineOptions(config);
    if (machine === undefined) {
      this.m = new Machine(o);
    } else {
      const mo = machine.options;
      if (mo.memoryBits !== o.memoryBits || mo.tlbEntries !== o.tlbEntries || mo.irqLines !== o.irqLines || machine.irq.timerLine !== o.timerIrq) {
        throw new RangeError(`Kernel: the machine's options ${JSON.stringify(mo)} differ from the configuration's ${JSON.stringify(o)}`);
      }
      machine.reset();
      this.m = machine;
    }
  }

  load(p: number): number {
    return this.m.load32(p);
  }

  store(p: number, v: number): void {
    this.m.store32(p, v);
  }
}
