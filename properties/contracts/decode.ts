// The contracts' dispatcher: what a step was, decoded as the manual describes the ABI (§3.2
// "System Calls", §4.1 "Message Registers", §2.3 "CSpace Addressing"), once per step and shared
// by every row. A syscall event names the syscall by number; its cap register names a cap in the
// current thread's CSpace (our own resolver, cspace.ts); a cap to a kernel object makes the
// syscall an invocation whose message label selects the method (abi/invocations.ts) and whose
// words and extra caps carry the arguments at libsel4's positions. The outcome is read off what
// the invoker was delivered: a Call's reply carries the error (or NoError); Send gives nothing.

import type { KernelEvent } from '../../abi/events';
import { IPC_BUFFER, msgOffset } from '../../abi/ipcbuffer';
import { ARG_POSITIONS, type CapInterface, METHODS, type MethodName, methodOfLabel } from '../../abi/invocations';
import { type MessageInfo, messageInfoFromWordKernel, N_MSG_REGISTERS } from '../../abi/messageinfo';
import { SIZE_BITS } from '../../abi/objecttype';
import { type SyscallName, syscallOfWord } from '../../abi/syscalls';
import type { ErrorName } from '../../abi/errors';
import type { KernelState } from '../../spec';
import type { Cap, PPtr } from '../../spec/api/types';
import type { TCB } from '../../spec/object/structures';
import { TCB_SLOT } from '../../spec/object/structures';
import { type StepChanges, stepChanges } from '../invariants/changes';
import type { StepContext } from '../invariants/types';
import { type Resolved, SLOT_BYTES, capAt, resolveInThread } from './cspace';

/** What the step tells of an invocation's result. */
export type Outcome =
  /** A Call's reply: the error, NoError on success. */
  | { tag: 'replied'; error: ErrorName }
  /** A Call that succeeded and whose invoker did not run on to take a reply (it stopped itself). */
  | { tag: 'noReply' }
  /** Send / NBSend: no reply tells. */
  | { tag: 'unknown' };

/** The IPC buffer a thread sends from (manual §4.1): its buffer frame cap, readable. */
export interface Buffer {
  frame: PPtr;
  /** Byte offset of the buffer inside the frame. */
  offset: number;
}

interface StepBase {
  ctx: StepContext;
  before: KernelState;
  after: KernelState;
  changes: StepChanges;
  syscall: SyscallName;
  /** The thread that trapped (the current thread before the event). */
  invoker: PPtr;
  info: MessageInfo;
  buffer: Buffer | null;
  /** Message word i as the kernel reads it (undefined beyond the message or without a buffer). */
  word(i: number): number | undefined;
}

export interface Invocation extends StepBase {
  kind: 'invocation';
  /** The method the label selects for the invoked cap's type; null if it names none. */
  method: MethodName | null;
  iface: CapInterface;
  target: Resolved;
  /** The extra caps, looked up in the invoker's CSpace (a failed lookup faults: no Invocation). */
  extra: Resolved[];
  outcome: Outcome;
  /** A non-cap argument of the method by name; undefined when the message does not carry it. */
  arg(name: string): number | undefined;
  /** A cap argument by name. */
  capArg(name: string): Resolved | undefined;
}

/** A syscall that is not an object invocation: IPC, Yield, an invalid cap. */
export interface SyscallStep extends StepBase {
  kind: 'syscall';
  /** The cap the cap register names, null when the lookup fails (a cap fault). */
  target: Resolved | null;
  /** The extra caps of a send (null: one fails to look up, a fault). */
  readonly extraCaps: Resolved[] | null;
}

export type Decoded = Invocation | SyscallStep | { kind: 'other' };

const IFACE: Partial<Record<Cap['tag'], CapInterface>> = {
  UntypedCap: 'Untyped',
  ThreadCap: 'TCB',
  CNodeCap: 'CNode',
  IRQControlCap: 'IRQControl',
  IRQHandlerCap: 'IRQHandler',
  FrameCap: 'Frame',
  PageTableCap: 'PageTable',
  PageDirectoryCap: 'PageDirectory',
  ASIDControlCap: 'ASIDControl',
  ASIDPoolCap: 'ASIDPool',
};

/** The interface of a cap to a kernel object that methods are invoked on (not IPC caps). */
export function interfaceOf(cap: Cap): CapInterface | undefined {
  return IFACE[cap.tag];
}

const FRAME_BITS = { SmallPage: SIZE_BITS.SmallPage, LargePage: SIZE_BITS.LargePage, Section: SIZE_BITS.Section, SuperSection: SIZE_BITS.SuperSection } as const;

