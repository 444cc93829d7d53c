// What a real seL4 can run of a generated trace (GeneratorOptions.recordable; docs/trace-format.md
// "Traces a real kernel can run"). A recorder replays each event as what the thread's own code
// does on real hardware, so an event is recordable only when its effect is one real code can
// have and survive: no device events, no restart of a thread stopped at a faulting access (the
// hardware would re-execute it, the model does not), IPC buffers that the thread reaches through
// its own mapping as the kernel reaches them through the buffer cap, threads that stay in the one
// VSpace the recorder's code is mapped in, and registers that the recorder's code depends on left
// alone. The driver tries each random event on a copy of the spec state and drops those that are
// not; a thread that faulted on an access stays stopped until the watchdog moves it on.

import { parseEvent } from '../../abi/trace';
import { REG } from '../../abi/registers';
import { USER_TOP } from '../../abi/objecttype';
import { bootLayout } from '../../abi/boot';
import { step, type KernelState } from '../../spec';
import type { PPtr } from '../../spec/api/types';
import { activationProbe } from '../../spec/kernel/thread';
import { lookupIPCBuffer, threadVSpaceRoot, userTranslate } from '../../spec/kernel/vspace';
import { readCTE, readTCB } from '../../spec/model/state';
import type { TCB } from '../../spec/object/structures';
import type { RawEvent } from './basic';
import { RECOVERY_PC } from './world';

/** Event kinds a thread's code cannot perform: a device's (irq, tick) and an undefined instruction. */
export const UNRECORDABLE_KINDS = ['exception', 'irq', 'tick'] as const;

export const isRecordableKind = (e: RawEvent): boolean => !UNRECORDABLE_KINDS.some((k) => k in e);

/**
 * The registers a thread's code leaves to the kernel and the trace: r0..r7 carry the cap, the
 * message info, the message words and the syscall number, and each event sets them anew. The rest
 * (pc, sp, cpsr, r8..r12, r14) are the recorder's own code's.
 */
const TRACE_REGISTERS = new Set([REG.r0, REG.r1, REG.r2, REG.r3, REG.r4, REG.r5, REG.r6, REG.r7]);

/** A thread a recorder may have to run: every thread that is not Inactive, and the world's named ones. */
function mayRun(t: TCB): boolean {
  return t.state.tag !== 'Inactive' || t.name !== null;
}

/**
 * Why thread `p` could not run on a real kernel in state `s`, or null: it is not in the root
 * task's VSpace, or the page its own VSpace maps writable at its buffer address is not the frame
 * (and offset) its buffer cap names.
 */
export function unrecordableThread(s: KernelState, p: PPtr, bufferExempt: readonly string[] = []): string | null {
  const t = s.objects[p];
  if (t?.tag !== 'TCB' || t.state.tag === 'Idle' || !mayRun(t)) return null;
  const rootPD = readCTE(s, bootLayout(s.config).rootCNode + 16 * 3).cap;
  const pd = threadVSpaceRoot(s, p);
  if (pd === null || rootPD.tag !== 'PageDirectoryCap' || pd !== rootPD.ptr) return 'not in the root VSpace';
  if (t.name !== null && bufferExempt.includes(t.name)) return null;
  const buf = lookupIPCBuffer(s, true, p);
  if (buf === null) return 'no writable IPC buffer cap';
  const m = userTranslate(s, p, t.ipcBuffer, true);
  if (!m.ok || m.frame !== buf.frame || m.offset !== buf.offset) return 'IPC buffer not mapped writable at its address';
  return null;
}

/** Every thread of `s` that a recorder could not run, with the reason (for tests and reports). */
export function unrecordableThreads(s: KernelState): { tcb: PPtr; name: string | null; why: string }[] {
  const out: { tcb: PPtr; name: string | null; why: string }[] = [];
  for (const [k, o] of Object.entries(s.objects)) {
    if (o.tag !== 'TCB') continue;
    const why = unrecordableThread(s, Number(k));
    if (why !== null) out.push({ tcb: Number(k), name: o.name, why });
  }
  return out;
}

