// The concrete kernel's interrupts: IRQ states in GLOBALS.intStateIRQTable, masks in the machine's
// interrupt controller (an Inactive line is always masked), IRQ-node caps, delivery as a signal.

import { describe, expect, it } from 'vitest';
import { KERNEL_LAYOUT, ROOT_SLOTS, bootLayout } from '../../../../abi/boot';
import { applyPlatform, defaultConfig } from '../../../../abi/config';
import { LABEL } from '../../../../abi/invocations';
import { objectTypeNumber } from '../../../../abi/objecttype';
import type { Decoded } from '../../../../impl/api/failures';
import { bootKernel } from '../../../../impl/kernel/boot';
import { IRQ_STATE, type Kernel } from '../../../../impl/model/state';
import {
  CAP_TAG, capIRQ, capNtfnPtr, capType, mdbNext, mdbPrev, readCap, slotCapType,
} from '../../../../impl/object/cap';
import { cteDelete, cteInsert } from '../../../../impl/object/cnode';
import {
  decodeIRQControlInvocation, decodeIRQHandlerInvocation, getIRQState, handleInterrupt, invokeIRQControl, invokeIRQHandler,
  irqNodeSlot,
} from '../../../../impl/object/interrupt';
import { maskCapRights, updateCapData } from '../../../../impl/object/objecttype';
import { ntfnMsgIdentifier, ntfnState } from '../../../../impl/object/notification';
import { CTE_BYTES, NTFN_STATE } from '../../../../impl/object/structures';
import { getTimeSlice } from '../../../../impl/object/tcb-fields';
import { decodeUntypedInvocation, invokeUntyped } from '../../../../impl/object/untyped';
import { applyEvent } from '../../../../impl/api/event';

const config = defaultConfig();
const L = bootLayout(config);
const slot = (i: number): number => L.rootCNode + i * CTE_BYTES;
const CNODE = slot(ROOT_SLOTS.cnode);
const CONTROL = slot(ROOT_SLOTS.irqControl);
const HANDLER = 100;
const NTFN = 101;
const BADGED = 102;
const READ_ONLY = 103;

function retype(k: Kernel, type: 'Notification', offset: number): void {
  const ut = slot(ROOT_SLOTS.firstUntyped);
  const d = decodeUntypedInvocation(
    k, { label: LABEL.UntypedRetype, words: [objectTypeNumber(type), 0, 0, 0, offset, 1], extraCaps: [{ cap: readCap(k, CNODE), slot: CNODE }] },
    readCap(k, ut), ut, L.rootTCB,
  );
  if (!d.ok) throw new Error(`retype failed: ${d.error.tag}`);
  invokeUntyped(k, d.value, L.rootTCB);
}

function issue(k: Kernel, irq: number, dest: number): Decoded<void> {
  const args = { label: LABEL.IRQIssueIRQHandler, words: [irq, dest, 32], extraCaps: [{ cap: readCap(k, CNODE), slot: CNODE }] };
  const d = decodeIRQControlInvocation(k, args, readCap(k, CONTROL), CONTROL, L.rootTCB);
  if (!d.ok) return d;
  invokeIRQControl(k, d.value, L.rootTCB);
  return { ok: true, value: undefined };
}

function handler(k: Kernel, label: number, extra: number[] = []): Decoded<void> {
  const args = { label, words: [], extraCaps: extra.map((e) => ({ cap: readCap(k, slot(e)), slot: slot(e) })) };
  const d = decodeIRQHandlerInvocation(k, args, readCap(k, slot(HANDLER)), slot(HANDLER), L.rootTCB);
  if (!d.ok) return d;
  invokeIRQHandler(k, d.value, L.rootTCB);
  return { ok: true, value: undefined };
}

function fixture(): Kernel {
  const k = bootKernel(config);
  retype(k, 'Notification', NTFN);
  cteInsert(k, updateCapData(false, 0x24, readCap(k, slot(NTFN))), slot(NTFN), slot(BADGED));
  cteInsert(k, maskCapRights(2, readCap(k, slot(NTFN))), slot(NTFN), slot(READ_ONLY));
  return k;
}

