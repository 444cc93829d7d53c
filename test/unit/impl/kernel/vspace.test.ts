// The concrete kernel's VSpace: real ARM descriptors in memory, ASIDs, setVMRoot, lookupIPCBuffer,
// and TLB coherence — after any sequence of map / unmap / remap / ASID operations, a user access
// through the TLB gives exactly what a fresh walk of the tables gives (no stale translation).

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { KERNEL_LAYOUT, ROOT_ASID, ROOT_IPC_BUFFER_VADDR, ROOT_SLOTS, bootLayout } from '../../../../abi/boot';
import { type Config, defaultConfig, defaultUntyped } from '../../../../abi/config';
import { LABEL } from '../../../../abi/invocations';
import { type ObjectTypeName, objectTypeNumber } from '../../../../abi/objecttype';
import { AP, FSR, PdeKind, PteKind, pdeKind, pdIndex, pteKind, ptIndex } from '../../../../machine';
import type { Decoded } from '../../../../impl/api/failures';
import { bootKernel } from '../../../../impl/kernel/boot';
import {
  type ArchInvocation, apFromVMRights, decodeARMMMUInvocation, deleteASID, findPDForASID, lookupIPCBuffer,
  performARMMMUInvocation, setVMRoot, userTranslate,
} from '../../../../impl/kernel/vspace';
import type { Kernel } from '../../../../impl/model/state';
import {
  CAP_TAG, capFBasePtr, capFMappedASID, capPDBasePtr, capPDMappedASID, capPTIsMapped, capType, makeFrameCap, makePageDirectoryCap,
  readCap, writeCap,
} from '../../../../impl/object/cap';
import { CTE_BYTES, VM_RIGHTS } from '../../../../impl/object/structures';
import { TCB_CNODE_SLOT, setIPCBuffer, tcbSlotAddr } from '../../../../impl/object/tcb-fields';
import { decodeUntypedInvocation, invokeUntyped } from '../../../../impl/object/untyped';

const SEED = 0x7e5ace;

const config: Config = { ...defaultConfig(), memoryBits: 25, untyped: defaultUntyped(25) };
const L = bootLayout(config);
const slot = (i: number): number => L.rootCNode + i * CTE_BYTES;
/** Untyped slots: 2 MiB at 2 MiB, 4 MiB at 4 MiB, 8 MiB at 8 MiB, 16 MiB at 16 MiB. */
const UT = [0, 1, 2, 3].map((i) => slot(ROOT_SLOTS.firstUntyped + i));

function retype(k: Kernel, ut: number, type: ObjectTypeName, offset: number, n: number): void {
  const cnodeSlot = slot(ROOT_SLOTS.cnode);
  const d = decodeUntypedInvocation(
    k,
    { label: LABEL.UntypedRetype, words: [objectTypeNumber(type), 0, 0, 0, offset, n], extraCaps: [{ cap: readCap(k, cnodeSlot), slot: cnodeSlot }] },
    readCap(k, ut), ut, L.rootTCB,
  );
  if (!d.ok) throw new Error(`retype failed: ${d.error.tag}`);
  invokeUntyped(k, d.value, L.rootTCB);
}

/** Decodes and, if that succeeds, performs an arch invocation on the cap in root slot `s`. */
function invoke(k: Kernel, s: number, label: number, words: number[], extra: number[] = []): Decoded<ArchInvocation> {
  const args = { label, words, extraCaps: extra.map((e) => ({ cap: readCap(k, slot(e)), slot: slot(e) })) };
  const d = decodeARMMMUInvocation(k, args, readCap(k, slot(s)), slot(s), L.rootTCB);
  if (d.ok) performARMMMUInvocation(k, d.value, L.rootTCB);
  return d;
}

const mustInvoke = (k: Kernel, s: number, label: number, words: number[], extra: number[] = []): void => {
  const d = invoke(k, s, label, words, extra);
  if (!d.ok) throw new Error(`invocation ${label} failed: ${JSON.stringify(d.error)}`);
};

// Root slots of the fixture.
const PD = 100;
const PD2 = 101;
const PT = [102, 103];
const SMALL = [104, 105, 106];
const LARGE = 107;
const SECTION = 108;
const SUPER = 109;
const RW = 3;
const RO = 2;

