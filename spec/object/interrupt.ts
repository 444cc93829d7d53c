// Interrupts: IRQControl and IRQHandler invocations and the kernel's handling of an interrupt
// (seL4 src/object/interrupt.c, src/arch/arm/object/interrupt.c; l4v spec/abstract/Interrupt_A.thy,
// Decode_A.thy decode_irq_control_invocation / decode_irq_handler_invocation).
//
// Each line has a state (s.irqStates) and one kernel slot in the IRQ node that holds the
// notification cap to signal. The interrupt controller's mask and pending bits are state too
// (s.irqMasked, s.irqPending); api/event.ts takes pending unmasked lines at kernel exit.

import { KERNEL_LAYOUT } from '../../abi/boot';
import { LABEL } from '../../abi/invocations';
import type { Cap, CapOf, Decoded, InvocationArgs, IRQState, PPtr } from '../api/types';
import { err, ok } from '../api/failures';
import { type KernelState, CTE_SIZE, readCTE, writableTable } from '../model/state';
import { cteDeleteOne, cteInsert, ensureEmptySlot } from './cnode';
import { sendSignal } from './notification';
import { lookupTargetSlot } from '../kernel/cspace';
import { timerTick } from '../kernel/thread';

export type IRQControlInvocation = { tag: 'IssueIRQHandler'; irq: number; destSlot: PPtr; controlSlot: PPtr };

export type IRQHandlerInvocation =
  | { tag: 'AckIRQ'; irq: number }
  | { tag: 'SetIRQHandler'; irq: number; cap: Cap; slot: PPtr }
  | { tag: 'ClearIRQHandler'; irq: number };

/** The kernel slot of the IRQ node that holds line `irq`'s notification cap. */
export function irqNodeSlot(irq: number): PPtr {
  return KERNEL_LAYOUT.irqNode + CTE_SIZE * irq;
}

/** The highest IRQ number of the configuration (seL4 maxIRQ). */
export function maxIRQ(s: KernelState): number {
  return s.config.irqLines - 1;
}

/** seL4 setIRQState: an Inactive line is masked at the controller, any other is unmasked. */
export function setIRQState(s: KernelState, state: IRQState, irq: number): void {
  writableTable(s, 'irqStates')[irq] = state;
  writableTable(s, 'irqMasked')[irq] = state === 'Inactive';
}

/**
 * seL4 decodeIRQControlInvocation: IRQControl_Get(irq, index, depth; root). The timer line is
 * in state Timer, so asking for it gives RevokeFirst like an issued line. The ARM trigger and
 * SGI variants are not modelled (IllegalOperation, docs/deviations/vspace.md).
 */
export function decodeIRQControlInvocation(
  s: KernelState, args: InvocationArgs, _cap: CapOf<'IRQControlCap'>, slot: PPtr, _thread: PPtr,
): Decoded<IRQControlInvocation> {
  if (args.label !== LABEL.IRQIssueIRQHandler) return err({ tag: 'IllegalOperation' });
  if (args.words.length < 3 || args.extraCaps.length < 1) return err({ tag: 'TruncatedMessage' });
  const irq = args.words[0] >>> 0;
  const index = args.words[1] >>> 0;
  const depth = args.words[2] >>> 0;
  const root = args.extraCaps[0].cap;
  if (irq > maxIRQ(s)) return err({ tag: 'RangeError', min: 0, max: maxIRQ(s) });
  if (s.irqStates[irq] !== 'Inactive') return err({ tag: 'RevokeFirst' });
  const dest = lookupTargetSlot(s, root, index, depth);
  if (!dest.ok) return dest;
  const empty = ensureEmptySlot(s, dest.value);
  if (!empty.ok) return empty;
  return ok({ tag: 'IssueIRQHandler', irq, destSlot: dest.value, controlSlot: slot });
}

