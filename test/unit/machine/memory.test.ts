import { describe, expect, it } from 'vitest';
import { Counters } from '../../../machine/counters';
import { MachineException } from '../../../machine/exception';
import { DIRTY_CHUNK_BYTES, PhysicalMemory } from '../../../machine/memory';

function mem(bits = 22): { m: PhysicalMemory; c: Counters } {
  const c = new Counters();
  return { m: new PhysicalMemory(bits, c), c };
}

function thrown(f: () => unknown): MachineException {
  try {
    f();
  } catch (e) {
    if (e instanceof MachineException) return e;
    throw new Error(`expected a MachineException, got ${String(e)}`);
  }
  throw new Error('expected a MachineException, nothing was thrown');
}

describe('word and byte access', () => {
  it('stores and loads words, wrapping values mod 2^32', () => {
    const { m } = mem();
    m.store32(0x100, 0xdeadbeef);
    expect(m.load32(0x100)).toBe(0xdeadbeef);
    m.store32(0x104, -1);
    expect(m.load32(0x104)).toBe(0xffffffff);
    m.store32(0x108, 2 ** 32 + 5);
    expect(m.load32(0x108)).toBe(5);
    expect(m.load32(m.bytes - 4)).toBe(0);
  });

  it('is little-endian for bytes', () => {
    const { m } = mem();
    m.store32(0x200, 0x44332211);
    expect([0, 1, 2, 3].map((i) => m.load8(0x200 + i))).toEqual([0x11, 0x22, 0x33, 0x44]);
    m.store8(0x203, 0xaa);
    m.store8(0x200, 0x1ff); // only the low byte is stored
    expect(m.load32(0x200)).toBe(0xaa3322ff);
    expect(m.load8(m.bytes - 1)).toBe(0);
  });

  it('raises MachineException for unaligned, out-of-range and non-u32 addresses', () => {
    const { m, c } = mem();
    expect(thrown(() => m.load32(0x102))).toMatchObject({ kind: 'unaligned', address: 0x102 });
    expect(thrown(() => m.store32(0x101, 0))).toMatchObject({ kind: 'unaligned', address: 0x101 });
    expect(thrown(() => m.load32(m.bytes))).toMatchObject({ kind: 'out-of-range', address: m.bytes });
    expect(thrown(() => m.store32(0xfffffffc, 0))).toMatchObject({ kind: 'out-of-range' });
    expect(thrown(() => m.load8(m.bytes))).toMatchObject({ kind: 'out-of-range' });
    expect(thrown(() => m.store8(m.bytes + 3, 0))).toMatchObject({ kind: 'out-of-range' });
    for (const bad of [-4, 4.5, NaN, Infinity, 2 ** 32]) {
      expect(thrown(() => m.load32(bad)).kind).toBe('bad-address');
      expect(thrown(() => m.store8(bad, 0)).kind).toBe('bad-address');
    }
    expect(thrown(() => m.peek32(m.bytes)).kind).toBe('out-of-range');
    expect(c.loads + c.stores).toBe(0); // failed accesses count nothing
    expect(m.dirtyCount).toBe(0);
    expect(new MachineException('unaligned', 0x102).message).toBe('unaligned at 0x00000102');
  });

  it('peek32 reads without counting', () => {
    const { m, c } = mem();
    m.store32(0x40, 7);
    const before = { ...c };
    expect(m.peek32(0x40)).toBe(7);
    expect(c.loads).toBe(before.loads);
    expect(c.lines).toBe(before.lines);
  });
});