function fixture(): Kernel {
  const k = bootKernel(config);
  retype(k, UT[0]!, 'PageDirectory', PD, 2);
  retype(k, UT[0]!, 'PageTable', PT[0]!, 2);
  retype(k, UT[0]!, 'SmallPage', SMALL[0]!, 3);
  // the big frames as caps to untouched untyped memory (retyping them would zero 17 MiB per run)
  writeCap(k, slot(LARGE), makeFrameCap(0x00400000, 1, VM_RIGHTS.VMReadWrite, false, 0, 0));
  writeCap(k, slot(SECTION), makeFrameCap(0x00800000, 2, VM_RIGHTS.VMReadWrite, false, 0, 0));
  writeCap(k, slot(SUPER), makeFrameCap(0x01000000, 3, VM_RIGHTS.VMReadWrite, false, 0, 0));
  mustInvoke(k, ROOT_SLOTS.asidPool, LABEL.ARMASIDPoolAssign, [], [PD]);
  mustInvoke(k, ROOT_SLOTS.asidPool, LABEL.ARMASIDPoolAssign, [], [PD2]);
  return k;
}

const pdOf = (k: Kernel, s: number): number => capPDBasePtr(readCap(k, slot(s)));
const capFBasePtrOf = (k: Kernel, s: number): number => capFBasePtr(readCap(k, slot(s)));
const asidOf = (k: Kernel, s: number): number => capPDMappedASID(readCap(k, slot(s)));
const useVSpace = (k: Kernel, s: number): void => k.m.setVSpace(pdOf(k, s), asidOf(k, s));

/** What a user load at vaddr must give, from a fresh walk of the tables (no TLB). */
function expectedLoad(k: Kernel, vaddr: number): { status: number; value?: number } {
  const pd = k.m.mmu.vspaceRoot!;
  const t = k.m.translate(vaddr, pd);
  if (!t.ok) return { status: t.fsr };
  if (!t.userRead) return { status: t.level === 'section' ? FSR.PermissionSection : FSR.PermissionPage };
  return { status: 0, value: k.m.peek32(t.paddr) };
}

function checkCoherent(k: Kernel, vaddrs: readonly number[]): void {
  const bad: string[] = [];
  for (const v of vaddrs) {
    const want = expectedLoad(k, v);
    const got = k.m.userLoad(v);
    if (got !== want.status || (got === 0 && k.m.loaded !== want.value)) {
      bad.push(`0x${v.toString(16)}: status ${got} value ${k.m.loaded}, walk gives ${want.status} ${want.value}`);
    }
  }
  expect(bad).toEqual([]);
}

describe('apFromVMRights', () => {
  it('maps the VM rights to AP as seL4 does on ARMv7', () => {
    expect(apFromVMRights(VM_RIGHTS.VMNoAccess)).toBe(AP.NoAccess);
    expect(apFromVMRights(VM_RIGHTS.VMKernelOnly)).toBe(AP.PrivilegedOnly);
    expect(apFromVMRights(VM_RIGHTS.VMReadOnly)).toBe(AP.UserReadOnly);
    expect(apFromVMRights(VM_RIGHTS.VMReadWrite)).toBe(AP.UserReadWrite);
  });
});

