import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { produce } from 'immer';
import { bootLayout, ROOT_SLOTS } from '../../../../abi/boot';
import { defaultConfig } from '../../../../abi/config';
import { LABEL, type InvocationLabel } from '../../../../abi/invocations';
import { ALL_RIGHTS, NO_RIGHTS, rightsFromLetters, wordFromRights } from '../../../../abi/rights';
import { bootState } from '../../../../spec/kernel/boot';
import {
  type ArchCap, checkValidIPCBuffer, decodeARMMMUInvocation, findPDForASID, isValidVTableRoot, lookupIPCBuffer,
  maskVMRights, performARMMMUInvocation, unmapPage, userTranslate,
} from '../../../../spec/kernel/vspace';
import { type KernelState, cnodeSlot, getObject } from '../../../../spec/model/state';
import type { Cap, CapOf, ExtraCap, PPtr } from '../../../../spec/api/types';

const config = defaultConfig();
const L = bootLayout(config);
const slot = (i: number): PPtr => cnodeSlot(L.rootCNode, i);
const RW = wordFromRights(ALL_RIGHTS);

function boot(): KernelState {
  return bootState(config);
}

/** Puts a cap into a root CNode slot (and its object, if given), unlinked. */
function put(s: KernelState, i: number, cap: Cap): void {
  s.ctes[slot(i)] = { cap, mdb: { prev: 0, next: 0, revocable: true, firstBadged: true } };
}

function extra(s: KernelState, i: number): ExtraCap {
  return { cap: s.ctes[slot(i)]?.cap ?? { tag: 'NullCap' }, slot: slot(i) };
}

function decode(s: KernelState, label: InvocationLabel, cap: ArchCap, capSlot: PPtr, words: number[], extraCaps: ExtraCap[]) {
  return decodeARMMMUInvocation(s, { label: LABEL[label], words, extraCaps }, cap, capSlot, L.rootTCB);
}

/** A fresh frame object and cap at paddr in slot i. */
function frame(s: KernelState, i: number, paddr: number, size: 'SmallPage' | 'LargePage' | 'Section' | 'SuperSection'): Cap {
  s.objects[paddr] = { tag: 'Frame', size, words: {} };
  const cap: Cap = { tag: 'FrameCap', ptr: paddr, size, rights: 'VMReadWrite', mapped: null };
  put(s, i, cap);
  return cap;
}

function mapFrame(s: KernelState, i: number, vaddr: number, rights = RW) {
  const cap = s.ctes[slot(i)].cap as ArchCap;
  const d = decode(s, 'ARMPageMap', cap, slot(i), [vaddr, rights, 0], [extra(s, ROOT_SLOTS.vspace)]);
  if (!d.ok) return d;
  performARMMMUInvocation(s, d.value, L.rootTCB);
  return d;
}

describe('maskVMRights', () => {
  it('needs read for any user access and write for read-write', () => {
    const r = (l: string) => rightsFromLetters(l)!;
    expect(maskVMRights('VMReadWrite', r('RW'))).toBe('VMReadWrite');
    expect(maskVMRights('VMReadWrite', r('R'))).toBe('VMReadOnly');
    expect(maskVMRights('VMReadWrite', r('W'))).toBe('VMKernelOnly');
    expect(maskVMRights('VMReadOnly', r('RW'))).toBe('VMReadOnly');
    expect(maskVMRights('VMReadOnly', NO_RIGHTS)).toBe('VMKernelOnly');
    expect(maskVMRights('VMKernelOnly', ALL_RIGHTS)).toBe('VMKernelOnly');
    expect(maskVMRights('VMNoAccess', ALL_RIGHTS)).toBe('VMNoAccess');
  });
});

