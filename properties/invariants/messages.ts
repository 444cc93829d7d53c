// No lost messages (DESIGN §4): a ledger kept by the checker, not by the kernel. Every message a
// trace sends carries a nonce in MR0 (0xC0DE0000 | n, the convention generators.ts follows); the
// ledger records each one when its Send/NBSend/Call/Reply/ReplyRecv is issued and proves that at
// every step it is pending with its sender, delivered exactly once and intact as seL4 delivers it,
// or dropped for a reason seL4 defines. Besides: endpoint queues are FIFO, and the word a
// notification delivers is exactly the OR of the badges signalled since its last delivery.

import type { KernelState } from '../../spec';
import type { PPtr } from '../../spec/api/types';
import { messageInfoFromWordKernel, N_MSG_REGISTERS } from '../../abi/messageinfo';
import { IPC_BUFFER, msgOffset } from '../../abi/ipcbuffer';
import { MSG_INFO_REGISTER, MSG_REGISTERS } from '../../abi/registers';
import { lookupCap, lookupSlot } from '../../spec/kernel/cspace';
import { lookupIPCBuffer } from '../../spec/kernel/vspace';
import { loadFrameWord } from '../../spec/model/memory';
import { irqNodeSlot } from '../../spec/object/interrupt';
import { faultLabel } from '../../spec/kernel/faulthandler';
import type { Delivered } from '../../spec/object/structures';
import type { Invariant, Monitor, StepContext, Violation } from './types';
import { hex, stepChanges, tcbAt, threadName } from './changes';

/**
 * Whether the kernel delivered something new to a thread in this step: its delivered record is
 * another record with other contents (a record can be rebuilt with equal contents by a step that
 * merely touched it; `samePending` lets an equal record count when a message is owed to it).
 */
function newDelivery(a: Delivered | undefined, b: Delivered | undefined): boolean {
  if (a === b || a === undefined) return false;
  if (b === undefined) return true;
  if (a.badge !== b.badge || a.error !== b.error || (a.info === undefined) !== (b.info === undefined)) return true;
  if (a.info !== undefined && b.info !== undefined && (a.info.label !== b.info.label || a.info.length !== b.info.length || a.info.extraCaps !== b.info.extraCaps || a.info.capsUnwrapped !== b.info.capsUnwrapped)) return true;
  const ma = a.mrs ?? [];
  const mb = b.mrs ?? [];
  return ma.length !== mb.length || ma.some((w, i) => w !== mb[i]);
}

/** The nonce convention: MR0 = 0xC0DE0000 | n. */
export const NONCE_TAG = 0xc0de0000;
const isNonce = (w: number | undefined): w is number => w !== undefined && (w & 0xffff0000) >>> 0 === NONCE_TAG;

const SYS = { Call: -1, ReplyRecv: -2, Send: -3, NBSend: -4, Recv: -5, Reply: -6, Yield: -7, NBRecv: -8 } as const;
const syscallOf = (ctx: StepContext): number | null => (ctx.event.tag === 'syscall' && !ctx.observation.skipped ? ctx.event.number | 0 : null);
const CALLER_SLOT = 3 * 16;

type Status = 'pending' | 'delivered' | 'dropped';

interface Entry {
  nonce: number;
  sender: PPtr;
  kind: 'Send' | 'NBSend' | 'Call' | 'Reply';
  /** The endpoint (sends) or null (replies). */
  ep: PPtr | null;
  /** The reply's target thread. */
  to: PPtr | null;
  badge: number;
  label: number;
  /** Message words as the sender's registers and buffer hold them (placeholders past four while it has no buffer). */
  words: number[];
  extraCaps: number;
  status: Status;
  reason?: string;
  step: number;
}

/**
 * The message words of a syscall event as the kernel will read them from the sender, all `length`
 * of them: the words past the registers come from the sender's IPC buffer when the message is
 * taken (checkIntact reads them again then), so a sender without a buffer now gets placeholders:
 * it may be given one (TCB_SetIPCBuffer) while it waits.
 */
