// Running generated events: nonces, restart re-issue, skipped steps (trace-format.md "events").

import { bootLayout } from '../../abi/boot';
import type { KernelState } from '../../spec';
import type { PPtr } from '../../spec/api/types';
import type { TCB } from '../../spec/object/structures';
import { differingKeys } from '../../spec/model/state';
import type { RawEvent } from './basic';
import { faultingAccess, recordableStep } from './recordable';
import { RECOVERY_PC, WATCHDOG, type World, inv } from './world';

/** Most steps the driver runs on its own before a generated event (see feed). */
const MAX_DRIVEN = 24;

/** The syscalls that carry a message (and so a nonce). */
const MESSAGE_SYSCALLS = new Set(['Send', 'NBSend', 'Call', 'Reply', 'ReplyRecv']);

/** The first nonce; every message the generator sends carries 0xC0DE0000 | n in mrs[0], n increasing. */
export const NONCE_BASE = 0xc0de0000;
export const isNonce = (w: number): boolean => (w & 0xffff0000) >>> 0 === NONCE_BASE;

const KINDLESS = ['irq', 'tick'];
const isDeviceEvent = (e: RawEvent) => KINDLESS.some((k) => k in e);
const isTrap = (e: RawEvent) => 'syscall' in e || 'load' in e || 'store' in e || 'exception' in e || ('invoke' in e && e.invoke !== 'DebugNameThread');

function isWatchdog(s: KernelState): boolean {
  const t = s.objects[s.curThread];
  return t?.tag === 'TCB' && t.name === WATCHDOG;
}

function isStopped(t: TCB): boolean {
  return t.state.tag !== 'Running' && t.state.tag !== 'Restart' && t.state.tag !== 'Idle';
}

/**
 * The threads the step set to Restart (seL4's restart(), cancelAllIPC, cancelBadgedSends, a fault
 * reply), told apart from those it woke with a delivery. A restarted thread that was chosen to run
 * in the same step is already Running again (activateThread), so the state alone does not say it:
 * a stopped thread that became runnable was restarted unless something was delivered to it (a
 * receiver's record changed, a caller's reply came without a fault pending) or it was a blocked
 * sender whose message a receive of this step took.
 */
export function restartedThreads(event: RawEvent, before: KernelState, after: KernelState): PPtr[] {
  if (after.objects === before.objects) return [];
  const out: PPtr[] = [];
  const receiveStep = 'syscall' in event && ['Recv', 'NBRecv', 'ReplyRecv'].includes(event.syscall as string);
  for (const p of differingKeys(before.objects, after.objects)) {
    const a = after.objects[p];
    const b = before.objects[p];
    if (a === b || a?.tag !== 'TCB' || b?.tag !== 'TCB' || !isStopped(b) || isStopped(a)) continue;
    let restarted: boolean;
    switch (b.state.tag) {
      case 'Inactive':
        restarted = true;
        break;
      case 'BlockedOnReply':
        restarted = a.state.tag === 'Restart' || b.fault !== null;
        break;
      case 'BlockedOnSend':
        restarted = a.state.tag === 'Restart' || !receiveStep;
        break;
      default:
        restarted = a.state.tag === 'Restart' || a.delivered === b.delivered;
    }
    if (restarted) out.push(p);
  }
  return out;
}

/** Runs one generated event on the kernel; false stops the run (a check failed). */
export type RunEvent = (raw: RawEvent) => boolean;

/**
 * Feeds generated events to a kernel as the threads' code would issue them: each message gets the
 * next nonce; a thread that the kernel restarted since its last event first re-issues that event
 * (same nonce); an event other than irq/tick while idle runs would be a skipped step, so it is
 * dropped (a failed precondition).
 */
export class TraceDriver {
  private nonce = 0;
  private readonly last = new Map<PPtr, RawEvent>();
  private readonly restarted = new Set<PPtr>();
  private woke = false;
  /** The watchdog's line woke nobody: no use raising it until a thread runs again. */
  private deaf = false;
  dropped = 0;
  reissued = 0;


  /** `wake`: the world, whose watchdog wakes everyone when all are blocked (none for hand-made traces). */
  constructor(private readonly run: RunEvent, private readonly state: () => KernelState, private readonly wake?: World) {}