describe('boot VSpace', () => {
  it('ASID 1 names the root page directory; others are invalid roots', () => {
    const s = boot();
    expect(findPDForASID(s, 1)).toEqual({ ok: true, value: L.rootPD });
    expect(findPDForASID(s, 2)).toEqual({ ok: false, error: { tag: 'InvalidRoot' } });
    expect(findPDForASID(s, 1024)).toEqual({ ok: false, error: { tag: 'InvalidRoot' } });
  });

  it('the root IPC buffer is found physically through the buffer cap', () => {
    const s = boot();
    expect(lookupIPCBuffer(s, true, L.rootTCB)).toEqual({ frame: L.ipcBufferFrame, offset: 0 });
  });

  it('a read-only buffer cap serves a sender but not a receiver; no frame cap, no buffer', () => {
    const s = boot();
    const bufSlot = L.rootTCB + 4 * 16;
    const c = s.ctes[bufSlot].cap;
    s.ctes[bufSlot].cap = { ...(c as Extract<Cap, { tag: 'FrameCap' }>), rights: 'VMReadOnly' };
    expect(lookupIPCBuffer(s, false, L.rootTCB)).not.toBeNull();
    expect(lookupIPCBuffer(s, true, L.rootTCB)).toBeNull();
    s.ctes[bufSlot].cap = { tag: 'DomainCap' };
    expect(lookupIPCBuffer(s, false, L.rootTCB)).toBeNull();
  });

  it('userTranslate walks the root tables and reports ARM fault statuses', () => {
    const s = boot();
    expect(userTranslate(s, L.rootTCB, 0x00200008, false)).toEqual({ ok: true, frame: L.ipcBufferFrame, offset: 8 });
    expect(userTranslate(s, L.rootTCB, 0x00201ffc, true)).toEqual({ ok: true, frame: L.bootInfoFrame, offset: 0xffc });
    const fsr = (va: number, w: boolean) => {
      const t = userTranslate(s, L.rootTCB, va, w);
      return t.ok ? null : t.fault.tag === 'VMFault' ? t.fault.fsr : null;
    };
    expect(fsr(0x00202000, false)).toBe(0x7);
    expect(fsr(0x00300000, false)).toBe(0x5);
    expect(fsr(0x00300000, true)).toBe(0x805);
    expect(fsr(0x00200002, false)).toBe(0x1);
    expect(fsr(0xf0000000, false)).toBe(0x5);
  });

  it('a thread without a valid VSpace faults on every access', () => {
    const s = boot();
    delete s.ctes[L.rootTCB + 16]; // tcbVTable
    const t = userTranslate(s, L.rootTCB, 0x00200000, false);
    expect(t).toEqual({ ok: false, fault: { tag: 'VMFault', address: 0x00200000, fsr: 0x5, instruction: false } });
  });

  it('checkValidIPCBuffer and isValidVTableRoot', () => {
    const s = boot();
    const f = s.ctes[slot(ROOT_SLOTS.ipcBuffer)].cap;
    expect(checkValidIPCBuffer(0x1000, f).ok).toBe(true);
    expect(checkValidIPCBuffer(0x1100, f)).toEqual({ ok: false, error: { tag: 'AlignmentError' } });
    expect(checkValidIPCBuffer(0x1000, { tag: 'NullCap' })).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    expect(isValidVTableRoot(s.ctes[slot(ROOT_SLOTS.vspace)].cap)).toBe(true);
    expect(isValidVTableRoot({ tag: 'PageDirectoryCap', ptr: L.rootPD, mapped: null })).toBe(false);
  });
});