function sentWords(s: KernelState, t: PPtr, mrs: number[], length: number): number[] {
  const buf = lookupIPCBuffer(s, false, t);
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    if (i < N_MSG_REGISTERS || (buf !== null && i < mrs.length)) out.push((mrs[i] ?? 0) >>> 0);
    else out.push(buf === null ? 0 : loadFrameWord(s, buf.frame, buf.offset + 4 * (IPC_BUFFER.msg + i)));
  }
  return out;
}

/**
 * Whether the extra caps of the current thread's syscall resolve (seL4 lookupExtraCaps, done
 * before any invocation or send: a failure is a cap fault, and nothing is sent or signalled).
 */
function extraCapsResolve(ctx: StepContext): boolean {
  const ev = ctx.event;
  if (ev.tag !== 'syscall') return true;
  const { before } = ctx;
  const cur = before.curThread;
  const buf = lookupIPCBuffer(before, false, cur);
  if (buf === null) return true;
  const n = messageInfoFromWordKernel(ev.info).extraCaps;
  for (let i = 0; i < n; i++) {
    const cptr = ev.extraCaps?.[i] ?? loadFrameWord(before, buf.frame, buf.offset + 4 * (IPC_BUFFER.capsOrBadges + i));
    if (!lookupSlot(before, cur, cptr).ok) return false;
  }
  return true;
}

/**
 * seL4's doIPCTransfer sends a fault message in place of the message when the sender still has a
 * fault recorded (one never replied to, e.g. of a thread resumed after it faulted with no handler).
 */
const STALE_FAULT = 'the sender still has a fault recorded (seL4 transfers a fault message instead)';

/** A new ledger entry for a message the current thread issues in this step (null: not a tracked message). */
function issue(ctx: StepContext): Entry | null {
  const n = syscallOf(ctx);
  if (n === null || ctx.event.tag !== 'syscall') return null;
  const ev = ctx.event;
  if (!isNonce(ev.mrs[0])) return null;
  const { before } = ctx;
  const cur = before.curThread;
  const info = messageInfoFromWordKernel(ev.info);
  const base = { nonce: ev.mrs[0] >>> 0, sender: cur, label: info.label, extraCaps: info.extraCaps, status: 'pending' as Status, step: ctx.step, words: sentWords(before, cur, ev.mrs, info.length) };
  const dropped = (reason: string, kind: Entry['kind']): Entry => ({ ...base, kind, ep: null, to: null, badge: 0, status: 'dropped', reason });
  /** A reply to the thread a reply cap names (seL4 doReplyTransfer: badge 0). */
  const reply = (to: PPtr): Entry => {
    if (tcbAt(before, to)?.fault) return dropped('fault reply (the reply restarts or stops the faulted thread)', 'Reply');
    if (tcbAt(before, cur)?.fault) return dropped(STALE_FAULT, 'Reply');
    return { ...base, kind: 'Reply', ep: null, to, badge: 0 };
  };
  if (n === SYS.Reply || n === SYS.ReplyRecv) {
    const caller = before.ctes[cur + CALLER_SLOT]?.cap;
    if (caller?.tag !== 'ReplyCap') return dropped('no reply cap (Reply does nothing)', 'Reply');
    return reply(caller.tcb);
  }
  if (n !== SYS.Send && n !== SYS.NBSend && n !== SYS.Call) return null;
  const kind = n === SYS.Send ? 'Send' : n === SYS.NBSend ? 'NBSend' : 'Call';
  const r = lookupCap(before, cur, ev.cap);
  if (!r.ok) return dropped('cap lookup failed (a cap fault)', kind);
  const cap = r.value.cap;
  if (!extraCapsResolve(ctx)) return dropped('an extra cap does not resolve (a cap fault)', kind);
  if (cap.tag === 'NotificationCap') return dropped('a signal (notification-or tracks it)', kind);
  // Invoking a reply cap (one saved by CNode_SaveCaller) replies (seL4 performInvocation_Reply); its master is an error.
  if (cap.tag === 'ReplyCap') return cap.master ? dropped('a master reply cap cannot be invoked (an error)', kind) : reply(cap.tcb);
  if (cap.tag !== 'EndpointCap') return dropped('not an endpoint (an invocation, or an error)', kind);
  if (!cap.rights.write) return dropped('the endpoint cap has no Write right (an error or a fault)', kind);
  if (kind === 'NBSend' && before.objects[cap.ptr]?.tag === 'Endpoint') {
    const ep = before.objects[cap.ptr];
    if (ep.tag === 'Endpoint' && ep.state !== 'Recv') return dropped('NBSend with no receiver', kind);
  }
  if (tcbAt(before, cur)?.fault) return dropped(STALE_FAULT, kind);
  return { ...base, kind, ep: cap.ptr, to: null, badge: cap.badge };
}

