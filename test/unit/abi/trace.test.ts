import { describe, expect, it } from 'vitest';
import { TraceError, parseTrace } from '../../../abi/trace';
import { applyPlatform, defaultConfig, isDeviceLine, timerIrq } from '../../../abi/config';
import { messageInfoFromWord } from '../../../abi/messageinfo';
import { SYSCALLS } from '../../../abi/syscalls';

const base = (events: unknown[], extra: Record<string, unknown> = {}) => ({ format: 'l4check-trace/1', events, ...extra });

function problem(json: unknown): string {
  try {
    parseTrace(json);
  } catch (e) {
    expect(e).toBeInstanceOf(TraceError);
    return (e as Error).message;
  }
  throw new Error('parsed without error');
}

describe('config.platform', () => {
  const qemu = { platform: 'qemu-arm-virt' };

  it('defaults to the default platform: 32 lines, the timer on 0', () => {
    const c = parseTrace(base([])).config;
    expect([c.platform, c.irqLines, timerIrq(c)]).toEqual(['default', 32, 0]);
    expect(parseTrace(base([], { config: { irqLines: 8 } })).config.irqLines).toBe(8);
  });

  it('qemu-arm-virt: 160 lines, the timer on 27; an explicit irqLines must agree', () => {
    const c = parseTrace(base([], { config: qemu })).config;
    expect([c.platform, c.irqLines, timerIrq(c)]).toEqual(['qemu-arm-virt', 160, 27]);
    expect(parseTrace(base([], { config: { ...qemu, irqLines: 160 } })).config.irqLines).toBe(160);
    expect(problem(base([], { config: { ...qemu, irqLines: 32 } }))).toBe('config.irqLines: platform qemu-arm-virt has 160 IRQ lines (0..159), got 32');
    expect(problem(base([], { config: { platform: 'pc99' } }))).toBe('config.platform: unknown platform "pc99" (expected one of default, qemu-arm-virt)');
    expect(problem(base([], { config: { platform: 3 } }))).toBe('config.platform: unknown platform 3 (expected one of default, qemu-arm-virt)');
  });

  it("irq events take every line of the platform but the timer's", () => {
    const lines = (c: object, irq: number) => parseTrace(base([{ irq }], { config: c })).events[0].event;
    for (const l of [0, 26, 28, 159]) expect(lines(qemu, l)).toEqual({ tag: 'irq', line: l });
    expect(problem(base([{ irq: 27 }], { config: qemu }))).toBe("events[0].irq: expected 0..159 except 27, got 27 (the timer's line on platform qemu-arm-virt: use tick)");
    expect(problem(base([{ irq: 160 }], { config: qemu }))).toBe('events[0].irq: expected 0..159 except 27, got 160');
  });

  it('an override replaces the platform and its line count before the events are parsed', () => {
    const t = parseTrace(base([{ irq: 0 }], { config: { irqLines: 8 } }), { platform: 'qemu-arm-virt' });
    expect([t.config.platform, t.config.irqLines, t.events[0].event]).toEqual(['qemu-arm-virt', 160, { tag: 'irq', line: 0 }]);
  });

  it('applyPlatform sets the platform and its line count; an unknown name throws', () => {
    const c = applyPlatform(defaultConfig(), 'qemu-arm-virt');
    expect([c.platform, c.irqLines, timerIrq(c)]).toEqual(['qemu-arm-virt', 160, 27]);
    expect(applyPlatform(c, 'default').irqLines).toBe(32);
    expect(() => applyPlatform(c, 'virt')).toThrow('unknown platform "virt" (expected one of default, qemu-arm-virt)');
  });

  it('device lines are every line but the timer', () => {
    const c = applyPlatform(defaultConfig(), 'qemu-arm-virt');
    expect(Array.from({ length: 200 }, (_, l) => l).filter((l) => isDeviceLine(c, l))).toHaveLength(159);
    expect([isDeviceLine(c, 0), isDeviceLine(c, 27), isDeviceLine(c, 159), isDeviceLine(c, 160)]).toEqual([true, false, true, false]);
    expect([isDeviceLine({ irqLines: 32 }, 0), isDeviceLine({ irqLines: 32 }, 31)]).toEqual([false, true]);
  });
});