describe('Page_Map', () => {
  const P = 0x00400000;

  it('maps a small page into the root page table and the thread can use it', () => {
    const s = boot();
    frame(s, 20, P, 'SmallPage');
    expect(mapFrame(s, 20, 0x00205000).ok).toBe(true);
    expect(s.ctes[slot(20)].cap).toMatchObject({ mapped: { asid: 1, vaddr: 0x00205000 } });
    expect(userTranslate(s, L.rootTCB, 0x00205010, true)).toEqual({ ok: true, frame: P, offset: 0x10 });
  });

  it('errors in seL4 order', () => {
    const s = boot();
    const cap = frame(s, 20, P, 'SmallPage') as ArchCap;
    const pdx = extra(s, ROOT_SLOTS.vspace);
    const d = (words: number[], caps: ExtraCap[]) => decode(s, 'ARMPageMap', cap, slot(20), words, caps);
    expect(d([0x00205000, RW], [pdx])).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(d([0x00205000, RW, 0], [])).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(d([0x00205000, RW, 0], [extra(s, ROOT_SLOTS.cnode)])).toEqual({ ok: false, error: { tag: 'InvalidCapability', argument: 1 } });
    expect(d([0xdffff000, RW, 0], [pdx])).toMatchObject({ ok: false, error: { tag: 'FailedLookup' } }); // past the USER_TOP check
    expect(d([0xe0000000, RW, 0], [pdx])).toEqual({ ok: false, error: { tag: 'InvalidArgument', argument: 0 } });
    expect(d([0x00205004, RW, 0], [pdx])).toEqual({ ok: false, error: { tag: 'AlignmentError' } });
    // wraps past 2^32: passes the USER_TOP check, then fails alignment, as in C
    expect(d([0xffffffff, RW, 0], [pdx])).toEqual({ ok: false, error: { tag: 'AlignmentError' } });
    expect(d([0x00305000, RW, 0], [pdx])).toEqual({
      ok: false, error: { tag: 'FailedLookup', source: false, failure: { tag: 'MissingCapability', bitsLeft: 20 } },
    });
    // an unassigned PD cap, then a PD cap whose ASID is gone
    expect(d([0x00205000, RW, 0], [{ cap: { tag: 'PageDirectoryCap', ptr: L.rootPD, mapped: null }, slot: slot(30) }]))
      .toEqual({ ok: false, error: { tag: 'InvalidCapability', argument: 1 } });
    expect(d([0x00205000, RW, 0], [{ cap: { tag: 'PageDirectoryCap', ptr: L.rootPD, mapped: 5 }, slot: slot(30) }]))
      .toEqual({ ok: false, error: { tag: 'FailedLookup', source: false, failure: { tag: 'InvalidRoot' } } });
  });

  it('a mapped cap only remaps in place, and with its own ASID', () => {
    const s = boot();
    frame(s, 20, P, 'SmallPage');
    mapFrame(s, 20, 0x00205000);
    const cap = s.ctes[slot(20)].cap as ArchCap;
    const pdx = extra(s, ROOT_SLOTS.vspace);
    expect(decode(s, 'ARMPageMap', cap, slot(20), [0x00206000, RW, 0], [pdx])).toEqual({ ok: false, error: { tag: 'InvalidArgument', argument: 0 } });
    expect(mapFrame(s, 20, 0x00205000, wordFromRights({ ...NO_RIGHTS, read: true })).ok).toBe(true);
    const pte = getObject(s, L.pageTable, 'PageTable').entries[5];
    expect(pte).toEqual({ tag: 'SmallPagePTE', frame: P, rights: 'VMReadOnly' });
    const t = userTranslate(s, L.rootTCB, 0x00205000, true);
    expect(t.ok ? null : t.fault).toMatchObject({ fsr: 0x80f });
  });

  it('overlap rules: same size overwrites, different size is DeleteFirst', () => {
    const s = boot();
    frame(s, 20, P, 'SmallPage');
    frame(s, 21, P + 0x10000, 'LargePage');
    frame(s, 22, 0x00800000, 'Section');
    frame(s, 23, 0x01000000, 'SuperSection');
    // small over the IPC buffer's small page: overwritten
    expect(mapFrame(s, 20, 0x00200000).ok).toBe(true);
    expect(userTranslate(s, L.rootTCB, 0x00200000, false)).toMatchObject({ ok: true, frame: P });
    // large over a small page in its range
    expect(mapFrame(s, 21, 0x00200000)).toEqual({ ok: false, error: { tag: 'DeleteFirst' } });
    expect(mapFrame(s, 21, 0x00210000).ok).toBe(true);
    // small inside the large page
    frame(s, 24, P + 0x1000, 'SmallPage');
    expect(mapFrame(s, 24, 0x00213000)).toEqual({ ok: false, error: { tag: 'DeleteFirst' } });
    // section over the page table's PDE; supersection over a section
    expect(mapFrame(s, 22, 0x00200000)).toEqual({ ok: false, error: { tag: 'DeleteFirst' } });
    expect(mapFrame(s, 22, 0x00300000).ok).toBe(true);
    expect(mapFrame(s, 23, 0x00000000)).toEqual({ ok: false, error: { tag: 'DeleteFirst' } });
    expect(mapFrame(s, 23, 0x01000000).ok).toBe(true);
    expect(userTranslate(s, L.rootTCB, 0x01fffffc, false)).toEqual({ ok: true, frame: 0x01000000, offset: 0xfffffc });
    expect(userTranslate(s, L.rootTCB, 0x0031234c, false)).toEqual({ ok: true, frame: 0x00800000, offset: 0x1234c });
    expect(userTranslate(s, L.rootTCB, 0x0021fffc, false)).toEqual({ ok: true, frame: P + 0x10000, offset: 0xfffc });
  });

  it('decode never changes the state', () => {
    const s = boot();
    frame(s, 20, P, 'SmallPage');
    const cap = s.ctes[slot(20)].cap as ArchCap;
    const after = produce(s, (d) => {
      decode(d, 'ARMPageMap', cap, slot(20), [0x00205000, RW, 0], [extra(d, ROOT_SLOTS.vspace)]);
    });
    expect(after).toBe(s);
  });
});

