// abi/registers.ts: seL4_UserContext on aarch32 (seL4 1326364b registerset.c frameRegisters /
// gpRegisters, libsel4 sel4_arch/types.h) and the machine's CPU order the impl saves it in.

import { describe, expect, it } from 'vitest';
import {
  N_FRAME_REGISTERS, N_GP_REGISTERS, N_USER_REGISTERS, REG, TLS_BASE_REGISTER, USER_CONTEXT, sanitiseRegister,
} from '../../../abi/registers';
import { REGISTER_COUNT, REGISTER_NAMES, USER_CONTEXT_ORDER } from '../../../machine';

describe('seL4_UserContext (aarch32)', () => {
  it('has 10 frame registers and 9 gp registers, the thread ID registers last', () => {
    expect([N_FRAME_REGISTERS, N_GP_REGISTERS, N_USER_REGISTERS]).toEqual([10, 9, 19]);
    expect(N_FRAME_REGISTERS + N_GP_REGISTERS).toBe(N_USER_REGISTERS);
    expect(USER_CONTEXT.slice(N_FRAME_REGISTERS)).toEqual(['r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r14', 'tpidrurw', 'tpidruro']);
    expect(TLS_BASE_REGISTER).toBe(17);
  });

  it('is the order the machine saves the CPU registers in (lr is r14)', () => {
    expect(USER_CONTEXT_ORDER.map((r) => REGISTER_NAMES[r]!.replace(/^lr$/, 'r14'))).toEqual([...USER_CONTEXT]);
    expect(REGISTER_COUNT).toBe(N_USER_REGISTERS);
  });

  it('sanitises only CPSR: the thread ID registers are taken as given', () => {
    expect(sanitiseRegister(REG.tpidrurw, 0xffffffff)).toBe(0xffffffff);
    expect(sanitiseRegister(REG.tpidruro, 0x1f)).toBe(0x1f);
    expect(sanitiseRegister(REG.cpsr, 0xffffffff)).toBe(0xf8000150);
  });
});
