// seL4_UserContext on aarch32 (libsel4 sel4_arch/types.h): the frame registers (seL4
// frameRegisters), then the other integer registers and the two thread ID registers (seL4
// gpRegisters), the order of TCB_ReadRegisters / WriteRegisters.

export const USER_CONTEXT = [
  'pc', 'sp', 'cpsr', 'r0', 'r1', 'r8', 'r9', 'r10', 'r11', 'r12',
  'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r14', 'tpidrurw', 'tpidruro',
] as const;

export type RegisterName = (typeof USER_CONTEXT)[number];
export const N_FRAME_REGISTERS = 10;
export const N_GP_REGISTERS = 9;
export const N_USER_REGISTERS = USER_CONTEXT.length;

/** Register file index of each register (the index in USER_CONTEXT). */
export const REG = Object.fromEntries(USER_CONTEXT.map((r, i) => [r, i])) as Record<RegisterName, number>;

/** Registers of the syscall ABI: cap pointer in / badge out, message info, message registers. */
export const CAP_REGISTER = REG.r0;
export const BADGE_REGISTER = REG.r0;
export const MSG_INFO_REGISTER = REG.r1;
export const MSG_REGISTERS = [REG.r2, REG.r3, REG.r4, REG.r5] as const;
export const SYSCALL_NUMBER_REGISTER = REG.r7;

/**
 * The register TCB_SetTLSBase writes (seL4 TLS_BASE): TPIDRURW under the default
 * KernelArmTLSReg `tpidru`, the configuration the recordings ran.
 */
export const TLS_BASE_REGISTER = REG.tpidrurw;

/** UnknownSyscall fault message order: r0..r7, FaultIP, SP, LR, CPSR (then the syscall number). */
export const UNKNOWN_SYSCALL_REGISTERS = [
  REG.r0, REG.r1, REG.r2, REG.r3, REG.r4, REG.r5, REG.r6, REG.r7, REG.pc, REG.sp, REG.r14, REG.cpsr,
] as const;

/** UserException fault message order: FaultIP, SP, CPSR (then Number, Code). */
export const USER_EXCEPTION_REGISTERS = [REG.pc, REG.sp, REG.cpsr] as const;

/**
 * seL4 sanitiseRegister on aarch32: user writes to CPSR keep only the N, Z, C, V and Q flags and
 * add CPSR_USER as a non-debug build defines it (0x150: user mode, asynchronous aborts masked;
 * docs/deviations.md); other registers are taken as given.
 */
export function sanitiseRegister(reg: number, value: number): number {
  if (reg === REG.cpsr) return ((value & 0xf8000000) | 0x150) >>> 0;
  return value >>> 0;
}
