// TCB methods (seL4 reference manual §6.1.2 "Thread Creation", §6.1.3 "Thread Deactivation",
// §6.1.6 "Scheduling", §5.3 "Binding Notifications", and the method descriptions of the API
// appendix). The invoked cap names the target thread; priorities are bounded by the MCP of the
// authority thread cap the caller passes.

import type { SyscallErrorName } from '../../abi/errors';
import type { PPtr } from '../../spec/api/types';
import type { TCB } from '../../spec/object/structures';
import { threadName } from '../invariants/changes';
import type { Invocation } from './decode';
import { queuedAnywhere } from './cnode';
import { firstOf } from './frame';
import type { MethodContract } from './types';
import { N_FRAME_REGISTERS, N_USER_REGISTERS, REG, USER_CONTEXT } from '../../abi/registers';
import { N_MSG_REGISTERS } from '../../abi/messageinfo';
import { SLOT_BYTES, capAt } from './cspace';
import { TCB_SLOT } from '../../spec/object/structures';

function targetOf(inv: Invocation): PPtr | null {
  return inv.target.cap.tag === 'ThreadCap' ? inv.target.cap.ptr : null;
}

const tcb = (s: Invocation['before'], p: PPtr): TCB | undefined => {
  const o = s.objects[p];
  return o?.tag === 'TCB' ? o : undefined;
};

/** The MCP the authority cap gives, or undefined if it is not a thread cap. */
function authorityMCP(inv: Invocation): number | undefined {
  const a = inv.capArg('authority')?.cap;
  return a?.tag === 'ThreadCap' ? tcb(inv.before, a.ptr)?.mcp : undefined;
}

/** SetPriority / SetMCPriority: success exactly when the request is within the authority's MCP. */
function prioritySet(field: 'priority' | 'mcp', arg: string) {
  return {
    success(inv: Invocation): unknown | null {
      const t = targetOf(inv);
      const want = inv.arg(arg);
      const mcp = authorityMCP(inv);
      if (t === null || want === undefined) return null;
      if (mcp === undefined || want > mcp) return { promise: `success only within the authority's MCP`, requested: want, mcp };
      const now = tcb(inv.after, t);
      if (now !== undefined && now[field] !== want) return { promise: `the ${field} afterwards is the one requested`, thread: threadName(inv.after, t), requested: want, got: now[field] };
      return null;
    },
    error(inv: Invocation, e: SyscallErrorName): unknown | null {
      const want = inv.arg(arg);
      const mcp = authorityMCP(inv);
      if (e !== 'RangeError' || want === undefined || mcp === undefined) return null;
      return want > mcp ? null : { promise: 'a request within the authority\'s MCP is no Range Error', requested: want, mcp };
    },
  };
}

/** A restarted thread: Restart, or Running if it was chosen to run in the same step. */
const restarted = (s: Invocation['after'], p: PPtr, t: TCB): boolean => t.state.tag === 'Restart' || (t.state.tag === 'Running' && s.curThread === p);

/**
 * Where a restarted thread that does not run waits: seL4's restart queues it at the head of its
 * priority's ready queue (tcbSchedEnqueue), ahead of the threads already waiting there — the
 * manual does not say (docs/contracts.md "the rows follow seL4"). Not judged under lazy scheduling
 * (the running thread keeps an entry at the head) nor when other interrupt lines are taken at the
 * kernel's exit (a thread they wake goes to the head too).
 */
function restartedFirst(inv: Invocation, t: PPtr): unknown | null {
  const s = inv.after;
  if (s.curThread === t || s.config.variant.scheduler === 'lazy') return null;
  if (inv.before.irqPending.some((p, i) => p && !inv.before.irqMasked[i])) return null;
  const now = tcb(s, t);
  const q = now === undefined ? [] : (s.readyQueues[now.priority] ?? []);
  return q[0] === t ? null : { promise: 'a restarted thread waits at the head of its priority\'s ready queue', thread: threadName(s, t), queue: q.map((p) => threadName(s, p)) };
}

/** Suspend: the thread is Inactive and in no queue. */
function suspend(inv: Invocation): unknown | null {
  const t = targetOf(inv);
  const now = t === null ? undefined : tcb(inv.after, t);
  if (t === null || now === undefined) return null;
  if (now.state.tag !== 'Inactive') return { promise: 'a suspended thread is Inactive', thread: threadName(inv.after, t), state: now.state.tag };
  return queuedAnywhere(inv.before, inv.after, t);
}

