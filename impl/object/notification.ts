// Notifications of the concrete kernel (seL4 src/object/notification.c). A notification is 16
// bytes (NOTIFICATION_LAYOUT): state and queue tail, queue head, the word (msgIdentifier), the
// bound TCB. Waiters queue through the TCBs' epNext/epPrev words like endpoint queues. The word is
// kept 0 whenever the notification is not Active (docs/deviations/ipc.md).

import { field, getField, setField } from '../../machine';
import type { Kernel } from '../model/state';
import { type Cap, capNtfnPtr } from './cap';
import { NOTIFICATION_LAYOUT, NTFN_STATE, THREAD_STATE } from './structures';
import { getBoundNotification, getEpNext, getThreadStateType, setBoundNotification } from './tcb-fields';
import { possibleSwitchTo, rescheduleRequired, setThreadState, tcbSchedEnqueue } from '../kernel/thread';
import { deliverNotificationWord, doNBRecvFailedTransfer } from '../kernel/transfer';
import {
  type QueueFields,
  cancelIPC,
  objState,
  queueDequeueHead,
  queueHead,
  queueReset,
  setObjState,
  tcbEPAppend,
  tcbEPDequeue,
} from './endpoint';

const N0 = NOTIFICATION_LAYOUT.words[0]!;
const N1 = NOTIFICATION_LAYOUT.words[1]!;
const N3 = NOTIFICATION_LAYOUT.words[3]!;
const F_BOUND = field(N3, 'ntfnBoundTCB');
const WORD_OFFSET = 8;
const BOUND_OFFSET = 12;

export const NTFN_QUEUE: QueueFields = {
  state: field(N0, 'state'),
  head: field(N1, 'ntfnQueue_head'),
  tail: field(N0, 'ntfnQueue_tail'),
};

export function ntfnState(k: Kernel, ntfn: number): number {
  return objState(k, ntfn, NTFN_QUEUE);
}

export function ntfnMsgIdentifier(k: Kernel, ntfn: number): number {
  return k.m.load32(ntfn + WORD_OFFSET);
}

function setNtfnMsgIdentifier(k: Kernel, ntfn: number, w: number): void {
  k.m.store32(ntfn + WORD_OFFSET, w >>> 0);
}

export function ntfnBoundTCB(k: Kernel, ntfn: number): number {
  return getField(k.m.load32(ntfn + BOUND_OFFSET), F_BOUND);
}

function setNtfnBoundTCB(k: Kernel, ntfn: number, t: number): void {
  k.m.store32(ntfn + BOUND_OFFSET, setField(k.m.load32(ntfn + BOUND_OFFSET), F_BOUND, t));
}

/** The word is consumed: Idle, word 0. */
function ntfnSetIdle(k: Kernel, ntfn: number): void {
  setObjState(k, ntfn, NTFN_QUEUE, NTFN_STATE.Idle);
  setNtfnMsgIdentifier(k, ntfn, 0);
}

// spec: sendSignal
export function sendSignal(k: Kernel, ntfn: number, badge: number): void {
  switch (ntfnState(k, ntfn)) {
    case NTFN_STATE.Idle: {
      const t = ntfnBoundTCB(k, ntfn);
      if (t !== 0 && getThreadStateType(k, t) === THREAD_STATE.BlockedOnReceive) {
        cancelIPC(k, t);
        setThreadState(k, t, THREAD_STATE.Running);
        deliverNotificationWord(k, t, badge);
        possibleSwitchTo(k, t);
      } else {
        setObjState(k, ntfn, NTFN_QUEUE, NTFN_STATE.Active);
        setNtfnMsgIdentifier(k, ntfn, badge);
      }
      return;
    }
    case NTFN_STATE.Waiting: {
      const dest = queueDequeueHead(k, ntfn, NTFN_QUEUE, NTFN_STATE.Idle);
      setThreadState(k, dest, THREAD_STATE.Running);
      deliverNotificationWord(k, dest, badge);
      possibleSwitchTo(k, dest);
      return;
    }
    case NTFN_STATE.Active:
      setNtfnMsgIdentifier(k, ntfn, ntfnMsgIdentifier(k, ntfn) | badge);
      return;
    default:
      throw new Error(`kernel bug: notification 0x${ntfn.toString(16)} in an invalid state`);
  }
}

// spec: receiveSignal
export function receiveSignal(k: Kernel, thread: number, cap: Cap, isBlocking: boolean): void {
  const ntfn = capNtfnPtr(cap);
  if (ntfnState(k, ntfn) === NTFN_STATE.Active) {
    deliverNotificationWord(k, thread, ntfnMsgIdentifier(k, ntfn));
    ntfnSetIdle(k, ntfn);
    return;
  }
  if (!isBlocking) {
    doNBRecvFailedTransfer(k, thread);
    return;
  }
  setThreadState(k, thread, THREAD_STATE.BlockedOnNotification, ntfn);
  tcbEPAppend(k, ntfn, NTFN_QUEUE, thread);
  setObjState(k, ntfn, NTFN_QUEUE, NTFN_STATE.Waiting);
}

// spec: completeSignal
export function completeSignal(k: Kernel, ntfn: number, tcb: number): void {
  if (ntfnState(k, ntfn) !== NTFN_STATE.Active) throw new Error('kernel bug: completeSignal on an inactive notification');
  deliverNotificationWord(k, tcb, ntfnMsgIdentifier(k, ntfn));
  ntfnSetIdle(k, ntfn);
}

// spec: cancelSignal
export function cancelSignal(k: Kernel, t: number, ntfn: number): void {
  tcbEPDequeue(k, ntfn, NTFN_QUEUE, t);
  if (queueHead(k, ntfn, NTFN_QUEUE) === 0) setObjState(k, ntfn, NTFN_QUEUE, NTFN_STATE.Idle);
  setThreadState(k, t, THREAD_STATE.Inactive);
}

// spec: cancelAllSignals
export function cancelAllSignals(k: Kernel, ntfn: number): void {
  if (ntfnState(k, ntfn) !== NTFN_STATE.Waiting) return;
  let t = queueHead(k, ntfn, NTFN_QUEUE);
  queueReset(k, ntfn, NTFN_QUEUE, NTFN_STATE.Idle);
  for (; t !== 0; t = getEpNext(k, t)) {
    setThreadState(k, t, THREAD_STATE.Restart);
    tcbSchedEnqueue(k, t);
  }
  rescheduleRequired(k);
}

// spec: bindNotification
export function bindNotification(k: Kernel, tcb: number, ntfn: number): void {
  setNtfnBoundTCB(k, ntfn, tcb);
  setBoundNotification(k, tcb, ntfn);
}

function doUnbindNotification(k: Kernel, ntfn: number, tcb: number): void {
  setNtfnBoundTCB(k, ntfn, 0);
  setBoundNotification(k, tcb, 0);
}

// spec: unbindNotification
export function unbindNotification(k: Kernel, tcb: number): void {
  const ntfn = getBoundNotification(k, tcb);
  if (ntfn !== 0) doUnbindNotification(k, ntfn, tcb);
}

// spec: unbindMaybeNotification
export function unbindMaybeNotification(k: Kernel, ntfn: number): void {
  const tcb = ntfnBoundTCB(k, ntfn);
  if (tcb !== 0) doUnbindNotification(k, ntfn, tcb);
}
