// decodeInvocation / performInvocation of the concrete kernel: dispatch on the invoked cap's tag
// (seL4 src/object/objecttype.c). spec: decodeInvocation, performInvocation.

import type { Kernel } from '../model/state';
import { type Cap, CAP_TAG, capType, capEPPtr, capEPBadge, capCanSend, capCanGrant, capCanGrantReply, capNtfnPtr, capNtfnBadge, capNtfnCanSend, capReplyMaster, capReplyTCBPtr, capReplyCanGrant } from '../object/cap';
import type { InvocationArgs } from './types';
import { type Decoded, invalidCapability, ok } from './failures';
import { type CNodeInvocation, decodeCNodeInvocation, invokeCNode } from '../object/cnode';
import { type UntypedInvocation, decodeUntypedInvocation, invokeUntyped } from '../object/untyped';
import { type TCBInvocation, decodeTCBInvocation, decodeDomainInvocation, invokeTCB } from '../object/tcb';
import { type ArchInvocation, decodeARMMMUInvocation, performARMMMUInvocation } from '../kernel/vspace';
import {
  type IRQControlInvocation, type IRQHandlerInvocation, decodeIRQControlInvocation, decodeIRQHandlerInvocation, invokeIRQControl, invokeIRQHandler,
} from '../object/interrupt';
import { sendIPC } from '../object/endpoint';
import { sendSignal } from '../object/notification';
import { doReplyTransfer } from '../kernel/transfer';

export type Invocation =
  | { tag: 'InvokeEndpoint'; ep: number; badge: number; canGrant: boolean; canGrantReply: boolean; block: boolean; call: boolean }
  | { tag: 'InvokeNotification'; ntfn: number; badge: number }
  | { tag: 'InvokeReply'; target: number; slot: number; canGrant: boolean }
  | { tag: 'InvokeCNode'; inv: CNodeInvocation }
  | { tag: 'InvokeTCB'; inv: TCBInvocation }
  | { tag: 'InvokeUntyped'; inv: UntypedInvocation }
  | { tag: 'InvokeIRQControl'; inv: IRQControlInvocation }
  | { tag: 'InvokeIRQHandler'; inv: IRQHandlerInvocation }
  | { tag: 'InvokeArch'; inv: ArchInvocation };

function wrap<T>(d: Decoded<T>, f: (v: T) => Invocation): Decoded<Invocation> {
  return d.ok ? ok(f(d.value)) : d;
}

export function decodeInvocation(
  k: Kernel, args: InvocationArgs, _cptr: number, cap: Cap, slot: number, thread: number, isCall: boolean, isBlocking: boolean,
): Decoded<Invocation> {
  switch (capType(cap)) {
    case CAP_TAG.null:
    case CAP_TAG.zombie:
      return invalidCapability(0);
    case CAP_TAG.endpoint:
      if (!capCanSend(cap)) return invalidCapability(0);
      return ok({
        tag: 'InvokeEndpoint', ep: capEPPtr(cap), badge: capEPBadge(cap), canGrant: capCanGrant(cap), canGrantReply: capCanGrantReply(cap),
        block: isBlocking, call: isCall,
      });
    case CAP_TAG.notification:
      if (!capNtfnCanSend(cap)) return invalidCapability(0);
      return ok({ tag: 'InvokeNotification', ntfn: capNtfnPtr(cap), badge: capNtfnBadge(cap) });
    case CAP_TAG.reply:
      if (capReplyMaster(cap)) return invalidCapability(0);
      return ok({ tag: 'InvokeReply', target: capReplyTCBPtr(cap), slot, canGrant: capReplyCanGrant(cap) });
    case CAP_TAG.cnode:
      return wrap(decodeCNodeInvocation(k, args, cap, slot, thread), (inv) => ({ tag: 'InvokeCNode', inv }));
    case CAP_TAG.thread:
      return wrap(decodeTCBInvocation(k, args, cap, slot, thread), (inv) => ({ tag: 'InvokeTCB', inv }));
    case CAP_TAG.domain:
      return decodeDomainInvocation(k, args);
    case CAP_TAG.untyped:
      return wrap(decodeUntypedInvocation(k, args, cap, slot, thread), (inv) => ({ tag: 'InvokeUntyped', inv }));
    case CAP_TAG.irqControl:
      return wrap(decodeIRQControlInvocation(k, args, cap, slot, thread), (inv) => ({ tag: 'InvokeIRQControl', inv }));
    case CAP_TAG.irqHandler:
      return wrap(decodeIRQHandlerInvocation(k, args, cap, slot, thread), (inv) => ({ tag: 'InvokeIRQHandler', inv }));
    default:
      return wrap(decodeARMMMUInvocation(k, args, cap, slot, thread), (inv) => ({ tag: 'InvokeArch', inv }));
  }
}

export function performInvocation(k: Kernel, inv: Invocation, thread: number, _isCall: boolean, _isBlocking: boolean): number[] | void {
  switch (inv.tag) {
    case 'InvokeEndpoint':
      return sendIPC(k, inv.block, inv.call, inv.badge, inv.canGrant, inv.canGrantReply, thread, inv.ep);
    case 'InvokeNotification':
      return sendSignal(k, inv.ntfn, inv.badge);
    case 'InvokeReply':
      return doReplyTransfer(k, thread, inv.target, inv.slot, inv.canGrant);
    case 'InvokeCNode':
      return invokeCNode(k, inv.inv, thread);
    case 'InvokeTCB':
      return invokeTCB(k, inv.inv, thread);
    case 'InvokeUntyped':
      return invokeUntyped(k, inv.inv, thread);
    case 'InvokeIRQControl':
      return invokeIRQControl(k, inv.inv, thread);
    case 'InvokeIRQHandler':
      return invokeIRQHandler(k, inv.inv, thread);
    case 'InvokeArch':
      return performARMMMUInvocation(k, inv.inv, thread);
  }
}