describe('Page_Unmap, Page_GetAddress, unmapPage', () => {
  it('unmaps only a mapping that is still current', () => {
    const s = boot();
    frame(s, 20, 0x00400000, 'SmallPage');
    mapFrame(s, 20, 0x00205000);
    // a stale record (another frame overwrote the entry) unmaps nothing
    unmapPage(s, 'SmallPage', 1, 0x00200000, 0x00400000);
    expect(getObject(s, L.pageTable, 'PageTable').entries[0]).toBeDefined();
    const cap = s.ctes[slot(20)].cap as ArchCap;
    const d = decode(s, 'ARMPageUnmap', cap, slot(20), [], []);
    expect(d.ok).toBe(true);
    if (d.ok) performARMMMUInvocation(s, d.value, L.rootTCB);
    expect(getObject(s, L.pageTable, 'PageTable').entries[5]).toBeUndefined();
    expect(s.ctes[slot(20)].cap).toMatchObject({ mapped: null });
  });

  it('GetAddress replies with the physical address', () => {
    const s = boot();
    const cap = s.ctes[slot(ROOT_SLOTS.ipcBuffer)].cap as ArchCap;
    const d = decode(s, 'ARMPageGetAddress', cap, slot(ROOT_SLOTS.ipcBuffer), [], []);
    expect(d.ok && performARMMMUInvocation(s, d.value, L.rootTCB)).toEqual([L.ipcBufferFrame]);
  });

});

