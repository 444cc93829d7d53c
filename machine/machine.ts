/**
 * The modeled machine (DESIGN §3): physical memory, the CPU, the MMU with its TLB, the interrupt
 * controller with its timer line, and the cost counters — everything the concrete kernel runs
 * on. The kernel touches memory only through this API, so the counters and the dirty set see
 * every access.
 *
 * Kernel accesses are physical (load32/store32/load8/store8/zero/copy, inherited from
 * PhysicalMemory) and throw MachineException when misused; user accesses (userLoad/userStore) go
 * through the MMU and return fault statuses.
 */

import { Counters, type CounterValues } from './counters';
import { Cpu, type CpuMode } from './cpu';
import { MachineException } from './exception';
import { InterruptController, TIMER_IRQ } from './interrupts';
import { type MemorySnapshot, PhysicalMemory } from './memory';
import { type PartSnapshot, restorePart, savePart } from './snapshot';
import { Mmu, type Translation } from './mmu';
import { Tlb } from './tlb';

export interface MachineOptions {
  /** Physical memory is [0, 2^memoryBits), memoryBits in 22..28. */
  readonly memoryBits: number;
  /** TLB slots: a power of two in 1..1024. */
  readonly tlbEntries: number;
  /** Interrupt lines in 2..256. */
  readonly irqLines: number;
  /** The line the timer raises, in [0, irqLines); TIMER_IRQ (0) when not given. */
  readonly timerIrq?: number;
}

/** Machine.save's value: everything restore needs to bring a machine of the same options back to that point. */
export interface MachineSnapshot {
  readonly options: MachineOptions;
  readonly memory: MemorySnapshot;
  /** cpu, tlb, mmu, irq, counters, in that order. */
  readonly parts: readonly PartSnapshot[];
}

export const DEFAULT_MACHINE_OPTIONS: MachineOptions = { memoryBits: 24, tlbEntries: 64, irqLines: 32 };

/**
 * The machine *is* its physical memory (it extends PhysicalMemory), so that the kernel's
 * `m.load32(p)` is one call, not a delegation: at 50-300 accesses per kernel entry the extra call
 * level costs ~10% of the impl's time budget. `m.memory` is the machine itself.
 */
export class Machine extends PhysicalMemory {
  readonly options: MachineOptions;
  readonly cpu: Cpu;
  readonly tlb: Tlb;
  readonly mmu: Mmu;
  readonly irq: InterruptController;

  constructor(options: Partial<MachineOptions> = {}) {
    const o = { ...DEFAULT_MACHINE_OPTIONS, ...options };
    if (!Number.isInteger(o.memoryBits) || o.memoryBits < 22 || o.memoryBits > 28) {
      throw new RangeError(`memoryBits must be an integer in 22..28, got ${o.memoryBits}`);
    }
    super(o.memoryBits, new Counters());
    this.options = o;
    this.cpu = new Cpu();
    this.tlb = new Tlb(o.tlbEntries);
    this.mmu = new Mmu(this, this.tlb, this.counters);
    this.irq = new InterruptController(o.irqLines, o.timerIrq ?? TIMER_IRQ);
    this.counters.openWindow(); // the boot window: the machine starts in kernel mode
  }

  /**
   * Power-on reset, for reusing a machine instead of allocating a new one (allocating and zeroing
   * 2^memoryBits bytes costs milliseconds, more than a boot): afterwards the machine is
   * indistinguishable from `new Machine(this.options)` — memory zero (only the blocks written since
   * the last reset are cleared: O(written), not O(memory)), dirty set empty, counters zero with the
   * boot window open, CPU registers zero in kernel mode, no VSpace, TLB empty, every interrupt
   * line masked and none pending. Line stamps are not cleared: a new epoch makes every line new.
   */
  reset(): void {
    this.powerOn();
    this.cpu.reset();
    this.tlb.reset();
    this.mmu.reset();
    this.irq.reset();
    this.counters.powerOn();
    this.counters.openWindow();
  }

