// Interrupts of the concrete kernel: IRQControl and IRQHandler invocations and the handling of a
// line the controller reports (seL4 src/object/interrupt.c, src/arch/arm/object/interrupt.c).
//
// Each line's state is a word of GLOBALS.intStateIRQTable (IRQ_STATE); its notification cap lives in
// the IRQ node, one kernel CTE per line at KERNEL_LAYOUT.irqNode + 16 * irq; masks and pending bits
// are the machine's interrupt controller (k.m.irq). The caller acknowledges a line before
// handleInterrupt (api/event.ts).

import { KERNEL_LAYOUT } from '../../abi/boot';
import { LABEL } from '../../abi/invocations';
import { type Decoded, illegalOperation, invalidCapability, ok, rangeError, revokeFirst, truncatedMessage } from '../api/failures';
import type { InvocationArgs } from '../api/types';
import { GLOBALS, IRQ_STATE, type Kernel } from '../model/state';
import { type Cap, CAP_TAG, capIRQ, capNtfnCanSend, capType, makeIRQHandlerCap } from './cap';
import { cteDeleteOne, cteInsert, ensureEmptySlot } from './cnode';
import { CAP_LAYOUTS, CTE_BYTES, capTagOf } from './structures';
import { sendSignal } from './notification';
import { lookupTargetSlot } from '../kernel/cspace';
import { timerTick } from '../kernel/thread';
import { field, getField } from '../../machine';

export type IRQControlInvocation = { tag: 'IssueIRQHandler'; irq: number; destSlot: number; controlSlot: number };

export type IRQHandlerInvocation =
  | { tag: 'AckIRQ'; irq: number }
  | { tag: 'SetIRQHandler'; irq: number; cap: Cap; slot: number }
  | { tag: 'ClearIRQHandler'; irq: number };

// Word-level notification cap fields for handleInterrupt (no allocation on the interrupt path).
const F_NTFN_PTR = field(CAP_LAYOUTS.notification.words[0]!, 'capNtfnPtr');
const F_NTFN_BADGE = field(CAP_LAYOUTS.notification.words[1]!, 'capNtfnBadge');
const F_NTFN_SEND = field(CAP_LAYOUTS.notification.words[1]!, 'capNtfnCanSend');

/** spec: irqNodeSlot — the IRQ node slot holding line `irq`'s notification cap. */
export function irqNodeSlot(irq: number): number {
  return KERNEL_LAYOUT.irqNode + CTE_BYTES * irq;
}

/** spec: maxIRQ — seL4 maxIRQ for the configuration. */
export function maxIRQ(k: Kernel): number {
  return k.config.irqLines - 1;
}

/** The line's IRQ_STATE (intStateIRQTable). */
export function getIRQState(k: Kernel, irq: number): number {
  return k.m.load32(GLOBALS.intStateIRQTable + 4 * irq);
}

/** spec: setIRQState — an Inactive line is masked at the controller, any other unmasked. */
export function setIRQState(k: Kernel, state: number, irq: number): void {
  k.m.store32(GLOBALS.intStateIRQTable + 4 * irq, state);
  if (state === IRQ_STATE.Inactive) k.m.irq.mask(irq);
  else k.m.irq.unmask(irq);
}

/**
 * spec: decodeIRQControlInvocation — IRQControl_Get(irq, index, depth; root). The timer line is in
 * state Timer, so it gives RevokeFirst like an issued line; the ARM trigger/SGI variants are not
 * modelled (IllegalOperation).
 */
export function decodeIRQControlInvocation(
  k: Kernel, args: InvocationArgs, _cap: Cap, slot: number, _thread: number,
): Decoded<IRQControlInvocation> {
  if (args.label !== LABEL.IRQIssueIRQHandler) return illegalOperation();
  if (args.words.length < 3 || args.extraCaps.length < 1) return truncatedMessage();
  const irq = args.words[0]! >>> 0;
  const index = args.words[1]! >>> 0;
  const depth = args.words[2]! >>> 0;
  const root = args.extraCaps[0]!.cap;
  if (irq > maxIRQ(k)) return rangeError(0, maxIRQ(k));
  if (getIRQState(k, irq) !== IRQ_STATE.Inactive) return revokeFirst();
  const dest = lookupTargetSlot(k, root, index, depth);
  if (!dest.ok) return dest;
  const empty = ensureEmptySlot(k, dest.value);
  if (!empty.ok) return empty;
  return ok({ tag: 'IssueIRQHandler', irq, destSlot: dest.value, controlSlot: slot });
}

