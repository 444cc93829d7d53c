/**
 * The MMU: user (PL0) data accesses through the TLB and, on a miss, a two-level walk of ARMv7
 * short-descriptor tables from the translation base (TTBR0) under the current ASID (CONTEXTIDR).
 *
 * userLoad / userStore never throw and never allocate: they return 0 on success (a load leaves the
 * word in `value`) or the data fault status (DFSR), also left in `faultStatus`, with the fault
 * address (DFAR) in `faultAddress`. Statuses, as seL4 reports them in a VMFault message:
 *   0x1 alignment (checked first), 0x5 / 0x7 translation fault at section / page level,
 *   0xD / 0xF permission fault at section / page level, 0xC / 0xE external abort on the walk
 *   (a table outside memory), 0x8 external abort (a translated address outside memory);
 *   bit 11 (WnR) is set for a store.
 *
 * A successful walk is cached in the TLB whatever the access rights (permissions are checked on
 * every access, from the entry); faults are not cached. Walk reads count as loads.
 *
 * Simplified access model: user accesses only (the kernel reaches memory physically); every domain
 * is a Client domain; AP[2:0] gives user no access / read-only / read-write (descriptors.ts).
 */

import type { Counters } from './counters';
import {
  PD_SIZE_BITS,
  PDE_COARSE,
  PDE_SECTION,
  PDE_SUPERSECTION,
  PTE_LARGE,
  PTE_SMALL,
  USER_ACCESS_BY_AP,
  USER_READ,
  USER_WRITE,
  pdeKind,
  PdeKind,
  PteKind,
  pteKind,
} from './descriptors';
import { MachineException } from './exception';
import { field, fieldMask, type Layout } from './layout';
import type { PhysicalMemory } from './memory';
import { PERM_PAGE_LEVEL, PERM_READ, PERM_WRITE, SizeCode, Tlb } from './tlb';

export const FSR = {
  Alignment: 0x1,
  TranslationSection: 0x5,
  TranslationPage: 0x7,
  ExternalAbort: 0x8,
  WalkAbortFirstLevel: 0xc,
  PermissionSection: 0xd,
  WalkAbortSecondLevel: 0xe,
  PermissionPage: 0xf,
  /** Write-not-Read: set in the status of a faulting store. */
  WnR: 0x800,
} as const;

/** What a walk found, for diagnostics (Mmu.translate). */
export type Translation =
  | {
      readonly ok: true;
      readonly paddr: number;
      readonly pageBits: number;
      readonly userRead: boolean;
      readonly userWrite: boolean;
      readonly level: 'section' | 'page';
      readonly descriptor: number;
    }
  | { readonly ok: false; readonly fsr: number };

const NO_VSPACE = -1;
const PD_BYTES = 2 ** PD_SIZE_BITS;
// Module-local copies for the hot path.
const FSR_ALIGNMENT = FSR.Alignment;
const FSR_PERM_PAGE = FSR.PermissionPage;
const FSR_PERM_SECTION = FSR.PermissionSection;
const FSR_EXTERNAL = FSR.ExternalAbort;
const FSR_WNR = FSR.WnR;

// Bit positions the walk uses, taken from the layouts (descriptors.ts) so they are declared once.
/** The low bit of a field that must sit at the same place in each of the layouts. */
function sharedLow(name: string, layouts: readonly Layout[]): number {
  const lows = new Set(layouts.map((l) => field(l, name).low));
  if (lows.size !== 1) throw new Error(`field ${name} differs between ${layouts.map((l) => l.name).join(', ')}`);
  return [...lows][0];
}
function baseMask(layout: Layout): number {
  const f = field(layout, 'base');
  return fieldMask(f.low, f.width);
}
const SECTION_AP = sharedLow('AP', [PDE_SECTION, PDE_SUPERSECTION]);
const SECTION_APX = sharedLow('APX', [PDE_SECTION, PDE_SUPERSECTION]);
const PAGE_AP = sharedLow('AP', [PTE_SMALL, PTE_LARGE]);
const PAGE_APX = sharedLow('APX', [PTE_SMALL, PTE_LARGE]);
const COARSE_BASE = baseMask(PDE_COARSE);
const SECTION_BASE = baseMask(PDE_SECTION);
const SUPERSECTION_BASE = baseMask(PDE_SUPERSECTION);
const LARGE_BASE = baseMask(PTE_LARGE);
const SMALL_BASE = baseMask(PTE_SMALL);