/** Resume of an Inactive thread makes it runnable (Restart, or Running if it was chosen to run). */
function resume(inv: Invocation): unknown | null {
  const t = targetOf(inv);
  const was = t === null ? undefined : tcb(inv.before, t);
  const now = t === null ? undefined : tcb(inv.after, t);
  if (t === null || was === undefined || now === undefined || was.state.tag !== 'Inactive') return null;
  const ok = now.state.tag === 'Restart' || (now.state.tag === 'Running' && inv.after.curThread === t);
  return ok ? restartedFirst(inv, t) : { promise: 'a resumed Inactive thread restarts', thread: threadName(inv.after, t), state: now.state.tag };
}

/** Fields a method sets to its arguments (Configure, SetSpace, SetIPCBuffer). */
function sets(pairs: [keyof TCB, string][]) {
  return (inv: Invocation): unknown | null => {
    const t = targetOf(inv);
    const now = t === null ? undefined : tcb(inv.after, t);
    if (t === null || now === undefined) return null;
    return firstOf(...pairs.map(([f, a]) => () => {
      const want = inv.arg(a);
      return want === undefined || now[f] === want ? null : { promise: `${f} is set to ${a}`, thread: threadName(inv.after, t), want, got: now[f] };
    }));
  };
}

function bind(inv: Invocation): unknown | null {
  const t = targetOf(inv);
  const n = inv.capArg('notification')?.cap;
  if (t === null || n?.tag !== 'NotificationCap') return null;
  const th = tcb(inv.after, t);
  const no = inv.after.objects[n.ptr];
  const ok = th?.boundNotification === n.ptr && no?.tag === 'Notification' && no.boundTCB === t;
  return ok ? null : { promise: 'thread and notification are bound to each other', thread: threadName(inv.after, t), bound: th?.boundNotification };
}

function unbind(inv: Invocation): unknown | null {
  const t = targetOf(inv);
  const was = t === null ? undefined : tcb(inv.before, t);
  if (t === null || was?.boundNotification == null) return null;
  const th = tcb(inv.after, t);
  const no = inv.after.objects[was.boundNotification];
  const ok = th?.boundNotification === null && (no?.tag !== 'Notification' || no.boundTCB === null);
  return ok ? null : { promise: 'thread and notification are unbound', thread: threadName(inv.after, t) };
}

/** SetTLSBase: the thread's TLS base is the argument; its other registers are as they were. */
function tlsBase(inv: Invocation): unknown | null {
  const t = targetOf(inv);
  const want = inv.arg('tlsBase');
  const was = t === null ? undefined : tcb(inv.before, t);
  const now = t === null ? undefined : tcb(inv.after, t);
  if (t === null || want === undefined || was === undefined || now === undefined) return null;
  const tls = REG.tpidrurw;
  if ((now.registers[tls] ?? 0) !== want) return { promise: 'tpidrurw is the value given', thread: threadName(inv.after, t), want, got: now.registers[tls] };
  // The invoker's own reply registers may change when it names itself.
  const kept = (i: number) => i === tls || (t === inv.invoker && i !== REG.pc && i !== REG.sp && i !== REG.cpsr && i !== REG.tpidruro) || (now.registers[i] ?? 0) === (was.registers[i] ?? 0);
  const moved = USER_CONTEXT.map((r, i) => (kept(i) ? null : r)).filter((r) => r !== null);
  return moved.length === 0 ? null : { promise: 'no other register changes', thread: threadName(inv.after, t), changed: moved };
}


/** Inactive or blocked: the states Resume and resume_target restart (§6.1.2, §6.1.3). */
const stopped = (t: TCB): boolean => t.state.tag !== 'Running' && t.state.tag !== 'Restart' && t.state.tag !== 'Idle';


/**
 * The kernel can write a reply beyond the four message registers only into a writable IPC
 * buffer (§4.1: the buffer frame cap must have write rights for receiving).
 */
function hasReplyBuffer(s: Invocation['after'], t: PPtr): boolean {
  const c = capAt(s, t + SLOT_BYTES * TCB_SLOT.buffer);
  return c.tag === 'FrameCap' && c.rights === 'VMReadWrite';
}