describe('trace parsing', () => {
  it('rejects a wrong or missing format', () => {
    expect(problem({ format: 'l4check-trace/2', events: [] })).toBe('format: unsupported format "l4check-trace/2"');
    expect(problem({ events: [] })).toMatch(/^format: missing/);
  });

  it('names the JSON path of a bad argument', () => {
    const t = base([{}, {}, {}, { invoke: 'CNode_Mint', cap: 2, args: { destIndex: 1, destDepth: 32, srcRoot: 2, srcIndex: 3, srcDepth: 32, rights: 'RW', badge: -1 } }]);
    t.events[0] = t.events[1] = t.events[2] = { tick: 1 };
    expect(problem(t)).toBe('events[3].args.badge: expected u32, got -1');
  });

  it('closes every object', () => {
    expect(problem(base([], { extra: 1 }))).toBe('extra: unknown key');
    expect(problem(base([], { config: { memoryBits: 24, colour: 'red' } }))).toBe('config.colour: unknown key');
    expect(problem(base([], { config: { variant: { scheduler: 'benno', fast: true } } }))).toBe('config.variant.fast: unknown key');
    expect(problem(base([{ syscall: 'Send', info: { label: 1, size: 2 } }]))).toBe('events[0].info.size: unknown key');
    expect(problem(base([{ syscall: 'Recv', receive: { root: 1, slot: 2 } }]))).toBe('events[0].receive.slot: unknown key');
    expect(problem(base([{ tick: 1, value: 3 }]))).toBe('events[0].value: unknown key');
    expect(problem(base([{ invoke: 'TCB_Suspend', cap: 1, args: { x: 1 } }]))).toBe('events[0].args.x: unknown key');
    expect(problem(base([{ tick: 1 }], { expect: [{ step: 1, threads: { root: { colour: 1 } } }] }))).toBe('expect[0].threads.root.colour: unknown key');
    expect(problem(base([{ tick: 1 }], { expect: [{ step: 1, foo: 1 }] }))).toBe('expect[0].foo: unknown key');
  });

  it('checks value types and ranges', () => {
    expect(problem(base([{ tick: 0 }]))).toBe('events[0].tick: expected 1..65536, got 0');
    expect(problem(base([{ irq: 0 }]))).toBe("events[0].irq: expected 1..31, got 0 (the timer's line on platform default: use tick)");
    expect(problem(base([{ irq: 32 }]))).toBe('events[0].irq: expected 1..31, got 32');
    expect(parseTrace(base([{ irq: 40 }], { config: { irqLines: 64 } })).events[0].event).toEqual({ tag: 'irq', line: 40 });
    expect(problem(base([{ load: '12' }]))).toBe('events[0].load: expected u32, got "12"');
    expect(problem(base([{ load: 1.5 }]))).toBe('events[0].load: expected u32, got 1.5');
    expect(problem(base([{ load: 1e12 }]))).toBe('events[0].load: expected u32, got 1000000000000');
    expect(problem(base([], { config: { tlbEntries: 48 } }))).toBe('config.tlbEntries: expected a power of two, got 48');
    expect(problem(base([], { config: { memoryBits: 30 } }))).toBe('config.memoryBits: expected 22..28, got 30');
    expect(problem(base([], { config: { seed: 2 ** 31 } }))).toMatch(/^config.seed: expected a signed 32-bit integer/);
    expect(problem(base([{ invoke: 'CNode_Copy', cap: 2, args: { destIndex: 1, destDepth: 32, srcRoot: 2, srcIndex: 3, srcDepth: 32, rights: 'RR' } }])))
      .toMatch(/^events\[0\].args.rights: expected rights letters/);
    expect(problem(base([{ invoke: 'TCB_Suspend' , cap: 1}, { invoke: 'Nope', cap: 1 }]))).toBe('events[1].invoke: unknown method "Nope"');
    expect(problem(base([{ invoke: 'TCB_SetPriority', cap: 1, args: { authority: 1 } }]))).toBe('events[0].args.priority: missing argument');
    expect(problem(base([{ tick: 1, load: 4 }]))).toBe('events[0]: more than one event kind (load, tick)');
  });

  it('takes up to 19 registers for WriteRegisters (17, as the shared table has, stay valid)', () => {
    const write = (regs: number[]) => base([{ invoke: 'TCB_WriteRegisters', cap: 18, args: { resumeTarget: false, archFlags: 0, count: 17, regs } }]);
    for (const n of [17, 19]) {
      const e = parseTrace(write(Array.from({ length: n }, (_, i) => i + 1))).events[0].event;
      if (e.tag !== 'syscall') throw new Error('expected a syscall');
      expect(messageInfoFromWord(e.info).length).toBe(21);
      expect(e.mrs.slice(18)).toEqual(n === 19 ? [17, 18, 19] : [17, 0, 0]);
    }
    expect(problem(write(Array(20).fill(0)))).toBe('events[0].args.regs: at most 19 entries, got 20');
    expect(problem(base([{ invoke: 'TCB_SetTLSBase', cap: 1, args: {} }]))).toBe('events[0].args.tlsBase: missing argument');
  });

  it('validates untyped regions', () => {
    expect(problem(base([], { config: { untyped: [{ paddr: '0x00300000', sizeBits: 21 }] } }))).toMatch(/^config.untyped\[0\]: 0x300000 is not aligned/);
    expect(problem(base([], { config: { untyped: [{ paddr: '0x00100000', sizeBits: 20 }] } }))).toMatch(/^config.untyped\[0\]: region lies outside/);
    expect(problem(base([], { config: { untyped: [{ paddr: '0x00400000', sizeBits: 22 }, { paddr: '0x00500000', sizeBits: 20 }] } })))
      .toBe('config.untyped[1]: overlaps config.untyped[0]');
  });

  it('validates expect blocks and thread names', () => {
    expect(problem(base([{ tick: 1 }], { expect: [{ step: 2 }] }))).toBe('expect[0].step: step 2 is after the last event (1)');
    expect(problem(base([{ tick: 1 }], { expect: [{ step: 1 }, { step: 1 }] }))).toBe('expect[1].step: a second expectation for step 1');
    expect(problem(base([{ invoke: 'DebugNameThread', cap: 1, args: { name: 'tcbx' } }]))).toMatch(/^events\[0\].args.name: invalid thread name/);
    expect(problem(base([{ invoke: 'DebugNameThread', cap: 1, args: { name: 'idle' } }]))).toMatch(/invalid thread name/);
  });

  it('fills defaults and marshals a syscall', () => {
    const t = parseTrace(base([{ syscall: 'Call', cap: '0x14', info: { label: 7 }, mrs: [11, 22] }, { syscall: -9 }]));
    const e = t.events[0].event;
    expect(e.tag).toBe('syscall');
    if (e.tag !== 'syscall') return;
    expect(e.number).toBe(SYSCALLS.Call >>> 0);
    expect(e.cap).toBe(0x14);
    expect(messageInfoFromWord(e.info)).toEqual({ label: 7, capsUnwrapped: 0, extraCaps: 0, length: 2 });
    expect(e.receive).toEqual({ root: 0, index: 0, depth: 0 });
    const u = t.events[1].event;
    expect(u.tag === 'syscall' && u.number).toBe((-9) >>> 0);
    expect(t.config.untyped).toEqual([
      { paddr: 0x00200000, sizeBits: 21 }, { paddr: 0x00400000, sizeBits: 22 }, { paddr: 0x00800000, sizeBits: 23 },
    ]);
  });
});