  /**
   * The watchdog's code, a loop: wait on the IRQ's notification; when woken, acknowledge the IRQ,
   * then unblock each stopped thread once, as a user-level supervisor would: a message (NBSend)
   * for a receiver, a signal for a waiter, a receive (NBRecv) for a blocked sender, followed by a
   * Reply when what it received was a call or a fault message, TCB_Resume for an inactive thread
   * or one waiting for another's reply; then wait again. A thread that it helped and that stopped
   * again without running a generated event (a self-suspension or a fault, re-issued after each
   * restart) is helped less and less often, so that such loops do not starve the others, and that
   * help restarts it at its recovery pc (TCB_WriteRegisters), past the event it kept retrying.
   * Random events never run as the watchdog.
   */
  private watchdogStep(): boolean {
    const w = this.wake!;
    const s = this.state();
    let e: RawEvent | undefined;
    if (!this.started) this.started = true;
    else if (!this.cycle) {
      this.cycle = new Set();
      e = inv('IRQHandler_Ack', w.irqHandler);
    }
    if (!e && this.replyTo !== undefined) return this.replyStep(this.replyTo);
    if (!e && this.cycle) e = this.unblockNext(s, this.cycle);
    if (!e) {
      this.cycle = undefined;
      e = { syscall: 'Recv', cap: w.watchdogNtfn };
    } else if ('syscall' in e) e = this.withNonce(e);
    return this.watchdogIssue(e);
  }

  /**
   * The recordable watchdog (GeneratorOptions.recordable): no interrupt wakes it. It runs below
   * every thread, so the scheduler picks it exactly when all of them are blocked, and it never
   * blocks: each turn it helps the next stopped thread as watchdogStep does; with nobody to help
   * it yields to a thread of its own priority, or else does nothing ('idle': the generated event
   * waits for the next turn, as when no interrupt would wake anyone).
   */
  private pollingWatchdogStep(): boolean | 'idle' {
    const s = this.state();
    if (this.replyTo !== undefined) return this.replyStep(this.replyTo);
    this.cycle ??= new Set();
    let e = this.unblockNext(s, this.cycle);
    if (!e) {
      this.cycle = undefined;
      const others = Object.entries(s.objects).some(([p, t]) => Number(p) !== s.curThread && t.tag === 'TCB' && (t.state.tag === 'Running' || t.state.tag === 'Restart'));
      if (!others) return 'idle';
      e = { syscall: 'Yield' };
    } else if ('syscall' in e) e = this.withNonce(e);
    return this.watchdogIssue(e);
  }

  /** Runs the watchdog's event `e` and notes what it did to the thread it helped. */
  private watchdogIssue(e: RawEvent): boolean {
    const helped = this.helping;
    this.helping = undefined;
    if (!this.issue(e, e)) return false;
    // The watchdog writes registers only to move a thread on.
    if (e.invoke === 'TCB_WriteRegisters' && helped !== undefined) this.forgetLast(helped);
    // A call or fault message it received waits for its reply.
    if (e.syscall === 'NBRecv' && helped !== undefined && this.tcb(helped)?.state.tag === 'BlockedOnReply') this.replyTo = helped;
    return true;
  }

  /** The watchdog replies to the call or fault it received; a fault's reply moves the thread past the faulting event. */
  private replyStep(t: PPtr): boolean {
    this.replyTo = undefined;
    const fault = this.tcb(t)?.fault ?? null;
    const e = this.withNonce({ syscall: 'Reply', info: { label: 0 }, mrs: [] });
    if (!this.issue(e, e)) return false;
    // The model keeps no PC: a handler that replies is taken to have fixed the fault or skipped
    // the instruction, so the thread does not retry it (retrying would fault for ever).
    if (fault !== null) this.forgetLast(t);
    return true;
  }

  /**
   * The thread's pc is past its last trapping event (a fault reply, or the watchdog moved it on):
   * neither this restart nor a later one, before it runs again, retries that event.
   */
  private forgetLast(t: PPtr): void {
    this.restarted.delete(t);
    this.last.delete(t);
    this.stoppedAtAccess.delete(t);
  }

  /**
   * Recordable runs: threads stopped at a load or store that faulted. seL4 would re-execute the
   * access if anything restarted them, so random events may not (recordableStep), and the
   * watchdog's help is the move-on.
   */
  private readonly stoppedAtAccess = new Set<PPtr>();

  private tcb(p: PPtr): TCB | undefined {
    const t = this.state().objects[p];
    return t?.tag === 'TCB' ? t : undefined;
  }

