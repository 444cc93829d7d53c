/**
 * ARMv7 short-descriptor translation table formats, declared once as data (layout.ts), and the
 * constants and constructors the kernel uses to write real descriptors into memory.
 *
 * First level: a page directory of 4096 PDEs (16 KiB, 16 KiB-aligned), one per MiB of virtual space.
 * Second level: a (coarse) page table of 256 PTEs (1 KiB, 1 KiB-aligned), one per 4 KiB.
 * A supersection is replicated in 16 consecutive PDEs, a large page in 16 consecutive PTEs; the
 * walk reads only the entry the address indexes, as hardware does.
 *
 * Fields the model ignores (kept so that descriptors are bit-exact ARM): B, C, TEX, S, nG, NS, IMP,
 * Domain (all domains behave as Client), PXN, XN (only data accesses are modeled), and the extended
 * base bits of a supersection (physical addresses are 32-bit).
 */

import { defineLayout, encode, type Layout } from './layout';

export const PD_ENTRIES = 4096;
export const PT_ENTRIES = 256;
export const PD_SIZE_BITS = 14;
export const PT_SIZE_BITS = 10;
export const SMALL_PAGE_BITS = 12;
export const LARGE_PAGE_BITS = 16;
export const SECTION_BITS = 20;
export const SUPERSECTION_BITS = 24;
/** Consecutive PTEs holding one large page / PDEs holding one supersection. */
export const REPLICATION = 16;

const type2 = (tag: number, doc: string) => ({ name: 'type', low: 0, width: 2, tag, doc }) as const;
const memAttrs = [
  { name: 'B', low: 2, width: 1, doc: 'bufferable (ignored)' },
  { name: 'C', low: 3, width: 1, doc: 'cacheable (ignored)' },
] as const;

export const PDE_INVALID = defineLayout('pde_invalid', 'Fault: no mapping for this MiB (translation fault, section: FSR 0x5).', [
  type2(0b00, 'invalid'),
]);

export const PDE_COARSE = defineLayout('pde_coarse', 'Pointer to a page table of 256 PTEs.', [
  type2(0b01, 'page table'),
  { name: 'PXN', low: 2, width: 1, doc: 'privileged execute-never (ignored)' },
  { name: 'NS', low: 3, width: 1, doc: 'non-secure (ignored)' },
  { name: 'domain', low: 5, width: 4, doc: 'domain (ignored: Client)' },
  { name: 'IMP', low: 9, width: 1, doc: 'implementation defined (ignored)' },
  { name: 'base', low: 10, width: 22, high: true, doc: 'physical address of the page table (1 KiB-aligned)' },
]);

export const PDE_SECTION = defineLayout('pde_section', 'A 1 MiB section.', [
  type2(0b10, 'section or supersection'),
  ...memAttrs,
  { name: 'XN', low: 4, width: 1, doc: 'execute-never (ignored)' },
  { name: 'domain', low: 5, width: 4, doc: 'domain (ignored: Client)' },
  { name: 'IMP', low: 9, width: 1, doc: 'implementation defined (ignored)' },
  { name: 'AP', low: 10, width: 2, doc: 'access permissions AP[1:0]' },
  { name: 'TEX', low: 12, width: 3, doc: 'memory type (ignored)' },
  { name: 'APX', low: 15, width: 1, doc: 'access permissions AP[2]' },
  { name: 'S', low: 16, width: 1, doc: 'shareable (ignored)' },
  { name: 'nG', low: 17, width: 1, doc: 'not global (ignored: every TLB entry is ASID-tagged)' },
  { name: 'supersection', low: 18, width: 1, tag: 0, doc: '0: section' },
  { name: 'NS', low: 19, width: 1, doc: 'non-secure (ignored)' },
  { name: 'base', low: 20, width: 12, high: true, doc: 'physical address of the section (1 MiB-aligned)' },
]);

export const PDE_SUPERSECTION = defineLayout(
  'pde_supersection',
  'A 16 MiB supersection, replicated in 16 consecutive PDEs (the first 16-aligned).',
  [
    type2(0b10, 'section or supersection'),
    ...memAttrs,
    { name: 'XN', low: 4, width: 1, doc: 'execute-never (ignored)' },
    { name: 'extBase2', low: 5, width: 4, doc: 'PA[39:36] (ignored: must be 0)' },
    { name: 'IMP', low: 9, width: 1, doc: 'implementation defined (ignored)' },
    { name: 'AP', low: 10, width: 2, doc: 'access permissions AP[1:0]' },
    { name: 'TEX', low: 12, width: 3, doc: 'memory type (ignored)' },
    { name: 'APX', low: 15, width: 1, doc: 'access permissions AP[2]' },
    { name: 'S', low: 16, width: 1, doc: 'shareable (ignored)' },
    { name: 'nG', low: 17, width: 1, doc: 'not global (ignored)' },
    { name: 'supersection', low: 18, width: 1, tag: 1, doc: '1: supersection' },
    { name: 'NS', low: 19, width: 1, doc: 'non-secure (ignored)' },
    { name: 'extBase', low: 20, width: 4, doc: 'PA[35:32] (ignored: must be 0)' },
    { name: 'base', low: 24, width: 8, high: true, doc: 'physical address of the supersection (16 MiB-aligned)' },
  ],
);

export const PTE_INVALID = defineLayout('pte_invalid', 'Fault: no mapping for this 4 KiB (translation fault, page: FSR 0x7).', [
  type2(0b00, 'invalid'),
]);