describe('expect values have the observation types (a value that could never match is bad input)', () => {
  const base = { format: 'l4check-trace/1', events: [{ tick: 1 }] };
  const bad = (e: Record<string, unknown>) => () => parseTrace({ ...base, expect: [{ step: 1, ...e }] });
  it.each([
    [{ threads: { root: { state: 'Sleeping' } } }, 'expect[0].threads.root.state: expected a thread state'],
    [{ threads: { root: { info: { label: true } } } }, 'expect[0].threads.root.info.label: expected u32, got true'],
    [{ threads: { root: { info: { length: 1.5 } } } }, 'expect[0].threads.root.info.length: expected u32, got 1.5'],
    [{ threads: { root: { priority: [5] } } }, 'expect[0].threads.root.priority: expected u32, got an array'],
    [{ threads: { root: { error: 'NoSuchError' } } }, 'expect[0].threads.root.error: expected an seL4 error name'],
    [{ threads: { root: { mrs: { x: 1 } } } }, 'expect[0].threads.root.mrs.x: expected a message register index'],
    [{ current: 7 }, 'expect[0].current: expected a string, got 7'],
  ])('%j', (e, msg) => {
    expect(bad(e)).toThrow(msg);
  });

  it('null (absent), hex strings and index objects stay valid', () => {
    expect(() => parseTrace({ ...base, expect: [{ step: 1, current: 'root', threads: { root: { state: 'Running', badge: '0x10', mrs: { 0: 5 }, info: { label: null } }, t1: null } }] })).not.toThrow();
  });

  it('a value nested deeper than the format allows, anywhere, is rejected with its path (no stack overflow)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => parseTrace({ ...base, expect: [{ step: 1, threads: { root: { mrs: deep } } }] })).toThrow('nested deeper than 32 levels');
    expect(() => parseTrace({ ...base, config: { generator: deep } })).toThrow(/^config\.generator(\[0\])+/);
  });
});