export class Mmu {
  /** The word read by the last successful userLoad. */
  value = 0;
  /** DFAR and DFSR of the last faulting user access. */
  faultAddress = 0;
  faultStatus = 0;

  private readonly memBytes: number;
  private ttbr = NO_VSPACE;
  private asid = NO_VSPACE;

  // Result of the last walk (walkCore), in fields so that a walk allocates nothing.
  private wBase = 0;
  private wSize: SizeCode = SizeCode.Small;
  private wRights = 0;
  private wPage = false;
  private wDescriptor = 0;

  constructor(
    private readonly memory: PhysicalMemory,
    private readonly tlb: Tlb,
    private readonly counters: Counters,
  ) {
    this.memBytes = memory.bytes;
  }

  /** Power-on state: no address space, no fault recorded (the TLB is reset by its owner). */
  reset(): void {
    this.value = 0;
    this.faultAddress = 0;
    this.faultStatus = 0;
    this.ttbr = NO_VSPACE;
    this.asid = NO_VSPACE;
    this.wBase = 0;
    this.wSize = SizeCode.Small;
    this.wRights = 0;
    this.wPage = false;
    this.wDescriptor = 0;
  }

  /** Sets the translation base and ASID (TTBR0 + CONTEXTIDR). The TLB is not flushed. */
  setVSpace(pdPaddr: number, asid: number): void {
    // The kernel reloads the VSpace on every exit, mostly with the current one: checked already.
    if (pdPaddr === this.ttbr && asid === this.asid && pdPaddr !== NO_VSPACE) return;
    this.checkPD(pdPaddr);
    Tlb.checkAsid(asid);
    this.ttbr = pdPaddr;
    this.asid = asid;
  }

  /** No user address space: every user access is a section translation fault (TTBCR.PD0 = 1). */
  clearVSpace(): void {
    this.ttbr = NO_VSPACE;
    this.asid = NO_VSPACE;
  }

  get vspaceRoot(): number | undefined {
    return this.ttbr === NO_VSPACE ? undefined : this.ttbr;
  }
  get currentAsid(): number | undefined {
    return this.asid === NO_VSPACE ? undefined : this.asid;
  }

  /** A user word load: 0 and `value`, or a fault status. */
  userLoad(vaddr: number): number {
    vaddr = vaddr >>> 0;
    if ((vaddr & 3) !== 0) return this.fault(vaddr, FSR_ALIGNMENT);
    const tlb = this.tlb;
    let i = tlb.lookup(vaddr, this.asid);
    if (i >= 0) this.counters.tlbHits++;
    else if ((i = this.miss(vaddr)) < 0) return this.fault(vaddr, -i);
    const perm = tlb.perm[i];
    if ((perm & PERM_READ) === 0) return this.fault(vaddr, (perm & PERM_PAGE_LEVEL) !== 0 ? FSR_PERM_PAGE : FSR_PERM_SECTION);
    const pa = (vaddr + tlb.delta[i]) >>> 0;
    if (pa >= this.memBytes) return this.fault(vaddr, FSR_EXTERNAL);
    this.value = this.memory.loadTrusted(pa);
    return 0;
  }

  /** A user word store: 0, or a fault status with WnR set. */
  userStore(vaddr: number, word: number): number {
    vaddr = vaddr >>> 0;
    if ((vaddr & 3) !== 0) return this.fault(vaddr, FSR_ALIGNMENT | FSR_WNR);
    const tlb = this.tlb;
    let i = tlb.lookup(vaddr, this.asid);
    if (i >= 0) this.counters.tlbHits++;
    else if ((i = this.miss(vaddr)) < 0) return this.fault(vaddr, -i | FSR_WNR);
    const perm = tlb.perm[i];
    if ((perm & PERM_WRITE) === 0) {
      return this.fault(vaddr, ((perm & PERM_PAGE_LEVEL) !== 0 ? FSR_PERM_PAGE : FSR_PERM_SECTION) | FSR_WNR);
    }
    const pa = (vaddr + tlb.delta[i]) >>> 0;
    if (pa >= this.memBytes) return this.fault(vaddr, FSR_EXTERNAL | FSR_WNR);
    this.memory.storeTrusted(pa, word);
    return 0;
  }

