import { describe, expect, it } from 'vitest';
import { Machine, REGISTER_COUNT, REGISTER_NAMES, Reg, USER_CONTEXT_ORDER } from '../../../machine/index';

describe('Machine construction', () => {
  it('sizes memory, TLB and interrupt controller from its options', () => {
    const m = new Machine({ memoryBits: 22, tlbEntries: 8, irqLines: 4 });
    expect(m.memoryBytes).toBe(4 * 1024 * 1024);
    expect(m.tlb.entries).toBe(8);
    expect(m.irq.lines).toBe(4);
    expect(new Machine({ memoryBits: 28 }).memoryBytes).toBe(2 ** 28);
  });

  it('rejects options out of range', () => {
    for (const memoryBits of [21, 29, 24.5]) expect(() => new Machine({ memoryBits })).toThrow(/memoryBits/);
    expect(() => new Machine({ tlbEntries: 48 })).toThrow(/tlbEntries/);
    expect(() => new Machine({ irqLines: 1 })).toThrow(/irqLines/);
  });

  it('delegates physical access to its memory', () => {
    const m = new Machine({ memoryBits: 22 });
    m.store32(0x40, 0x01020304);
    m.store8(0x44, 0xff);
    m.zero(0x48, 8);
    m.copy(0x50, 0x40, 8);
    expect([m.load32(0x50), m.load8(0x54), m.peek32(0x44)]).toEqual([0x01020304, 0xff, 0xff]);
    expect(m.memory.dirtyCount).toBe(2);
  });
});

describe('CPU registers', () => {
  it('holds r0..r12, sp, lr, pc, cpsr and the thread ID registers as u32', () => {
    const m = new Machine({ memoryBits: 22 });
    expect(m.cpu.regs).toHaveLength(REGISTER_COUNT);
    m.cpu.regs[Reg.r7] = -3; // a syscall number
    expect(m.cpu.regs[Reg.r7]).toBe(0xfffffffd);
    expect(REGISTER_NAMES[Reg.sp]).toBe('sp');
    expect(REGISTER_NAMES[Reg.cpsr]).toBe('cpsr');
    expect(REGISTER_NAMES[Reg.tpidrurw]).toBe('tpidrurw');
    expect(REGISTER_NAMES[Reg.tpidruro]).toBe('tpidruro');
    expect(REGISTER_NAMES).toHaveLength(REGISTER_COUNT);
  });

  it('lists seL4_UserContext (aarch32) in TCB_ReadRegisters order', () => {
    expect(USER_CONTEXT_ORDER.map((r) => REGISTER_NAMES[r])).toEqual([
      'pc', 'sp', 'cpsr', 'r0', 'r1', 'r8', 'r9', 'r10', 'r11', 'r12', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'lr',
      'tpidrurw', 'tpidruro',
    ]);
    expect(new Set(USER_CONTEXT_ORDER).size).toBe(REGISTER_COUNT);
  });
});

describe('layering', () => {
  it('machine/ imports nothing of the project', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../../../machine/', import.meta.url);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const src = readFileSync(new URL(f, dir), 'utf8');
      for (const [, spec] of src.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        expect(spec.startsWith('./') || spec.startsWith('node:'), `${f} imports ${spec}`).toBe(true);
      }
    }
  });
});