/**
 * Whether thread p took message e in this step although its delivered record looks unchanged (the
 * kernel skips storing an equal record): p was waiting for it (or is the current thread receiving
 * on e's endpoint), is now running, and e's sender let go of it without a restart.
 */
function receivedNow(ctx: StepContext, p: PPtr, e: Entry): boolean {
  const { before, after } = ctx;
  const st = tcbAt(before, p)?.state;
  if (tcbAt(after, p)?.state.tag !== 'Running') return false;
  if (e.kind === 'Reply') return p === e.to && st?.tag === 'BlockedOnReply';
  const waiting = st?.tag === 'BlockedOnReceive' && st.ep === e.ep;
  const receiving = p === before.curThread && e.ep !== null && receivedFrom(ctx, e.ep, false);
  if (!waiting && !receiving) return false;
  const snd = tcbAt(after, e.sender)?.state.tag;
  return !stillPending(after, e) && snd !== undefined && snd !== 'Restart';
}

/** Whether the sender still holds the message in a send queue (it is pending). */
function stillPending(s: KernelState, e: Entry): boolean {
  const t = tcbAt(s, e.sender);
  if (t === undefined || t.state.tag !== 'BlockedOnSend' || t.state.ep !== e.ep) return false;
  return (t.registers[MSG_REGISTERS[0]] ?? 0) >>> 0 === e.nonce;
}

/** Why a message that left its sender without being delivered was dropped, if seL4 defines it. */
function dropReason(ctx: StepContext, e: Entry): string | null {
  const s = ctx.after;
  const t = tcbAt(s, e.sender);
  if (t === undefined) return 'the sender was deleted';
  // A restarted sender chosen to run in the same step is Running already (activateThread); a
  // receive on its endpoint in this step would have delivered the message instead.
  const restarted = t.state.tag === 'Restart' || (t.state.tag === 'Running' && e.ep !== null && !receivedFrom(ctx, e.ep, false));
  if (restarted) return 'the send was cancelled (object deleted, badged sends cancelled, or resumed): the sender restarts it';
  if (t.state.tag === 'Inactive') return 'the sender was suspended';
  if (t.state.tag === 'BlockedOnSend' && t.state.ep === e.ep) return 'the sender\'s registers were overwritten (WriteRegisters/CopyRegisters)';
  return null;
}

/**
 * The delivery check: what seL4 delivers of a message to receiver r (words that fit, badge, label).
 * Words beyond the message registers are read from the sender's IPC buffer when the transfer
 * happens, so a message that waited in a send queue carries what the buffer holds then (another
 * thread sharing the buffer frame may have written it meanwhile, even in the trap of this very step,
 * as in seL4; the transfer does not change the sender's buffer, so the state after the step has it).
 */