  /**
   * The whole machine state as a value (memory as saveMemory takes it, and every field of the
   * CPU, TLB, MMU, interrupt controller and counters), for restarting runs from one point without
   * replaying what led there (check's shrinking restarts every candidate after the setup).
   */
  save(): MachineSnapshot {
    const shared = new Set<object>([this, this.cpu, this.tlb, this.mmu, this.irq, this.counters]);
    return { options: { ...this.options }, memory: this.saveMemory(), parts: this.parts().map((p) => savePart(p, shared)) };
  }

  /** Back to the state `s` was saved in, on this machine or another of the same options: indistinguishable through the API. */
  restore(s: MachineSnapshot): void {
    const a = s.options;
    const b = this.options;
    if (a.memoryBits !== b.memoryBits || a.tlbEntries !== b.tlbEntries || a.irqLines !== b.irqLines || (a.timerIrq ?? TIMER_IRQ) !== (b.timerIrq ?? TIMER_IRQ)) {
      throw new RangeError(`Machine.restore: a snapshot of ${JSON.stringify(a)} on a machine of ${JSON.stringify(b)}`);
    }
    this.restoreMemory(s.memory);
    this.parts().forEach((p, i) => restorePart(p, s.parts[i]));
  }

  private parts(): object[] {
    return [this.cpu, this.tlb, this.mmu, this.irq, this.counters];
  }

  /** Physical memory (load32, store32, load8, store8, zero, copy, peek32, dirty tracking): the machine itself. */
  get memory(): PhysicalMemory {
    return this;
  }

  get memoryBytes(): number {
    return this.bytes;
  }

  // ---- user access (through the MMU) ----

  /** 0 with the word in `loaded`, or a fault status with the address in `faultAddress`. */
  userLoad(vaddr: number): number {
    return this.mmu.userLoad(vaddr);
  }
  /** 0, or a fault status (WnR set) with the address in `faultAddress`. */
  userStore(vaddr: number, value: number): number {
    return this.mmu.userStore(vaddr, value);
  }
  get loaded(): number {
    return this.mmu.value;
  }
  get faultAddress(): number {
    return this.mmu.faultAddress;
  }
  get faultStatus(): number {
    return this.mmu.faultStatus;
  }

  // ---- MMU control (kernel) ----

  setVSpace(pdPaddr: number, asid: number): void {
    this.mmu.setVSpace(pdPaddr, asid);
  }
  clearVSpace(): void {
    this.mmu.clearVSpace();
  }
  translate(vaddr: number, pdPaddr: number): Translation {
    return this.mmu.translate(vaddr, pdPaddr);
  }
  flushByAddress(vaddr: number, asid: number): void {
    this.tlb.flushByAddress(vaddr, asid);
  }
  flushByASID(asid: number): void {
    this.tlb.flushByASID(asid);
  }
  flushAll(): void {
    this.tlb.flushAll();
  }

  // ---- kernel entry and exit ----

  get mode(): CpuMode {
    return this.cpu.mode;
  }

  /** Trap into the kernel: kernel mode, a new counter window, one more kernel entry. */
  kernelEntry(): void {
    if (this.cpu.mode === 'kernel') throw new MachineException('bad-mode', 0, 'kernelEntry while in kernel mode');
    this.cpu.mode = 'kernel';
    this.newEpoch();
    this.counters.openWindow();
    this.counters.kernelEntries++;
  }

  /** Return to user mode: the window closes (its counts stay readable until the next entry). */
  kernelExit(): void {
    if (this.cpu.mode === 'user') throw new MachineException('bad-mode', 0, 'kernelExit while in user mode');
    this.counters.closeWindow();
    this.newEpoch();
    this.cpu.mode = 'user';
  }

  /** Counts of the current (or last) kernel entry; see counters.ts. */
  perEntry(out?: CounterValues): CounterValues {
    return this.counters.perEntry(out);
  }
  cumulative(out?: CounterValues): CounterValues {
    return this.counters.cumulative(out);
  }

  // ---- interrupts ----

  timerFire(): void {
    this.irq.timerFire();
  }
}