describe('setVMRoot and lookupIPCBuffer', () => {
  it('the root thread runs on its PD with ASID 1; its IPC buffer is the boot frame', () => {
    const k = bootKernel(config);
    k.m.setVSpace(KERNEL_LAYOUT.kernelPD, 0);
    setVMRoot(k, L.rootTCB);
    expect(k.m.mmu.vspaceRoot).toBe(L.rootPD);
    expect(k.m.mmu.currentAsid).toBe(ROOT_ASID);
    expect(findPDForASID(k, ROOT_ASID)).toBe(L.rootPD);
    expect(lookupIPCBuffer(k, true, L.rootTCB)).toBe(L.ipcBufferFrame);
    expect(k.m.userStore(ROOT_IPC_BUFFER_VADDR + 8, 77)).toBe(0);
    expect(k.m.peek32(L.ipcBufferFrame + 8)).toBe(77);
  });

  it('a thread without a live VSpace runs on the kernel PD with ASID 0 and faults on every access', () => {
    const k = bootKernel(config);
    setVMRoot(k, KERNEL_LAYOUT.idleThread);
    expect(k.m.mmu.vspaceRoot).toBe(KERNEL_LAYOUT.kernelPD);
    expect(k.m.mmu.currentAsid).toBe(0);
    expect(k.m.userLoad(ROOT_IPC_BUFFER_VADDR)).toBe(FSR.TranslationSection);
    expect(k.m.userStore(ROOT_IPC_BUFFER_VADDR, 1)).toBe(FSR.TranslationSection | FSR.WnR);
    expect(k.m.userLoad(ROOT_IPC_BUFFER_VADDR + 1)).toBe(FSR.Alignment);
    // the root's VTable cap naming an ASID that no longer names its PD
    deleteASID(k, ROOT_ASID, L.rootPD);
    setVMRoot(k, L.rootTCB);
    expect(k.m.mmu.vspaceRoot).toBe(KERNEL_LAYOUT.kernelPD);
    expect(k.m.userLoad(ROOT_IPC_BUFFER_VADDR)).toBe(FSR.TranslationSection);
  });

  it('userTranslate walks the thread\'s VSpace without the TLB, with the MMU\'s fault statuses', () => {
    const k = bootKernel(config);
    expect(userTranslate(k, L.rootTCB, ROOT_IPC_BUFFER_VADDR + 12, true)).toBe(L.ipcBufferFrame + 12);
    expect(userTranslate(k, L.rootTCB, ROOT_IPC_BUFFER_VADDR + 2, false)).toBe(-FSR.Alignment);
    expect(userTranslate(k, L.rootTCB, 0x00204000, true)).toBe(-(FSR.TranslationPage | FSR.WnR));
    expect(userTranslate(k, L.rootTCB, 0x00400000, false)).toBe(-FSR.TranslationSection);
    expect(userTranslate(k, KERNEL_LAYOUT.idleThread, ROOT_IPC_BUFFER_VADDR, false)).toBe(-FSR.TranslationSection);
    expect(k.m.counters.tlbHits + k.m.counters.tlbMisses).toBe(0);
  });

  it('lookupIPCBuffer follows the buffer cap: rights, page size, offset', () => {
    const k = bootKernel(config);
    const bufSlot = tcbSlotAddr(L.rootTCB, TCB_CNODE_SLOT.buffer);
    setIPCBuffer(k, L.rootTCB, 0x12345600);
    writeCap(k, bufSlot, makeFrameCap(0x00400000, 1, VM_RIGHTS.VMReadOnly, false, 0, 0));
    expect(lookupIPCBuffer(k, false, L.rootTCB)).toBe(0x00400000 + 0x5600);
    expect(lookupIPCBuffer(k, true, L.rootTCB)).toBe(0);
    writeCap(k, bufSlot, makeFrameCap(0x00400000, 0, VM_RIGHTS.VMKernelOnly, false, 0, 0));
    expect(lookupIPCBuffer(k, false, L.rootTCB)).toBe(0);
    writeCap(k, bufSlot, makeFrameCap(0x00400000, 0, VM_RIGHTS.VMReadWrite, true, 0, 0));
    expect(lookupIPCBuffer(k, false, L.rootTCB)).toBe(0);
    writeCap(k, bufSlot, makePageDirectoryCap(L.rootPD, true, 1));
    expect(lookupIPCBuffer(k, false, L.rootTCB)).toBe(0);
  });
});

