// Running generated events: nonces, restart re-issue, skipped steps (trace-format.md "events").

import { bootLayout } from '../../abi/boot';
import type { KernelState } from '../../spec';
import type { PPtr } from '../../spec/api/types';
import type { TCB } from '../../spec/object/structures';
import type { RawEvent } from './basic';
import { WATCHDOG, type World, inv } from './world';

/** The syscalls that carry a message (and so a nonce). */
export const MESSAGE_SYSCALLS = new Set(['Send', 'NBSend', 'Call', 'Reply', 'ReplyRecv']);

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
  for (const k of Object.keys(after.objects)) {
    const p = Number(k);
    const a = after.objects[p];
    const b = before.objects[p];
    if (a === b || a.tag !== 'TCB' || b?.tag !== 'TCB' || !isStopped(b) || isStopped(a)) continue;
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
  dropped = 0;
  reissued = 0;


  /** `wake`: the world, whose watchdog wakes everyone when all are blocked (none for hand-made traces). */
  constructor(private readonly run: RunEvent, private readonly state: () => KernelState, private readonly wake?: World) {}

  /**
   * The watchdog's code, a loop: wait on the IRQ's notification; when woken, acknowledge the IRQ,
   * then unblock each stopped thread once, as a user-level supervisor would: a message (NBSend)
   * for a receiver, a signal for a waiter, a receive (NBRecv) for a blocked sender, TCB_Resume
   * for an inactive thread or one waiting for a reply; then wait again. Random events never run
   * as the watchdog.
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
    if (!e && this.cycle) e = this.unblockNext(s, this.cycle);
    if (!e) {
      this.cycle = undefined;
      e = { syscall: 'Recv', cap: w.watchdogNtfn };
    } else if ('syscall' in e) e = this.withNonce(e);
    return this.issue(e, e);
  }

  private cycle: Set<PPtr> | undefined;

  /** The watchdog's next unblocking action, for a stopped thread it has not helped this cycle. */
  private unblockNext(s: KernelState, done: Set<PPtr>): RawEvent | undefined {
    const w = this.wake!;
    const root = bootLayout(s.config).rootCNode;
    const slotOf = (p: PPtr, slots: number[]) => slots.find((x) => (s.ctes[root + 16 * x]?.cap as { ptr?: number } | undefined)?.ptr === p);
    for (const slot of [1, ...w.tcbs]) {
      const p = (s.ctes[root + 16 * slot]?.cap as { ptr?: number; tag: string } | undefined);
      if (p?.tag !== 'ThreadCap' || p.ptr === undefined || done.has(p.ptr)) continue;
      const t = s.objects[p.ptr];
      if (t?.tag !== 'TCB' || !isStopped(t)) continue;
      done.add(p.ptr);
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

  /** Runs one generated event (and the re-issue that comes before it); false when the run stopped. */
  feed(intent: RawEvent): boolean {
    const s = this.state();
    if (s.curThread === s.idleThread && !isDeviceEvent(intent)) {
      if (this.wake === undefined || this.woke) {
        this.dropped++;
        return true;
      }
      // Everyone is blocked: the device raises the watchdog's line.
      this.woke = true;
      return this.issue({ irq: this.wake.irqLine }, { irq: this.wake.irqLine });
    }
    this.woke = false;
    if (this.wake && isWatchdog(s)) return this.watchdogStep();
    const cur = s.curThread;
    const prev = this.last.get(cur);
    if (this.restarted.has(cur) && prev && !isDeviceEvent(intent)) {
      this.reissued++;
      return this.issue({ ...prev, comment: 're-issue after restart' }, prev);
    }
    const e = this.withNonce(intent);
    return this.issue(e, e);
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

