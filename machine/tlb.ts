/**
 * The TLB: `entries` slots (a power of two), direct-mapped, each holding one translation at its own
 * page size (4 KiB, 64 KiB, 1 MiB or 16 MiB), tagged with an ASID.
 *
 * Organisation: an entry of page size 2^s lives in slot ((vaddr >>> s) ^ asid) & (entries - 1)
 * (the ASID in the index lets address spaces that use the same addresses — every seL4 thread has
 * its IPC buffer near the same place — keep their entries side by side). A lookup probes the slot
 * for each size, smallest first, and takes the first entry whose tag (size, the vaddr bits above
 * s, ASID) matches: O(1), at most four probes. Insertion overwrites whatever the slot held. Nothing is ever invalidated except by the flushes: an entry stays, stale, after the
 * page tables change, until flushByAddress / flushByASID / flushAll removes it — as on hardware.
 *
 * Layout of a slot, in four typed arrays:
 *   tag[i]   = (vaddr with the low s bits cleared) | sizeCode   (sizeCode 1..4; 0 = empty)
 *   asid[i]  = the ASID the translation was made under
 *   delta[i] = physical base - virtual base (mod 2^32): paddr = (vaddr + delta) >>> 0
 *   perm[i]  = rights (bit 0 user read, bit 1 user write) | bit 2: from a PTE (page-level faults)
 */

import { USER_READ, USER_WRITE } from './descriptors';
import { MachineException } from './exception';

export const SizeCode = { Small: 1, Large: 2, Section: 3, Supersection: 4 } as const;
export type SizeCode = (typeof SizeCode)[keyof typeof SizeCode];
export const SHIFT_BY_SIZE_CODE: readonly number[] = [0, 12, 16, 20, 24];

/** Rights bits in perm[]: the user-access bits of descriptors.ts. */
export const PERM_READ = USER_READ;
export const PERM_WRITE = USER_WRITE;
export const PERM_PAGE_LEVEL = 4;

export interface TlbEntryView {
  slot: number;
  vbase: number;
  pageBits: number;
  asid: number;
  pbase: number;
  userRead: boolean;
  userWrite: boolean;
  pageLevel: boolean;
}

export class Tlb {
  readonly entries: number;
  readonly tag: Int32Array;
  readonly asid: Int32Array;
  readonly delta: Int32Array;
  readonly perm: Uint8Array;
  private readonly mask: number;

  constructor(entries: number) {
    if (!Number.isInteger(entries) || entries < 1 || entries > 1024 || (entries & (entries - 1)) !== 0) {
      throw new RangeError(`tlbEntries must be a power of two in 1..1024, got ${entries}`);
    }
    this.entries = entries;
    this.mask = entries - 1;
    this.tag = new Int32Array(entries);
    this.asid = new Int32Array(entries);
    this.delta = new Int32Array(entries);
    this.perm = new Uint8Array(entries);
  }

  /** Slot of the entry translating vaddr under asid, or -1. Counts nothing (the MMU does). */
  lookup(vaddr: number, asid: number): number {
    const m = this.mask;
    const tag = this.tag;
    let i = ((vaddr >>> 12) ^ asid) & m;
    if (tag[i] === ((vaddr & 0xfffff000) | 1) && this.asid[i] === asid) return i;
    i = ((vaddr >>> 16) ^ asid) & m;
    if (tag[i] === ((vaddr & 0xffff0000) | 2) && this.asid[i] === asid) return i;
    i = ((vaddr >>> 20) ^ asid) & m;
    if (tag[i] === ((vaddr & 0xfff00000) | 3) && this.asid[i] === asid) return i;
    i = ((vaddr >>> 24) ^ asid) & m;
    if (tag[i] === ((vaddr & 0xff000000) | 4) && this.asid[i] === asid) return i;
    return -1;
  }

  /** Caches a translation; returns its slot. `pbase` is aligned to the page size. */
  insert(vaddr: number, asid: number, size: SizeCode, pbase: number, rights: number, pageLevel: boolean): number {
    const shift = SHIFT_BY_SIZE_CODE[size];
    const i = ((vaddr >>> shift) ^ asid) & this.mask;
    const vbase = ((vaddr >>> shift) << shift) >>> 0;
    this.tag[i] = vbase | size;
    this.asid[i] = asid;
    this.delta[i] = pbase - vbase;
    this.perm[i] = rights | (pageLevel ? PERM_PAGE_LEVEL : 0);
    return i;
  }

  /** Removes every entry (of any size) translating vaddr under asid (ARM TLBIMVA). */
  flushByAddress(vaddr: number, asid: number): void {
    vaddr = vaddr >>> 0;
    for (let size = 1; size <= 4; size++) {
      const shift = SHIFT_BY_SIZE_CODE[size];
      const i = ((vaddr >>> shift) ^ asid) & this.mask;
      if (this.tag[i] === (((vaddr >>> shift) << shift) | size) && this.asid[i] === asid) this.tag[i] = 0;
    }
  }

  /** Removes every entry tagged with asid (ARM TLBIASID). */
  flushByASID(asid: number): void {
    for (let i = 0; i < this.entries; i++) if (this.asid[i] === asid) this.tag[i] = 0;
  }

  /** Removes every entry (ARM TLBIALL). */
  flushAll(): void {
    this.tag.fill(0);
  }

  /** Power-on state: every slot empty and zero. */
  reset(): void {
    this.tag.fill(0);
    this.asid.fill(0);
    this.delta.fill(0);
    this.perm.fill(0);
  }

  /** The valid entries, for diagnostics and tests. */
  validEntries(): TlbEntryView[] {
    const out: TlbEntryView[] = [];
    for (let i = 0; i < this.entries; i++) {
      const t = this.tag[i];
      if ((t & 7) === 0) continue;
      const vbase = (t & ~0xfff) >>> 0;
      const p = this.perm[i];
      out.push({
        slot: i,
        vbase,
        pageBits: SHIFT_BY_SIZE_CODE[t & 7],
        asid: this.asid[i],
        pbase: (vbase + this.delta[i]) >>> 0,
        userRead: (p & PERM_READ) !== 0,
        userWrite: (p & PERM_WRITE) !== 0,
        pageLevel: (p & PERM_PAGE_LEVEL) !== 0,
      });
    }
    return out;
  }

  /** Throws unless asid fits the tag (used by setVSpace). */
  static checkAsid(asid: number): void {
    if (!Number.isInteger(asid) || asid < 0 || asid >= ASID_LIMIT) {
      throw new MachineException('bad-vspace', asid, `ASID ${asid} is outside [0, 2^17)`);
    }
  }
}

/** seL4 on AArch32 has 2^17 ASIDs (128 pools of 1024); the TLB is tagged with them directly. */
export const ASID_LIMIT = 2 ** 17;