describe('cache maintenance (PageDirectory_* and Page_* Clean/Invalidate/CleanInvalidate/Unify)', () => {
  const bad = (error: object) => ({ ok: false, error });
  const pdCap = (s: KernelState) => s.ctes[slot(ROOT_SLOTS.vspace)].cap as CapOf<'PageDirectoryCap'>;
  const bufferCap = (s: KernelState) => s.ctes[slot(ROOT_SLOTS.ipcBuffer)].cap as CapOf<'FrameCap'>;

  it('a page directory: errors in seL4 order, then the range within the frame mapped at its start', () => {
    const s = boot();
    const pd = pdCap(s);
    const d = (words: number[], cap: ArchCap = pd) => decode(s, 'ARMPDClean_Data', cap, slot(ROOT_SLOTS.vspace), words, []);
    expect(decode(s, 'ARMPageMap', pd, slot(3), [0, 4, 0], [])).toEqual(bad({ tag: 'IllegalOperation' }));
    expect(d([0x00200000])).toEqual(bad({ tag: 'TruncatedMessage' }));
    expect(d([0x00200100, 0x00200100])).toEqual(bad({ tag: 'InvalidArgument', argument: 1 }));
    expect(d([0xdffff000, 0xe0000001])).toEqual(bad({ tag: 'IllegalOperation' }));
    expect(d([0xe0000000, 0xe0000010])).toEqual(bad({ tag: 'IllegalOperation' }));
    expect(d([0x00200000, 0x00200010], { ...pd, mapped: null })).toEqual(bad({ tag: 'InvalidCapability', argument: 0 }));
    expect(d([0x00200000, 0x00200010], { ...pd, mapped: 2 })).toEqual(bad({ tag: 'FailedLookup', source: false, failure: { tag: 'InvalidRoot' } }));
    expect(d([0x00200000, 0x00200010], { ...pd, ptr: L.pageTable })).toEqual(bad({ tag: 'InvalidCapability', argument: 0 }));
    // Nothing mapped at start: success without a flush, whatever the end.
    expect(d([0x00300000, 0x00500000])).toEqual({ ok: true, value: { tag: 'PageDirectoryNothing' } });
    expect(d([0x00200ff0, 0x00201010])).toEqual(bad({ tag: 'RangeError', min: 0x00200ff0, max: 0x00200fff }));
    expect(d([0x00200010, 0x00201000])).toEqual({
      ok: true,
      value: { tag: 'PageDirectoryFlush', flush: 'Clean', start: 0x00200010, end: 0x00200fff, pstart: L.ipcBufferFrame + 0x10, pd: L.rootPD, asid: 1 },
    });
    expect(decode(s, 'ARMPDUnify_Instruction', pd, slot(3), [0x00201000, 0x00201004], [])).toMatchObject({ ok: true, value: { flush: 'Unify', pstart: L.bootInfoFrame } });
  });

  it('a page directory: the range check uses the size of the mapping at start (a section)', () => {
    const s = boot();
    frame(s, 20, 0x00900000, 'Section');
    expect(mapFrame(s, 20, 0x00900000).ok).toBe(true);
    const d = (words: number[]) => decode(s, 'ARMPDInvalidate_Data', pdCap(s), slot(3), words, []);
    expect(d([0x00900000, 0x00a00000])).toMatchObject({ ok: true, value: { flush: 'Invalidate', end: 0x009fffff } });
    expect(d([0x00980000, 0x00a00001])).toEqual(bad({ tag: 'RangeError', min: 0x00980000, max: 0x009fffff }));
  });

  it('a frame: errors in seL4 order, then offsets within the frame through its mapping', () => {
    const s = boot();
    const f = bufferCap(s);
    const d = (words: number[], cap: ArchCap = f) => decode(s, 'ARMPageClean_Data', cap, slot(ROOT_SLOTS.ipcBuffer), words, []);
    expect(d([0])).toEqual(bad({ tag: 'TruncatedMessage' }));
    expect(d([0, 4], { ...f, mapped: null })).toEqual(bad({ tag: 'IllegalOperation' }));
    expect(d([0, 4], { ...f, mapped: { asid: 2, vaddr: 0x00200000 } })).toEqual(bad({ tag: 'FailedLookup', source: false, failure: { tag: 'InvalidRoot' } }));
    expect(d([4, 4])).toEqual(bad({ tag: 'InvalidArgument', argument: 1 }));
    // A stale record: nothing at the address, another frame there, or a frame of another size.
    expect(d([0, 4], { ...f, mapped: { asid: 1, vaddr: 0x00202000 } })).toEqual(bad({ tag: 'InvalidCapability', argument: 0 }));
    expect(d([0, 4], { ...f, mapped: { asid: 1, vaddr: 0x00201000 } })).toEqual(bad({ tag: 'InvalidCapability', argument: 0 }));
    expect(d([0, 4], { ...f, size: 'LargePage' })).toEqual(bad({ tag: 'InvalidCapability', argument: 0 }));
    expect(d([0, 0x1001])).toEqual(bad({ tag: 'InvalidArgument', argument: 0 }));
    expect(d([0x1000, 0x1001])).toEqual(bad({ tag: 'InvalidArgument', argument: 0 }));
    expect(d([0x10, 0x1000])).toEqual({
      ok: true,
      value: { tag: 'PageFlush', flush: 'Clean', start: 0x00200010, end: 0x00200fff, pstart: L.ipcBufferFrame + 0x10, pd: L.rootPD, asid: 1 },
    });
    const labels = ['ARMPageInvalidate_Data', 'ARMPageCleanInvalidate_Data', 'ARMPageUnify_Instruction'] as const;
    expect(labels.map((l) => decode(s, l, f, slot(10), [0, 4], []))).toMatchObject([
      { ok: true, value: { flush: 'Invalidate' } }, { ok: true, value: { flush: 'CleanInvalidate' } }, { ok: true, value: { flush: 'Unify' } },
    ]);
  });

  it('performing a flush changes nothing (there are no caches)', () => {
    const s = boot();
    const before = JSON.stringify(s);
    for (const d of [
      decode(s, 'ARMPDCleanInvalidate_Data', pdCap(s), slot(3), [0x00200000, 0x00200100], []),
      decode(s, 'ARMPDClean_Data', pdCap(s), slot(3), [0x00300000, 0x00300100], []),
      decode(s, 'ARMPageCleanInvalidate_Data', bufferCap(s), slot(10), [0, 0x1000], []),
    ]) {
      expect(d.ok).toBe(true);
      if (d.ok) expect(performARMMMUInvocation(s, d.value, L.rootTCB)).toBeUndefined();
    }
    expect(JSON.stringify(s)).toBe(before);
  });
});

