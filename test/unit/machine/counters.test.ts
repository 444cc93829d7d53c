import { describe, expect, it } from 'vitest';
import { AP, COUNTER_NAMES, Counters, Machine, MachineException, pdeCoarse, pteSmall, zeroCounters } from '../../../machine/index';

function userMachine(): Machine {
  const m = new Machine({ memoryBits: 22, tlbEntries: 16, irqLines: 8 });
  m.store32(0x4000, pdeCoarse(0x8000));
  m.store32(0x8000, pteSmall(0x00100000, AP.UserReadWrite));
  m.setVSpace(0x4000, 1);
  return m;
}

describe('counter windows', () => {
  it('starts in kernel mode with the boot window open', () => {
    const m = new Machine();
    expect(m.mode).toBe('kernel');
    expect(m.counters.inWindow).toBe(true);
    m.store32(0, 1);
    expect(m.perEntry()).toEqual({ ...zeroCounters(), stores: 1, lines: 1 });
    expect(m.options).toEqual({ memoryBits: 24, tlbEntries: 64, irqLines: 32 });
  });

  it('per entry counts only the current window; cumulative counts everything', () => {
    const m = userMachine();
    m.kernelExit(); // end of boot
    const boot = m.perEntry();
    expect(boot.stores).toBe(2);

    expect(m.userLoad(0x10)).toBe(0); // user mode: a miss (2 walk loads) and the load
    expect(m.perEntry()).toEqual(boot); // frozen while in user mode

    m.kernelEntry();
    expect(m.perEntry()).toEqual({ ...zeroCounters(), kernelEntries: 1 });
    m.load32(0x100);
    m.load32(0x104);
    m.store32(0x200, 1);
    m.store8(0x1000, 1);
    const inside = m.perEntry();
    expect(inside).toEqual({ loads: 2, stores: 2, lines: 3, tlbHits: 0, tlbMisses: 0, kernelEntries: 1 });
    m.kernelExit();
    expect(m.perEntry()).toEqual(inside);
    expect(m.userLoad(0x14)).toBe(0); // a hit, outside any entry
    expect(m.perEntry()).toEqual(inside);

    expect(m.cumulative()).toEqual({
      loads: 3 + 2 + 1, // walk (2) + user load, kernel (2), user load
      stores: 2 + 2,
      lines: 2 + 3 + 3 + 1, // boot, user stretch (PDE, PTE, frame), kernel entry, user stretch (frame)
      tlbHits: 1,
      tlbMisses: 1,
      kernelEntries: 1,
    });
  });

  it('counts distinct lines afresh in every entry', () => {
    const m = userMachine();
    m.kernelExit();
    for (let k = 0; k < 3; k++) {
      m.kernelEntry();
      for (let a = 0; a < 256; a += 4) m.load32(0x2000 + a); // 4 lines, 64 loads
      expect(m.perEntry()).toMatchObject({ loads: 64, lines: 4, kernelEntries: 1 });
      m.kernelExit();
    }
    expect(m.cumulative()).toMatchObject({ loads: 192, kernelEntries: 3 });
  });

  it('counts page-table walk reads as loads, in the window of the access', () => {
    const m = userMachine();
    m.kernelExit();
    m.kernelEntry();
    m.kernelExit();
    m.userStore(0x20, 9);
    expect(m.cumulative()).toMatchObject({ loads: 2, stores: 3, tlbMisses: 1 });
  });

  it('rejects a nested entry and an exit from user mode', () => {
    const m = new Machine();
    expect(() => m.kernelEntry()).toThrow(MachineException);
    m.kernelExit();
    expect(() => m.kernelExit()).toThrow(MachineException);
    m.kernelEntry();
    expect(m.mode).toBe('kernel');
  });

  it('perEntry and cumulative fill a given object without allocating a new one', () => {
    const m = new Machine();
    const out = zeroCounters();
    expect(m.perEntry(out)).toBe(out);
    expect(m.cumulative(out)).toBe(out);
  });

  it('reset zeroes totals and windows', () => {
    const c = new Counters();
    c.openWindow();
    c.loads = 5;
    c.closeWindow();
    c.reset();
    for (const k of COUNTER_NAMES) expect(c[k]).toBe(0);
    expect(c.perEntry()).toEqual(zeroCounters());
    const m = userMachine();
    m.counters.reset();
    m.load32(0);
    expect(m.perEntry()).toMatchObject({ loads: 1 });
    expect(m.cumulative()).toMatchObject({ loads: 1, stores: 0 });
  });
});
