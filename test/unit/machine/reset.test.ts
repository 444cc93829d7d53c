// Machine.reset() is a power-on reset: a reused machine must be indistinguishable from a new one.
// Machine.save/restore: a restored machine is indistinguishable from the one saved, on the same or another machine.
// storeWords / loadWords must count and mark exactly what the equivalent store32 / load32 calls do.

import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { AP, Machine, USER_CONTEXT_ORDER, pdeCoarse, pteSmall } from '../../../machine/index';

const OPTS = { memoryBits: 22, tlbEntries: 8, irqLines: 4 };

/** Everything observable about a machine, memory as the list of non-zero words. */
function snapshot(m: Machine) {
  const nonZero: [number, number][] = [];
  for (let a = 0; a < m.memoryBytes; a += 4) {
    const w = m.peek32(a);
    if (w !== 0) nonZero.push([a, w]);
  }
  return {
    nonZero,
    dirty: Array.from(m.memory.dirtyChunks()),
    perEntry: m.perEntry(),
    cumulative: m.cumulative(),
    inWindow: m.counters.inWindow,
    regs: Array.from(m.cpu.regs),
    mode: m.mode,
    vspace: [m.mmu.vspaceRoot, m.mmu.currentAsid],
    fault: [m.faultAddress, m.faultStatus, m.loaded],
    tlb: m.tlb.validEntries(),
    tlbArrays: [Array.from(m.tlb.tag), Array.from(m.tlb.asid), Array.from(m.tlb.delta), Array.from(m.tlb.perm)],
    irq: Array.from({ length: m.irq.lines }, (_, i) => [m.irq.isPending(i), m.irq.isMasked(i)]),
    active: m.irq.activeIrq(),
  };
}

/** A workload touching every part: physical and user accesses, windows, the TLB, interrupts. */
function scribble(m: Machine, seed: number[]): void {
  const pd = 0x4000;
  const pt = 0x8000;
  const frame = 0x10000;
  m.store32(pd, pdeCoarse(pt));
  m.store32(pt, pteSmall(frame, AP.UserReadWrite));
  m.setVSpace(pd, 3);
  for (const s of seed) {
    const a = (s * 4) % m.memoryBytes;
    m.store32(a, s);
    m.store8(a ^ 1, s);
  }
  m.zero(0x20000, 4096);
  m.copy(0x30000, 0x0, 256);
  m.kernelExit();
  m.userStore(0x10, 7);
  m.userLoad(0x10);
  m.userLoad(0x200000); // faults
  m.irq.unmask(1);
  m.irq.raise(1);
  m.irq.raise(2);
  m.kernelEntry();
  m.cpu.regs[3] = 99;
  m.memory.resetDirty(); // as the refinement checker does: reset must still clear these writes
  m.store32(0x40, 1);
}

describe('Machine.reset', () => {
  it('a fresh machine and a reset one are indistinguishable', () => {
    const fresh = snapshot(new Machine(OPTS));
    const m = new Machine(OPTS);
    scribble(m, [1, 2, 3, 0x3ffff, 12345]);
    expect(m.memory.writtenBlocks).toBeGreaterThan(0);
    m.reset();
    expect(snapshot(m)).toEqual(fresh);
    expect(m.memory.writtenBlocks).toBe(0);
  });

  test.prop([fc.array(fc.integer({ min: 1, max: 0xfffff }), { maxLength: 40 })], { seed: 0x5eed, numRuns: 30 })(
    'and behave alike afterwards (counters, lines, dirty order, translations)',
    (seed) => {
      const a = new Machine(OPTS);
      scribble(a, seed);
      a.reset();
      const b = new Machine(OPTS);
      scribble(a, seed);
      scribble(b, seed);
      expect(snapshot(a)).toEqual(snapshot(b));
    },
  );
});

describe('Machine.save / restore', () => {
  test.prop([fc.array(fc.integer({ min: 1, max: 0xfffff }), { maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 0xfffff }), { maxLength: 40 })], { seed: 0x5a7e, numRuns: 30 })(
    'back to the saved point, then behaving alike (counters, lines, dirty order, translations)',
    (first, then) => {
      const a = new Machine(OPTS);
      scribble(a, first);
      const saved = a.save();
      const at = snapshot(a);
      scribble(a, then);
      a.restore(saved);
      expect(snapshot(a)).toEqual(at);
      // On another machine of the same options, after other writes, and a second time.
      const b = new Machine(OPTS);
      scribble(b, then);
      b.restore(saved);
      expect(snapshot(b)).toEqual(at);
      const c = new Machine(OPTS);
      scribble(c, first);
      for (const m of [a, b, c]) scribble(m, then);
      expect(snapshot(a)).toEqual(snapshot(c));
      expect(snapshot(b)).toEqual(snapshot(c));
    },
  );

  it('refuses a machine of other options', () => {
    const saved = new Machine(OPTS).save();
    expect(() => new Machine({ ...OPTS, tlbEntries: 16 }).restore(saved)).toThrow(/restore/);
  });
});

describe('storeWords / loadWords', () => {
  it('count, stamp and mark as the equivalent word accesses', () => {
    const src = Uint32Array.from({ length: 17 }, (_, i) => 0x100 + i);
    for (const base of [0x1100, 0x1134, 0x13f0]) {
      const a = new Machine(OPTS);
      const b = new Machine(OPTS);
      for (const m of [a, b]) {
        m.kernelExit();
        m.kernelEntry();
      }
      a.storeWords(base, src, USER_CONTEXT_ORDER);
      for (let i = 0; i < USER_CONTEXT_ORDER.length; i++) b.store32(base + 4 * i, src[USER_CONTEXT_ORDER[i]]);
      const da = new Uint32Array(17);
      const db = new Uint32Array(17);
      a.loadWords(base, da, USER_CONTEXT_ORDER);
      for (let i = 0; i < USER_CONTEXT_ORDER.length; i++) db[USER_CONTEXT_ORDER[i]] = b.load32(base + 4 * i);
      expect(Array.from(da)).toEqual(Array.from(src));
      expect(snapshot(a)).toEqual(snapshot(b));
    }
  });

  it('throw as the first bad word access would', () => {
    const m = new Machine(OPTS);
    const src = new Uint32Array(17);
    expect(() => m.storeWords(2, src, USER_CONTEXT_ORDER)).toThrow(expect.objectContaining({ kind: 'unaligned' }));
    expect(() => m.loadWords(m.memoryBytes - 8, src, USER_CONTEXT_ORDER)).toThrow(expect.objectContaining({ kind: 'out-of-range', address: m.memoryBytes }));
    expect(m.cumulative().stores + m.cumulative().loads).toBe(0);
  });
});
