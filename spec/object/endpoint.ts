// Endpoints: synchronous rendezvous IPC (seL4 src/object/endpoint.c; l4v Ipc_A.thy send_ipc,
// receive_ipc, IpcCancel_A.thy; sel4-facts §2.3, §4).
//
// An endpoint buffers nothing: it queues threads, all waiting in one direction (Send or Recv),
// FIFO — blocking appends at the tail and a matching operation takes the head.

import type { CapOf, PPtr } from '../api/types';
import { type KernelState, KernelBug, assert, readCTE, getObject, getTCB, tcbSlot } from '../model/state';
import { doIPCTransfer, doNBRecvFailedTransfer, setupCallerCap } from '../kernel/transfer';
import { possibleSwitchTo, rescheduleRequired, setThreadState, tcbSchedEnqueue } from '../kernel/thread';
import { cteDeleteOne } from './cnode';
import { cancelSignal, completeSignal } from './notification';
import { TCB_SLOT } from './structures';

/**
 * seL4 sendIPC. No receiver waiting: a blocking sender queues (BlockedOnSend, remembering badge,
 * rights and whether it calls), a non-blocking one's message is dropped. A receiver waiting: the
 * head receiver gets the message and runs; a Call then makes a reply cap for the receiver if the
 * sender's cap has Grant or GrantReply, and otherwise leaves the caller Inactive.
 */
export function sendIPC(
  s: KernelState,
  blocking: boolean,
  call: boolean,
  badge: number,
  canGrant: boolean,
  canGrantReply: boolean,
  thread: PPtr,
  ep: PPtr,
): void {
  const epo = getObject(s, ep, 'Endpoint');
  switch (epo.state) {
    case 'Idle':
    case 'Send':
      if (!blocking) return;
      setThreadState(s, thread, { tag: 'BlockedOnSend', ep, badge, canGrant, canGrantReply, isCall: call });
      epo.queue.push(thread);
      epo.state = 'Send';
      return;
    case 'Recv': {
      const dest = dequeueHead(s, ep);
      doIPCTransfer(s, thread, ep, badge, canGrant, dest);
      const destState = getTCB(s, dest).state;
      assert(destState.tag === 'BlockedOnReceive', 'sendIPC: receiver is not BlockedOnReceive');
      const replyCanGrant = destState.canGrant;
      setThreadState(s, dest, { tag: 'Running' });
      possibleSwitchTo(s, dest);
      if (!call) return;
      if (canGrant || canGrantReply) setupCallerCap(s, thread, dest, replyCanGrant);
      else setThreadState(s, thread, { tag: 'Inactive' });
      return;
    }
    default:
      assertNever(epo.state);
  }
}

/**
 * seL4 receiveIPC. An active bound notification is consumed first and the endpoint is not
 * touched. Otherwise no sender waiting: block (BlockedOnReceive with this cap's Grant) or, for
 * NBRecv, return badge 0. A sender waiting: take the head sender's message; a calling sender
 * gets a reply cap in this thread's caller slot (or becomes Inactive without Grant/GrantReply),
 * any other sender runs on.
 */
export function receiveIPC(s: KernelState, thread: PPtr, cap: CapOf<'EndpointCap'>, isBlocking: boolean): void {
  const ntfn = getTCB(s, thread).boundNotification;
  if (ntfn !== null && getObject(s, ntfn, 'Notification').state === 'Active') {
    completeSignal(s, ntfn, thread);
    return;
  }
  const ep = cap.ptr;
  const epo = getObject(s, ep, 'Endpoint');
  switch (epo.state) {
    case 'Idle':
    case 'Recv':
      if (!isBlocking) {
        doNBRecvFailedTransfer(s, thread);
        return;
      }
      setThreadState(s, thread, { tag: 'BlockedOnReceive', ep, canGrant: cap.rights.grant });
      epo.queue.push(thread);
      epo.state = 'Recv';
      return;
    case 'Send': {
      const sender = dequeueHead(s, ep);
      const st = getTCB(s, sender).state;
      assert(st.tag === 'BlockedOnSend', 'receiveIPC: sender is not BlockedOnSend');
      const { badge, canGrant, canGrantReply, isCall } = st;
      doIPCTransfer(s, sender, ep, badge, canGrant, thread);
      if (isCall) {
        if (canGrant || canGrantReply) setupCallerCap(s, sender, thread, cap.rights.grant);
        else setThreadState(s, sender, { tag: 'Inactive' });
      } else {
        setThreadState(s, sender, { tag: 'Running' });
        possibleSwitchTo(s, sender);
      }
      return;
    }
    default:
      assertNever(epo.state);
  }
}