function checkIntact(before: KernelState, after: KernelState, e: Entry, r: PPtr, step: number): unknown | null {
  const d = tcbAt(after, r)!.delivered;
  const recvBuf = lookupIPCBuffer(before, true, r);
  const sendBuf = lookupIPCBuffer(before, false, e.sender);
  const fits = recvBuf !== null && sendBuf !== null ? e.words.length : Math.min(e.words.length, N_MSG_REGISTERS);
  const want = e.words.slice(0, fits).map((w, i) =>
    i < N_MSG_REGISTERS || e.step === step || sendBuf === null ? w : loadFrameWord(after, sendBuf.frame, sendBuf.offset + msgOffset(i)),
  );
  const got = d.mrs ?? [];
  const bad = (what: string, expected: unknown, observed: unknown) => ({ nonce: hex(e.nonce), receiver: threadName(after, r), sender: threadName(after, e.sender), what, expected, observed });
  if (e.kind === 'Reply' && r !== e.to) return bad('receiver', threadName(after, e.to!), threadName(after, r));
  if ((d.badge ?? 0) !== e.badge >>> 0) return bad('badge', e.badge, d.badge);
  if (d.info?.label !== e.label) return bad('label', e.label, d.info?.label);
  if (got.length !== want.length || got.some((w, i) => w >>> 0 !== want[i])) return bad('words', want, got);
  if ((d.info?.extraCaps ?? 0) + 0 > e.extraCaps) return bad('caps', `at most ${e.extraCaps}`, d.info?.extraCaps);
  return null;
}

/** Whether a thread sent in this step: it made the call, or it was a blocked sender and is no longer one. */
function sentNow(before: KernelState, after: KernelState, t: PPtr): boolean {
  return t === before.curThread || (tcbAt(before, t)?.state.tag === 'BlockedOnSend' && tcbAt(after, t)?.state.tag !== 'BlockedOnSend');
}

