// The concrete kernel's capability tables against the spec's: the CSpace scenarios are replayed on
// both kernels in lockstep and after every step every non-empty slot of the impl (read from
// memory through the cap layouts) equals the spec's CTE (cap and MDB node), and the ghost object
// table lists the spec's objects. Covers retype, copy/mint/move/mutate/rotate, delete and revoke
// with seL4's deletion order, badged subtrees, reset.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KERNEL_LAYOUT } from '../../../../abi/boot';
import { parseTraceText } from '../../../../abi/trace';
import { bootKernel, stepKernel } from '../../../../impl';
import type { Kernel } from '../../../../impl/model/state';
import * as C from '../../../../impl/object/cap';
import { CAP_TAG, CTE_BYTES } from '../../../../impl/object/structures';
import { bootState, setSpecFreeze, step } from '../../../../spec';

const VM_RIGHTS_NAMES = ['VMNoAccess', 'VMKernelOnly', 'VMReadOnly', 'VMReadWrite'];

/** The spec's view of an impl cap (spec/api/types.ts Cap). */
function specCapOf(c: C.Cap): unknown {
  const r = (w: number) => ({ write: (w & 1) !== 0, read: (w & 2) !== 0, grant: (w & 4) !== 0, grantReply: (w & 8) !== 0 });
  switch (C.capType(c)) {
    case CAP_TAG.untyped: return { tag: 'UntypedCap', ptr: C.capUntypedPtr(c), sizeBits: C.capBlockSize(c), freeIndex: C.capFreeIndex(c) * 16, isDevice: C.capIsDevice(c) };
    case CAP_TAG.endpoint: return { tag: 'EndpointCap', ptr: C.capEPPtr(c), badge: C.capEPBadge(c), rights: r(C.capEPRights(c)) };
    case CAP_TAG.notification: return { tag: 'NotificationCap', ptr: C.capNtfnPtr(c), badge: C.capNtfnBadge(c), rights: r(C.capNtfnRights(c)) };
    case CAP_TAG.reply: return { tag: 'ReplyCap', tcb: C.capReplyTCBPtr(c), master: C.capReplyMaster(c), canGrant: C.capReplyCanGrant(c) };
    case CAP_TAG.cnode: return { tag: 'CNodeCap', ptr: C.capCNodePtr(c), radix: C.capCNodeRadix(c), guardSize: C.capCNodeGuardSize(c), guard: C.capCNodeGuard(c) };
    case CAP_TAG.thread: return { tag: 'ThreadCap', ptr: C.capTCBPtr(c) };
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
function implCTEs(k: Kernel): Record<number, unknown> {
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
      expect([k.m.peek32(s + 8), k.m.peek32(s + 12)]).toEqual([0, 0]);
      continue;
    }
    out[s] = { cap: specCapOf(c), mdb: { prev: C.mdbPrev(k, s), next: C.mdbNext(k, s), revocable: C.mdbRevocable(k, s), firstBadged: C.mdbFirstBadged(k, s) } };
  }
  return out;
}

const specObjectType = (o: { tag: string; size?: string }): string => (o.tag === 'Frame' ? o.size! : o.tag);

const SCENARIOS = [
  'cdt-badged-subtrees', 'cdt-delete-order', 'cnode-copy-mint', 'cnode-delete-revoke', 'cnode-lookup', 'cnode-move-rotate',
  'cnode-savecaller', 'untyped-retype', 'tcb-suspend-resume', 'ipc-cap-transfer',
];

describe('CTEs and ghost objects agree with the spec after every step', () => {
  setSpecFreeze(false);
  for (const name of SCENARIOS) {
    it(name, () => {
      const trace = parseTraceText(readFileSync(`scenarios/${name}.json`, 'utf8'));
      let s = bootState(trace.config);
      const k = bootKernel(trace.config);
      for (let i = 0; i <= trace.events.length; i++) {
        if (i > 0) {
          const ev = trace.events[i - 1]!.event;
          s = step(s, ev, i).state;
          stepKernel(k, ev, i);
        }
        expect({ step: i, ctes: implCTEs(k) }).toEqual({ step: i, ctes: { ...s.ctes } });
        const specObjects = Object.entries(s.objects).map(([p, o]) => `${Number(p).toString(16)} ${specObjectType(o as never)}`).sort();
        const implObjects = [...k.objects].map(([p, o]) => `${p.toString(16)} ${o.type}`).sort();
        expect({ step: i, objects: implObjects }).toEqual({ step: i, objects: specObjects });
      }
    });
  }
});
