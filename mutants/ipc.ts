// Mutants of the ipc area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

const EP_SPEC = 'spec/object/endpoint.ts';
const EP_IMPL = 'impl/object/endpoint.ts';
const FASTPATH = 'impl/fastpath/fastpath.ts';
const TRANSFER_SPEC = 'spec/kernel/transfer.ts';
const TRANSFER_IMPL = 'impl/kernel/transfer.ts';

export const IPC_MUTANTS: readonly Mutant[] = [
  {
    name: 'ep-dequeue-tail',
    class: 'spec',
    area: 'ipc',
    doc: 'The abstract endpoint hands the newest waiter to a matching operation instead of the oldest (LIFO queue).',
    patches: [{ file: 'spec/object/endpoint.ts', find: 'const head = epo.queue.shift();', replace: 'const head = epo.queue.pop();' }],
  },
  {
    name: 'both-send-to-newest-receiver',
    class: 'both',
    area: 'ipc',
    doc: 'A send to an endpoint with receivers waiting goes to the receiver that queued last instead of the first one.',
    patches: [
      {
        file: EP_SPEC,
        find: 'const dest = dequeueHead(s, ep);\n      doIPCTransfer(s, thread, ep, badge, canGrant, dest);',
        replace: "const dest = epo.queue.pop() as PPtr;\n      if (epo.queue.length === 0) epo.state = 'Idle';\n      doIPCTransfer(s, thread, ep, badge, canGrant, dest);",
      },
      {
        file: EP_IMPL,
        find: 'const dest = dequeueHead(k, ep, EP_QUEUE, EP_STATE.Idle);\n  doIPCTransfer(k, thread, ep, badge, canGrant, dest);',
        replace: 'const dest = queueTail(k, ep, EP_QUEUE);\n  tcbEPDequeue(k, ep, EP_QUEUE, dest);\n  if (queueHead(k, ep, EP_QUEUE) === 0) setObjState(k, ep, EP_QUEUE, EP_STATE.Idle);\n  doIPCTransfer(k, thread, ep, badge, canGrant, dest);',
      },
      { file: FASTPATH, find: 'import { EP_QUEUE, epState, queueHead, setObjState,', replace: 'import { EP_QUEUE, epState, queueHead, queueTail, setObjState,' },
      { file: FASTPATH, find: 'const dest = queueHead(k, ep, EP_QUEUE);', replace: 'const dest = queueTail(k, ep, EP_QUEUE);' },
    ],
  },
  {
    name: 'both-call-needs-grant',
    class: 'both',
    area: 'ipc',
    doc: 'A Call to a waiting receiver makes a reply cap only when the invoked cap has Grant, ignoring GrantReply, so the caller is suspended.',
    patches: [
      { file: EP_SPEC, find: 'if (canGrant || canGrantReply) setupCallerCap(s, thread, dest, replyCanGrant);', replace: 'if (canGrant) setupCallerCap(s, thread, dest, replyCanGrant);' },
      { file: EP_IMPL, find: 'if (canGrant || canGrantReply) setupCallerCap(k, thread, dest, replyCanGrant);', replace: 'if (canGrant) setupCallerCap(k, thread, dest, replyCanGrant);' },
      { file: FASTPATH, find: 'if (!capCanGrant(epCap) && !capCanGrantReply(epCap)) return false;', replace: 'if (!capCanGrant(epCap)) return false;' },
    ],
  },
  {
    name: 'both-reply-grant-from-sender',
    class: 'both',
    area: 'ipc',
    doc: "A Call to a waiting receiver gives the reply cap the Grant right of the caller's cap instead of the receiver's.",
    patches: [
      { file: EP_SPEC, find: 'setupCallerCap(s, thread, dest, replyCanGrant);', replace: 'setupCallerCap(s, thread, dest, canGrant);' },
      { file: EP_IMPL, find: 'setupCallerCap(k, thread, dest, replyCanGrant);', replace: 'setupCallerCap(k, thread, dest, canGrant);' },
      { file: FASTPATH, find: 'makeReplyCap(cur, false, getBlockingIPCCanGrant(k, dest))', replace: 'makeReplyCap(cur, false, capCanGrant(epCap))' },
    ],
  },
  {
    name: 'both-unwrap-any-endpoint',
    class: 'both',
    area: 'ipc',
    doc: 'Cap transfer unwraps every endpoint cap (badge into caps_or_badges, no slot used), not only caps to the endpoint the message travels through.',
    patches: [
      { file: TRANSFER_SPEC, find: "if (cap.tag === 'EndpointCap' && ep !== null && cap.ptr === ep) {", replace: "if (cap.tag === 'EndpointCap' && ep !== null) {" },
      { file: TRANSFER_IMPL, find: 'if (capType(cap) === CAP_TAG.endpoint && ep !== 0 && capEPPtr(cap) === ep) {', replace: 'if (capType(cap) === CAP_TAG.endpoint && ep !== 0) {' },
    ],
  },
  {
    name: 'both-transfer-ignores-grant',
    class: 'both',
    area: 'ipc',
    doc: 'The message transfer looks up and transfers the extra caps whether or not the sender holds Grant.',
    patches: [
      { file: TRANSFER_SPEC, find: 'let caps: ExtraCap[] = [];\n  if (grant) {', replace: 'let caps: ExtraCap[] = [];\n  if (grant || tag.extraCaps > 0) {' },
      { file: TRANSFER_IMPL, find: 'let caps = NO_CAPS;\n  if (grant) {', replace: 'let caps = NO_CAPS;\n  if (grant || miExtraCaps(tag) > 0) {' },
    ],
  },
  {
    name: 'both-nbsend-blocks',
    class: 'both',
    area: 'ipc',
    doc: 'NBSend to an endpoint with no receiver waiting queues the sender like Send instead of dropping the message.',
    patches: [
      { file: EP_SPEC, find: "case 'Send':\n      if (!blocking) return;\n", replace: "case 'Send':\n" },
      { file: EP_IMPL, find: 'if (st !== EP_STATE.Recv) {\n    if (!blocking) return;\n', replace: 'if (st !== EP_STATE.Recv) {\n' },
    ],
  },
  {
    name: 'both-nbrecv-blocks',
    class: 'both',
    area: 'ipc',
    doc: 'NBRecv on an endpoint with no sender waiting blocks the thread like Recv instead of returning at once.',
    patches: [
      { file: EP_SPEC, find: "case 'Recv':\n      if (!isBlocking) {\n        doNBRecvFailedTransfer(s, thread);\n        return;\n      }\n", replace: "case 'Recv':\n" },
      { file: EP_IMPL, find: 'if (epState(k, ep) !== EP_STATE.Send) {\n    if (!isBlocking) {\n      doNBRecvFailedTransfer(k, thread);\n      return;\n    }\n', replace: 'if (epState(k, ep) !== EP_STATE.Send) {\n' },
    ],
  },
  {
    name: 'both-message-length-uncut',
    class: 'both',
    area: 'ipc',
    doc: 'The delivered message info keeps the length the sender asked for instead of the number of words copied (cut to four when either thread has no IPC buffer).',
    patches: [
      { file: TRANSFER_SPEC, find: 'deliverMessage(s, receiver, recvBuf, badge, { ...info, length: transferred });', replace: 'deliverMessage(s, receiver, recvBuf, badge, { ...info, length: Math.max(transferred, tag.length) });' },
      { file: TRANSFER_IMPL, find: 'deliverMessage(k, receiver, recvBuf, badge, miSet(MI_LENGTH, info, transferred));', replace: 'deliverMessage(k, receiver, recvBuf, badge, miSet(MI_LENGTH, info, Math.max(transferred, miLength(tag))));' },
    ],
  },
  {
    name: 'spec-reply-always-grants',
    class: 'spec',
    area: 'ipc',
    doc: "The abstract reply transfers the replier's extra caps whatever the reply cap's Grant right.",
    patches: [{ file: TRANSFER_SPEC, find: 'doIPCTransfer(s, sender, null, 0, grant, receiver);', replace: 'doIPCTransfer(s, sender, null, 0, true, receiver);' }],
  },
  {
    name: 'spec-recv-block-grants',
    class: 'spec',
    area: 'ipc',
    doc: 'The abstract Recv that blocks records the Grant right for the receiver whatever the rights of its endpoint cap.',
    patches: [{ file: EP_SPEC, find: "setThreadState(s, thread, { tag: 'BlockedOnReceive', ep, canGrant: cap.rights.grant });", replace: "setThreadState(s, thread, { tag: 'BlockedOnReceive', ep, canGrant: true });" }],
  },
  {
    name: 'impl-fastpath-call-badge-zero',
    class: 'impl',
    area: 'ipc',
    doc: 'The Call fastpath delivers badge 0 instead of the badge of the invoked endpoint cap.',
    patches: [{ file: FASTPATH, find: 'deliverFp(k, dest, badge, info, length);', replace: 'deliverFp(k, dest, 0, info, length);' }],
  },
  {
    name: 'impl-fastpath-copy-short',
    class: 'impl',
    area: 'ipc',
    doc: 'The fastpath copies one message register fewer than the message length (off by one).',
    patches: [{ file: FASTPATH, find: 'for (let i = 0; i < length; i++) {\n    const r = MSG_REGISTERS[i]!;', replace: 'for (let i = 0; i < length - 1; i++) {\n    const r = MSG_REGISTERS[i]!;' }],
  },
  {
    name: 'impl-fastpath-replyrecv-no-grant',
    class: 'impl',
    area: 'ipc',
    doc: "The ReplyRecv fastpath blocks the thread in Recv without remembering its cap's Grant right (later reply caps lack Grant).",
    patches: [{ file: FASTPATH, find: 'threadStateWord1(0, capCanGrant(epCap), false, false),', replace: 'threadStateWord1(0, false, false, false),' }],
  },
  {
    name: 'impl-recv-reply-grant-from-sender',
    class: 'impl',
    area: 'ipc',
    doc: "A Recv that takes a caller's message gives the reply cap the caller's Grant instead of the receiver's cap's.",
    patches: [{ file: EP_IMPL, find: 'setupCallerCap(k, sender, thread, capCanGrant(cap));', replace: 'setupCallerCap(k, sender, thread, canGrant);' }],
  },
  {
    name: 'impl-transfer-caps-skips-failed',
    class: 'impl',
    area: 'ipc',
    doc: 'Cap transfer goes on past an extra cap that cannot be derived instead of stopping there.',
    patches: [{ file: TRANSFER_IMPL, find: 'if (!derived.ok || capType(derived.value) === CAP_TAG.null) break;', replace: 'if (!derived.ok || capType(derived.value) === CAP_TAG.null) continue;' }],
  },
];
