import { describe, expect, it } from 'vitest';
import { AP, FSR, Machine, MachineException, pdeCoarse, pdeSection, pdeSupersection, pteLarge, pteSmall } from '../../../machine/index';

const PD = 0x4000; // 16 KiB-aligned
const PT = 0x8000; // 1 KiB-aligned

function machine(memoryBits = 24): Machine {
  const m = new Machine({ memoryBits, tlbEntries: 64, irqLines: 32 });
  m.setVSpace(PD, 1);
  return m;
}
const pde = (m: Machine, vaddr: number, w: number) => m.store32(PD + (vaddr >>> 20) * 4, w);
const pte = (m: Machine, vaddr: number, w: number) => m.store32(PT + ((vaddr >>> 12) & 0xff) * 4, w);

/** userLoad that returns the word, or the fault as 'fault 0x..'. */
function load(m: Machine, vaddr: number): number | string {
  const s = m.userLoad(vaddr);
  if (s !== 0) {
    expect(m.faultStatus).toBe(s);
    expect(m.faultAddress).toBe(vaddr >>> 0);
    return `fault 0x${s.toString(16)}`;
  }
  return m.loaded;
}
function store(m: Machine, vaddr: number, w: number): number | string {
  const s = m.userStore(vaddr, w);
  if (s !== 0) {
    expect(m.faultAddress).toBe(vaddr >>> 0);
    return `fault 0x${s.toString(16)}`;
  }
  return 0;
}

describe('translation of every descriptor kind', () => {
  it('small page (4 KiB)', () => {
    const m = machine();
    pde(m, 0x00200000, pdeCoarse(PT));
    pte(m, 0x00203000, pteSmall(0x00345000, AP.UserReadWrite));
    m.store32(0x00345ffc, 0xabc);
    expect(load(m, 0x00203ffc)).toBe(0xabc);
    expect(store(m, 0x00203010, 77)).toBe(0);
    expect(m.peek32(0x00345010)).toBe(77);
    expect(load(m, 0x00204000)).toBe('fault 0x7'); // the next page is not mapped
    expect(m.translate(0x00203ffc, PD)).toEqual({
      ok: true, paddr: 0x00345ffc, pageBits: 12, userRead: true, userWrite: true, level: 'page', descriptor: pteSmall(0x00345000, AP.UserReadWrite),
    });
  });

  it('large page (64 KiB, 16 replicated PTEs)', () => {
    const m = machine();
    pde(m, 0x00400000, pdeCoarse(PT));
    for (let i = 0; i < 16; i++) pte(m, 0x00410000 + i * 0x1000, pteLarge(0x00560000, AP.UserReadWrite));
    m.store32(0x00565004, 42);
    expect(load(m, 0x00415004)).toBe(42);
    const t = m.translate(0x0041fffc, PD);
    expect(t).toMatchObject({ ok: true, paddr: 0x0056fffc, pageBits: 16, level: 'page' });
  });

  it('a large page the kernel forgot to replicate is only mapped where its PTE is', () => {
    const m = machine();
    pde(m, 0x00400000, pdeCoarse(PT));
    pte(m, 0x00410000, pteLarge(0x00560000, AP.UserReadWrite));
    expect(m.translate(0x00415000, PD)).toEqual({ ok: false, fsr: FSR.TranslationPage });
    m.store32(0x00565000, 9);
    expect(load(m, 0x00415000)).toBe('fault 0x7');
    expect(load(m, 0x00410000)).toBe(0);
    // ...but once cached, the TLB entry covers the whole 64 KiB, as on hardware.
    expect(load(m, 0x00415000)).toBe(9);
  });

  it('section (1 MiB)', () => {
    const m = machine();
    pde(m, 0x10000000, pdeSection(0x00800000, AP.UserReadWrite));
    m.store32(0x008abcd0, 0x1234);
    expect(load(m, 0x100abcd0)).toBe(0x1234);
    expect(store(m, 0x100ffffc, 5)).toBe(0);
    expect(m.peek32(0x008ffffc)).toBe(5);
    expect(m.translate(0x100abcd0, PD)).toMatchObject({ ok: true, paddr: 0x008abcd0, pageBits: 20, level: 'section' });
    expect(load(m, 0x10100000)).toBe('fault 0x5');
  });

  it('supersection (16 MiB, 16 replicated PDEs)', () => {
    const m = machine(25);
    for (let i = 0; i < 16; i++) pde(m, 0x20000000 + i * 0x100000, pdeSupersection(0x01000000, AP.UserReadWrite));
    m.store32(0x01345678, 0x5a5a);
    expect(load(m, 0x20345678)).toBe(0x5a5a);
    expect(m.translate(0x20fffffc, PD)).toMatchObject({ ok: true, paddr: 0x01fffffc, pageBits: 24, level: 'section' });
  });

  it('a supersection the kernel forgot to replicate is only mapped where its PDE is', () => {
    const m = machine(25);
    pde(m, 0x20000000, pdeSupersection(0x01000000, AP.UserReadWrite));
    expect(load(m, 0x20300000)).toBe('fault 0x5');
    expect(load(m, 0x20000000)).toBe(0);
  });
});