describe('PageTable_Map / Unmap', () => {
  const PT = 0x00400000;
  function pt(s: KernelState, i: number): ArchCap {
    s.objects[PT] = { tag: 'PageTable', entries: {} };
    const cap: Cap = { tag: 'PageTableCap', ptr: PT, mapped: null };
    put(s, i, cap);
    return cap as ArchCap;
  }

  it('errors in seL4 order, then maps', () => {
    const s = boot();
    const cap = pt(s, 20);
    const pdx = extra(s, ROOT_SLOTS.vspace);
    const d = (words: number[], caps: ExtraCap[]) => decode(s, 'ARMPageTableMap', cap, slot(20), words, caps);
    expect(d([0x00300000], [pdx])).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(d([0x00300000, 0], [extra(s, ROOT_SLOTS.ipcBuffer)])).toEqual({ ok: false, error: { tag: 'InvalidCapability', argument: 1 } });
    expect(d([0xe0000000, 0], [pdx])).toEqual({ ok: false, error: { tag: 'InvalidArgument', argument: 0 } });
    expect(d([0x00200000, 0], [pdx])).toEqual({ ok: false, error: { tag: 'DeleteFirst' } });
    const r = d([0x00312345, 0], [pdx]);
    expect(r.ok).toBe(true);
    if (r.ok) performARMMMUInvocation(s, r.value, L.rootTCB);
    expect(s.ctes[slot(20)].cap).toEqual({ tag: 'PageTableCap', ptr: PT, mapped: { asid: 1, vaddr: 0x00300000 } });
    expect(getObject(s, L.rootPD, 'PageDirectory').entries[3]).toEqual({ tag: 'PageTablePDE', pt: PT });
    const again = decode(s, 'ARMPageTableMap', s.ctes[slot(20)].cap as ArchCap, slot(20), [0x00500000, 0], [pdx]);
    expect(again).toEqual({ ok: false, error: { tag: 'InvalidCapability', argument: 0 } });
  });
});