  private replyTo: PPtr | undefined;
  private helping: PPtr | undefined;
  /** Generated events each thread ran, and the watchdog's record of the help it gave each. */
  private readonly ran = new Map<PPtr, number>();
  private readonly helped = new Map<PPtr, { ran: number; backoff: number; until: number }>();

  /** Generated events fed so far: the clock of the back-off. */
  private fed = 0;
  /** Generated events that ran (as some world thread's next event), the rest dropped. */
  private ranTotal = 0;

  /**
   * How many generated thread events (bursts counted by their events; irqs and ticks not) were fed
   * and how many ran: a run whose threads are all beyond the watchdog's help drops the rest, and
   * checks nothing while it stays green (check's floor, docs/check.md "Vacuity").
   */
  get generated(): { fed: number; ran: number } {
    return { fed: this.fed, ran: this.ranTotal };
  }

  /** Whether the watchdog would help a stopped thread now: not while it waits out its back-off. */
  private eligible(p: PPtr): boolean {
    const h = this.helped.get(p);
    return h === undefined || h.ran !== (this.ran.get(p) ?? 0) || this.fed >= h.until;
  }

  /** Whether the thread was helped before and has run no generated event since. */
  private stalledSinceHelp(p: PPtr): boolean {
    const h = this.helped.get(p);
    return h !== undefined && h.ran === (this.ran.get(p) ?? 0);
  }

  /** Records help given to a thread: a thread that made no progress since the last help waits twice as long. */
  private recordHelp(p: PPtr): void {
    const ran = this.ran.get(p) ?? 0;
    const h = this.helped.get(p);
    const backoff = h !== undefined && h.ran === ran ? Math.min(h.backoff * 2, 64) : 1;
    this.helped.set(p, { ran, backoff, until: this.fed + backoff });
  }

  /** The world's threads (root and the world's threads, by the harness's caps to them) that are stopped, by TCB address and slot. */
  private stoppedThreads(s: KernelState): { p: PPtr; slot: number; t: TCB }[] {
    const w = this.wake!;
    const root = bootLayout(s.config).rootCNode;
    const out: { p: PPtr; slot: number; t: TCB }[] = [];
    for (const slot of w.harnessTcbs) {
      const c = s.ctes[root + 16 * slot]?.cap as { ptr?: number; tag: string } | undefined;
      if (c?.tag !== 'ThreadCap' || c.ptr === undefined) continue;
      const t = s.objects[c.ptr];
      if (t?.tag === 'TCB' && isStopped(t)) out.push({ p: c.ptr, slot, t });
    }
    return out;
  }

  private cycle: Set<PPtr> | undefined;

  /** The watchdog's next unblocking action, for a stopped thread it has not helped this cycle. */
  private unblockNext(s: KernelState, done: Set<PPtr>): RawEvent | undefined {
    const w = this.wake!;
    const root = bootLayout(s.config).rootCNode;
    const slotOf = (p: PPtr, slots: number[]) => slots.find((x) => (s.ctes[root + 16 * x]?.cap as { ptr?: number } | undefined)?.ptr === p);
    for (const { p, slot, t } of this.stoppedThreads(s)) {
      if (done.has(p) || !this.eligible(p)) continue;
      done.add(p);
      const looping = this.stalledSinceHelp(p);
      this.recordHelp(p);
      this.helping = p;
      // Helped before and stopped again without running anything of its own: whatever it retries
      // stops it again (a self-suspension, a call nobody answers, a fault nobody handles), so the
      // supervisor restarts it at its recovery entry point (seL4 resumes it at the written pc), and
      // its code goes on with its next event.
      // A thread stopped at a faulting access in a recordable run is moved on at once: any other
      // restart would make seL4 re-execute the access.
      if (looping || this.stoppedAtAccess.has(p)) {
        return inv('TCB_WriteRegisters', slot, { resumeTarget: true, archFlags: 0, count: 1, regs: [RECOVERY_PC] });
      }
      const st = t.state;
      const eps = [...w.eps, ...w.badgedEps];
      if (st.tag === 'BlockedOnReceive') {
        const c = slotOf(st.ep, eps);
        if (c !== undefined) return { syscall: 'NBSend', cap: c, info: { label: 0 }, mrs: [] };
      } else if (st.tag === 'BlockedOnSend') {
        const c = slotOf(st.ep, eps);
        if (c !== undefined) return { syscall: 'NBRecv', cap: c };
      } else if (st.tag === 'BlockedOnNotification') {
        const c = slotOf(st.ntfn, [...w.ntfns, ...w.badgedNtfns]);
        if (c !== undefined) return { syscall: 'Send', cap: c, info: { label: 0 }, mrs: [] };
      }
      return inv('TCB_Resume', slot);
    }
    return undefined;
  }
  private started = false;

