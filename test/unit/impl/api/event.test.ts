// The concrete kernel's entry and exit (impl/api/event.ts): the whole user context, the thread ID
// registers included (seL4 arch_c_entry_hook / arch_c_exit_hook), goes through TCB memory.

import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { REG } from '../../../../abi/registers';
import { parseEvent } from '../../../../abi/trace';
import { Reg } from '../../../../machine';
import { bootKernel, stepKernel } from '../../../../impl';
import { getCurThread, getRegister } from '../../../../impl/object/tcb-fields';

const config = defaultConfig();
const event = (raw: unknown) => parseEvent(raw, 'events[0]', config).event;

describe('kernel entry and exit', () => {
  it('a TLS base set on the running thread is in its CPU at exit and survives the next entry', () => {
    const k = bootKernel(config);
    const root = getCurThread(k);
    const obs = stepKernel(k, event({ invoke: 'TCB_SetTLSBase', cap: 1, args: { tlsBase: '0xc0ffee00' } }), 1);
    expect(obs.threads.root?.error).toBe('NoError');
    expect(k.m.cpu.regs[Reg.tpidrurw]).toBe(0xc0ffee00);
    stepKernel(k, event({ syscall: 'Yield' }), 2);
    expect(getRegister(k, root, REG.tpidrurw)).toBe(0xc0ffee00);
    expect(k.m.cpu.regs[Reg.tpidrurw]).toBe(0xc0ffee00);
    expect(k.m.cpu.regs[Reg.tpidruro]).toBe(0);
  });

  it('a write of the CPU thread ID registers between events is saved at the next entry', () => {
    const k = bootKernel(config);
    const root = getCurThread(k);
    k.m.cpu.regs[Reg.tpidrurw] = 0x1234; // what a user-mode write of TPIDRURW would leave
    stepKernel(k, event({ syscall: 'Yield' }), 1);
    expect(getRegister(k, root, REG.tpidrurw)).toBe(0x1234);
  });
});