describe('random map / unmap sequences (fast-check, fixed seed)', () => {
  // Frames of every size, two page tables and a second page directory (ASID 2); operations are
  // decoded and performed as the kernel would, whatever their outcome.
  const FRAMES: [number, number, 'SmallPage' | 'LargePage' | 'Section' | 'SuperSection'][] = [
    [20, 0x00400000, 'SmallPage'], [21, 0x00401000, 'SmallPage'], [22, 0x00410000, 'LargePage'],
    [23, 0x00420000, 'LargePage'], [24, 0x00500000, 'Section'], [25, 0x00600000, 'Section'], [26, 0x01000000, 'SuperSection'],
  ];
  const VADDRS = [0x00200000, 0x00201000, 0x00202000, 0x00210000, 0x00300000, 0x00310000, 0x00400000, 0x01000000, 0x01100000, 0x00203004];

  function setup(): KernelState {
    const s = bootState({ ...config, memoryBits: 25 });
    for (const [i, p, sz] of FRAMES) frame(s, i, p, sz);
    for (const [i, p] of [[27, 0x00700000], [28, 0x00700400]]) {
      s.objects[p] = { tag: 'PageTable', entries: {} };
      put(s, i, { tag: 'PageTableCap', ptr: p, mapped: null });
    }
    s.objects[0x00704000] = { tag: 'PageDirectory', entries: {} };
    put(s, 29, { tag: 'PageDirectoryCap', ptr: 0x00704000, mapped: 2 });
    getObject(s, L.rootASIDPool, 'ASIDPool').entries[2] = 0x00704000;
    return s;
  }

  function checkTables(s: KernelState): void {
    for (const o of Object.values(s.objects)) {
      if (o.tag === 'PageDirectory') {
        for (const [k, e] of Object.entries(o.entries)) {
          const i = Number(k);
          if (e.tag === 'PageTablePDE') expect(s.objects[e.pt]?.tag).toBe('PageTable');
          else expect(s.objects[e.frame]).toMatchObject({ tag: 'Frame', size: e.tag === 'SectionPDE' ? 'Section' : 'SuperSection' });
          if (e.tag === 'SuperSectionPDE') {
            const base = i - (i % 16);
            for (let j = 0; j < 16; j++) expect(o.entries[base + j]).toEqual(e);
          }
        }
      }
      if (o.tag === 'PageTable') {
        for (const [k, e] of Object.entries(o.entries)) {
          const i = Number(k);
          expect(s.objects[e.frame]).toMatchObject({ tag: 'Frame', size: e.tag === 'SmallPagePTE' ? 'SmallPage' : 'LargePage' });
          if (e.tag === 'LargePagePTE') {
            const base = i - (i % 16);
            for (let j = 0; j < 16; j++) expect(o.entries[base + j]).toEqual(e);
          }
        }
      }
    }
  }

  const op = fc.oneof(
    fc.record({ k: fc.constant('map' as const), f: fc.nat(FRAMES.length - 1), v: fc.constantFrom(...VADDRS), pd: fc.constantFrom(3, 29), r: fc.nat(15) }),
    fc.record({ k: fc.constant('unmap' as const), f: fc.nat(FRAMES.length - 1) }),
    fc.record({ k: fc.constant('ptmap' as const), t: fc.constantFrom(27, 28), v: fc.constantFrom(...VADDRS), pd: fc.constantFrom(3, 29) }),
    fc.record({ k: fc.constant('ptunmap' as const), t: fc.constantFrom(16, 27, 28) }),
  );

  it('tables stay well formed, decode errors are the listed ones, translation never throws', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const s = setup();
        for (const o of ops) {
          const i = o.k === 'map' || o.k === 'unmap' ? FRAMES[o.f][0] : o.t;
          const cap = s.ctes[slot(i)].cap as ArchCap;
          const d = o.k === 'map'
            ? decode(s, 'ARMPageMap', cap, slot(i), [o.v, o.r, 0], [extra(s, o.pd)])
            : o.k === 'unmap'
              ? decode(s, 'ARMPageUnmap', cap, slot(i), [], [])
              : o.k === 'ptmap'
                ? decode(s, 'ARMPageTableMap', cap, slot(i), [o.v, 0], [extra(s, o.pd)])
                : decode(s, 'ARMPageTableUnmap', cap, slot(i), [], []);
          if (d.ok) performARMMMUInvocation(s, d.value, L.rootTCB);
          else expect(['InvalidCapability', 'InvalidArgument', 'FailedLookup', 'AlignmentError', 'DeleteFirst', 'RevokeFirst']).toContain(d.error.tag);
          checkTables(s);
          for (const v of VADDRS) userTranslate(s, L.rootTCB, v, true);
        }
      }),
      { seed: 4711, numRuns: 300 },
    );
  });
});