export const noLostMessages: Invariant = {
  name: 'no-lost-messages',
  doc: 'every message with a nonce is at every step pending with its sender, delivered exactly once and intact (badge, label, the words that fit, no more caps than sent), or dropped for a reason seL4 defines',
  monitor(): Monitor {
    const ledger = new Map<number, Entry>();
    const pending = new Set<number>();
    const name = 'no-lost-messages';
    const v = (evidence: unknown): Violation => ({ invariant: name, evidence });
    return {
      step(ctx) {
        const { before, after } = ctx;
        const issued = issue(ctx);
        if (issued !== null) {
          ledger.set(issued.nonce, issued);
          if (issued.status === 'pending') pending.add(issued.nonce);
          else pending.delete(issued.nonce);
        }
        // Deliveries: threads whose delivered record changed to a message with a nonce.
        const c = stepChanges(before, after);
        // Fault messages delivered in this step (their MR0 is the faulting pc, which may look like a nonce).
        const faultLabels = new Set<number>();
        for (const p of c.objects) {
          const tb = tcbAt(before, p);
          const ta = tcbAt(after, p);
          if (ta === undefined) continue;
          if (tb?.fault && tb.state.tag === 'BlockedOnSend' && ta.state.tag !== 'BlockedOnSend') faultLabels.add(faultLabel(tb.fault));
          if (p === before.curThread && ta.fault && ta.state.tag !== 'BlockedOnSend') faultLabels.add(faultLabel(ta.fault));
          // The invoker had a fault recorded: whatever it sends is that fault's message (seL4 doIPCTransfer),
          // even when it faults again afterwards (the Recv half of a ReplyRecv).
          if (p === before.curThread && tb?.fault) faultLabels.add(faultLabel(tb.fault));
        }
        // The receiving thread too: a re-issued message received by the thread that received it
        // before rebuilds an equal record, so its TCB may come out unchanged.
        const receivers = c.objects.includes(before.curThread) ? c.objects : [...c.objects, before.curThread];
        for (const p of receivers) {
          const ta = tcbAt(after, p);
          const tb = tcbAt(before, p);
          // A kernel reply (TCB_ReadRegisters) carries register values, which a fault reply or
          // WriteRegisters may have set to a nonce: not a message.
          if (ta === undefined || ta.delivered.info === undefined || ta.delivered.error !== undefined) continue;
          const w = ta.delivered.mrs?.[0];
          if (!isNonce(w)) continue;
          const e = ledger.get(w >>> 0);
          if (e === undefined) continue; // not sent by the trace's convention (e.g. a fault message word)
          const label = ta.delivered.info.label;
          // A fault message: its label is a fault's, and the nonce's sender did not send in this step
          // (it is neither the invoker nor a blocked sender whose message was taken).
          if (faultLabels.has(label) && (e.status !== 'pending' || e.label !== label || !sentNow(before, after, e.sender))) continue;
          // The kernel may rebuild an equal record, or skip storing one: an unchanged-looking record
          // counts only when this message is owed and the thread was waiting for one.
          if (!newDelivery(ta.delivered, tb?.delivered) && !(e.status === 'pending' && receivedNow(ctx, p, e))) continue;
          // A copy: a blocked sender whose registers hold this nonce again (CopyRegisters or
          // WriteRegisters gave it, or a later call with no words left it in MR0: seL4 sends what
          // the registers hold), taken in this step — another thread while the original is still
          // owed, any thread (the original sender too) once it is not.
          if (c.objects.some((q) => {
            if (e.status === 'pending' && q === e.sender) return false;
            const qb = tcbAt(before, q);
            return qb?.state.tag === 'BlockedOnSend' && (qb.registers[MSG_REGISTERS[0]] ?? 0) >>> 0 === e.nonce && tcbAt(after, q)?.state.tag !== 'BlockedOnSend';
          })) continue;
          if (e.status === 'delivered') return v({ nonce: hex(e.nonce), receiver: threadName(after, p), problem: 'delivered twice' });
          if (e.status === 'dropped') return v({ nonce: hex(e.nonce), receiver: threadName(after, p), problem: `delivered after being dropped (${e.reason})` });
          const bad = checkIntact(before, after, e, p, ctx.step);
          if (bad !== null) return v(bad);
          e.status = 'delivered';
          pending.delete(e.nonce);
        }
        // Every other pending message must still be with its sender, or dropped for a reason.
        for (const nonce of pending) {
          const e = ledger.get(nonce)!;
          if (e.kind !== 'Reply' && stillPending(after, e)) {
            // Another thread rewrote the blocked sender's registers (TCB_WriteRegisters/CopyRegisters):
            // the kernel sends what they hold when the message is taken.
            const tb = tcbAt(before, e.sender);
            const ta = tcbAt(after, e.sender)!;
            if (tb !== undefined && tb.registers !== ta.registers && e.sender !== before.curThread) {
              const info = messageInfoFromWordKernel(ta.registers[MSG_INFO_REGISTER] ?? 0);
              // The message no longer carries its nonce (none, or another message's copied in): it is gone.
              if (info.length === 0 || (ta.registers[MSG_REGISTERS[0]] ?? 0) >>> 0 !== e.nonce) {
                e.status = 'dropped';
                e.reason = 'the sender\'s registers were overwritten (WriteRegisters/CopyRegisters)';
                pending.delete(nonce);
                continue;
              }
              e.label = info.label;
              e.extraCaps = info.extraCaps;
              e.words = sentWords(after, e.sender, MSG_REGISTERS.map((r) => ta.registers[r] ?? 0), info.length);
            }
            continue;
          }
          const reason = e.kind === 'Reply' ? null : dropReason(ctx, e);
          if (reason === null) return v({ nonce: hex(e.nonce), sender: threadName(after, e.sender), kind: e.kind, issuedAt: e.step, senderState: tcbAt(after, e.sender)?.state.tag ?? 'deleted', problem: 'message lost: neither pending, delivered nor dropped for a reason seL4 defines' });
          e.status = 'dropped';
          e.reason = reason;
          pending.delete(nonce);
        }
        return null;
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// endpoint-fifo

/** Whether the current thread received a message from endpoint p in this step (it took the head of a Send queue). */
function receivedFrom(ctx: StepContext, p: PPtr, mustDeliver = true): boolean {
  const n = syscallOf(ctx);
  if (n !== SYS.Recv && n !== SYS.NBRecv && n !== SYS.ReplyRecv) return false;
  const { before, after } = ctx;
  const cur = before.curThread;
  const r = lookupCap(before, cur, (ctx.event as { cap: number }).cap);
  if (!r.ok || r.value.cap.tag !== 'EndpointCap' || r.value.cap.ptr !== p) return false;
  if (!mustDeliver) return true;
  const ta = tcbAt(after, cur);
  return ta !== undefined && newDelivery(ta.delivered, tcbAt(before, cur)?.delivered) && ta.delivered.info !== undefined;
}

function fifoProblem(ctx: StepContext, p: PPtr): unknown | null {
  const { before, after } = ctx;
  const b = before.objects[p];
  const a = after.objects[p];
  if (b?.tag !== 'Endpoint' || a?.tag !== 'Endpoint' || b.state === 'Idle') return null;
  const qb = b.queue;
  const qa = a.queue;
  const inA = new Set(qa);
  const names = (s: KernelState, q: PPtr[]) => q.map((t) => threadName(s, t));
  if (b.state === 'Recv') {
    // Receivers served (they got a message, not a cancellation or a notification) are the head.
    const served = qb.filter((t) => !inA.has(t)).filter((t) => {
      const ta = tcbAt(after, t);
      return ta !== undefined && newDelivery(ta.delivered, tcbAt(before, t)?.delivered) && ta.delivered.info !== undefined;
    });
    for (let i = 0; i < served.length; i++) {
      if (qb[i] !== served[i]) return { endpoint: hex(p), queue: names(before, qb), served: threadName(after, served[i]), expected: threadName(before, qb[i]), problem: 'a receiver behind the head of the queue was served first' };
    }
  } else if (receivedFrom(ctx, p) && inA.has(qb[0])) {
    return { endpoint: hex(p), queue: names(before, qb), receiver: threadName(after, before.curThread), problem: 'a receive on a Send queue did not take the head' };
  }
  const kept = qb.filter((t) => inA.has(t));
  for (let i = 0; i < kept.length; i++) {
    if (qa[i] !== kept[i]) return { endpoint: hex(p), before: names(before, qb), after: names(after, qa), problem: 'the queue was reordered, or a thread was added ahead of one that waited' };
  }
  return null;
}

export const endpointFifo: Invariant = {
  name: 'endpoint-fifo',
  doc: 'endpoint queues are FIFO: threads served from a queue are the ones at its head, waiting threads keep their order, and newcomers join at the tail (seL4 tcbEPAppend, sendIPC/receiveIPC take the head)',
  monitor: () => ({
    step(ctx) {
      const { before, after } = ctx;
      for (const p of stepChanges(before, after).objects) {
        const e = fifoProblem(ctx, p);
        if (e !== null) return { invariant: 'endpoint-fifo', evidence: e };
      }
      return null;
    },
  }),
};

// ---------------------------------------------------------------------------------------------
// notification-or

/** The signals of a step, in the order the kernel performs them: the syscall's, then the IRQs', lowest line first. */
function signals(ctx: StepContext): { ntfn: PPtr; badge: number; source: string }[] {
  const { before, after, event } = ctx;
  const out: { ntfn: PPtr; badge: number; source: string }[] = [];
  const n = syscallOf(ctx);
  if (n === SYS.Send || n === SYS.NBSend || n === SYS.Call) {
    const r = lookupCap(before, before.curThread, (event as { cap: number }).cap);
    if (r.ok && r.value.cap.tag === 'NotificationCap' && r.value.cap.rights.write && extraCapsResolve(ctx)) out.push({ ntfn: r.value.cap.ptr, badge: r.value.cap.badge >>> 0, source: threadName(before, before.curThread) });
  }
  if (before.irqPending !== after.irqPending || event.tag === 'irq') {
    for (let l = 0; l < after.irqPending.length; l++) {
      const raised = before.irqPending[l] || (event.tag === 'irq' && event.line === l);
      if (!raised || after.irqPending[l] || after.irqStates[l] !== 'Signal') continue;
      const cap = after.ctes[irqNodeSlot(l)]?.cap;
      if (cap?.tag === 'NotificationCap' && cap.rights.write) out.push({ ntfn: cap.ptr, badge: cap.badge >>> 0, source: `irq ${l}` });
    }
  }
  return out;
}

/**
 * The notification the current thread's syscall waited on or polled (Recv/NBRecv on a
 * notification cap), or the bound notification an endpoint Recv found active.
 */
function waitedOn(ctx: StepContext): { ntfn: PPtr; poll: boolean } | null {
  const n = syscallOf(ctx);
  if (n !== SYS.Recv && n !== SYS.NBRecv && n !== SYS.ReplyRecv) return null;
  const { before } = ctx;
  const cur = before.curThread;
  const r = lookupCap(before, cur, (ctx.event as { cap: number }).cap);
  if (!r.ok) return null;
  const cap = r.value.cap;
  if (cap.tag === 'NotificationCap' && cap.rights.read) {
    // A notification bound to another thread cannot be waited on (a cap fault).
    const o = before.objects[cap.ptr];
    if (o?.tag !== 'Notification' || (o.boundTCB !== null && o.boundTCB !== cur)) return null;
    return { ntfn: cap.ptr, poll: n === SYS.NBRecv };
  }
  if (cap.tag === 'EndpointCap' && cap.rights.read) {
    const bound = tcbAt(before, cur)?.boundNotification ?? null;
    const o = bound === null ? undefined : before.objects[bound];
    if (o?.tag === 'Notification' && o.state === 'Active') return { ntfn: bound!, poll: false };
  }
  return null;
}

export const notificationOr: Invariant = {
  name: 'notification-or',
  doc: 'the word a notification delivers is exactly the OR of the badges signalled to it since its last delivery, and a notification is Active exactly when such a word is owed',
  monitor(): Monitor {
    const acc = new Map<PPtr, number>();
    const name = 'notification-or';
    const v = (evidence: unknown): Violation => ({ invariant: name, evidence });
    const accOf = (p: PPtr) => acc.get(p) ?? 0;
    const init = (s: KernelState) => {
      acc.clear();
      for (const k in s.objects) {
        const o = s.objects[k as unknown as PPtr];
        if (o.tag === 'Notification' && o.state === 'Active') acc.set(Number(k), o.word >>> 0);
      }
    };
    let booted = false;
    return {
      boot(s) {
        init(s);
        booted = true;
        return null;
      },
      step(ctx) {
        const { before, after } = ctx;
        if (!booted) {
          init(before);
          booted = true;
        }
        const c = stepChanges(before, after);
        const touched = new Set<PPtr>();
        const sigs = signals(ctx);
        const cur = before.curThread;
        // Deliveries of a notification word: badge-only records that changed in this step.
        const woken: { t: PPtr; ntfn: PPtr; word: number }[] = [];
        let curDelivery: number | null = null;
        for (const p of c.objects) {
          const ta = tcbAt(after, p);
          const tb = tcbAt(before, p);
          if (ta === undefined || tb === undefined || ta.delivered.info !== undefined) continue;
          const word = (ta.delivered.badge ?? 0) >>> 0;
          const st = tb.state;
          // A waiter that a signal of this step woke (not one restarted by a cancellation). The
          // kernel may skip storing a record equal to the old one: the state says it was woken.
          const from = st.tag === 'BlockedOnNotification' ? st.ntfn : st.tag === 'BlockedOnReceive' ? tb.boundNotification : null;
          if (from !== null && p !== cur) {
            if (ta.state.tag === 'Running' && (sigs.some((x) => x.ntfn === from) || newDelivery(ta.delivered, tb.delivered))) woken.push({ t: p, ntfn: from, word });
          } else if (p === cur && ta.delivered !== tb.delivered) curDelivery = word;
        }
        // The current thread's own syscall: a signal first, or a wait/poll.
        const w = waitedOn(ctx);
        let queue = sigs;
        if (sigs.length > 0 && syscallOf(ctx) !== null && !sigs[0].source.startsWith('irq')) {
          const s0 = sigs[0];
          queue = sigs.slice(1);
          touched.add(s0.ntfn);
          const i = woken.findIndex((x) => x.ntfn === s0.ntfn && x.word === s0.badge);
          if (i >= 0) woken.splice(i, 1);
          else acc.set(s0.ntfn, accOf(s0.ntfn) | s0.badge);
        }
        if (w !== null) {
          // The word the wait or poll returned, even if the kernel skipped storing an equal record.
          const d = tcbAt(after, cur)?.delivered;
          curDelivery = d !== undefined && d.info === undefined ? (d.badge ?? 0) >>> 0 : null;
          touched.add(w.ntfn);
          const owed = accOf(w.ntfn);
          const o = before.objects[w.ntfn];
          const active = o?.tag === 'Notification' && o.state === 'Active';
          if (active) {
            if (curDelivery !== owed) return v({ notification: hex(w.ntfn), thread: threadName(after, cur), delivered: curDelivery, expected: owed, problem: 'the word delivered is not the OR of the badges signalled since the last delivery' });
            acc.set(w.ntfn, 0);
          } else if (w.poll && curDelivery !== null && curDelivery !== 0) {
            return v({ notification: hex(w.ntfn), thread: threadName(after, cur), delivered: curDelivery, expected: 0, problem: 'a poll of an inactive notification delivered a word' });
          }
        }
        // IRQ signals: each wakes a waiter (then that waiter's word is its badge) or accumulates.
        for (const sg of queue) {
          touched.add(sg.ntfn);
          const i = woken.findIndex((x) => x.ntfn === sg.ntfn && x.word === sg.badge && accOf(sg.ntfn) === 0);
          if (i >= 0) woken.splice(i, 1);
          else acc.set(sg.ntfn, accOf(sg.ntfn) | sg.badge);
        }
        // A wake-up with no signal of that badge, or one that skipped an owed word.
        if (woken.length > 0) {
          const x = woken[0];
          return v({ notification: hex(x.ntfn), thread: threadName(after, x.t), delivered: x.word, signals: sigs.map((s) => ({ ntfn: hex(s.ntfn), badge: s.badge, source: s.source })), problem: 'a waiter was woken with a word no signal of this step sent' });
        }
        for (const p of c.objects) if (before.objects[p]?.tag === 'Notification' || after.objects[p]?.tag === 'Notification') touched.add(p);
        for (const p of touched) {
          const o = after.objects[p];
          if (o?.tag !== 'Notification') {
            acc.delete(p); // deleted: nothing is owed any more
            continue;
          }
          const owed = accOf(p);
          if (o.state === 'Active' ? o.word >>> 0 !== owed : owed !== 0) {
            // Cancelled or reset words are not deliveries; a notification made anew starts empty.
            if (before.objects[p]?.tag !== 'Notification' && o.state !== 'Active') {
              acc.delete(p);
              continue;
            }
            return v({ notification: hex(p), state: o.state, word: o.word, owed, problem: o.state === 'Active' ? 'the pending word is not the OR of the badges signalled since the last delivery' : 'badges were signalled and not delivered, yet the notification is not Active' });
          }
        }
        return null;
      },
    };
  },
};

export const MESSAGE_INVARIANTS: Invariant[] = [noLostMessages, endpointFifo, notificationOr];
