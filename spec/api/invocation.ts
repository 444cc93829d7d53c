// decodeInvocation / performInvocation: dispatch of an invoked cap to its object's decoder and
// performer (seL4 src/object/objecttype.c decodeInvocation, performInvocation_*; l4v
// SEL4/Object/ObjectType.lhs). Endpoint, notification and reply caps "decode" to a send.

import { match } from 'ts-pattern';
import type { Cap, Decoded, InvocationArgs, PPtr } from './types';
import { err, ok } from './failures';
import type { KernelState } from '../model/state';
import { type CNodeInvocation, decodeCNodeInvocation, invokeCNode } from '../object/cnode';
import { type TCBInvocation, decodeDomainInvocation, decodeTCBInvocation, invokeTCB } from '../object/tcb';
import { type UntypedInvocation, decodeUntypedInvocation, invokeUntyped } from '../object/untyped';
import {
  type IRQControlInvocation, type IRQHandlerInvocation, decodeIRQControlInvocation, decodeIRQHandlerInvocation,
  invokeIRQControl, invokeIRQHandler,
} from '../object/interrupt';
import { type ArchInvocation, decodeARMMMUInvocation, performARMMMUInvocation } from '../kernel/vspace';
import { sendIPC } from '../object/endpoint';
import { sendSignal } from '../object/notification';
import { doReplyTransfer } from '../kernel/transfer';

export type Invocation =
  | { tag: 'InvokeEndpoint'; ep: PPtr; badge: number; canGrant: boolean; canGrantReply: boolean; block: boolean; call: boolean }
  | { tag: 'InvokeNotification'; ntfn: PPtr; badge: number }
  | { tag: 'InvokeReply'; target: PPtr; slot: PPtr; canGrant: boolean }
  | { tag: 'InvokeCNode'; inv: CNodeInvocation }
  | { tag: 'InvokeTCB'; inv: TCBInvocation }
  | { tag: 'InvokeUntyped'; inv: UntypedInvocation }
  | { tag: 'InvokeIRQControl'; inv: IRQControlInvocation }
  | { tag: 'InvokeIRQHandler'; inv: IRQHandlerInvocation }
  | { tag: 'InvokeArch'; inv: ArchInvocation };

const wrap = <T, I extends Invocation>(d: Decoded<T>, f: (v: T) => I): Decoded<Invocation> => (d.ok ? ok(f(d.value)) : d);

/**
 * Decodes an invocation of `cap` (found at `slot` by the invoking `thread`). Never changes state.
 * Endpoint and notification caps need Write; a master reply cap and a Zombie cannot be invoked.
 */
export function decodeInvocation(
  s: KernelState, args: InvocationArgs, _cptr: number, cap: Cap, slot: PPtr, thread: PPtr, isCall: boolean, isBlocking: boolean,
): Decoded<Invocation> {
  return match(cap)
    .with({ tag: 'NullCap' }, { tag: 'ZombieCap' }, () => err({ tag: 'InvalidCapability' as const, argument: 0 }))
    .with({ tag: 'EndpointCap' }, (c): Decoded<Invocation> =>
      c.rights.write
        ? ok({ tag: 'InvokeEndpoint', ep: c.ptr, badge: c.badge, canGrant: c.rights.grant, canGrantReply: c.rights.grantReply, block: isBlocking, call: isCall })
        : err({ tag: 'InvalidCapability', argument: 0 }))
    .with({ tag: 'NotificationCap' }, (c): Decoded<Invocation> =>
      c.rights.write ? ok({ tag: 'InvokeNotification', ntfn: c.ptr, badge: c.badge }) : err({ tag: 'InvalidCapability', argument: 0 }))
    .with({ tag: 'ReplyCap' }, (c): Decoded<Invocation> =>
      c.master ? err({ tag: 'InvalidCapability', argument: 0 }) : ok({ tag: 'InvokeReply', target: c.tcb, slot, canGrant: c.canGrant }))
    .with({ tag: 'CNodeCap' }, (c) => wrap(decodeCNodeInvocation(s, args, c, slot, thread), (inv) => ({ tag: 'InvokeCNode', inv })))
    .with({ tag: 'ThreadCap' }, (c) => wrap(decodeTCBInvocation(s, args, c, slot, thread), (inv) => ({ tag: 'InvokeTCB', inv })))
    .with({ tag: 'DomainCap' }, () => decodeDomainInvocation(s, args))
    .with({ tag: 'UntypedCap' }, (c) => wrap(decodeUntypedInvocation(s, args, c, slot, thread), (inv) => ({ tag: 'InvokeUntyped', inv })))
    .with({ tag: 'IRQControlCap' }, (c) => wrap(decodeIRQControlInvocation(s, args, c, slot, thread), (inv) => ({ tag: 'InvokeIRQControl', inv })))
    .with({ tag: 'IRQHandlerCap' }, (c) => wrap(decodeIRQHandlerInvocation(s, args, c, slot, thread), (inv) => ({ tag: 'InvokeIRQHandler', inv })))
    .with(
      { tag: 'FrameCap' }, { tag: 'PageTableCap' }, { tag: 'PageDirectoryCap' }, { tag: 'ASIDControlCap' }, { tag: 'ASIDPoolCap' },
      (c) => wrap(decodeARMMMUInvocation(s, args, c, slot, thread), (inv) => ({ tag: 'InvokeArch', inv })),
    )
    .exhaustive();
}

/** Performs a decoded invocation; returns the words of a Call's success reply (none = empty). */
export function performInvocation(s: KernelState, inv: Invocation, thread: PPtr, _isCall: boolean, _isBlocking: boolean): number[] | void {
  return match(inv)
    .with({ tag: 'InvokeEndpoint' }, (i) => sendIPC(s, i.block, i.call, i.badge, i.canGrant, i.canGrantReply, thread, i.ep))
    .with({ tag: 'InvokeNotification' }, (i) => sendSignal(s, i.ntfn, i.badge))
    .with({ tag: 'InvokeReply' }, (i) => doReplyTransfer(s, thread, i.target, i.slot, i.canGrant))
    .with({ tag: 'InvokeCNode' }, (i) => invokeCNode(s, i.inv, thread))
    .with({ tag: 'InvokeTCB' }, (i) => invokeTCB(s, i.inv, thread))
    .with({ tag: 'InvokeUntyped' }, (i) => invokeUntyped(s, i.inv, thread))
    .with({ tag: 'InvokeIRQControl' }, (i) => invokeIRQControl(s, i.inv, thread))
    .with({ tag: 'InvokeIRQHandler' }, (i) => invokeIRQHandler(s, i.inv, thread))
    .with({ tag: 'InvokeArch' }, (i) => performARMMMUInvocation(s, i.inv, thread))
    .exhaustive();
}