/** The thread's IPC buffer for sending: a frame cap in its buffer slot that can be read. */
export function sendBuffer(s: KernelState, tcb: PPtr): Buffer | null {
  const cap = capAt(s, tcb + SLOT_BYTES * TCB_SLOT.buffer);
  if (cap.tag !== 'FrameCap' || (cap.rights !== 'VMReadOnly' && cap.rights !== 'VMReadWrite')) return null;
  const t = s.objects[tcb] as TCB;
  return { frame: cap.ptr, offset: t.ipcBuffer % 2 ** FRAME_BITS[cap.size] };
}

function frameWord(s: KernelState, b: Buffer, byteOffset: number): number {
  const f = s.objects[b.frame];
  return f?.tag === 'Frame' ? (f.words[(b.offset + byteOffset) / 4] ?? 0) : 0;
}

const cache = new WeakMap<StepContext, Decoded>();

/** The decoded step (memoised per step context: every row of a step shares it). */
export function decodeStep(ctx: StepContext): Decoded {
  let d = cache.get(ctx);
  if (d === undefined) {
    d = decode(ctx);
    cache.set(ctx, d);
  }
  return d;
}

function decode(ctx: StepContext): Decoded {
  const { before, after, event } = ctx;
  if (event.tag !== 'syscall' || before.curThread === before.idleThread) return { kind: 'other' };
  const syscall = syscallOfWord(event.number);
  if (syscall === undefined) return { kind: 'other' };
  const invoker = before.curThread;
  const info = messageInfoFromWordKernel(event.info);
  const buffer = sendBuffer(before, invoker);
  const length = buffer === null ? Math.min(info.length, N_MSG_REGISTERS) : info.length;
  const word = (i: number): number | undefined => {
    if (i >= length) return undefined;
    const given = event.mrs[i];
    if (i < N_MSG_REGISTERS) return (given ?? 0) >>> 0;
    return (given ?? frameWord(before, buffer!, msgOffset(i))) >>> 0;
  };
  const base = { ctx, before, after, syscall, invoker, info, buffer, word, get changes() { return stepChanges(before, after); } };
  const target = resolveInThread(before, invoker, event.cap);
  const isSend = syscall === 'Call' || syscall === 'Send' || syscall === 'NBSend';
  const iface = target === null ? undefined : interfaceOf(target.cap);
  if (!isSend || target === null || iface === undefined) {
    let extra: Resolved[] | null | undefined;
    return { ...base, kind: 'syscall', target, get extraCaps() { return extra === undefined ? (extra = extraCaps(before, invoker, event, info, buffer)) : extra; } };
  }
  const extra = extraCaps(before, invoker, event, info, buffer);
  if (extra === null) return { kind: 'other' };
  const m = methodOfLabel(info.label);
  const method = m !== undefined && METHODS[m].interface === iface ? m : null;
  const inv: Invocation = {
    ...base,
    kind: 'invocation',
    method,
    iface,
    target,
    extra,
    outcome: outcomeOf(syscall, after, invoker),
    arg(name) {
      const p = method === null ? undefined : ARG_POSITIONS[method][name];
      if (p === undefined || p.kind !== 'mr') return undefined;
      const w = word(p.index);
      return w === undefined ? undefined : Math.floor(w / 2 ** p.lsb) % 2 ** p.width;
    },
    capArg(name) {
      const p = method === null ? undefined : ARG_POSITIONS[method][name];
      return p?.kind === 'cap' ? extra[p.index] : undefined;
    },
  };
  return inv;
}

/** The extra caps (manual §4.2.2 "Capability Transfer"): looked up only through a buffer. */
function extraCaps(s: KernelState, tcb: PPtr, e: Extract<KernelEvent, { tag: 'syscall' }>, info: MessageInfo, buffer: Buffer | null): Resolved[] | null {
  if (buffer === null) return [];
  const out: Resolved[] = [];
  for (let i = 0; i < info.extraCaps; i++) {
    const cptr = e.extraCaps?.[i] ?? frameWord(s, buffer, (IPC_BUFFER.capsOrBadges + i) * 4);
    const r = resolveInThread(s, tcb, cptr);
    if (r === null) return null;
    out.push(r);
  }
  return out;
}

function outcomeOf(syscall: SyscallName, after: KernelState, invoker: PPtr): Outcome {
  if (syscall !== 'Call') return { tag: 'unknown' };
  const t = after.objects[invoker];
  if (t?.tag !== 'TCB' || t.state.tag !== 'Running' || t.delivered.error === undefined) return { tag: 'noReply' };
  return { tag: 'replied', error: t.delivered.error };
}

/** Whether the invocation succeeded as far as the step shows (NoError, or no reply to take). */
export function succeeded(inv: Invocation): boolean {
  return inv.outcome.tag === 'noReply' || (inv.outcome.tag === 'replied' && inv.outcome.error === 'NoError');
}
