// Endpoints of the concrete kernel (seL4 src/object/endpoint.c). An endpoint is 16 bytes in memory
// (ENDPOINT_LAYOUT): word 0 holds the state and the queue tail, word 1 the queue head. The queue is
// an intrusive doubly linked list through the TCBs' epNext/epPrev words (TCB block addresses,
// 0 = none); notification queues use the same links (impl/object/notification.ts).

import { type FieldSpec, field, getField, setField } from '../../machine';
import type { Kernel } from '../model/state';
import {
  type Cap,
  capCanGrant,
  capEPPtr,
  mdbNext,
  slotCapType,
} from './cap';
import { CAP_TAG, ENDPOINT_LAYOUT, EP_STATE, THREAD_STATE } from './structures';
import {
  TCB_CNODE_SLOT,
  clearFault,
  getBlockingIPCBadge,
  getBlockingIPCCanGrant,
  getBlockingIPCCanGrantReply,
  getBlockingIPCIsCall,
  getBlockingObject,
  getBoundNotification,
  getEpNext,
  getEpPrev,
  getThreadStateType,
  setEpNext,
  setEpPrev,
  tcbSlotAddr,
  threadStateWord1,
} from './tcb-fields';
import { possibleSwitchTo, rescheduleRequired, setThreadState, tcbSchedEnqueue } from '../kernel/thread';
import { doIPCTransfer, doNBRecvFailedTransfer, setupCallerCap } from '../kernel/transfer';
import { cteDeleteOne } from './cnode';
import { cancelSignal, completeSignal, ntfnState } from './notification';
import { NTFN_STATE } from './structures';

const EP0 = ENDPOINT_LAYOUT.words[0]!;
const EP1 = ENDPOINT_LAYOUT.words[1]!;
const F_STATE = field(EP0, 'state');
const F_TAIL = field(EP0, 'epQueue_tail');
const F_HEAD = field(EP1, 'epQueue_head');

// ---- intrusive TCB queues (shared with notifications: same word positions, own field specs) ----

/** Where an object keeps its queue: head in word 1, state and tail in word 0. */
export interface QueueFields {
  state: FieldSpec;
  head: FieldSpec;
  tail: FieldSpec;
}

export const EP_QUEUE: QueueFields = { state: F_STATE, head: F_HEAD, tail: F_TAIL };

export function queueHead(k: Kernel, obj: number, q: QueueFields): number {
  return getField(k.m.load32(obj + 4), q.head);
}

export function queueTail(k: Kernel, obj: number, q: QueueFields): number {
  return getField(k.m.load32(obj), q.tail);
}

function setQueueHead(k: Kernel, obj: number, q: QueueFields, t: number): void {
  k.m.store32(obj + 4, setField(k.m.load32(obj + 4), q.head, t));
}

function setQueueTail(k: Kernel, obj: number, q: QueueFields, t: number): void {
  k.m.store32(obj, setField(k.m.load32(obj), q.tail, t));
}

export function objState(k: Kernel, obj: number, q: QueueFields): number {
  return getField(k.m.load32(obj), q.state);
}

export function setObjState(k: Kernel, obj: number, q: QueueFields, st: number): void {
  k.m.store32(obj, setField(k.m.load32(obj), q.state, st));
}

/** seL4 tcbEPAppend: t goes to the tail of the object's queue. */
export function tcbEPAppend(k: Kernel, obj: number, q: QueueFields, t: number): void {
  const tail = queueTail(k, obj, q);
  if (tail === 0) setQueueHead(k, obj, q, t);
  else setEpNext(k, tail, t);
  setEpPrev(k, t, tail);
  setEpNext(k, t, 0);
  setQueueTail(k, obj, q, t);
}

/** seL4 tcbEPDequeue: t leaves the object's queue (wherever it is in it). */
export function tcbEPDequeue(k: Kernel, obj: number, q: QueueFields, t: number): void {
  const prev = getEpPrev(k, t);
  const next = getEpNext(k, t);
  if (prev === 0) setQueueHead(k, obj, q, next);
  else setEpNext(k, prev, next);
  if (next === 0) setQueueTail(k, obj, q, prev);
  else setEpPrev(k, next, prev);
}

/** Empties the queue (head and tail 0) and sets the state, as cancelAll* do. */
function resetQueue(k: Kernel, obj: number, q: QueueFields, st: number): void {
  k.m.store32(obj, setField(setField(k.m.load32(obj), q.tail, 0), q.state, st));
  setQueueHead(k, obj, q, 0);
}

/** Takes the head off a non-empty queue; the object goes to `idle` when it empties. */
function dequeueHead(k: Kernel, obj: number, q: QueueFields, idle: number): number {
  const head = queueHead(k, obj, q);
  tcbEPDequeue(k, obj, q, head);
  if (queueHead(k, obj, q) === 0) setObjState(k, obj, q, idle);
  return head;
}

export { dequeueHead as queueDequeueHead, resetQueue as queueReset };

export function epState(k: Kernel, ep: number): number {
  return objState(k, ep, EP_QUEUE);
}

// ---- IPC ----

