// Test helper: the spec's view of the concrete kernel's capability tables and ghost objects, for
// comparing the two kernels slot by slot (a small abstraction function for the CSpace).

import type { KernelState } from '../../../../spec';
import { KERNEL_LAYOUT } from '../../../../abi/boot';
import type { Kernel } from '../../../../impl/model/state';
import * as C from '../../../../impl/object/cap';
import { CAP_TAG, CTE_BYTES } from '../../../../impl/object/structures';

const VM_RIGHTS_NAMES = ['VMNoAccess', 'VMKernelOnly', 'VMReadOnly', 'VMReadWrite'];

/** The spec's view of an impl cap (spec/api/types.ts Cap). */
export function specCapOf(c: C.Cap): unknown {
  const r = (w: number) => ({ write: (w & 1) !== 0, read: (w & 2) !== 0, grant: (w & 4) !== 0, grantReply: (w & 8) !== 0 });
  switch (C.capType(c)) {
    case CAP_TAG.null: return { tag: 'NullCap' };
    case CAP_TAG.untyped: return { tag: 'UntypedCap', ptr: C.capUntypedPtr(c), sizeBits: C.capBlockSize(c), freeIndex: C.capFreeIndex(c) * 16, isDevice: C.capIsDevice(c) };
    case CAP_TAG.endpoint: return { tag: 'EndpointCap', ptr: C.capEPPtr(c), badge: C.capEPBadge(c), rights: r(C.capEPRights(c)) };
    case CAP_TAG.notification: return { tag: 'NotificationCap', ptr: C.capNtfnPtr(c), badge: C.capNtfnBadge(c), rights: r(C.capNtfnRights(c)) };
    case CAP_TAG.reply: return { tag: 'ReplyCap', tcb: C.capReplyTCBPtr(c), master: C.capReplyMaster(c), canGrant: C.capReplyCanGrant(c) };
    case CAP_TAG.cnode: return { tag: 'CNodeCap', ptr: C.capCNodePtr(c), radix: C.capCNodeRadix(c), guardSize: C.capCNodeGuardSize(c), guard: C.capCNodeGuard(c) };
    case CAP_TAG.thread: return { tag: 'ThreadCap', ptr: C.capTCBPtr(c) };
    case CAP_TAG.zombie: {
      const t = C.capZombieType(c);
      return { tag: 'ZombieCap', ptr: C.capZombiePtr(c), zombieType: t === C.ZOMBIE_TYPE_TCB ? { tag: 'ZombieTCB' } : { tag: 'ZombieCNode', radix: t }, number: C.capZombieNumber(c) };
    }
    case CAP_TAG.irqControl: return { tag: 'IRQControlCap' };
    case CAP_TAG.irqHandler: return { tag: 'IRQHandlerCap', irq: C.capIRQ(c) };
    case CAP_TAG.domain: return { tag: 'DomainCap' };
    case CAP_TAG.smallFrame:
    case CAP_TAG.frame: {
      const asid = C.capFMappedASID(c);
      return {
        tag: 'FrameCap', ptr: C.capFBasePtr(c), size: C.FRAME_SIZE_NAMES[C.capFSize(c)], rights: VM_RIGHTS_NAMES[C.capFVMRights(c)],
        mapped: asid === 0 ? null : { asid, vaddr: C.capFMappedAddress(c) },
      };
    }
    case CAP_TAG.pageTable: return { tag: 'PageTableCap', ptr: C.capPTBasePtr(c), mapped: C.capPTIsMapped(c) ? { asid: C.capPTMappedASID(c), vaddr: C.capPTMappedAddress(c) } : null };
    case CAP_TAG.pageDirectory: return { tag: 'PageDirectoryCap', ptr: C.capPDBasePtr(c), mapped: C.capPDIsMapped(c) ? C.capPDMappedASID(c) : null };
    case CAP_TAG.asidControl: return { tag: 'ASIDControlCap' };
    case CAP_TAG.asidPool: return { tag: 'ASIDPoolCap', ptr: C.capASIDPool(c), asidBase: C.capASIDBase(c) };
    default: return { tag: 'InvalidCap', w0: c.w0, w1: c.w1 };
  }
}

/** Every non-empty slot of the impl (CNodes and TCBs of the ghost table, the IRQ node). */
export function implCTEs(k: Kernel): Record<number, unknown> {
  const slots: number[] = [];
  for (const [p, o] of k.objects) {
    if (o.type === 'CNode') for (let i = 0; i < 2 ** (o.sizeBits - 4); i++) slots.push(p + i * CTE_BYTES);
    if (o.type === 'TCB') for (let i = 0; i < 5; i++) slots.push(p + i * CTE_BYTES);
  }
  for (let i = 0; i < k.config.irqLines; i++) slots.push(KERNEL_LAYOUT.irqNode + i * CTE_BYTES);
  const out: Record<number, unknown> = {};
  for (const s of slots) {
    const c = C.readCap(k, s);
    if (C.capType(c) === CAP_TAG.null) {
      // An empty slot is four zero words.
      if (k.m.peek32(s + 8) !== 0 || k.m.peek32(s + 12) !== 0) out[s] = { emptySlotWithMDB: [k.m.peek32(s + 8), k.m.peek32(s + 12)] };
      continue;
    }
    out[s] = { cap: specCapOf(c), mdb: { prev: C.mdbPrev(k, s), next: C.mdbNext(k, s), revocable: C.mdbRevocable(k, s), firstBadged: C.mdbFirstBadged(k, s) } };
  }
  return out;
}

export const specObjectType = (o: { tag: string; size?: string }): string => (o.tag === 'Frame' ? o.size! : o.tag);

/** The spec's objects as sorted "address type" lines. */
export function specObjectList(s: KernelState): string[] {
  return Object.entries(s.objects).map(([p, o]) => `${Number(p).toString(16)} ${specObjectType(o as never)}`).sort();
}

/** The impl's ghost objects as sorted "address type" lines. */
export function implObjectList(k: Kernel): string[] {
  return [...k.objects].map(([p, o]) => `${p.toString(16)} ${o.type}`).sort();
}
