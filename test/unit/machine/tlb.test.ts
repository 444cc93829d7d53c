import { describe, expect, it } from 'vitest';
import { AP, Machine, Tlb, pdeCoarse, pdeSection, pdeSupersection, pteLarge, pteSmall } from '../../../machine/index';

const PD1 = 0x4000;
const PT1 = 0x8000;
const PD2 = 0xc000;
const PT2 = 0x10400;
const VA = 0x00203000;

function machine(tlbEntries = 64, memoryBits = 24): Machine {
  const m = new Machine({ memoryBits, tlbEntries, irqLines: 32 });
  m.store32(PD1 + (VA >>> 20) * 4, pdeCoarse(PT1));
  m.store32(PD2 + (VA >>> 20) * 4, pdeCoarse(PT2));
  m.setVSpace(PD1, 1);
  return m;
}
const pteAddr = (pt: number, vaddr: number) => pt + ((vaddr >>> 12) & 0xff) * 4;

/** Loads vaddr and returns [status, value, hits, misses, loads] as deltas of the counters. */
function probe(m: Machine, vaddr: number): { status: number; value: number; hit: boolean; loads: number } {
  const c = m.counters;
  const [h, mi, l] = [c.tlbHits, c.tlbMisses, c.loads];
  const status = m.userLoad(vaddr);
  expect(c.tlbHits - h + (c.tlbMisses - mi)).toBe(1);
  return { status, value: status === 0 ? m.loaded : -1, hit: c.tlbHits > h, loads: c.loads - l };
}

describe('hits and misses', () => {
  it('a miss walks (PDE + PTE reads count as loads) and caches; the next access hits', () => {
    const m = machine();
    m.store32(pteAddr(PT1, VA), pteSmall(0x00500000, AP.UserReadWrite));
    m.store32(0x00500008, 0x77);
    expect(probe(m, VA + 8)).toEqual({ status: 0, value: 0x77, hit: false, loads: 3 });
    expect(probe(m, VA + 8)).toEqual({ status: 0, value: 0x77, hit: true, loads: 1 });
    expect(probe(m, VA + 0xffc)).toMatchObject({ hit: true, loads: 1 });
    expect(probe(m, VA + 0x1000)).toMatchObject({ status: 0x7, hit: false, loads: 2 }); // faults are not cached
    expect(probe(m, VA + 0x1000)).toMatchObject({ status: 0x7, hit: false });
  });

  it('an entry covers its whole page: 64 KiB large page, 1 MiB section, 16 MiB supersection', () => {
    const m = machine(64, 25);
    for (let i = 0; i < 16; i++) m.store32(pteAddr(PT1, 0x00210000 + i * 0x1000), pteLarge(0x00600000, AP.UserReadWrite));
    m.store32(PD1 + 0x302 * 4, pdeSection(0x00700000, AP.UserReadWrite));
    for (let i = 0; i < 16; i++) m.store32(PD1 + (0x400 + i) * 4, pdeSupersection(0x01000000, AP.UserReadWrite));
    expect(probe(m, 0x00210000)).toMatchObject({ hit: false, loads: 3 });
    expect(probe(m, 0x0021fffc)).toMatchObject({ hit: true, loads: 1 });
    expect(probe(m, 0x30200000)).toMatchObject({ hit: false, loads: 2 });
    expect(probe(m, 0x302ffffc)).toMatchObject({ hit: true, loads: 1 });
    expect(probe(m, 0x40000000)).toMatchObject({ hit: false, loads: 2 });
    expect(probe(m, 0x40fffffc)).toMatchObject({ hit: true, loads: 1 });
    const sizes = m.tlb.validEntries().map((e) => [e.vbase, e.pageBits, e.pbase]);
    expect(sizes).toEqual(expect.arrayContaining([[0x00210000, 16, 0x00600000], [0x30200000, 20, 0x00700000], [0x40000000, 24, 0x01000000]]));
  });

  it('is direct-mapped: pages of one ASID tlbEntries apart evict each other', () => {
    const m = machine(4);
    m.store32(pteAddr(PT1, VA), pteSmall(0x00500000, AP.UserReadWrite));
    m.store32(pteAddr(PT1, VA + 0x4000), pteSmall(0x00501000, AP.UserReadWrite));
    m.store32(pteAddr(PT1, VA + 0x1000), pteSmall(0x00502000, AP.UserReadWrite));
    expect(probe(m, VA).hit).toBe(false);
    expect(probe(m, VA + 0x1000).hit).toBe(false); // another slot
    expect(probe(m, VA).hit).toBe(true);
    expect(probe(m, VA + 0x4000).hit).toBe(false); // same slot as VA: evicts it
    expect(probe(m, VA).hit).toBe(false);
    expect(m.tlb.validEntries()).toHaveLength(2);
  });

  it('caches translations whatever their rights, and checks rights on every hit', () => {
    const m = machine();
    m.store32(pteAddr(PT1, VA), pteSmall(0x00500000, AP.PrivilegedOnly));
    expect(probe(m, VA)).toMatchObject({ status: 0xf, hit: false });
    expect(probe(m, VA)).toMatchObject({ status: 0xf, hit: true });
  });
});