describe('IRQControl_Get', () => {
  it('issues a handler cap as a child of IRQControl; the line becomes Signal and unmasked', () => {
    const k = fixture();
    expect(getIRQState(k, 5)).toBe(IRQ_STATE.Inactive);
    expect(k.m.irq.isMasked(5)).toBe(true);
    expect(issue(k, 5, HANDLER).ok).toBe(true);
    expect(getIRQState(k, 5)).toBe(IRQ_STATE.Signal);
    expect(k.m.irq.isMasked(5)).toBe(false);
    const cap = readCap(k, slot(HANDLER));
    expect(capType(cap)).toBe(CAP_TAG.irqHandler);
    expect(capIRQ(cap)).toBe(5);
    expect(mdbPrev(k, slot(HANDLER))).toBe(CONTROL);
    expect(mdbNext(k, CONTROL)).toBe(slot(HANDLER));
  });

  it('errors in seL4 order', () => {
    const k = fixture();
    expect(issue(k, 32, HANDLER)).toEqual({ ok: false, error: { tag: 'RangeError', min: 0, max: 31 } });
    expect(issue(k, 0, HANDLER)).toEqual({ ok: false, error: { tag: 'RevokeFirst' } });
    expect(issue(k, 3, NTFN)).toEqual({ ok: false, error: { tag: 'DeleteFirst' } });
    expect(issue(k, 3, HANDLER).ok).toBe(true);
    expect(issue(k, 3, HANDLER + 10)).toEqual({ ok: false, error: { tag: 'RevokeFirst' } });
    const short = { label: LABEL.IRQIssueIRQHandler, words: [3, 1], extraCaps: [{ cap: readCap(k, CNODE), slot: CNODE }] };
    expect(decodeIRQControlInvocation(k, short, readCap(k, CONTROL), CONTROL, L.rootTCB)).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    const other = { ...short, label: LABEL.ARMIRQIssueIRQHandlerTrigger, words: [3, 1, 32, 0] };
    expect(decodeIRQControlInvocation(k, other, readCap(k, CONTROL), CONTROL, L.rootTCB)).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
  });
});