describe('mappings are real descriptors', () => {
  it('page tables, small and large pages, sections and supersections', () => {
    const k = fixture();
    const pd = pdOf(k, PD);
    mustInvoke(k, PT[0]!, LABEL.ARMPageTableMap, [0x10000000, 0], [PD]);
    expect(pdeKind(k.m.peek32(pd + 4 * pdIndex(0x10000000)))).toBe(PdeKind.Coarse);
    expect(capPTIsMapped(readCap(k, slot(PT[0]!)))).toBe(true);
    mustInvoke(k, SMALL[0]!, LABEL.ARMPageMap, [0x10003000, RW, 0], [PD]);
    mustInvoke(k, LARGE, LABEL.ARMPageMap, [0x10010000, RO, 0], [PD]);
    mustInvoke(k, SECTION, LABEL.ARMPageMap, [0x10100000, RW, 0], [PD]);
    mustInvoke(k, SUPER, LABEL.ARMPageMap, [0x11000000, RO, 0], [PD]);
    const pt = readCap(k, slot(PT[0]!)).w0 & ~0x3ff;
    for (let i = 0; i < 16; i++) {
      expect(pteKind(k.m.peek32(pt + 4 * (ptIndex(0x10010000) + i)))).toBe(PteKind.Large);
      expect(pdeKind(k.m.peek32(pd + 4 * (pdIndex(0x11000000) + i)))).toBe(PdeKind.Supersection);
    }
    useVSpace(k, PD);
    expect(k.m.userStore(0x10003004, 5)).toBe(0);
    expect(k.m.userStore(0x1001fffc, 5)).toBe(FSR.PermissionPage | FSR.WnR);
    expect(k.m.userLoad(0x1001fffc)).toBe(0);
    expect(k.m.userStore(0x101ffffc, 6)).toBe(0);
    expect(k.m.userLoad(0x11fffffc)).toBe(0);
    expect(k.m.userStore(0x11fffffc, 1)).toBe(FSR.PermissionSection | FSR.WnR);
    expect(k.m.userLoad(0x10004000)).toBe(FSR.TranslationPage);
    expect(k.m.userLoad(0x10200000)).toBe(FSR.TranslationSection);

    // overlapping mappings of another size need DeleteFirst; a missing page table FailedLookup
    const r1 = invoke(k, SMALL[1]!, LABEL.ARMPageMap, [0x10010000, RW, 0], [PD]);
    expect(!r1.ok && r1.error.tag).toBe('DeleteFirst');
    const r2 = invoke(k, SMALL[1]!, LABEL.ARMPageMap, [0x10400000, RW, 0], [PD]);
    expect(!r2.ok && r2.error).toEqual({ tag: 'FailedLookup', source: false, failure: { tag: 'MissingCapability', bitsLeft: 20 } });
    const r3 = invoke(k, PT[1]!, LABEL.ARMPageTableMap, [0x10100000, 0], [PD]);
    expect(!r3.ok && r3.error.tag).toBe('DeleteFirst');

    // unmapping clears every replicated entry and flushes
    mustInvoke(k, LARGE, LABEL.ARMPageUnmap, []);
    mustInvoke(k, SUPER, LABEL.ARMPageUnmap, []);
    for (let i = 0; i < 16; i++) {
      expect(k.m.peek32(pt + 4 * (ptIndex(0x10010000) + i))).toBe(0);
      expect(k.m.peek32(pd + 4 * (pdIndex(0x11000000) + i))).toBe(0);
    }
    expect(k.m.userLoad(0x1001fffc)).toBe(FSR.TranslationPage);
    expect(k.m.userLoad(0x11fffffc)).toBe(FSR.TranslationSection);
    expect(capFMappedASID(readCap(k, slot(LARGE)))).toBe(0);

    // PageTable_Unmap clears the PDE, zeroes the table and flushes the ASID
    expect(k.m.userLoad(0x10003004)).toBe(0);
    mustInvoke(k, PT[0]!, LABEL.ARMPageTableUnmap, []);
    expect(k.m.userLoad(0x10003004)).toBe(FSR.TranslationSection);
    for (let i = 0; i < 256; i++) expect(k.m.peek32(pt + 4 * i)).toBe(0);
    expect(capPTIsMapped(readCap(k, slot(PT[0]!)))).toBe(false);
  });

  it('remapping in place with fewer rights takes effect at once (TLB flushed)', () => {
    const k = fixture();
    mustInvoke(k, PT[0]!, LABEL.ARMPageTableMap, [0x10000000, 0], [PD]);
    mustInvoke(k, SMALL[0]!, LABEL.ARMPageMap, [0x10000000, RW, 0], [PD]);
    mustInvoke(k, SECTION, LABEL.ARMPageMap, [0x10100000, RW, 0], [PD]);
    useVSpace(k, PD);
    expect(k.m.userStore(0x10000000, 1)).toBe(0);
    expect(k.m.userStore(0x10100000, 1)).toBe(0);
    mustInvoke(k, SMALL[0]!, LABEL.ARMPageMap, [0x10000000, RO, 0], [PD]);
    mustInvoke(k, SECTION, LABEL.ARMPageMap, [0x10100000, RO, 0], [PD]);
    expect(k.m.userStore(0x10000000, 2)).toBe(FSR.PermissionPage | FSR.WnR);
    expect(k.m.userStore(0x10100000, 2)).toBe(FSR.PermissionSection | FSR.WnR);
    // another cap's small page over this one (seL4 overwrites) is seen at once too
    const before = k.m.userLoad(0x10000000);
    expect(before).toBe(0);
    mustInvoke(k, SMALL[1]!, LABEL.ARMPageMap, [0x10000000, RW, 0], [PD]);
    expect(k.m.userStore(0x10000000, 3)).toBe(0);
    const frame1 = readCap(k, slot(SMALL[1]!)).w0 & ~0xfff;
    expect(k.m.peek32(frame1 >>> 0)).toBe(3);
  });

  it('a reused ASID does not see the old address space', () => {
    const k = fixture();
    mustInvoke(k, PT[0]!, LABEL.ARMPageTableMap, [0x10000000, 0], [PD]);
    mustInvoke(k, SMALL[0]!, LABEL.ARMPageMap, [0x10000000, RW, 0], [PD]);
    useVSpace(k, PD);
    const asid = asidOf(k, PD);
    expect(k.m.userLoad(0x10000000)).toBe(0);
    deleteASID(k, asid, pdOf(k, PD));
    expect(findPDForASID(k, asid)).toBe(0);
    writeCap(k, slot(PD), makePageDirectoryCap(pdOf(k, PD), false, 0));
    // PD2 had the next ASID; swap roles: give PD back, but first hand the freed ASID to a fresh PD
    const pd2 = pdOf(k, PD2);
    writeCap(k, slot(PD2), makePageDirectoryCap(pd2, false, 0));
    deleteASID(k, asid + 1, pd2);
    mustInvoke(k, ROOT_SLOTS.asidPool, LABEL.ARMASIDPoolAssign, [], [PD2]);
    expect(asidOf(k, PD2)).toBe(asid);
    useVSpace(k, PD2);
    expect(k.m.userLoad(0x10000000)).toBe(FSR.TranslationSection);
  });
});