/** seL4 invokeIRQControl: the line becomes Signal (unmasked); its handler cap is a child of IRQControl. */
export function invokeIRQControl(s: KernelState, inv: IRQControlInvocation, _thread: PPtr): void {
  setIRQState(s, 'Signal', inv.irq);
  cteInsert(s, { tag: 'IRQHandlerCap', irq: inv.irq }, inv.controlSlot, inv.destSlot);
}

/** seL4 decodeIRQHandlerInvocation: Ack, SetNotification(; ntfn with Write), Clear. */
export function decodeIRQHandlerInvocation(
  _s: KernelState, args: InvocationArgs, cap: CapOf<'IRQHandlerCap'>, _slot: PPtr, _thread: PPtr,
): Decoded<IRQHandlerInvocation> {
  const irq = cap.irq;
  switch (args.label) {
    case LABEL.IRQAckIRQ:
      return ok({ tag: 'AckIRQ', irq });
    case LABEL.IRQSetIRQHandler: {
      if (args.extraCaps.length < 1) return err({ tag: 'TruncatedMessage' });
      const { cap: ntfn, slot } = args.extraCaps[0];
      if (ntfn.tag !== 'NotificationCap' || !ntfn.rights.write) return err({ tag: 'InvalidCapability', argument: 0 });
      return ok({ tag: 'SetIRQHandler', irq, cap: ntfn, slot });
    }
    case LABEL.IRQClearIRQHandler:
      return ok({ tag: 'ClearIRQHandler', irq });
    default:
      return err({ tag: 'IllegalOperation' });
  }
}

/**
 * IRQHandler invocations. Ack unmasks the line; a raise that stayed pending meanwhile is taken
 * at this kernel entry's exit (api/event.ts). SetNotification replaces the IRQ-node cap with a
 * copy (CDT child) of the given notification cap; Clear deletes it.
 */
export function invokeIRQHandler(s: KernelState, inv: IRQHandlerInvocation, _thread: PPtr): void {
  switch (inv.tag) {
    case 'AckIRQ':
      writableTable(s, 'irqMasked')[inv.irq] = false;
      return;
    case 'SetIRQHandler': {
      const node = irqNodeSlot(inv.irq);
      cteDeleteOne(s, node);
      cteInsert(s, inv.cap, inv.slot, node);
      return;
    }
    case 'ClearIRQHandler':
      cteDeleteOne(s, irqNodeSlot(inv.irq));
      return;
    default: {
      const never: never = inv;
      return never;
    }
  }
}

/**
 * seL4 handleInterrupt for a line the controller reports. Signal: signal the IRQ-node
 * notification (if it is one with Write) with its badge, then mask the line until the handler
 * acknowledges it. Timer: a timer tick. Inactive: mask (a stray raise). Reserved: nothing.
 */
export function handleInterrupt(s: KernelState, irq: number): void {
  if (irq > maxIRQ(s)) return;
  switch (s.irqStates[irq]) {
    case 'Signal': {
      const cap = readCTE(s, irqNodeSlot(irq)).cap;
      if (cap.tag === 'NotificationCap' && cap.rights.write) sendSignal(s, cap.ptr, cap.badge);
      writableTable(s, 'irqMasked')[irq] = true;
      return;
    }
    case 'Timer':
      timerTick(s);
      return;
    case 'Inactive':
      writableTable(s, 'irqMasked')[irq] = true;
      return;
    case 'Reserved':
      return;
    default: {
      const never: never = s.irqStates[irq];
      return never;
    }
  }
}

/** seL4 deletingIRQHandler: the final handler cap goes, and with it the IRQ-node cap. */
export function deletingIRQHandler(s: KernelState, irq: number): void {
  cteDeleteOne(s, irqNodeSlot(irq));
}

/** seL4 deletedIRQHandler: after the final handler cap is gone the line is Inactive (masked). */
export function deletedIRQHandler(s: KernelState, irq: number): void {
  setIRQState(s, 'Inactive', irq);
}
