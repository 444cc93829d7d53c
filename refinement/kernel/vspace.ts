// Abstraction of the ARM VSpace: real short-descriptor page directories and page tables in memory
// back into the spec's entry records, ASID pools, and frame contents.

import {
  AP, PDE_COARSE, PDE_SECTION, PDE_SUPERSECTION, PTE_LARGE, PTE_SMALL, PD_ENTRIES, PT_ENTRIES, PdeKind, PteKind, field, getField, pdeKind, pteKind,
  type Layout,
} from '../../machine';
import type { VMRights } from '../../spec/api/types';
import type { ASIDPool, Frame, PageDirectory, PageTable, PDE, PTE } from '../../spec/object/structures';
import type { FrameSize } from '../../abi/objecttype';
import type { Kernel } from '../../impl';

const VM_RIGHTS_OF_AP: Record<number, VMRights> = {
  [AP.NoAccess]: 'VMNoAccess', [AP.PrivilegedOnly]: 'VMKernelOnly', [AP.UserReadOnly]: 'VMReadOnly', [AP.UserReadWrite]: 'VMReadWrite',
};

const base = (l: Layout) => field(l, 'base');
const ap = (l: Layout) => field(l, 'AP');
const apx = (l: Layout) => field(l, 'APX');

function rights(l: Layout, word: number, problem: (what: string) => void): VMRights {
  if (getField(word, apx(l)) !== 0) problem(`descriptor 0x${word.toString(16)} has APX set, which seL4 never writes`);
  return VM_RIGHTS_OF_AP[getField(word, ap(l))];
}

export function absPDE(word: number, problem: (what: string) => void): PDE | undefined {
  switch (pdeKind(word)) {
    case PdeKind.Invalid:
      return undefined;
    case PdeKind.Coarse:
      return { tag: 'PageTablePDE', pt: getField(word, base(PDE_COARSE)) };
    case PdeKind.Section:
      return { tag: 'SectionPDE', frame: getField(word, base(PDE_SECTION)), rights: rights(PDE_SECTION, word, problem) };
    case PdeKind.Supersection:
      return { tag: 'SuperSectionPDE', frame: getField(word, base(PDE_SUPERSECTION)), rights: rights(PDE_SUPERSECTION, word, problem) };
    default:
      problem(`reserved PDE 0x${word.toString(16)}`);
      return undefined;
  }
}

export function absPTE(word: number, problem: (what: string) => void): PTE | undefined {
  switch (pteKind(word)) {
    case PteKind.Invalid:
      return undefined;
    case PteKind.Large:
      return { tag: 'LargePagePTE', frame: getField(word, base(PTE_LARGE)), rights: rights(PTE_LARGE, word, problem) };
    default:
      return { tag: 'SmallPagePTE', frame: getField(word, base(PTE_SMALL)), rights: rights(PTE_SMALL, word, problem) };
  }
}

export function absPageDirectory(k: Kernel, pd: number, problem: (what: string) => void): PageDirectory {
  const entries: Record<number, PDE> = {};
  for (let i = 0; i < PD_ENTRIES; i++) {
    const w = k.m.peek32(pd + 4 * i);
    if (w !== 0) {
      const e = absPDE(w, problem);
      if (e) entries[i] = e;
    }
  }
  return { tag: 'PageDirectory', entries };
}

export function absPageTable(k: Kernel, pt: number, problem: (what: string) => void): PageTable {
  const entries: Record<number, PTE> = {};
  for (let i = 0; i < PT_ENTRIES; i++) {
    const w = k.m.peek32(pt + 4 * i);
    if (w !== 0) {
      const e = absPTE(w, problem);
      if (e) entries[i] = e;
    }
  }
  return { tag: 'PageTable', entries };
}

export function absASIDPool(k: Kernel, pool: number): ASIDPool {
  const entries: Record<number, number> = {};
  for (let i = 0; i < 1024; i++) {
    const w = k.m.peek32(pool + 4 * i);
    if (w !== 0) entries[i] = w;
  }
  return { tag: 'ASIDPool', entries };
}

export function absFrame(k: Kernel, frame: number, size: FrameSize, sizeBits: number): Frame {
  const words: Record<number, number> = {};
  const n = 2 ** (sizeBits - 2);
  for (let i = 0; i < n; i++) {
    const w = k.m.peek32(frame + 4 * i);
    if (w !== 0) words[i] = w;
  }
  return { tag: 'Frame', size, words };
}
