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
import { REG, USER_CONTEXT } from '../../abi/registers';

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
  return ok ? null : { promise: 'a resumed Inactive thread restarts', thread: threadName(inv.after, t), state: now.state.tag };
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
  row('TCB_ReadRegisters', '§6.1 "Message Layout of the Read-/Write-Registers Methods"', 'errors as listed, changing nothing'),
  row('TCB_WriteRegisters', '§6.1 "Message Layout of the Read-/Write-Registers Methods"', 'errors as listed, changing nothing'),
  row('TCB_CopyRegisters', '§6.1.3 Thread Deactivation; API TCB_CopyRegisters', 'errors as listed, changing nothing'),
];
