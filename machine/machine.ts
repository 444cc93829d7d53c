/**
 * The modeled machine (DESIGN §3): physical memory, the CPU, the MMU with its TLB, the interrupt
 * controller with the timer on line 0, and the cost counters — everything the concrete kernel runs
 * on. The kernel touches memory only through this API (or the `memory` it exposes), so the counters
 * and the dirty set see every access.
 *
 * Kernel accesses are physical (load32/store32/load8/store8/zero/copy) and throw MachineException
 * when misused; user accesses (userLoad/userStore) go through the MMU and return fault statuses.
 */

import { Counters, type CounterValues } from './counters';
import { Cpu, type CpuMode } from './cpu';
import { MachineException } from './exception';
import { InterruptController } from './interrupts';
import { PhysicalMemory } from './memory';
import { Mmu, type Translation } from './mmu';
import { Tlb } from './tlb';

export interface MachineOptions {
  /** Physical memory is [0, 2^memoryBits), memoryBits in 22..28. */
  readonly memoryBits: number;
  /** TLB slots: a power of two in 1..1024. */
  readonly tlbEntries: number;
  /** Interrupt lines in 2..256; line 0 is the timer. */
  readonly irqLines: number;
}

export const DEFAULT_MACHINE_OPTIONS: MachineOptions = { memoryBits: 24, tlbEntries: 64, irqLines: 32 };

export class Machine {
  readonly options: MachineOptions;
  readonly counters: Counters;
  readonly memory: PhysicalMemory;
  readonly cpu: Cpu;
  readonly tlb: Tlb;
  readonly mmu: Mmu;
  readonly irq: InterruptController;

  constructor(options: Partial<MachineOptions> = {}) {
    const o = { ...DEFAULT_MACHINE_OPTIONS, ...options };
    if (!Number.isInteger(o.memoryBits) || o.memoryBits < 22 || o.memoryBits > 28) {
      throw new RangeError(`memoryBits must be an integer in 22..28, got ${o.memoryBits}`);
    }
    this.options = o;
    this.counters = new Counters();
    this.memory = new PhysicalMemory(o.memoryBits, this.counters);
    this.cpu = new Cpu();
    this.tlb = new Tlb(o.tlbEntries);
    this.mmu = new Mmu(this.memory, this.tlb, this.counters);
    this.irq = new InterruptController(o.irqLines);
    this.counters.openWindow(); // the boot window: the machine starts in kernel mode
  }

  get memoryBytes(): number {
    return this.memory.bytes;
  }

  // ---- physical access (kernel) ----

  load32(paddr: number): number {
    return this.memory.load32(paddr);
  }
  store32(paddr: number, value: number): void {
    this.memory.store32(paddr, value);
  }
  load8(paddr: number): number {
    return this.memory.load8(paddr);
  }
  store8(paddr: number, value: number): void {
    this.memory.store8(paddr, value);
  }
  zero(paddr: number, bytes: number): void {
    this.memory.zero(paddr, bytes);
  }
  copy(dst: number, src: number, bytes: number): void {
    this.memory.copy(dst, src, bytes);
  }
  peek32(paddr: number): number {
    return this.memory.peek32(paddr);
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
    this.memory.newEpoch();
    this.counters.openWindow();
    this.counters.kernelEntries++;
  }

  /** Return to user mode: the window closes (its counts stay readable until the next entry). */
  kernelExit(): void {
    if (this.cpu.mode === 'user') throw new MachineException('bad-mode', 0, 'kernelExit while in user mode');
    this.counters.closeWindow();
    this.memory.newEpoch();
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