describe('translation faults', () => {
  it('invalid PDE: 0x5; invalid PTE: 0x7; WnR for stores', () => {
    const m = machine();
    expect(load(m, 0x00100000)).toBe('fault 0x5');
    expect(store(m, 0x00100000, 1)).toBe('fault 0x805');
    pde(m, 0x00100000, pdeCoarse(PT));
    expect(load(m, 0x00100000)).toBe('fault 0x7');
    expect(store(m, 0x00100ff8, 1)).toBe('fault 0x807');
    expect(m.faultStatus).toBe(FSR.TranslationPage | FSR.WnR);
  });

  it('a reserved PDE (type 0b11) is a section translation fault', () => {
    const m = machine();
    pde(m, 0x00300000, pdeSection(0x00300000, AP.UserReadWrite) | 1);
    expect(load(m, 0x00300000)).toBe('fault 0x5');
    expect(m.translate(0x00300000, PD)).toEqual({ ok: false, fsr: 0x5 });
  });

  it('every access faults without a VSpace', () => {
    const m = new Machine({ memoryBits: 22, tlbEntries: 4, irqLines: 2 });
    expect(m.mmu.vspaceRoot).toBeUndefined();
    expect(load(m, 0x1000)).toBe('fault 0x5');
    m.setVSpace(PD, 3);
    pde(m, 0, pdeSection(0, AP.UserReadWrite));
    expect(load(m, 0x1000)).toBe(0);
    m.clearVSpace();
    expect(m.mmu.currentAsid).toBeUndefined();
    expect(load(m, 0x1000)).toBe('fault 0x5'); // the cached entry belongs to ASID 3
    expect(store(m, 0x1000, 1)).toBe('fault 0x805');
  });
});

describe('permission faults', () => {
  it('section: kernel-only and no-access give 0xD, a store to read-only 0x80D', () => {
    const m = machine();
    pde(m, 0x00100000, pdeSection(0x00100000, AP.PrivilegedOnly));
    pde(m, 0x00200000, pdeSection(0x00200000, AP.UserReadOnly));
    pde(m, 0x00300000, pdeSection(0x00300000, AP.NoAccess));
    expect(load(m, 0x00100000)).toBe('fault 0xd');
    expect(store(m, 0x00100000, 1)).toBe('fault 0x80d');
    expect(load(m, 0x00200000)).toBe(0);
    expect(store(m, 0x00200000, 1)).toBe('fault 0x80d');
    expect(load(m, 0x00300000)).toBe('fault 0xd');
    expect(m.peek32(0x00200000)).toBe(0);
  });

  it('page: kernel-only gives 0xF, a store to read-only 0x80F', () => {
    const m = machine();
    pde(m, 0, pdeCoarse(PT));
    pte(m, 0x1000, pteSmall(0x00300000, AP.PrivilegedOnly));
    pte(m, 0x2000, pteSmall(0x00301000, AP.UserReadOnly));
    pte(m, 0x10000, pteLarge(0x00310000, AP.UserReadOnly));
    expect(load(m, 0x1000)).toBe('fault 0xf');
    expect(store(m, 0x1000, 1)).toBe('fault 0x80f');
    expect(load(m, 0x2000)).toBe(0);
    expect(store(m, 0x2004, 1)).toBe('fault 0x80f');
    expect(store(m, 0x10000, 1)).toBe('fault 0x80f');
    expect(m.translate(0x1000, PD)).toMatchObject({ ok: true, userRead: false, userWrite: false });
  });

  it('APX = 1 makes a full-access AP read-only', () => {
    const m = machine();
    pde(m, 0x00500000, pdeSection(0x00500000, AP.UserReadWrite) | (1 << 15));
    expect(load(m, 0x00500000)).toBe(0);
    expect(store(m, 0x00500000, 1)).toBe('fault 0x80d');
  });
});