/** spec: invokeIRQControl — the line becomes Signal (unmasked); its handler cap is a child of IRQControl. */
export function invokeIRQControl(k: Kernel, inv: IRQControlInvocation, _thread: number): void {
  setIRQState(k, IRQ_STATE.Signal, inv.irq);
  cteInsert(k, makeIRQHandlerCap(inv.irq), inv.controlSlot, inv.destSlot);
}

/** spec: decodeIRQHandlerInvocation — Ack, SetNotification(; ntfn with Write), Clear. */
export function decodeIRQHandlerInvocation(
  _k: Kernel, args: InvocationArgs, cap: Cap, _slot: number, _thread: number,
): Decoded<IRQHandlerInvocation> {
  const irq = capIRQ(cap);
  switch (args.label) {
    case LABEL.IRQAckIRQ:
      return ok({ tag: 'AckIRQ', irq });
    case LABEL.IRQSetIRQHandler: {
      if (args.extraCaps.length < 1) return truncatedMessage();
      const { cap: ntfn, slot } = args.extraCaps[0]!;
      if (capType(ntfn) !== CAP_TAG.notification || !capNtfnCanSend(ntfn)) return invalidCapability(0);
      return ok({ tag: 'SetIRQHandler', irq, cap: ntfn, slot });
    }
    case LABEL.IRQClearIRQHandler:
      return ok({ tag: 'ClearIRQHandler', irq });
    default:
      return illegalOperation();
  }
}

/**
 * spec: invokeIRQHandler — Ack unmasks the line (a raise that stayed pending is taken at this
 * entry's exit); SetNotification replaces the IRQ-node cap with a copy (CDT child) of the given
 * notification cap; Clear deletes it.
 */
export function invokeIRQHandler(k: Kernel, inv: IRQHandlerInvocation, _thread: number): void {
  switch (inv.tag) {
    case 'AckIRQ':
      k.m.irq.unmask(inv.irq);
      return;
    case 'SetIRQHandler': {
      const node = irqNodeSlot(inv.irq);
      cteDeleteOne(k, node);
      cteInsert(k, inv.cap, inv.slot, node);
      return;
    }
    case 'ClearIRQHandler':
      cteDeleteOne(k, irqNodeSlot(inv.irq));
      return;
    default: {
      const never: never = inv;
      return never;
    }
  }
}

/**
 * spec: handleInterrupt — Signal: signal the IRQ-node notification (if it is one with Write) with
 * its badge, then mask the line until the handler acknowledges it. Timer: a tick. Inactive: mask
 * (a stray raise). Reserved: nothing.
 */
export function handleInterrupt(k: Kernel, irq: number): void {
  if (irq > maxIRQ(k)) return;
  switch (getIRQState(k, irq)) {
    case IRQ_STATE.Signal: {
      const node = irqNodeSlot(irq);
      const w0 = k.m.load32(node);
      if (capTagOf(w0) === CAP_TAG.notification) {
        const w1 = k.m.load32(node + 4);
        if (getField(w1, F_NTFN_SEND) === 1) sendSignal(k, getField(w0, F_NTFN_PTR), getField(w1, F_NTFN_BADGE));
      }
      k.m.irq.mask(irq);
      return;
    }
    case IRQ_STATE.Timer:
      timerTick(k);
      return;
    case IRQ_STATE.Inactive:
      k.m.irq.mask(irq);
      return;
    default:
      // Reserved: no such lines on this platform
      return;
  }
}

/** spec: deletingIRQHandler — the final handler cap goes, and with it the IRQ-node cap. */
export function deletingIRQHandler(k: Kernel, irq: number): void {
  cteDeleteOne(k, irqNodeSlot(irq));
}

/** spec: deletedIRQHandler — after the final handler cap is gone the line is Inactive (masked). */
export function deletedIRQHandler(k: Kernel, irq: number): void {
  setIRQState(k, IRQ_STATE.Inactive, irq);
}