/** resume_target: a stopped thread restarts; without it the thread's state is what it was. */
function resumeKept(inv: Invocation, t: PPtr, was: TCB, now: TCB, resume: boolean): unknown | null {
  if (resume && stopped(was)) return restarted(inv.after, t, now) ? restartedFirst(inv, t) : { promise: 'resume_target restarts a stopped thread', thread: threadName(inv.after, t), was: was.state.tag, state: now.state.tag };
  if (!resume && now.state.tag !== was.state.tag) return { promise: 'without resume_target the thread\'s state is kept', thread: threadName(inv.after, t), was: was.state.tag, state: now.state.tag };
  return null;
}

/**
 * ReadRegisters (API TCB_ReadRegisters, §6.1 "Message Layout of the Read-/Write-Registers
 * Methods"): the reply holds the first `count` registers of the thread, in seL4_UserContext order
 * (only the first four, the message registers, without a writable IPC buffer); suspend_source
 * leaves the thread Inactive, otherwise its state is kept.
 */
function readRegisters(inv: Invocation): unknown | null {
  const t = targetOf(inv);
  const count = inv.arg('count');
  const was = t === null ? undefined : tcb(inv.before, t);
  const now = t === null ? undefined : tcb(inv.after, t);
  const me = tcb(inv.after, inv.invoker);
  if (t === null || count === undefined || was === undefined || now === undefined || me === undefined || inv.outcome.tag !== 'replied') return null;
  const d = me.delivered;
  const length = d.info?.length ?? 0;
  const want = hasReplyBuffer(inv.after, inv.invoker) ? count : Math.min(count, N_MSG_REGISTERS);
  return firstOf(
    () => (length === want ? null : { promise: 'the reply carries count registers (the first four without a writable IPC buffer)', count, length }),
    () => {
      const got = d.mrs ?? [];
      const wrong = USER_CONTEXT.slice(0, length).filter((_, i) => (got[i] ?? 0) !== ((was.registers[i] ?? 0) >>> 0));
      return wrong.length === 0 ? null : { promise: 'the reply words are the thread\'s registers', thread: threadName(inv.after, t), wrong, got, registers: was.registers.slice(0, length) };
    },
    () => {
      if (inv.arg('suspendSource') === 1) return now.state.tag === 'Inactive' ? null : { promise: 'suspend_source leaves the thread Inactive', thread: threadName(inv.after, t), state: now.state.tag };
      return now.state.tag === was.state.tag ? null : { promise: 'reading the registers does not change the thread\'s state', thread: threadName(inv.after, t), was: was.state.tag, state: now.state.tag };
    },
  );
}

/**
 * WriteRegisters (API TCB_WriteRegisters, §6.1): the first `count` registers (at most the
 * seL4_UserContext) take the values given — CPSR only in the bits the kernel lets a user set,
 * the manual's "silently mask certain bits", so it is not compared — the others are kept, and
 * resume_target restarts a stopped thread.
 */
function writeRegisters(inv: Invocation): unknown | null {
  const t = targetOf(inv);
  const count = inv.arg('count');
  const was = t === null ? undefined : tcb(inv.before, t);
  const now = t === null ? undefined : tcb(inv.after, t);
  if (t === null || count === undefined || was === undefined || now === undefined || t === inv.invoker) return null;
  const n = Math.min(count, N_USER_REGISTERS);
  const wrong: string[] = [];
  USER_CONTEXT.forEach((r, i) => {
    if (i === REG.cpsr) return;
    const want = i < n ? inv.word(2 + i) : (was.registers[i] ?? 0) >>> 0;
    if (want !== undefined && ((now.registers[i] ?? 0) >>> 0) !== want) wrong.push(r);
  });
  return firstOf(
    () => (wrong.length === 0 ? null : { promise: 'the first count registers are the values given, the others are kept', thread: threadName(inv.after, t), count, wrong }),
    () => resumeKept(inv, t, was, now, inv.arg('resumeTarget') === 1),
  );
}

/**
 * CopyRegisters (API TCB_CopyRegisters, §6.1.3): the target's frame registers are the source's
 * with transfer_frame, its other integer registers the source's with transfer_integer, and each
 * group is kept without its flag; suspend_source leaves the source Inactive; resume_target
 * restarts a stopped target. The invoker's own registers are not judged (a reply lands in them,
 * and its saved registers before the trap are not the ones the kernel copies).
 */