  /**
   * Runs one generated event; false when the run stopped. An irq or tick runs at once. Any other
   * event is what the running thread does next, so first the driver runs what must come before
   * it: the watchdog's line when everyone is blocked, the watchdog's code while it runs, and the
   * re-issue of a restarted thread's interrupted call (each a step of the trace, none consuming
   * the generated event). When that does not lead to a thread that can run the event within
   * MAX_DRIVEN steps, or everyone stays blocked, the event is dropped.
   */
  feed(intent: RawEvent): boolean {
    // A burst (events.ts arbServerBurst) is its events, fed one by one.
    if (Array.isArray(intent.burst)) {
      for (const e of intent.burst as RawEvent[]) if (!this.feed(e)) return false;
      return true;
    }
    const recordable = this.wake?.recordable === true;
    if (isDeviceEvent(intent)) {
      if (!recordable) return this.issue(intent, intent);
      this.dropped++;
      return true;
    }
    this.woke = false;
    this.fed++;
    for (let n = 0; n < MAX_DRIVEN; n++) {
      const s = this.state();
      if (s.curThread === s.idleThread) {
        // Everyone is blocked: the device raises the watchdog's line, once per event, when the
        // watchdog has someone to help and still answers.
        if (this.wake === undefined || recordable || this.woke || this.deaf || !this.stoppedThreads(s).some((x) => this.eligible(x.p))) break;
        this.woke = true;
        if (!this.issue({ irq: this.wake.irqLine }, { irq: this.wake.irqLine })) return false;
        // Nothing ran: the line no longer reaches the watchdog (its handler or notification changed).
        const after = this.state();
        if (after.curThread === after.idleThread) this.deaf = true;
        continue;
      }
      this.deaf = false;
      this.woke = false;
      if (this.wake && isWatchdog(s)) {
        const r = recordable ? this.pollingWatchdogStep() : this.watchdogStep();
        if (r === 'idle') break;
        if (!r) return false;
        continue;
      }
      const prev = this.last.get(s.curThread);
      // A re-issue a recorder could not run is left out: the thread goes on with its next event,
      // as a restarted real thread does (it does not re-execute its call).
      if (recordable && this.restarted.has(s.curThread) && prev && !recordableStep(s, prev, { stoppedAtAccess: this.stoppedAtAccess })) this.forgetLast(s.curThread);
      if (this.restarted.has(s.curThread) && prev) {
        this.reissued++;
        if (!this.issue({ ...prev, comment: 're-issue after restart' }, prev)) return false;
        continue;
      }
      const e = this.withNonce(intent);
      // A recorder could not run it: a failed precondition, like a skipped step.
      if (recordable && !recordableStep(s, e, { stoppedAtAccess: this.stoppedAtAccess })) break;
      if (recordable && faultingAccess(s, e)) this.stoppedAtAccess.add(s.curThread);
      this.ran.set(s.curThread, (this.ran.get(s.curThread) ?? 0) + 1);
      this.ranTotal++;
      return this.issue(e, e);
    }
    this.dropped++;
    return true;
  }

  private issue(e: RawEvent, remembered: RawEvent): boolean {
    const before = this.state();
    const cur = before.curThread;
    if (!this.run(e)) return false;
    if (isTrap(e) && cur !== before.idleThread) {
      this.last.set(cur, remembered);
      this.restarted.delete(cur);
    }
    for (const t of restartedThreads(e, before, this.state())) if (this.last.has(t)) this.restarted.add(t);
    return true;
  }

  private withNonce(e: RawEvent): RawEvent {
    if (!('syscall' in e) || !MESSAGE_SYSCALLS.has(e.syscall as string) || this.nonce >= 0x10000) return e;
    const n = (NONCE_BASE | this.nonce++) >>> 0;
    return { ...e, mrs: ['0x' + n.toString(16), ...((e.mrs as unknown[] | undefined) ?? [])] };
  }
}