// spec: sendIPC
export function sendIPC(
  k: Kernel,
  blocking: boolean,
  call: boolean,
  badge: number,
  canGrant: boolean,
  canGrantReply: boolean,
  thread: number,
  ep: number,
): void {
  const st = epState(k, ep);
  if (st !== EP_STATE.Recv) {
    if (!blocking) return;
    setThreadState(k, thread, THREAD_STATE.BlockedOnSend, ep, threadStateWord1(badge, canGrant, canGrantReply, call));
    tcbEPAppend(k, ep, EP_QUEUE, thread);
    setObjState(k, ep, EP_QUEUE, EP_STATE.Send);
    return;
  }
  const dest = dequeueHead(k, ep, EP_QUEUE, EP_STATE.Idle);
  doIPCTransfer(k, thread, ep, badge, canGrant, dest);
  const replyCanGrant = getBlockingIPCCanGrant(k, dest);
  setThreadState(k, dest, THREAD_STATE.Running);
  possibleSwitchTo(k, dest);
  if (!call) return;
  if (canGrant || canGrantReply) setupCallerCap(k, thread, dest, replyCanGrant);
  else setThreadState(k, thread, THREAD_STATE.Inactive);
}

// spec: receiveIPC
export function receiveIPC(k: Kernel, thread: number, cap: Cap, isBlocking: boolean): void {
  const ntfn = getBoundNotification(k, thread);
  if (ntfn !== 0 && ntfnState(k, ntfn) === NTFN_STATE.Active) {
    completeSignal(k, ntfn, thread);
    return;
  }
  const ep = capEPPtr(cap);
  if (epState(k, ep) !== EP_STATE.Send) {
    if (!isBlocking) {
      doNBRecvFailedTransfer(k, thread);
      return;
    }
    setThreadState(k, thread, THREAD_STATE.BlockedOnReceive, ep, threadStateWord1(0, capCanGrant(cap), false, false));
    tcbEPAppend(k, ep, EP_QUEUE, thread);
    setObjState(k, ep, EP_QUEUE, EP_STATE.Recv);
    return;
  }
  const sender = dequeueHead(k, ep, EP_QUEUE, EP_STATE.Idle);
  const badge = getBlockingIPCBadge(k, sender);
  const canGrant = getBlockingIPCCanGrant(k, sender);
  const canGrantReply = getBlockingIPCCanGrantReply(k, sender);
  const isCall = getBlockingIPCIsCall(k, sender);
  doIPCTransfer(k, sender, ep, badge, canGrant, thread);
  if (isCall) {
    if (canGrant || canGrantReply) setupCallerCap(k, sender, thread, capCanGrant(cap));
    else setThreadState(k, sender, THREAD_STATE.Inactive);
  } else {
    setThreadState(k, sender, THREAD_STATE.Running);
    possibleSwitchTo(k, sender);
  }
}

// spec: cancelIPC
export function cancelIPC(k: Kernel, t: number): void {
  switch (getThreadStateType(k, t)) {
    case THREAD_STATE.BlockedOnSend:
    case THREAD_STATE.BlockedOnReceive: {
      const ep = getBlockingObject(k, t);
      tcbEPDequeue(k, ep, EP_QUEUE, t);
      if (queueHead(k, ep, EP_QUEUE) === 0) setObjState(k, ep, EP_QUEUE, EP_STATE.Idle);
      setThreadState(k, t, THREAD_STATE.Inactive);
      return;
    }
    case THREAD_STATE.BlockedOnNotification:
      cancelSignal(k, t, getBlockingObject(k, t));
      return;
    case THREAD_STATE.BlockedOnReply: {
      clearFault(k, t);
      const next = mdbNext(k, tcbSlotAddr(t, TCB_CNODE_SLOT.reply));
      if (next === 0) return;
      // the master reply cap's successor is the reply cap to t (valid_reply_caps)
      if (slotCapType(k, next) !== CAP_TAG.reply) throw new Error('kernel bug: cancelIPC: master reply cap followed by a foreign cap');
      cteDeleteOne(k, next);
      return;
    }
    default:
      return;
  }
}

// spec: cancelAllIPC
export function cancelAllIPC(k: Kernel, ep: number): void {
  if (epState(k, ep) === EP_STATE.Idle) return;
  let t = queueHead(k, ep, EP_QUEUE);
  resetQueue(k, ep, EP_QUEUE, EP_STATE.Idle);
  for (; t !== 0; t = getEpNext(k, t)) {
    setThreadState(k, t, THREAD_STATE.Restart);
    tcbSchedEnqueue(k, t);
  }
  rescheduleRequired(k);
}

// spec: cancelBadgedSends
export function cancelBadgedSends(k: Kernel, ep: number, badge: number): void {
  if (epState(k, ep) !== EP_STATE.Send) return;
  // matching senders are unlinked as the walk passes them; the others keep their order
  let t = queueHead(k, ep, EP_QUEUE);
  while (t !== 0) {
    const next = getEpNext(k, t);
    if (getBlockingIPCBadge(k, t) === badge) {
      setThreadState(k, t, THREAD_STATE.Restart);
      tcbSchedEnqueue(k, t);
      tcbEPDequeue(k, ep, EP_QUEUE, t);
    }
    t = next;
  }
  if (queueHead(k, ep, EP_QUEUE) === 0) setObjState(k, ep, EP_QUEUE, EP_STATE.Idle);
  rescheduleRequired(k);
}