function copyRegisters(inv: Invocation): unknown | null {
  const t = targetOf(inv);
  const src = inv.capArg('source')?.cap;
  if (t === null || src?.tag !== 'ThreadCap') return null;
  const s = src.ptr;
  const was = tcb(inv.before, t);
  const now = tcb(inv.after, t);
  const from = tcb(inv.before, s);
  const srcNow = tcb(inv.after, s);
  if (was === undefined || now === undefined || from === undefined || srcNow === undefined) return null;
  const frame = inv.arg('transferFrame') === 1;
  const integer = inv.arg('transferInteger') === 1;
  return firstOf(
    () => {
      if (t === inv.invoker || s === inv.invoker) return null;
      const wrong = USER_CONTEXT.filter((_, i) => {
        const copied = i < N_FRAME_REGISTERS ? frame : integer;
        return (now.registers[i] ?? 0) !== ((copied ? from : was).registers[i] ?? 0);
      });
      return wrong.length === 0 ? null : { promise: 'the target\'s frame / integer registers are the source\'s with their flag, its own without', target: threadName(inv.after, t), source: threadName(inv.after, s), transferFrame: frame, transferInteger: integer, wrong };
    },
    () => (s === t || inv.arg('suspendSource') !== 1 || srcNow.state.tag === 'Inactive' ? null : { promise: 'suspend_source leaves the source Inactive', source: threadName(inv.after, s), state: srcNow.state.tag }),
    () => {
      if (inv.arg('resumeTarget') !== 1 || !stopped(was)) return null;
      return restarted(inv.after, t, now) ? restartedFirst(inv, t) : { promise: 'resume_target restarts a stopped target', target: threadName(inv.after, t), was: was.state.tag, state: now.state.tag };
    },
  );
}

const row = (method: MethodContract['method'], section: string, promise: string, more: Partial<MethodContract> = {}): MethodContract =>
  ({ kind: 'method', name: `contract-${method}`, method, section, promise, ...more });

export const TCB_CONTRACTS: readonly MethodContract[] = [
  row('TCB_SetPriority', '§6.1.6 Scheduling', 'succeeds exactly when the priority is within the authority thread\'s MCP; the priority is then the one requested', prioritySet('priority', 'priority')),
  row('TCB_SetMCPriority', '§6.1.6 Scheduling', 'succeeds exactly when the MCP is within the authority thread\'s MCP; the MCP is then the one requested', prioritySet('mcp', 'mcp')),
  row('TCB_Suspend', '§6.1.3 Thread Deactivation', 'the thread is Inactive afterwards and in no ready or endpoint queue', { success: suspend }),
  row('TCB_Resume', '§6.1.2 Thread Creation', 'an Inactive thread becomes runnable (Restart)', { success: resume }),
  row('TCB_Configure', '§6.1.2 Thread Creation; API TCB_Configure', 'the fault endpoint and IPC buffer address are the ones given', { success: sets([['faultHandler', 'faultEP'], ['ipcBuffer', 'buffer']]) }),
  row('TCB_SetSpace', '§6.1.2 Thread Creation; API TCB_SetSpace', 'the fault endpoint is the one given', { success: sets([['faultHandler', 'faultEP']]) }),
  row('TCB_SetIPCBuffer', '§6.1.1 Thread control blocks; API TCB_SetIPCBuffer', 'the IPC buffer address is the one given', { success: sets([['ipcBuffer', 'buffer']]) }),
  row('TCB_BindNotification', '§5.3 Binding Notifications', 'the thread and the notification are bound to each other', { success: bind }),
  row('TCB_UnbindNotification', '§5.3 Binding Notifications', 'the thread and its notification are no longer bound', { success: unbind }),
  row('TCB_SetTLSBase', '§6.1 Threads; API TCB_SetTLSBase', 'the thread\'s TLS base register (TPIDRURW on AArch32) is the value given', { success: tlsBase }),
  row('TCB_ReadRegisters', '§6.1 "Message Layout of the Read-/Write-Registers Methods"; API TCB_ReadRegisters', 'the reply carries the thread\'s first count registers (four without a writable IPC buffer); suspend_source leaves it Inactive, otherwise its state is kept', { success: readRegisters }),
  row('TCB_WriteRegisters', '§6.1 "Message Layout of the Read-/Write-Registers Methods"; API TCB_WriteRegisters', 'the first count registers take the values given (CPSR masked), the others are kept; resume_target restarts a stopped thread, otherwise its state is kept', { success: writeRegisters }),
  row('TCB_CopyRegisters', '§6.1.3 Thread Deactivation; API TCB_CopyRegisters', 'the target\'s frame and integer registers are the source\'s where their flag is set and kept where not; suspend_source leaves the source Inactive, resume_target restarts a stopped target', { success: copyRegisters }),
];