/** Takes the head of a non-empty endpoint queue; the endpoint goes Idle when it empties. */
function dequeueHead(s: KernelState, ep: PPtr): PPtr {
  const epo = getObject(s, ep, 'Endpoint');
  const head = epo.queue.shift();
  assert(head !== undefined, 'endpoint queue must not be empty');
  if (epo.queue.length === 0) epo.state = 'Idle';
  return head;
}

/**
 * seL4 cancelIPC: takes a blocked thread out of its IPC. Queued on an endpoint or notification:
 * dequeued and Inactive. Waiting for a reply: its fault is cleared and the reply cap that points
 * to it (the CDT child of its master reply cap, i.e. the next MDB node) is deleted; the state is
 * left to the caller.
 */
export function cancelIPC(s: KernelState, tcb: PPtr): void {
  const st = getTCB(s, tcb).state;
  switch (st.tag) {
    case 'BlockedOnSend':
    case 'BlockedOnReceive': {
      const epo = getObject(s, st.ep, 'Endpoint');
      assert(epo.state !== 'Idle', 'cancelIPC: endpoint must not be idle');
      const i = epo.queue.indexOf(tcb);
      assert(i >= 0, 'cancelIPC: thread not in its endpoint queue');
      epo.queue.splice(i, 1);
      if (epo.queue.length === 0) epo.state = 'Idle';
      setThreadState(s, tcb, { tag: 'Inactive' });
      return;
    }
    case 'BlockedOnNotification':
      cancelSignal(s, tcb, st.ntfn);
      return;
    case 'BlockedOnReply': {
      getTCB(s, tcb).fault = null;
      const next = readCTE(s, tcbSlot(tcb, TCB_SLOT.reply)).mdb.next;
      if (next === 0) return;
      const cap = readCTE(s, next).cap;
      assert(cap.tag === 'ReplyCap' && !cap.master && cap.tcb === tcb, 'cancelIPC: master reply cap followed by a foreign cap');
      cteDeleteOne(s, next);
      return;
    }
    case 'Inactive':
    case 'Running':
    case 'Restart':
    case 'Idle':
      return;
    default:
      assertNever(st);
  }
}

/**
 * seL4 cancelAllIPC (the last cap to the endpoint is deleted): every queued thread, in queue
 * order, is set to Restart and put in its ready queue, so that it retries its system call.
 */
export function cancelAllIPC(s: KernelState, ep: PPtr): void {
  const epo = getObject(s, ep, 'Endpoint');
  if (epo.state === 'Idle') return;
  const queue = [...epo.queue];
  epo.state = 'Idle';
  epo.queue = [];
  for (const t of queue) {
    setThreadState(s, t, { tag: 'Restart' });
    tcbSchedEnqueue(s, t);
  }
  rescheduleRequired(s);
}

/**
 * seL4 cancelBadgedSends: queued senders whose badge is `badge` are restarted (in queue order);
 * the others keep their order. Only an endpoint in Send state is affected.
 */
export function cancelBadgedSends(s: KernelState, ep: PPtr, badge: number): void {
  const epo = getObject(s, ep, 'Endpoint');
  if (epo.state !== 'Send') return;
  const queue = [...epo.queue];
  epo.state = 'Idle';
  epo.queue = [];
  const keep: PPtr[] = [];
  for (const t of queue) {
    const st = getTCB(s, t).state;
    assert(st.tag === 'BlockedOnSend', 'cancelBadgedSends: queued thread is not BlockedOnSend');
    if (st.badge === badge) {
      setThreadState(s, t, { tag: 'Restart' });
      tcbSchedEnqueue(s, t);
    } else {
      keep.push(t);
    }
  }
  const after = getObject(s, ep, 'Endpoint');
  after.queue = keep;
  if (keep.length > 0) after.state = 'Send';
  rescheduleRequired(s);
}

function assertNever(x: never): never {
  throw new KernelBug(`unexpected value ${JSON.stringify(x)}`);
}
