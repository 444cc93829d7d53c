import { describe, expect, it } from 'vitest';
import { InterruptController, Machine, MachineException, NO_IRQ, TIMER_IRQ } from '../../../machine/index';

describe('interrupt controller', () => {
  it('starts with every line masked and nothing pending', () => {
    const ic = new InterruptController(8);
    for (let l = 0; l < 8; l++) {
      expect(ic.isMasked(l)).toBe(true);
      expect(ic.isPending(l)).toBe(false);
    }
    expect(ic.activeIrq()).toBe(NO_IRQ);
  });

  it('a raise on a masked line stays pending until unmasked', () => {
    const ic = new InterruptController(8);
    ic.raise(5);
    expect(ic.isPending(5)).toBe(true);
    expect(ic.activeIrq()).toBe(NO_IRQ);
    ic.unmask(5);
    expect(ic.activeIrq()).toBe(5);
    ic.mask(5);
    expect(ic.activeIrq()).toBe(NO_IRQ);
    ic.unmask(5);
    ic.ack(5);
    expect(ic.isPending(5)).toBe(false);
    expect(ic.activeIrq()).toBe(NO_IRQ);
  });

  it('answers the lowest-numbered pending unmasked line', () => {
    const ic = new InterruptController(32);
    for (const l of [3, 7, 31]) ic.unmask(l);
    ic.raise(31);
    ic.raise(7);
    ic.raise(2); // masked
    expect(ic.activeIrq()).toBe(7);
    ic.raise(3);
    ic.raise(3); // idempotent
    expect(ic.activeIrq()).toBe(3);
    ic.ack(3);
    expect(ic.activeIrq()).toBe(7);
    ic.ack(7);
    expect(ic.activeIrq()).toBe(31);
    ic.ack(31);
    ic.ack(31);
    expect(ic.activeIrq()).toBe(NO_IRQ);
    ic.unmask(2);
    expect(ic.activeIrq()).toBe(2);
  });

  it('has the timer on line 0, which wins over every other line', () => {
    const m = new Machine({ memoryBits: 22, tlbEntries: 1, irqLines: 2 });
    m.irq.unmask(TIMER_IRQ);
    m.irq.unmask(1);
    m.irq.raise(1);
    m.timerFire();
    expect(m.irq.activeIrq()).toBe(TIMER_IRQ);
  });

  it('can wire the timer to another line (27 on QEMU virt): lower pending lines come first', () => {
    const m = new Machine({ memoryBits: 22, tlbEntries: 1, irqLines: 160, timerIrq: 27 });
    expect(m.irq.timerLine).toBe(27);
    m.irq.unmask(27);
    m.irq.unmask(0);
    m.timerFire();
    expect([m.irq.isPending(27), m.irq.isPending(0), m.irq.activeIrq()]).toEqual([true, false, 27]);
    m.irq.raise(0);
    expect(m.irq.activeIrq()).toBe(0);
    expect(new Machine({ memoryBits: 22, tlbEntries: 1, irqLines: 2 }).irq.timerLine).toBe(TIMER_IRQ);
    for (const t of [-1, 160, 2.5]) expect(() => new InterruptController(160, t)).toThrow(RangeError);
  });

  it('rejects lines outside [0, irqLines) and bad sizes', () => {
    const ic = new InterruptController(4);
    for (const l of [-1, 4, 1.5, NaN]) {
      expect(() => ic.raise(l)).toThrow(MachineException);
      expect(() => ic.unmask(l)).toThrow(MachineException);
    }
    for (const n of [1, 257, 2.5]) expect(() => new InterruptController(n)).toThrow(RangeError);
    expect(new InterruptController(256).lines).toBe(256);
  });
});
