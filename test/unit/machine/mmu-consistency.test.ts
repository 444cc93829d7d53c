import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { FSR, Machine, pdeCoarse, pdeSection, pdeSupersection, pteLarge, pteSmall } from '../../../machine/index';

const PD = 0x4000;
const MEM_BITS = 22;
const MEM = 2 ** MEM_BITS;

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ap = fc.integer({ min: 0, max: 3 });
const inMem = (align: number) => fc.integer({ min: 0, max: MEM / align - 1 }).map((i) => i * align);
/** Any word, or a well-formed descriptor whose target mostly lies inside memory. */
const pde = fc.oneof(
  u32,
  inMem(1024).map((b) => pdeCoarse(b)),
  fc.tuple(fc.integer({ min: 0, max: 4095 }), ap).map(([b, a]) => pdeSection(b * 2 ** 20, a)),
  fc.tuple(fc.integer({ min: 0, max: 255 }), ap).map(([b, a]) => pdeSupersection(b * 2 ** 24, a)),
);
const pte = fc.oneof(
  u32,
  fc.tuple(inMem(65536), ap).map(([b, a]) => pteLarge(b, a)),
  fc.tuple(inMem(4096), ap).map(([b, a]) => pteSmall(b, a)),
);

/** What a user load must give, from the diagnostic walk and an uncounted read. */
function expected(m: Machine, vaddr: number): { status: number; value?: number } {
  if ((vaddr & 3) !== 0) return { status: FSR.Alignment };
  const t = m.translate(vaddr, PD);
  if (!t.ok) return { status: t.fsr };
  if (!t.userRead) return { status: t.level === 'page' ? FSR.PermissionPage : FSR.PermissionSection };
  if (t.paddr >= MEM) return { status: FSR.ExternalAbort };
  return { status: 0, value: m.peek32(t.paddr) };
}

/** Statuses that come from a walk that found a mapping (and so was cached). */
const CACHED = new Set([0, FSR.PermissionSection, FSR.PermissionPage, FSR.ExternalAbort]);

// One machine for all runs (a fresh 4 MiB machine per run would dominate): each run undoes its writes.
const m = new Machine({ memoryBits: MEM_BITS, tlbEntries: 16, irqLines: 2 });
m.setVSpace(PD, 5);

test.prop([pde, pte, u32, u32], { seed: 0x7ab1e, numRuns: 1000 })(
  'user loads through the TLB agree with the diagnostic walk, on a miss and on the following hit, for any descriptors',
  (pdeWord, pteWord, vaddr, fill) => {
    const written: number[] = [];
    const write = (paddr: number, w: number) => {
      m.store32(paddr, w);
      written.push(paddr);
    };
    m.flushAll();
    write(PD + (vaddr >>> 20) * 4, pdeWord);
    const ptAddr = ((pdeWord & 0xfffffc00) >>> 0) + ((vaddr >>> 12) & 0xff) * 4;
    if ((pdeWord & 3) === 1 && ptAddr < MEM) write(ptAddr, pteWord);
    const t = m.translate(vaddr, PD);
    if (t.ok && t.paddr < MEM && (t.paddr & 3) === 0) write(t.paddr, fill);
    const want = expected(m, vaddr);
    const final = m.translate(vaddr, PD); // what the TLB will cache, and where a store lands
    if (final.ok && final.paddr < MEM) written.push(final.paddr & ~3);
    for (const round of [0, 1]) {
      const misses = m.counters.tlbMisses;
      const status = m.userLoad(vaddr);
      expect(status).toBe(want.status);
      if (status === 0) expect(m.loaded).toBe(want.value);
      else expect(m.faultAddress).toBe(vaddr);
      if (round === 1 && CACHED.has(want.status)) expect(m.counters.tlbMisses).toBe(misses);
    }
    const s = m.userStore(vaddr, 1);
    expect(s === 0 || (s & FSR.WnR) !== 0).toBe(true);
    for (const p of written) m.store32(p, 0);
  },
);
