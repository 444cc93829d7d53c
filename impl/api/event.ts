// stepKernel: one trace event on the concrete kernel. The event plays the user's part (it sets
// the trapping registers in the CPU and writes the IPC buffer words it gives), then the kernel is
// entered: user registers saved to the TCB, the handler run, pending interrupts taken, schedule,
// the new current thread's registers restored, kernel exit. spec: step.

import type { KernelEvent, Observation, SyscallEvent } from '../../abi/events';
import { IPC_BUFFER, msgOffset } from '../../abi/ipcbuffer';
import { USER_CONTEXT_ORDER, Reg, NO_IRQ } from '../../machine';
import { GLOBALS, type Kernel } from '../model/state';
import { registersAddr } from '../object/tcb-fields';
import { CAP_TAG, capType, capTCBPtr } from '../object/cap';
import { lookupCap } from '../kernel/cspace';
import { activateThread, schedule } from '../kernel/thread';
import { handleFault } from '../kernel/faulthandler';
import { lookupIPCBuffer, setVMRoot } from '../kernel/vspace';
import { handleInterrupt } from '../object/interrupt';
import { handleSyscall } from './syscall';
import { observeKernel } from './observation';

const curThread = (k: Kernel) => k.load(GLOBALS.ksCurThread);

/**
 * Saves the CPU's user registers into the current TCB (seL4's entry path, the thread ID registers
 * in arch_c_entry_hook): 19 counted stores, in one machine call (storeWords counts and marks
 * exactly what 19 store32 calls would).
 */
export function saveUserContext(k: Kernel): void {
  k.m.storeWords(registersAddr(curThread(k)), k.m.cpu.regs, USER_CONTEXT_ORDER);
}

/** Loads the current TCB's saved registers into the CPU (seL4's arch_c_exit_hook and restore_user_context): 19 counted loads. */
export function restoreUserContext(k: Kernel): void {
  k.m.loadWords(registersAddr(curThread(k)), k.m.cpu.regs, USER_CONTEXT_ORDER);
}

const RECEIVE_CNODE = 4 * IPC_BUFFER.receiveCNode;
const RECEIVE_INDEX = 4 * IPC_BUFFER.receiveIndex;
const RECEIVE_DEPTH = 4 * IPC_BUFFER.receiveDepth;

/** The user's part of a syscall event: trap registers in the CPU, IPC buffer words physically. */
function setupTrap(k: Kernel, e: SyscallEvent): void {
  const m = k.m;
  const cpu = m.cpu.regs;
  const mrs = e.mrs;
  const n = mrs.length; // no reads past the end (slow in V8)
  cpu[Reg.r0] = e.cap;
  cpu[Reg.r1] = e.info;
  cpu[Reg.r2] = n > 0 ? mrs[0] : 0;
  cpu[Reg.r3] = n > 1 ? mrs[1] : 0;
  cpu[Reg.r4] = n > 2 ? mrs[2] : 0;
  cpu[Reg.r5] = n > 3 ? mrs[3] : 0;
  cpu[Reg.r7] = e.number;
  const buf = lookupIPCBuffer(k, false, curThread(k));
  if (buf === 0) return;
  for (let i = 4; i < n; i++) m.store32(buf + msgOffset(i), mrs[i]);
  const caps = e.extraCaps;
  if (caps) for (let i = 0; i < caps.length; i++) m.store32(buf + 4 * (IPC_BUFFER.capsOrBadges + i), caps[i]);
  const r = e.receive;
  m.store32(buf + RECEIVE_CNODE, r.root);
  m.store32(buf + RECEIVE_INDEX, r.index);
  m.store32(buf + RECEIVE_DEPTH, r.depth);
}

function enter(k: Kernel): void {
  k.m.kernelEntry();
  saveUserContext(k);
}

/** schedule(), measuring its memory loads (instrumentation for the bounded-scheduler check). */
function measuredSchedule(k: Kernel): void {
  const before = k.m.counters.loads;
  schedule(k);
  const loads = k.m.counters.loads - before;
  if (loads > k.scheduleLoads) k.scheduleLoads = loads;
}

