// Mutants of the notification area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

const N_SPEC = 'spec/object/notification.ts';
const N_IMPL = 'impl/object/notification.ts';

export const NOTIFICATION_MUTANTS: readonly Mutant[] = [
  {
    name: 'both-signal-overwrites-word',
    class: 'both',
    area: 'notification',
    doc: 'A signal to an active notification replaces its word with the badge instead of ORing the badge in.',
    patches: [
      { file: N_SPEC, find: 'n.word = (n.word | badge) >>> 0;', replace: 'n.word = badge >>> 0;' },
      { file: N_IMPL, find: 'setNtfnMsgIdentifier(k, ntfn, ntfnMsgIdentifier(k, ntfn) | badge);', replace: 'setNtfnMsgIdentifier(k, ntfn, badge);' },
    ],
  },
  {
    name: 'both-signal-ignores-bound-receiver',
    class: 'both',
    area: 'notification',
    doc: 'A signal to an idle notification always makes it active, never waking its bound thread blocked in an endpoint Recv.',
    patches: [
      { file: N_SPEC, find: "if (bound !== null && getTCB(s, bound).state.tag === 'BlockedOnReceive') {", replace: "if (bound !== null && getTCB(s, bound).state.tag === 'BlockedOnReceive' && bound === null) {" },
      { file: N_IMPL, find: 'if (t !== 0 && getThreadStateType(k, t) === THREAD_STATE.BlockedOnReceive) {', replace: 'if (t !== 0 && getThreadStateType(k, t) === THREAD_STATE.BlockedOnReceive && t === 0) {' },
    ],
  },
  {
    name: 'both-poll-blocks',
    class: 'both',
    area: 'notification',
    doc: 'A Poll (NBRecv) on a notification with no signal pending blocks the thread like Wait instead of returning badge 0.',
    patches: [
      { file: N_SPEC, find: "case 'Waiting':\n      if (!isBlocking) {\n        doNBRecvFailedTransfer(s, thread);\n        return;\n      }\n", replace: "case 'Waiting':\n" },
      { file: N_IMPL, find: '  if (!isBlocking) {\n    doNBRecvFailedTransfer(k, thread);\n    return;\n  }\n  setThreadState(k, thread, THREAD_STATE.BlockedOnNotification, ntfn);', replace: '  setThreadState(k, thread, THREAD_STATE.BlockedOnNotification, ntfn);' },
    ],
  },
  {
    name: 'both-signal-wakes-newest',
    class: 'both',
    area: 'notification',
    doc: 'A signal to a notification with waiters wakes the thread that waited last instead of the first.',
    patches: [
      { file: N_SPEC, find: 'const dest = n.queue.shift();', replace: 'const dest = n.queue.pop();' },
      { file: N_IMPL, find: '  queueReset,\n', replace: '  queueReset,\n  queueTail,\n' },
      {
        file: N_IMPL,
        find: 'const dest = queueDequeueHead(k, ntfn, NTFN_QUEUE, NTFN_STATE.Idle);',
        replace: 'const dest = queueTail(k, ntfn, NTFN_QUEUE);\n      tcbEPDequeue(k, ntfn, NTFN_QUEUE, dest);\n      if (queueHead(k, ntfn, NTFN_QUEUE) === 0) setObjState(k, ntfn, NTFN_QUEUE, NTFN_STATE.Idle);',
      },
    ],
  },
  {
    name: 'spec-unbind-one-side',
    class: 'spec',
    area: 'notification',
    doc: 'The abstract unbind clears the notification\'s bound TCB but leaves the TCB pointing at the notification.',
    patches: [{ file: N_SPEC, find: 'getObject(s, ntfn, \'Notification\').boundTCB = null;\n  getTCB(s, tcb).boundNotification = null;', replace: 'getObject(s, ntfn, \'Notification\').boundTCB = null;' }],
  },
  {
    name: 'impl-signal-wake-not-scheduled',
    class: 'impl',
    area: 'notification',
    doc: 'A signal that wakes a waiter sets it running but never switches to it or puts it in a ready queue.',
    patches: [{ file: N_IMPL, find: 'deliverNotificationWord(k, dest, badge);\n      possibleSwitchTo(k, dest);', replace: 'deliverNotificationWord(k, dest, badge);' }],
  },
  {
    name: 'impl-complete-signal-stays-active',
    class: 'impl',
    area: 'notification',
    doc: 'A bound notification consumed at an endpoint Recv delivers its word but stays active.',
    patches: [{ file: N_IMPL, find: 'deliverNotificationWord(k, tcb, ntfnMsgIdentifier(k, ntfn));\n  ntfnSetIdle(k, ntfn);', replace: 'deliverNotificationWord(k, tcb, ntfnMsgIdentifier(k, ntfn));' }],
  },
];