describe('zero and copy', () => {
  it('zeroes a range, counting one store per word', () => {
    const { m, c } = mem();
    for (let a = 0x1000; a < 0x1100; a += 4) m.store32(a, 0xffffffff);
    c.reset();
    m.resetDirty();
    m.newEpoch();
    m.zero(0x1010, 0x40);
    expect(m.load32(0x100c)).toBe(0xffffffff);
    expect(m.load32(0x1010)).toBe(0);
    expect(m.load32(0x104c)).toBe(0);
    expect(m.load32(0x1050)).toBe(0xffffffff);
    expect(c.stores).toBe(16);
    expect(m.dirtyCount).toBe(4);
    expect(m.dirtyRanges()).toEqual([[0x1010, 0x1050]]);
  });

  it('copies with memmove semantics, counting a load and a store per word', () => {
    const { m, c } = mem();
    for (let i = 0; i < 8; i++) m.store32(0x2000 + 4 * i, i + 1);
    c.reset();
    m.copy(0x2008, 0x2000, 16); // overlapping, forwards
    expect([0, 1, 2, 3, 4, 5].map((i) => m.peek32(0x2000 + 4 * i))).toEqual([1, 2, 1, 2, 3, 4]);
    expect(c.loads).toBe(4);
    expect(c.stores).toBe(4);
    m.copy(0x3000, 0x2000, 0);
    expect(c.stores).toBe(4);
  });

  it('rejects misaligned or out-of-range ranges', () => {
    const { m } = mem();
    expect(thrown(() => m.zero(0x1002, 8)).kind).toBe('unaligned');
    expect(thrown(() => m.zero(0x1000, 6)).kind).toBe('unaligned');
    expect(thrown(() => m.zero(m.bytes - 8, 16)).kind).toBe('out-of-range');
    expect(thrown(() => m.copy(0, m.bytes - 4, 8)).kind).toBe('out-of-range');
    expect(thrown(() => m.zero(-4, 4)).kind).toBe('bad-address');
  });
});

describe('distinct 64-byte lines', () => {
  it('counts each line once per epoch, loads and stores alike', () => {
    const { m, c } = mem();
    m.load32(0x0);
    m.load32(0x3c); // same line
    m.store32(0x40, 1); // next line
    m.load8(0x41);
    expect(c.lines).toBe(2);
    m.newEpoch();
    m.load32(0x0);
    m.load32(0x80);
    expect(c.lines).toBe(4);
  });

  it('counts the lines a zero or copy touches', () => {
    const { m, c } = mem();
    m.zero(0x20, 0x60); // bytes 0x20..0x7f: lines 0 and 1
    expect(c.lines).toBe(2);
    m.newEpoch();
    m.copy(0x1000, 0x0, 0x100); // 4 source lines, 4 destination lines
    expect(c.lines).toBe(10);
  });
});

describe('dirty tracking', () => {
  it('records 16-byte chunks in order of first write, once each', () => {
    const { m } = mem();
    m.store32(0x124, 1);
    m.store32(0x120, 2); // same chunk
    m.store8(0x10, 3);
    m.load32(0x200); // loads are not writes
    expect(Array.from(m.dirtyChunks())).toEqual([0x12, 0x1]);
    expect(m.dirtyCount).toBe(2);
    expect(m.isDirty(0x12f)).toBe(true);
    expect(m.isDirty(0x130)).toBe(false);
    expect(DIRTY_CHUNK_BYTES).toBe(16);
  });

  it('takeDirty returns a copy and resets; resetDirty empties the set', () => {
    const { m } = mem();
    m.store32(0x40, 1);
    m.store32(0x80, 1);
    const taken = m.takeDirty();
    expect(Array.from(taken)).toEqual([4, 8]);
    expect(m.dirtyCount).toBe(0);
    expect(m.isDirty(0x40)).toBe(false);
    m.store32(0x40, 2); // dirty again after the reset
    expect(Array.from(m.dirtyChunks())).toEqual([4]);
    expect(Array.from(taken)).toEqual([4, 8]); // the copy is unaffected
    m.resetDirty();
    expect(m.dirtyChunks().length).toBe(0);
    expect(m.dirtyRanges()).toEqual([]);
  });

  it('grows past its initial list and merges adjacent chunks into ranges', () => {
    const { m } = mem();
    for (let a = 0x10000; a < 0x10000 + 5000 * 16; a += 16) m.store32(a, 1);
    m.store32(0x8000, 1);
    expect(m.dirtyCount).toBe(5001);
    expect(m.dirtyRanges()).toEqual([
      [0x8000, 0x8010],
      [0x10000, 0x10000 + 5000 * 16],
    ]);
  });
});