export const PTE_LARGE = defineLayout('pte_large', 'A 64 KiB large page, replicated in 16 consecutive PTEs (the first 16-aligned).', [
  type2(0b01, 'large page'),
  ...memAttrs,
  { name: 'AP', low: 4, width: 2, doc: 'access permissions AP[1:0]' },
  { name: 'APX', low: 9, width: 1, doc: 'access permissions AP[2]' },
  { name: 'S', low: 10, width: 1, doc: 'shareable (ignored)' },
  { name: 'nG', low: 11, width: 1, doc: 'not global (ignored)' },
  { name: 'TEX', low: 12, width: 3, doc: 'memory type (ignored)' },
  { name: 'XN', low: 15, width: 1, doc: 'execute-never (ignored)' },
  { name: 'base', low: 16, width: 16, high: true, doc: 'physical address of the page (64 KiB-aligned)' },
]);

export const PTE_SMALL = defineLayout('pte_small', 'A 4 KiB small page.', [
  { name: 'XN', low: 0, width: 1, doc: 'execute-never (ignored)' },
  { name: 'small', low: 1, width: 1, tag: 1, doc: '1: small page' },
  ...memAttrs,
  { name: 'AP', low: 4, width: 2, doc: 'access permissions AP[1:0]' },
  { name: 'TEX', low: 6, width: 3, doc: 'memory type (ignored)' },
  { name: 'APX', low: 9, width: 1, doc: 'access permissions AP[2]' },
  { name: 'S', low: 10, width: 1, doc: 'shareable (ignored)' },
  { name: 'nG', low: 11, width: 1, doc: 'not global (ignored)' },
  { name: 'base', low: 12, width: 20, high: true, doc: 'physical address of the page (4 KiB-aligned)' },
]);

export const PDE_LAYOUTS: readonly Layout[] = [PDE_INVALID, PDE_COARSE, PDE_SECTION, PDE_SUPERSECTION];
export const PTE_LAYOUTS: readonly Layout[] = [PTE_INVALID, PTE_LARGE, PTE_SMALL];

/** What a PDE is; `Reserved` (type 0b11) translates as invalid. */
export const PdeKind = { Invalid: 0, Coarse: 1, Section: 2, Supersection: 3, Reserved: 4 } as const;
export type PdeKind = (typeof PdeKind)[keyof typeof PdeKind];
export const PteKind = { Invalid: 0, Large: 1, Small: 2 } as const;
export type PteKind = (typeof PteKind)[keyof typeof PteKind];

export function pdeKind(pde: number): PdeKind {
  switch (pde & 3) {
    case 0:
      return PdeKind.Invalid;
    case 1:
      return PdeKind.Coarse;
    case 2:
      return (pde & (1 << 18)) !== 0 ? PdeKind.Supersection : PdeKind.Section;
    default:
      return PdeKind.Reserved;
  }
}

export function pteKind(pte: number): PteKind {
  const t = pte & 3;
  return t === 0 ? PteKind.Invalid : t === 1 ? PteKind.Large : PteKind.Small;
}

/**
 * AP[2:0] encodings with APX = 0, as seL4 writes them (APFromVMRights): VMNoAccess -> NoAccess,
 * VMKernelOnly -> PrivilegedOnly, VMReadOnly -> UserReadOnly, VMReadWrite -> UserReadWrite.
 */
export const AP = { NoAccess: 0, PrivilegedOnly: 1, UserReadOnly: 2, UserReadWrite: 3 } as const;

/** User access rights: bit 0 read, bit 1 write. */
export const USER_NONE = 0;
export const USER_READ = 1;
export const USER_WRITE = 2;

/**
 * User (PL0) access for AP[2:0] = APX:AP, the ARMv7 table with the access flag disabled:
 * 000 none, 001 privileged only, 010 user read-only, 011 full, 100 reserved (none here),
 * 101 privileged read-only, 110 and 111 read-only everywhere.
 */
export const USER_ACCESS_BY_AP: readonly number[] = [
  USER_NONE, USER_NONE, USER_READ, USER_READ | USER_WRITE,
  USER_NONE, USER_NONE, USER_READ, USER_READ,
];

export function userAccess(apx: number, ap: number): number {
  return USER_ACCESS_BY_AP[((apx & 1) << 2) | (ap & 3)];
}

/** Index of the PDE for a virtual address, and of the PTE within its page table. */
export function pdIndex(vaddr: number): number {
  return vaddr >>> 20;
}
export function ptIndex(vaddr: number): number {
  return (vaddr >>> 12) & 0xff;
}

// Constructors for the descriptors seL4 writes (APX 0; other attributes 0).
export function pdeCoarse(ptBase: number): number {
  return encode(PDE_COARSE, { base: ptBase });
}
export function pdeSection(base: number, ap: number, xn = 0): number {
  return encode(PDE_SECTION, { base, AP: ap, XN: xn });
}
export function pdeSupersection(base: number, ap: number, xn = 0): number {
  return encode(PDE_SUPERSECTION, { base, AP: ap, XN: xn });
}
export function pteLarge(base: number, ap: number, xn = 0): number {
  return encode(PTE_LARGE, { base, AP: ap, XN: xn });
}
export function pteSmall(base: number, ap: number, xn = 0): number {
  return encode(PTE_SMALL, { base, AP: ap, XN: xn });
}