  /**
   * Walks the tables at pdPaddr for vaddr without touching the TLB or any counter (diagnostics,
   * and the kernel's own checks). A misplaced page directory is a MachineException.
   */
  translate(vaddr: number, pdPaddr: number): Translation {
    this.checkPD(pdPaddr);
    vaddr = vaddr >>> 0;
    const fsr = this.walkCore(vaddr, pdPaddr, false);
    if (fsr !== 0) return { ok: false, fsr };
    const shift = sizeShift(this.wSize);
    return {
      ok: true,
      paddr: (this.wBase | (vaddr & (2 ** shift - 1))) >>> 0,
      pageBits: shift,
      userRead: (this.wRights & USER_READ) !== 0,
      userWrite: (this.wRights & USER_WRITE) !== 0,
      level: this.wPage ? 'page' : 'section',
      descriptor: this.wDescriptor,
    };
  }

  // ---- internals ----

  /** On a TLB miss: walks, caches and returns the slot, or -(fault status). */
  private miss(vaddr: number): number {
    this.counters.tlbMisses++;
    if (this.ttbr === NO_VSPACE) return -FSR.TranslationSection;
    const fsr = this.walkCore(vaddr, this.ttbr, true);
    if (fsr !== 0) return -fsr;
    return this.tlb.insert(vaddr, this.asid, this.wSize, this.wBase, this.wRights, this.wPage);
  }

  /** Two-level walk; 0 with the result in the w* fields, or a fault status. */
  private walkCore(vaddr: number, pd: number, counted: boolean): number {
    const mem = this.memory;
    const pdeAddr = pd + ((vaddr >>> 20) << 2);
    const pde = counted ? mem.load32(pdeAddr) : mem.peek32(pdeAddr);
    const kind = pdeKind(pde);
    if (kind === PdeKind.Coarse) {
      const pteAddr = ((pde & COARSE_BASE) | (((vaddr >>> 12) & 0xff) << 2)) >>> 0;
      if (pteAddr >= mem.bytes) return FSR.WalkAbortSecondLevel;
      const pte = counted ? mem.load32(pteAddr) : mem.peek32(pteAddr);
      const pk = pteKind(pte);
      if (pk === PteKind.Invalid) return FSR.TranslationPage;
      this.wRights = USER_ACCESS_BY_AP[(((pte >>> PAGE_APX) & 1) << 2) | ((pte >>> PAGE_AP) & 3)];
      this.wPage = true;
      this.wDescriptor = pte;
      if (pk === PteKind.Large) {
        this.wBase = (pte & LARGE_BASE) >>> 0;
        this.wSize = SizeCode.Large;
      } else {
        this.wBase = (pte & SMALL_BASE) >>> 0;
        this.wSize = SizeCode.Small;
      }
      return 0;
    }
    if (kind === PdeKind.Section || kind === PdeKind.Supersection) {
      this.wRights = USER_ACCESS_BY_AP[(((pde >>> SECTION_APX) & 1) << 2) | ((pde >>> SECTION_AP) & 3)];
      this.wPage = false;
      this.wDescriptor = pde;
      if (kind === PdeKind.Section) {
        this.wBase = (pde & SECTION_BASE) >>> 0;
        this.wSize = SizeCode.Section;
      } else {
        this.wBase = (pde & SUPERSECTION_BASE) >>> 0;
        this.wSize = SizeCode.Supersection;
      }
      return 0;
    }
    return FSR.TranslationSection; // invalid or reserved
  }

  private fault(vaddr: number, fsr: number): number {
    this.faultAddress = vaddr;
    this.faultStatus = fsr;
    return fsr;
  }

  private checkPD(pdPaddr: number): void {
    const size = PD_BYTES;
    // pdPaddr >>> 0 === pdPaddr: an integer in [0, 2^32)
    if (pdPaddr >>> 0 !== pdPaddr || (pdPaddr & (size - 1)) !== 0 || pdPaddr + size > this.memBytes) {
      throw new MachineException('bad-vspace', pdPaddr, `page directory at ${pdPaddr} is not 16 KiB-aligned inside memory`);
    }
  }
}

function sizeShift(size: SizeCode): number {
  return size === SizeCode.Small ? 12 : size === SizeCode.Large ? 16 : size === SizeCode.Section ? 20 : 24;
}