describe('alignment and odd addresses', () => {
  it('an unaligned word access is an alignment fault, before any lookup', () => {
    const m = machine();
    pde(m, 0, pdeSection(0, AP.UserReadWrite));
    const c = m.counters;
    const lookups = c.tlbHits + c.tlbMisses;
    expect(load(m, 0x1002)).toBe('fault 0x1');
    expect(store(m, 0x1001, 1)).toBe('fault 0x801');
    expect(load(m, 0x100003)).toBe('fault 0x1'); // unmapped too: alignment wins
    expect(c.tlbHits + c.tlbMisses).toBe(lookups);
  });

  it('user access never throws: addresses are taken mod 2^32', () => {
    const m = machine();
    pde(m, 0, pdeSection(0, AP.UserReadWrite));
    m.store32(0x10, 3);
    expect(m.userLoad(2 ** 32 + 0x10)).toBe(0);
    expect(m.loaded).toBe(3);
    expect(m.userLoad(NaN)).toBe(0); // NaN -> 0
    expect(m.userLoad(-4)).toBe(FSR.TranslationSection); // 0xfffffffc
    expect(m.faultAddress).toBe(0xfffffffc);
  });

  it('a translation outside physical memory is an external abort; a page table outside it a walk abort', () => {
    const m = machine(22);
    pde(m, 0x00100000, pdeSection(0x80000000, AP.UserReadWrite));
    expect(load(m, 0x00100000)).toBe('fault 0x8');
    expect(store(m, 0x00100000, 1)).toBe('fault 0x808');
    pde(m, 0x00200000, pdeCoarse(0x90000000));
    expect(load(m, 0x00200000)).toBe('fault 0xe');
    expect(m.translate(0x00200000, PD)).toEqual({ ok: false, fsr: FSR.WalkAbortSecondLevel });
  });
});

describe('the translation base', () => {
  it('setVSpace rejects a misaligned or out-of-memory page directory and bad ASIDs', () => {
    const m = machine(22);
    for (const [pd, asid] of [[0x2000, 1], [m.memoryBytes, 1], [m.memoryBytes - 0x2000, 1], [-0x4000, 1], [PD, -1], [PD, 2 ** 17], [PD, 1.5]]) {
      let e: unknown;
      try {
        m.setVSpace(pd, asid);
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(MachineException);
      expect((e as MachineException).kind).toBe('bad-vspace');
    }
    expect(() => m.translate(0, 0x100)).toThrow(MachineException);
    m.setVSpace(m.memoryBytes - 0x4000, 2 ** 17 - 1);
    expect(m.mmu.vspaceRoot).toBe(m.memoryBytes - 0x4000);
  });

  it('translate touches neither the TLB nor the counters', () => {
    const m = machine();
    pde(m, 0, pdeCoarse(PT));
    pte(m, 0, pteSmall(0x5000, AP.UserReadWrite));
    const before = m.cumulative();
    expect(m.translate(0x10, PD)).toMatchObject({ ok: true, paddr: 0x5010 });
    expect(m.translate(0x00100000, PD)).toEqual({ ok: false, fsr: FSR.TranslationSection });
    expect(m.cumulative()).toEqual(before);
    expect(m.tlb.validEntries()).toEqual([]);
  });

  it('user stores are counted and dirty-tracked at the physical address', () => {
    const m = machine();
    pde(m, 0x00100000, pdeSection(0x00700000, AP.UserReadWrite));
    m.memory.resetDirty();
    const stores = m.counters.stores;
    expect(store(m, 0x00100020, 1)).toBe(0);
    expect(m.counters.stores).toBe(stores + 1);
    expect(Array.from(m.memory.dirtyChunks())).toEqual([0x00700020 >>> 4]);
  });
});
