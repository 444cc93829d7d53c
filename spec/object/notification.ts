// Notifications: asynchronous signals that accumulate (seL4 src/object/notification.c; l4v
// Ipc_A.thy send_signal, receive_signal, complete_signal, IpcCancel_A.thy; sel4-facts §3).
//
// A notification is Idle, Waiting (threads queued FIFO) or Active (a word, the OR of the badges
// signalled since the last delivery). Delivery writes only the badge register. A notification
// may be bound to one TCB, which then also receives its signals while blocked in an endpoint
// Recv. The word is kept 0 whenever the notification is not Active (docs/deviations/ipc.md).

import type { CapOf, PPtr } from '../api/types';
import { type KernelState, KernelBug, assert, getObject, getTCB } from '../model/state';
import { deliverNotificationWord, doNBRecvFailedTransfer } from '../kernel/transfer';
import { possibleSwitchTo, rescheduleRequired, setThreadState, tcbSchedEnqueue } from '../kernel/thread';
import { cancelIPC } from './endpoint';

/**
 * seL4 sendSignal (Signal never blocks). Idle: a bound thread blocked in an endpoint Recv is
 * taken out of it and gets the badge; otherwise the notification becomes Active with the badge
 * (even badge 0). Waiting: the head waiter gets the badge. Active: the badge is ORed in.
 */
export function sendSignal(s: KernelState, ntfn: PPtr, badge: number): void {
  const n = getObject(s, ntfn, 'Notification');
  switch (n.state) {
    case 'Idle': {
      const bound = n.boundTCB;
      if (bound !== null && getTCB(s, bound).state.tag === 'BlockedOnReceive') {
        cancelIPC(s, bound);
        setThreadState(s, bound, { tag: 'Running' });
        deliverNotificationWord(s, bound, badge);
        possibleSwitchTo(s, bound);
      } else {
        n.state = 'Active';
        n.word = badge >>> 0;
      }
      return;
    }
    case 'Waiting': {
      const dest = n.queue.shift();
      assert(dest !== undefined, 'sendSignal: Waiting notification with an empty queue');
      if (n.queue.length === 0) n.state = 'Idle';
      setThreadState(s, dest, { tag: 'Running' });
      deliverNotificationWord(s, dest, badge);
      possibleSwitchTo(s, dest);
      return;
    }
    case 'Active':
      n.word = (n.word | badge) >>> 0;
      return;
    default:
      assertNever(n.state);
  }
}

/**
 * seL4 receiveSignal (Wait / Poll). Active: the word is delivered and the notification goes
 * Idle. Otherwise Wait blocks at the tail of the queue and Poll returns badge 0.
 */
export function receiveSignal(s: KernelState, thread: PPtr, cap: CapOf<'NotificationCap'>, isBlocking: boolean): void {
  const ntfn = cap.ptr;
  const n = getObject(s, ntfn, 'Notification');
  switch (n.state) {
    case 'Idle':
    case 'Waiting':
      if (!isBlocking) {
        doNBRecvFailedTransfer(s, thread);
        return;
      }
      setThreadState(s, thread, { tag: 'BlockedOnNotification', ntfn });
      n.queue.push(thread);
      n.state = 'Waiting';
      return;
    case 'Active':
      deliverNotificationWord(s, thread, n.word);
      n.state = 'Idle';
      n.word = 0;
      return;
    default:
      assertNever(n.state);
  }
}

/** seL4 completeSignal: an Active bound notification found at an endpoint Recv is consumed. */
export function completeSignal(s: KernelState, ntfn: PPtr, tcb: PPtr): void {
  const n = getObject(s, ntfn, 'Notification');
  assert(n.state === 'Active', 'completeSignal: notification is not active');
  deliverNotificationWord(s, tcb, n.word);
  n.state = 'Idle';
  n.word = 0;
}

/** seL4 cancelSignal: a waiter leaves the queue and becomes Inactive. */
export function cancelSignal(s: KernelState, tcb: PPtr, ntfn: PPtr): void {
  const n = getObject(s, ntfn, 'Notification');
  assert(n.state === 'Waiting', 'cancelSignal: notification is not waiting');
  const i = n.queue.indexOf(tcb);
  assert(i >= 0, 'cancelSignal: thread not in the notification queue');
  n.queue.splice(i, 1);
  if (n.queue.length === 0) n.state = 'Idle';
  setThreadState(s, tcb, { tag: 'Inactive' });
}

/**
 * seL4 cancelAllSignals (the last cap to the notification is deleted): every waiter, in queue
 * order, is set to Restart and put in its ready queue.
 */
export function cancelAllSignals(s: KernelState, ntfn: PPtr): void {
  const n = getObject(s, ntfn, 'Notification');
  if (n.state !== 'Waiting') return;
  const queue = [...n.queue];
  n.state = 'Idle';
  n.queue = [];
  for (const t of queue) {
    setThreadState(s, t, { tag: 'Restart' });
    tcbSchedEnqueue(s, t);
  }
  rescheduleRequired(s);
}

/** seL4 bindNotification: the one-to-one link; the decoder has checked both sides are free. */
export function bindNotification(s: KernelState, tcb: PPtr, ntfn: PPtr): void {
  getObject(s, ntfn, 'Notification').boundTCB = tcb;
  getTCB(s, tcb).boundNotification = ntfn;
}

function doUnbindNotification(s: KernelState, ntfn: PPtr, tcb: PPtr): void {
  getObject(s, ntfn, 'Notification').boundTCB = null;
  getTCB(s, tcb).boundNotification = null;
}

/** seL4 unbindNotification: unbinds the TCB's notification, if any. */
export function unbindNotification(s: KernelState, tcb: PPtr): void {
  const ntfn = getTCB(s, tcb).boundNotification;
  if (ntfn !== null) doUnbindNotification(s, ntfn, tcb);
}

/** seL4 unbindMaybeNotification: unbinds the notification's TCB, if any. */
export function unbindMaybeNotification(s: KernelState, ntfn: PPtr): void {
  const tcb = getObject(s, ntfn, 'Notification').boundTCB;
  if (tcb !== null) doUnbindNotification(s, ntfn, tcb);
}

function assertNever(x: never): never {
  throw new KernelBug(`unexpected value ${JSON.stringify(x)}`);
}