/** Whether a register write from `before` to `after` is one the recorder's code survives. */
function registersKept(before: readonly number[], after: readonly number[]): boolean {
  for (let i = 0; i < after.length; i++) {
    if (TRACE_REGISTERS.has(i) || before[i] === after[i]) continue;
    // The watchdog's recovery entry point: the one pc the recorder's code may be given.
    if (i === REG.pc && after[i] === RECOVERY_PC) continue;
    return false;
  }
  return true;
}

/** What recordableStep knows beyond the state. */
export interface RecordableContext {
  /**
   * Threads stopped at an access that faulted: seL4 would re-execute it if they were restarted, so
   * nothing but the watchdog's move-on (a new pc) may make them runnable.
   */
  stoppedAtAccess?: ReadonlySet<PPtr>;
  /**
   * Threads whose buffer is not checked (for measuring traces made without the option, whose
   * watchdog has an unmapped buffer: it writes no buffer word, so a recorder runs it).
   */
  bufferExempt?: readonly string[];
}

/**
 * Whether `e`, run by the current thread of `before`, is recordable: a kind a thread performs, no
 * copy of another thread's frame or other registers (the model holds 0 where the real thread
 * holds its code's pc, sp and scratch registers), and afterwards every thread that may run is
 * runnable on a real kernel, with registers its code survives, and none stopped at a faulting
 * access is runnable again. A faulting access itself is recordable when it is aligned and below
 * USER_TOP (the caller notes its thread).
 */
export function recordableStep(before: KernelState, e: RawEvent, ctx: RecordableContext = {}): boolean {
  if (!isRecordableKind(e)) return false;
  const args = (e.args ?? {}) as Record<string, unknown>;
  if (e.invoke === 'TCB_CopyRegisters' && (args.transferFrame === true || args.transferInteger === true)) return false;
  const event = parseEvent(e, 'event', before.config).event;
  // A misaligned access (the hardware need not fault as the model does) or one in the kernel
  // window (a permission fault on seL4, a translation fault in the model: docs/deviations/vspace.md).
  if ((event.tag === 'load' || event.tag === 'store') && ((event.vaddr & 3) !== 0 || event.vaddr >>> 0 >= USER_TOP)) return false;
  const probe = activationProbe.onRestart;
  activationProbe.onRestart = undefined;
  let after: KernelState;
  try {
    after = step(before, event, 0).state;
  } finally {
    activationProbe.onRestart = probe;
  }
  // A real thread's TLS base (TPIDRURW) is its code's: a SetTLSBase is recordable only when the
  // kernel refused it (the model's 0 there says nothing about the real value).
  if (e.invoke === 'TCB_SetTLSBase' && readTCB(after, before.curThread).delivered.error === 'NoError') return false;
  for (const p of ctx.stoppedAtAccess ?? []) {
    const t = after.objects[p];
    if (t?.tag === 'TCB' && (t.state.tag === 'Running' || t.state.tag === 'Restart')) return false;
  }
  for (const [k, o] of Object.entries(after.objects)) {
    if (o.tag !== 'TCB') continue;
    const was = before.objects[Number(k)];
    if (was?.tag === 'TCB' && was.registers !== o.registers && !registersKept(was.registers, o.registers)) return false;
    if (unrecordableThread(after, Number(k), ctx.bufferExempt) !== null) return false;
  }
  return true;
}

/** Whether `e` is a load or store that faults when the current thread of `s` runs it. */
export function faultingAccess(s: KernelState, e: RawEvent): boolean {
  if (!('load' in e) && !('store' in e)) return false;
  const event = parseEvent(e, 'event', s.config).event;
  return (event.tag === 'load' || event.tag === 'store') && !userTranslate(s, s.curThread, event.vaddr, event.tag === 'store').ok;
}