describe('TLB coherence under random VSpace operations', () => {
  type Op =
    | { op: 'map'; frame: number; vaddr: number; rights: number; pd: number }
    | { op: 'unmap'; frame: number }
    | { op: 'ptMap'; pt: number; vaddr: number; pd: number }
    | { op: 'ptUnmap'; pt: number }
    | { op: 'recycleASID'; pd: number }
    | { op: 'switch'; pd: number }
    | { op: 'store'; vaddr: number; value: number };

  const FRAMES = [...SMALL, LARGE, SECTION, SUPER];
  const VADDRS = [0x10000000, 0x10001000, 0x10010000, 0x10100000, 0x10110000, 0x11000000, 0x10200000];
  const PDS = [PD, PD2];
  const pick = <T,>(xs: readonly T[]) => fc.constantFrom(...xs);
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('map' as const), frame: pick(FRAMES), vaddr: pick(VADDRS), rights: fc.constantFrom(1, 2, 3), pd: pick(PDS) }),
    fc.record({ op: fc.constant('unmap' as const), frame: pick(FRAMES) }),
    fc.record({ op: fc.constant('ptMap' as const), pt: pick(PT), vaddr: pick(VADDRS), pd: pick(PDS) }),
    fc.record({ op: fc.constant('ptUnmap' as const), pt: pick(PT) }),
    fc.record({ op: fc.constant('recycleASID' as const), pd: pick(PDS) }),
    fc.record({ op: fc.constant('switch' as const), pd: pick(PDS) }),
    fc.record({ op: fc.constant('store' as const), vaddr: pick(VADDRS.map((v) => v + 0x40)), value: fc.nat() }),
  );
  const PROBES = VADDRS.flatMap((v) => [v, v + 0x40, v + 0xffc, v + 0xfffc]);

  function apply(k: Kernel, o: Op): void {
    switch (o.op) {
      case 'map': invoke(k, o.frame, LABEL.ARMPageMap, [o.vaddr, o.rights, 0], [o.pd]); return;
      case 'unmap': invoke(k, o.frame, LABEL.ARMPageUnmap, []); return;
      case 'ptMap': invoke(k, o.pt, LABEL.ARMPageTableMap, [o.vaddr, 0], [o.pd]); return;
      case 'ptUnmap': invoke(k, o.pt, LABEL.ARMPageTableUnmap, []); return;
      case 'recycleASID': {
        // what deleting the PD's last cap does, then a fresh Assign (the freed ASID is reused)
        const cap = readCap(k, slot(o.pd));
        if (capType(cap) !== CAP_TAG.pageDirectory) return;
        deleteASID(k, capPDMappedASID(cap), capPDBasePtr(cap));
        writeCap(k, slot(o.pd), makePageDirectoryCap(capPDBasePtr(cap), false, 0));
        mustInvoke(k, ROOT_SLOTS.asidPool, LABEL.ARMASIDPoolAssign, [], [o.pd]);
        return;
      }
      case 'switch': useVSpace(k, o.pd); return;
      case 'store': {
        const want = expectedLoad(k, o.vaddr);
        const t = k.m.translate(o.vaddr, k.m.mmu.vspaceRoot!);
        const got = k.m.userStore(o.vaddr, o.value);
        if (t.ok && t.userWrite) {
          expect(got).toBe(0);
          expect(k.m.peek32(t.paddr)).toBe(o.value);
        } else {
          expect(got & ~FSR.WnR).toBe(t.ok ? want.status || (t.level === 'section' ? FSR.PermissionSection : FSR.PermissionPage) : t.fsr);
        }
      }
    }
  }

  test.prop([fc.array(opArb, { minLength: 1, maxLength: 40 })], { seed: SEED, numRuns: 60 })(
    'a user access through the TLB always equals a fresh table walk', (ops) => {
      const k = fixture();
      useVSpace(k, PD);
      for (const o of ops) {
        apply(k, o);
        checkCoherent(k, PROBES);
      }
    },
  );
});