/** Interrupt entries: each pending unmasked line, lowest first, then scheduling. */
function takeInterrupts(k: Kernel): void {
  for (let irq = k.m.irq.activeIrq(); irq !== NO_IRQ; irq = k.m.irq.activeIrq()) {
    k.m.irq.ack(irq);
    handleInterrupt(k, irq);
    measuredSchedule(k);
    activateThread(k);
  }
}

/**
 * Return to user mode: the current thread's address space (re-read from its VTable slot, so a
 * thread whose own VTable changed runs on the new one — docs/deviations/vspace.md), its registers,
 * kernel exit.
 */
function leave(k: Kernel): void {
  setVMRoot(k, curThread(k));
  restoreUserContext(k);
  k.m.kernelExit();
}

function exit(k: Kernel): void {
  measuredSchedule(k);
  activateThread(k);
  takeInterrupts(k);
  leave(k);
}

/** DebugNameThread: not a kernel entry; names the TCB the cap designates unless the name is taken. */
function debugNameThread(k: Kernel, cptr: number, name: string): void {
  const r = lookupCap(k, curThread(k), cptr);
  if (!r.ok || capType(r.value.cap) !== CAP_TAG.thread) return;
  const target = capTCBPtr(r.value.cap);
  for (const [t, n] of k.names) if (n === name && t !== target && k.objects.get(t)?.type === 'TCB') return;
  k.names.set(target, name);
}

/** applyEvent's result for a user event while the idle thread runs: nothing happened (observation `skipped`). */
export const EVENT_SKIPPED = -1;
/** applyEvent's result for an event done that was not a successful user load. */
export const EVENT_DONE = -2;

/**
 * Applies one event to the kernel (in place) without observing: EVENT_SKIPPED, EVENT_DONE, or
 * the word a successful user load read (u32, >= 0). For callers that do not need observations
 * (benchmarks, the impl alone); stepKernel is this plus observeKernel.
 */
export function applyEvent(k: Kernel, event: KernelEvent): number {
  const idle = k.m.peek32(GLOBALS.ksCurThread) === k.m.peek32(GLOBALS.ksIdleThread);
  if (idle && event.tag !== 'irq' && event.tag !== 'tick') return EVENT_SKIPPED;
  let loaded = EVENT_DONE;
  k.scheduleLoads = 0;
  k.sweptEntries.length = 0;
  switch (event.tag) {
    case 'syscall':
      setupTrap(k, event);
      enter(k);
      handleSyscall(k, event.number);
      exit(k);
      break;
    case 'debugName':
      debugNameThread(k, event.cap, event.name);
      break;
    case 'load':
    case 'store': {
      const status = event.tag === 'load' ? k.m.userLoad(event.vaddr) : k.m.userStore(event.vaddr, event.value);
      if (status === 0) {
        if (event.tag === 'load') loaded = k.m.loaded;
        break;
      }
      enter(k);
      handleFault(k, curThread(k), { tag: 'VMFault', address: k.m.faultAddress, fsr: status, instruction: false });
      exit(k);
      break;
    }
    case 'exception':
      enter(k);
      handleFault(k, curThread(k), { tag: 'UserException', number: event.code, code: 0 });
      exit(k);
      break;
    case 'irq':
      k.m.irq.raise(event.line);
      if (k.m.irq.activeIrq() !== NO_IRQ) {
        enter(k);
        takeInterrupts(k);
        leave(k);
      }
      break;
    case 'tick':
      for (let i = 0; i < event.count; i++) {
        k.m.timerFire();
        enter(k);
        takeInterrupts(k);
        leave(k);
      }
      break;
  }
  return loaded;
}

/** Applies one event to the kernel (in place) and returns the observation of step `stepNo`. */
export function stepKernel(k: Kernel, event: KernelEvent, stepNo: number): Observation {
  const r = applyEvent(k, event);
  if (r === EVENT_SKIPPED) return { ...observeKernel(k, stepNo), skipped: true };
  const o = observeKernel(k, stepNo);
  if (r >= 0) o.threads[o.current].loaded = r;
  return o;
}
