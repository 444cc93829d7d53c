/**
 * The CPU: the running thread's user register file and the kernel/user mode flag.
 *
 * Registers live in a Uint32Array indexed by ARM register number (r0..r12, sp = 13, lr = 14,
 * pc = 15) with the user CPSR at 16 and the CP15 thread ID registers TPIDRURW (user read/write)
 * and TPIDRURO (user read-only) at 17 and 18. On kernel entry the kernel saves them into the
 * current TCB (in memory, with counted stores; seL4 saves the thread ID registers in
 * arch_c_entry_hook) and on exit restores the next thread's; the machine only holds the live copy.
 * USER_CONTEXT_ORDER lists them in seL4_UserContext order (aarch32), the order of
 * TCB_ReadRegisters / WriteRegisters.
 */

export const Reg = {
  r0: 0, r1: 1, r2: 2, r3: 3, r4: 4, r5: 5, r6: 6, r7: 7,
  r8: 8, r9: 9, r10: 10, r11: 11, r12: 12,
  sp: 13, lr: 14, pc: 15, cpsr: 16, tpidrurw: 17, tpidruro: 18,
} as const;
export type Reg = (typeof Reg)[keyof typeof Reg];

export const REGISTER_COUNT = 19;
export const REGISTER_NAMES: readonly string[] = [
  'r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'sp', 'lr', 'pc', 'cpsr',
  'tpidrurw', 'tpidruro',
];

/**
 * seL4_UserContext (aarch32): pc, sp, cpsr, r0, r1, r8, r9, r10, r11, r12, r2, r3, r4, r5, r6, r7,
 * r14, tpidrurw, tpidruro.
 */
export const USER_CONTEXT_ORDER: readonly Reg[] = [
  Reg.pc, Reg.sp, Reg.cpsr, Reg.r0, Reg.r1, Reg.r8, Reg.r9, Reg.r10, Reg.r11, Reg.r12,
  Reg.r2, Reg.r3, Reg.r4, Reg.r5, Reg.r6, Reg.r7, Reg.lr, Reg.tpidrurw, Reg.tpidruro,
];

export type CpuMode = 'user' | 'kernel';

export class Cpu {
  /** The live user registers; values are u32 (writes wrap mod 2^32). */
  readonly regs = new Uint32Array(REGISTER_COUNT);
  /** The machine starts in kernel mode, as at reset: boot runs in the kernel. */
  mode: CpuMode = 'kernel';

  /** Power-on state: registers zero, kernel mode. */
  reset(): void {
    this.regs.fill(0);
    this.mode = 'kernel';
  }
}