describe('ASID tagging', () => {
  it('the same vaddr under two ASIDs reaches two frames, both cached', () => {
    const m = machine();
    m.store32(pteAddr(PT1, VA), pteSmall(0x00500000, AP.UserReadWrite));
    m.store32(pteAddr(PT2, VA), pteSmall(0x00600000, AP.UserReadWrite));
    m.store32(0x00500000, 111);
    m.store32(0x00600000, 222);
    expect(probe(m, VA)).toMatchObject({ value: 111, hit: false });
    m.setVSpace(PD2, 2);
    expect(probe(m, VA)).toMatchObject({ value: 222, hit: false });
    m.setVSpace(PD1, 1);
    expect(probe(m, VA)).toMatchObject({ value: 111, hit: true });
    m.setVSpace(PD2, 2);
    expect(probe(m, VA)).toMatchObject({ value: 222, hit: true });
  });

  it('the TLB is tagged by ASID, not by page directory: reusing an ASID without a flush sees the old space', () => {
    const m = machine();
    m.store32(pteAddr(PT1, VA), pteSmall(0x00500000, AP.UserReadWrite));
    m.store32(pteAddr(PT2, VA), pteSmall(0x00600000, AP.UserReadWrite));
    m.store32(0x00500000, 111);
    expect(probe(m, VA).value).toBe(111);
    m.setVSpace(PD2, 1); // a kernel that hands ASID 1 to a new PD must flush it first
    expect(probe(m, VA)).toMatchObject({ value: 111, hit: true });
    m.flushByASID(1);
    expect(probe(m, VA)).toMatchObject({ value: 0, hit: false });
  });
});

describe('stale entries stay until flushed', () => {
  function remapped(): Machine {
    const m = machine();
    m.store32(pteAddr(PT1, VA), pteSmall(0x00500000, AP.UserReadWrite));
    m.store32(0x00500000, 111);
    m.store32(0x00600000, 222);
    expect(probe(m, VA).value).toBe(111);
    m.store32(pteAddr(PT1, VA), pteSmall(0x00600000, AP.UserReadWrite)); // remap, no flush
    return m;
  }

  it('a remapped page still reaches the old frame until flushByAddress', () => {
    const m = remapped();
    expect(probe(m, VA)).toMatchObject({ value: 111, hit: true });
    m.flushByAddress(VA + 0x10, 2); // another ASID: no effect
    expect(probe(m, VA)).toMatchObject({ value: 111, hit: true });
    m.flushByAddress(VA + 0x10, 1); // any address inside the page
    expect(probe(m, VA)).toMatchObject({ value: 222, hit: false });
  });

  it('... until flushByASID', () => {
    const m = remapped();
    m.flushByASID(2);
    expect(probe(m, VA)).toMatchObject({ value: 111, hit: true });
    m.flushByASID(1);
    expect(probe(m, VA)).toMatchObject({ value: 222, hit: false });
  });

  it('... until flushAll', () => {
    const m = remapped();
    expect(probe(m, VA).value).toBe(111);
    m.flushAll();
    expect(probe(m, VA)).toMatchObject({ value: 222, hit: false });
    expect(m.tlb.validEntries()).toHaveLength(1);
  });

  it('an unmapped page stays accessible until flushed, then faults', () => {
    const m = machine();
    m.store32(pteAddr(PT1, VA), pteSmall(0x00500000, AP.UserReadWrite));
    expect(m.userStore(VA, 5)).toBe(0);
    m.store32(pteAddr(PT1, VA), 0);
    expect(m.userStore(VA, 6)).toBe(0); // stale: the write still lands
    expect(m.peek32(0x00500000)).toBe(6);
    m.flushByAddress(VA, 1);
    expect(m.userStore(VA, 7)).toBe(0x807);
  });

  it('a rights upgrade is not seen until flushed', () => {
    const m = machine();
    m.store32(pteAddr(PT1, VA), pteSmall(0x00500000, AP.UserReadOnly));
    expect(m.userStore(VA, 1)).toBe(0x80f);
    m.store32(pteAddr(PT1, VA), pteSmall(0x00500000, AP.UserReadWrite));
    expect(m.userStore(VA, 1)).toBe(0x80f);
    m.flushByAddress(VA, 1);
    expect(m.userStore(VA, 1)).toBe(0);
  });

  it('flushByAddress anywhere in a section removes the section entry, and only it', () => {
    const m = machine();
    m.store32(PD1 + 0x300 * 4, pdeSection(0x00700000, AP.UserReadWrite));
    m.store32(pteAddr(PT1, VA), pteSmall(0x00500000, AP.UserReadWrite));
    probe(m, 0x30000000);
    probe(m, VA);
    m.store32(PD1 + 0x300 * 4, 0);
    expect(probe(m, 0x30012340)).toMatchObject({ status: 0, hit: true });
    m.flushByAddress(0x300abcd0, 1);
    expect(probe(m, 0x30000000)).toMatchObject({ status: 0x5, hit: false });
    expect(probe(m, VA).hit).toBe(true);
  });
});

describe('Tlb', () => {
  it('accepts powers of two in 1..1024 only', () => {
    for (const n of [1, 2, 64, 1024]) expect(new Tlb(n).entries).toBe(n);
    for (const n of [0, 3, 2048, 1.5, -4]) expect(() => new Tlb(n)).toThrow(/power of two/);
  });

  it('with one entry, every other page misses', () => {
    const m = machine(1);
    m.store32(pteAddr(PT1, VA), pteSmall(0x00500000, AP.UserReadWrite));
    m.store32(pteAddr(PT1, VA + 0x1000), pteSmall(0x00501000, AP.UserReadWrite));
    for (let i = 0; i < 4; i++) expect(probe(m, VA + (i & 1) * 0x1000).hit).toBe(false);
    expect(probe(m, VA + 0x1000).hit).toBe(true);
  });
});