describe('IRQHandler invocations and delivery', () => {
  it('SetNotification, delivery with the badge, mask until Ack, Clear', () => {
    const k = fixture();
    issue(k, 7, HANDLER);
    expect(handler(k, LABEL.IRQSetIRQHandler)).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(handler(k, LABEL.IRQSetIRQHandler, [READ_ONLY])).toEqual({ ok: false, error: { tag: 'InvalidCapability', argument: 0 } });
    expect(handler(k, LABEL.IRQSetIRQHandler, [HANDLER])).toEqual({ ok: false, error: { tag: 'InvalidCapability', argument: 0 } });
    expect(handler(k, LABEL.IRQSetIRQHandler, [BADGED]).ok).toBe(true);
    const node = irqNodeSlot(7);
    expect(node).toBe(KERNEL_LAYOUT.irqNode + 7 * 16);
    expect(capNtfnPtr(readCap(k, node))).toBe(capNtfnPtr(readCap(k, slot(NTFN))));
    expect(mdbPrev(k, node)).toBe(slot(BADGED));

    const ntfn = capNtfnPtr(readCap(k, slot(NTFN)));
    handleInterrupt(k, 7);
    expect(ntfnState(k, ntfn)).toBe(NTFN_STATE.Active);
    expect(ntfnMsgIdentifier(k, ntfn)).toBe(0x24);
    expect(k.m.irq.isMasked(7)).toBe(true);
    expect(handler(k, LABEL.IRQAckIRQ).ok).toBe(true);
    expect(k.m.irq.isMasked(7)).toBe(false);
    expect(getIRQState(k, 7)).toBe(IRQ_STATE.Signal);

    // replacing the notification deletes the old IRQ-node cap first
    expect(handler(k, LABEL.IRQSetIRQHandler, [NTFN]).ok).toBe(true);
    expect(mdbPrev(k, node)).toBe(slot(NTFN));
    expect(handler(k, LABEL.IRQClearIRQHandler).ok).toBe(true);
    expect(slotCapType(k, node)).toBe(CAP_TAG.null);
    handleInterrupt(k, 7);
    expect(ntfnMsgIdentifier(k, ntfn)).toBe(0x24);
    expect(k.m.irq.isMasked(7)).toBe(true);
    expect(handler(k, LABEL.CNodeCopy)).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
  });

  it('deleting the final handler cap empties the IRQ node and makes the line Inactive (masked)', () => {
    const k = fixture();
    issue(k, 9, HANDLER);
    handler(k, LABEL.IRQSetIRQHandler, [NTFN]);
    cteDelete(k, slot(HANDLER), true);
    expect(slotCapType(k, irqNodeSlot(9))).toBe(CAP_TAG.null);
    expect(getIRQState(k, 9)).toBe(IRQ_STATE.Inactive);
    expect(k.m.irq.isMasked(9)).toBe(true);
    expect(issue(k, 9, HANDLER).ok).toBe(true);
  });

  it('a stray raise on an Inactive line masks it; the timer line ticks', () => {
    const k = fixture();
    k.m.irq.unmask(4);
    handleInterrupt(k, 4);
    expect(k.m.irq.isMasked(4)).toBe(true);
    const before = getTimeSlice(k, L.rootTCB);
    handleInterrupt(k, 0);
    expect(getTimeSlice(k, L.rootTCB)).toBe(before - 1);
    expect(k.m.irq.isMasked(0)).toBe(false);
  });
});

describe('the qemu-arm-virt layout (160 lines, the timer on 27)', () => {
  // The boot layout does not depend on the platform, so the slots above apply.
  const qemu = applyPlatform(config, 'qemu-arm-virt');

  it('boots with line 27 Timer and unmasked, every other line Inactive and masked; the machine has 160 lines', () => {
    const k = bootKernel(qemu);
    expect([k.m.irq.lines, k.m.irq.timerLine]).toEqual([160, 27]);
    const active = Array.from({ length: 160 }, (_, l) => l).filter((l) => getIRQState(k, l) !== IRQ_STATE.Inactive || !k.m.irq.isMasked(l));
    expect(active).toEqual([27]);
    expect(getIRQState(k, 27)).toBe(IRQ_STATE.Timer);
  });

  it('IRQControl_Get: device lines 0..159 but 27; RangeError [0, 159]; RevokeFirst for the timer', () => {
    const k = bootKernel(qemu);
    [0, 26, 28, 159].forEach((l, i) => expect(issue(k, l, HANDLER + i).ok).toBe(true));
    for (const l of [160, 300, 0xffffffff]) expect(issue(k, l, HANDLER + 10)).toEqual({ ok: false, error: { tag: 'RangeError', min: 0, max: 159 } });
    expect(issue(k, 27, HANDLER + 10)).toEqual({ ok: false, error: { tag: 'RevokeFirst' } });
    expect(issue(k, 0, HANDLER + 10)).toEqual({ ok: false, error: { tag: 'RevokeFirst' } });
  });

  it("the machine's timer raises line 27: a tick event is a timer tick, and line 0 stays as it was", () => {
    const k = bootKernel(qemu);
    expect(issue(k, 0, HANDLER).ok).toBe(true);
    const before = getTimeSlice(k, L.rootTCB);
    applyEvent(k, { tag: 'tick', count: 2 });
    expect(getTimeSlice(k, L.rootTCB)).toBe(before - 2);
    expect([k.m.irq.isMasked(0), k.m.irq.isPending(0), k.m.irq.isPending(27)]).toEqual([false, false, false]);
  });
});