describe('cache maintenance decodes as seL4 and changes nothing', () => {
  const bad = (error: object) => ({ ok: false, error });
  const words = (k: Kernel) => Array.from({ length: 2 ** 14 / 4 }, (_, i) => k.m.peek32(L.rootPD + 4 * i));

  it('page directory: errors in seL4 order, silent success where nothing is mapped, the range at start', () => {
    const k = fixture();
    const pdFlush = (w: number[], s: number = ROOT_SLOTS.vspace) => invoke(k, s, LABEL.ARMPDClean_Data, w);
    expect(pdFlush([0x00200000])).toEqual(bad({ tag: 'TruncatedMessage' }));
    expect(pdFlush([0x00200100, 0x00200100])).toEqual(bad({ tag: 'InvalidArgument', argument: 1 }));
    expect(pdFlush([0xdffff000, 0xe0000001])).toEqual(bad({ tag: 'IllegalOperation' }));
    writeCap(k, slot(110), makePageDirectoryCap(pdOf(k, PD), false, 0));
    expect(pdFlush([0x00200000, 0x00200010], 110)).toEqual(bad({ tag: 'InvalidCapability', argument: 0 }));
    writeCap(k, slot(110), makePageDirectoryCap(pdOf(k, PD), true, 77));
    expect(pdFlush([0x00200000, 0x00200010], 110)).toEqual(bad({ tag: 'FailedLookup', source: false, failure: { tag: 'InvalidRoot' } }));
    writeCap(k, slot(110), makePageDirectoryCap(pdOf(k, PD), true, ROOT_ASID));
    expect(pdFlush([0x00200000, 0x00200010], 110)).toEqual(bad({ tag: 'InvalidCapability', argument: 0 }));
    expect(pdFlush([0x00300000, 0x00500000])).toEqual({ ok: true, value: { tag: 'PageDirectoryNothing' } });
    expect(pdFlush([0x00200ff0, 0x00201010])).toEqual(bad({ tag: 'RangeError', min: 0x00200ff0, max: 0x00200fff }));
    const before = words(k);
    expect(pdFlush([0x00200010, 0x00201000])).toEqual({
      ok: true,
      value: { tag: 'PageDirectoryFlush', label: LABEL.ARMPDClean_Data, start: 0x00200010, end: 0x00200fff, pstart: L.ipcBufferFrame + 0x10, pd: L.rootPD, asid: ROOT_ASID },
    });
    expect(words(k)).toEqual(before);
    // a supersection: the range may span 16 MiB
    useVSpace(k, PD);
    mustInvoke(k, SUPER, LABEL.ARMPageMap, [0x02000000, RW, 0], [PD]);
    expect(invoke(k, PD, LABEL.ARMPDUnify_Instruction, [0x02000000, 0x03000000])).toMatchObject({ ok: true, value: { end: 0x02ffffff, pstart: 0x01000000 } });
    expect(invoke(k, PD, LABEL.ARMPDUnify_Instruction, [0x02fffff0, 0x03000010])).toEqual(bad({ tag: 'RangeError', min: 0x02fffff0, max: 0x02ffffff }));
  });

  it('frame: errors in seL4 order, a stale mapping record is InvalidCapability(0), offsets within the frame', () => {
    const k = fixture();
    const pageFlush = (s: number, w: number[]) => invoke(k, s, LABEL.ARMPageInvalidate_Data, w);
    expect(pageFlush(ROOT_SLOTS.ipcBuffer, [0])).toEqual(bad({ tag: 'TruncatedMessage' }));
    expect(pageFlush(SMALL[0]!, [0, 4])).toEqual(bad({ tag: 'IllegalOperation' }));
    const frame = capFBasePtrOf(k, SMALL[0]!);
    writeCap(k, slot(110), makeFrameCap(frame, 0, VM_RIGHTS.VMReadWrite, false, 77, 0x00300000));
    expect(pageFlush(110, [0, 4])).toEqual(bad({ tag: 'FailedLookup', source: false, failure: { tag: 'InvalidRoot' } }));
    expect(pageFlush(ROOT_SLOTS.ipcBuffer, [4, 4])).toEqual(bad({ tag: 'InvalidArgument', argument: 1 }));
    writeCap(k, slot(110), makeFrameCap(frame, 0, VM_RIGHTS.VMReadWrite, false, ROOT_ASID, ROOT_IPC_BUFFER_VADDR));
    expect(pageFlush(110, [0, 4])).toEqual(bad({ tag: 'InvalidCapability', argument: 0 }));
    expect(pageFlush(ROOT_SLOTS.ipcBuffer, [0x1000, 0x1001])).toEqual(bad({ tag: 'InvalidArgument', argument: 0 }));
    expect(pageFlush(ROOT_SLOTS.ipcBuffer, [0x10, 0x1000])).toEqual({
      ok: true,
      value: { tag: 'PageFlush', label: LABEL.ARMPageInvalidate_Data, start: ROOT_IPC_BUFFER_VADDR + 0x10, end: ROOT_IPC_BUFFER_VADDR + 0xfff, pstart: L.ipcBufferFrame + 0x10, pd: L.rootPD, asid: ROOT_ASID },
    });
    mustInvoke(k, PT[0]!, LABEL.ARMPageTableMap, [0x00400000, 0], [PD]);
    mustInvoke(k, LARGE, LABEL.ARMPageMap, [0x00410000, RW, 0], [PD]);
    expect(invoke(k, LARGE, LABEL.ARMPageUnify_Instruction, [0, 0x10000])).toMatchObject({ ok: true, value: { start: 0x00410000, end: 0x0041ffff } });
    expect(invoke(k, LARGE, LABEL.ARMPageUnify_Instruction, [0, 0x10001])).toEqual(bad({ tag: 'InvalidArgument', argument: 0 }));
  });
});
