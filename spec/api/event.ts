// step: one event of a trace applied to the abstract kernel. Sets up the trap the way the
// thread's code would (registers, IPC buffer words), enters the kernel, takes pending
// interrupts at kernel exit, schedules, and returns the new state and its observation.

import { setAutoFreeze } from 'immer';
import { timerIrq } from '../../abi/config';
import type { KernelEvent, Observation, SyscallEvent } from '../../abi/events';
import { IPC_BUFFER, msgOffset } from '../../abi/ipcbuffer';
import { CAP_REGISTER, MSG_INFO_REGISTER, MSG_REGISTERS, SYSCALL_NUMBER_REGISTER } from '../../abi/registers';
import type { KernelState } from '../model/state';
import { KernelBug, getTCB, peek, readTCB, runStep, setStateFreeze, writableTable } from '../model/state';
import { loadFrameWord, storeFrameWord } from '../model/memory';
import type { PPtr } from './types';
import { handleSyscall } from './syscall';
import { observe } from './observation';
import { lookupCap } from '../kernel/cspace';
import { handleFault } from '../kernel/faulthandler';
import { activateThread, schedule } from '../kernel/thread';
import { lookupIPCBuffer, userTranslate } from '../kernel/vspace';
import { handleInterrupt } from '../object/interrupt';

export interface StepResult {
  state: KernelState;
  observation: Observation;
}

/**
 * Freezing of states (immer auto-freeze for the tests' own `produce`, and the states `step` returns):
 * on by default, so that tests catch any mutation
 * outside `step`; checked runs turn it off for speed (DESIGN §6).
 */
export function setSpecFreeze(on: boolean): void {
  setAutoFreeze(on);
  setStateFreeze(on);
}

/** Writes the trap's registers and the IPC buffer words the event gives (trace-format.md). */
function setupTrap(s: KernelState, thread: PPtr, e: SyscallEvent): void {
  // Only registers that change are written: a write takes (copies) the TCB.
  const now = readTCB(s, thread).registers;
  let regs: number[] | null = null;
  const set = (r: number, v: number): void => {
    if (Object.is((regs ?? now)[r], v)) return;
    regs ??= getTCB(s, thread).registers;
    regs[r] = v;
  };
  set(CAP_REGISTER, e.cap);
  set(MSG_INFO_REGISTER, e.info);
  for (let i = 0; i < MSG_REGISTERS.length; i++) set(MSG_REGISTERS[i], e.mrs[i] ?? 0);
  set(SYSCALL_NUMBER_REGISTER, e.number);
  const buf = lookupIPCBuffer(s, false, thread);
  if (buf === null) return;
  for (let i = MSG_REGISTERS.length; i < e.mrs.length; i++) storeFrameWord(s, buf.frame, buf.offset + msgOffset(i), e.mrs[i]);
  if (e.extraCaps) {
    e.extraCaps.forEach((c, i) => storeFrameWord(s, buf.frame, buf.offset + (IPC_BUFFER.capsOrBadges + i) * 4, c));
  }
  storeFrameWord(s, buf.frame, buf.offset + IPC_BUFFER.receiveCNode * 4, e.receive.root);
  storeFrameWord(s, buf.frame, buf.offset + IPC_BUFFER.receiveIndex * 4, e.receive.index);
  storeFrameWord(s, buf.frame, buf.offset + IPC_BUFFER.receiveDepth * 4, e.receive.depth);
}

/** The lowest-numbered line that is pending and not masked, or -1. */
function activeIRQ(s: KernelState): number {
  const pending = peek(s.irqPending);
  const masked = peek(s.irqMasked);
  for (let i = 0; i < pending.length; i++) if (pending[i] && !masked[i]) return i;
  return -1;
}

/** Kernel exit: schedule and activate; then each pending unmasked IRQ is its own kernel entry. */
function exitKernel(s: KernelState): void {
  schedule(s);
  activateThread(s);
  takeInterrupts(s);
}

/** Interrupt entries: each pending unmasked line (lowest first) is handled, then scheduling. */
function takeInterrupts(s: KernelState): void {
  for (let irq = activeIRQ(s); irq >= 0; irq = activeIRQ(s)) {
    writableTable(s, 'irqPending')[irq] = false;
    handleInterrupt(s, irq);
    schedule(s);
    activateThread(s);
  }
}

/** DebugNameThread: names the TCB `cap` names in the current thread's CSpace; otherwise nothing. */
function debugNameThread(s: KernelState, cap: number, name: string): void {
  const r = lookupCap(s, s.curThread, cap);
  if (!r.ok || r.value.cap.tag !== 'ThreadCap') return;
  const target = r.value.cap.ptr;
  for (const [p, o] of Object.entries(s.objects)) {
    if (o.tag === 'TCB' && o.name === name && Number(p) !== target) return;
  }
  getTCB(s, target).name = name;
}

/** Applies one event. `stepNo` is the observation's step number. Never throws for any event. */
export function step(state: KernelState, event: KernelEvent, stepNo: number): StepResult {
  const idle = state.curThread === state.idleThread;
  if (idle && event.tag !== 'irq' && event.tag !== 'tick') {
    const observation = observe(state, stepNo);
    observation.skipped = true;
    return { state, observation };
  }
  let loaded: number | undefined;
  const next = runStep(state, (s) => enter(s, event));
  const observation = observe(next, stepNo);
  if (loaded !== undefined) observation.threads[observation.current].loaded = loaded;
  return { state: next, observation };

  function enter(s: KernelState, event: KernelEvent): void {
    switch (event.tag) {
      case 'syscall':
        setupTrap(s, s.curThread, event);
        handleSyscall(s, event.number);
        exitKernel(s);
        return;
      case 'debugName':
        debugNameThread(s, event.cap, event.name);
        return;
      case 'load':
      case 'store': {
        const write = event.tag === 'store';
        const t = userTranslate(s, s.curThread, event.vaddr, write);
        if (!t.ok) {
          handleFault(s, s.curThread, t.fault);
          exitKernel(s);
        } else if (event.tag === 'store') {
          storeFrameWord(s, t.frame, t.offset, event.value);
        } else {
          loaded = loadFrameWord(s, t.frame, t.offset);
        }
        return;
      }
      case 'exception':
        handleFault(s, s.curThread, { tag: 'UserException', number: event.code, code: 0 });
        exitKernel(s);
        return;
      case 'irq':
        writableTable(s, 'irqPending')[event.line] = true;
        if (!s.irqMasked[event.line]) takeInterrupts(s);
        return;
      case 'tick': {
        const timer = timerIrq(s.config);
        for (let i = 0; i < event.count; i++) {
          writableTable(s, 'irqPending')[timer] = true;
          takeInterrupts(s);
        }
        return;
      }
      default: {
        const never: never = event;
        throw new KernelBug(`unknown event ${JSON.stringify(never)}`);
      }
    }
  }
}
