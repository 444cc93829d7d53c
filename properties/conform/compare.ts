// Conformance: a trace replayed on the model, compared step by step with what the real seL4 did
// when it ran the same trace (a record, record.ts; the comparison of shared/conformance/FORMAT.md).
//
// What is compared, for each record of the trace (debug and verification builds alike):
// - actors: who runs after every step (the model's `current`); for a diverged record, the thread
//   the kernel ran at the divergence;
// - resumptions: the sequence of (step, thread) in which a thread got the CPU back after a kernel
//   entry, and whether its system call returned (`return`) or it was restarted / started at a pc
//   of its own (`restart`, `entry`: the model shows the thread in Restart, or its pc was written);
// - every resumption's registers r0..r5 (badge, message info, MR0..3) against the model's
//   register file, and the message words past the registers (and unwrapped badges) against the
//   model's memory read through the thread's own mapping of its IPC buffer — what a thread finds
//   is what the kernel wrote, delivered or not; harness words are masked;
// - loads; the final thread states and priorities (debug builds); threads whose last system call
//   had not returned.
// The model's own checks (refinement, invariants, contracts) run as in `replay --check`: a failed
// check is reported too, as a failure of the model, not as a disagreement.

import { match } from 'ts-pattern';
import type { Observation, TraceEvent } from '../../abi/events';
import { IPC_BUFFER } from '../../abi/ipcbuffer';
import { messageInfoFromWord, type MessageInfo } from '../../abi/messageinfo';
import { REG } from '../../abi/registers';
import type { Trace } from '../../abi/trace';
import type { KernelState } from '../../spec';
import { threadName } from '../../spec/api/observation';
import { userTranslate } from '../../spec/kernel/vspace';
import { loadFrameWord } from '../../spec/model/memory';
import type { TCB } from '../../spec/object/structures';
import { CheckedKernel, type ImplModule, type KernelChoice } from '../check/steppers';
import type { Invariant } from '../invariants';
import { ALL_CHECKS } from '../checks';
import type { Return, Sel4Record } from './record';

export interface Difference {
  step: number;
  thread: string;
  /** What differs: `actor`, `resumption`, `how`, `badge`, `info.label`, `mrs[2]`, `loaded`, `final.state`... */
  field: string;
  model: unknown;
  sel4: unknown;
}

/** How many items of each kind a comparison looked at. */
export interface Compared {
  actors: number;
  resumptions: number;
  registers: number;
  bufferWords: number;
  loads: number;
  finalThreads: number;
  unreturned: number;
}

export const NO_COMPARISONS: Compared = { actors: 0, resumptions: 0, registers: 0, bufferWords: 0, loads: 0, finalThreads: 0, unreturned: 0 };

export function addCompared(a: Compared, b: Compared): Compared {
  const out = { ...a };
  for (const k of Object.keys(b) as (keyof Compared)[]) out[k] += b[k];
  return out;
}

export interface RecordResult {
  /** The record's build (`debug`, `verification`). */
  build: string;
  outcome: Sel4Record['outcome'];
  /** Events the record covers. */
  events: number;
  compared: Compared;
  /** The first difference, in step order; none when the model agrees. */
  difference?: Difference;
}

/** A failed check of the model itself while it ran the trace (refinement, an invariant, an exception). */
export interface ModelFailure {
  step: number;
  check: string;
  evidence: unknown;
}

export interface TraceConformance {
  records: RecordResult[];
  modelFailure?: ModelFailure;
}

export interface ConformOptions {
  kernel?: KernelChoice;
  /** The impl module, for kernel impl and both. */
  impl?: ImplModule;
  invariants?: readonly Invariant[];
}

/** A thread's window since its last trap or resumption: did the model restart it, or move its pc? */
interface Window {
  restarted: boolean;
  pc: number | undefined;
}

const REGISTER_FIELDS = ['badge', 'info', 'mrs[0]', 'mrs[1]', 'mrs[2]', 'mrs[3]'] as const;
const ABI_REGISTERS = [REG.r0, REG.r1, REG.r2, REG.r3, REG.r4, REG.r5] as const;

/** The model's TCBs by observation name, built on first use for one state. */
class Threads {
  private byName?: Map<string, { tcb: TCB; ptr: number }>;
  constructor(readonly s: KernelState) {}
  get(name: string): { tcb: TCB; ptr: number } | undefined {
    if (!this.byName) {
      this.byName = new Map();
      for (const k in this.s.objects) {
        const p = Number(k);
        if (this.s.objects[p].tag === 'TCB') this.byName.set(threadName(this.s, p), { tcb: this.s.objects[p] as TCB, ptr: p });
      }
    }
    return this.byName.get(name);
  }
  /** Names of the TCBs that a thread cap still names (seL4 finalises a TCB with its last cap), idle included. */
  live(): Set<string> {
    const out = new Set<string>([threadName(this.s, this.s.idleThread)]);
    for (const k in this.s.ctes) {
      const c = this.s.ctes[Number(k)].cap;
      if (c.tag === 'ThreadCap') out.add(threadName(this.s, c.ptr));
    }
    return out;
  }
}

/** Word i of the thread's IPC buffer as the thread reads it, through its own VSpace (undefined: unreadable). */
function bufferWord(s: KernelState, ptr: number, tcb: TCB, i: number): number | undefined {
  const t = userTranslate(s, ptr, (tcb.ipcBuffer + 4 * i) >>> 0, false);
  return t.ok ? loadFrameWord(s, t.frame, t.offset) : undefined;
}

/** Did an event enter the kernel (a trap, a fault, an interrupt)? Non-trapping events keep the actor. */
function enteredKernel(e: TraceEvent, before: Observation, after: Observation): boolean {
  if (after.skipped) return false;
  return match(e.event)
    .with({ tag: 'debugName' }, () => false)
    .with({ tag: 'load' }, { tag: 'store' }, () => after.current !== before.current || after.threads[before.current]?.state !== 'Running')
    .with({ tag: 'syscall' }, { tag: 'exception' }, { tag: 'irq' }, { tag: 'tick' }, () => true)
    .exhaustive();
}

/** One record's comparison, fed step by step. */
class RecordComparison {
  readonly compared: Compared = { ...NO_COMPARISONS };
  difference?: Difference;
  private nextResumption = 0;
  private readonly returnsAfter = new Map<number, Return[]>();
  private readonly loadsAt = new Map<number, Sel4Record['loads']>();

  constructor(readonly record: Sel4Record) {
    for (const r of record.returns) (this.returnsAfter.get(r.after) ?? this.returnsAfter.set(r.after, []).get(r.after)!).push(r);
    for (const l of record.loads) (this.loadsAt.get(l.step) ?? this.loadsAt.set(l.step, []).get(l.step)!).push(l);
  }

  get done(): boolean {
    return this.difference !== undefined;
  }

  private differ(step: number, thread: string, field: string, model: unknown, sel4: unknown): void {
    this.difference ??= { step, thread, field, model, sel4 };
  }

  /** Step K of the model: its observation, state, and the thread it resumed (if it did), with how. */
  step(k: number, o: Observation, threads: Threads, resumed: { thread: string; returned: boolean } | undefined, lastTrap: ReadonlyMap<string, number>): void {
    const r = this.record;
    if (this.done || k > r.steps) return;
    // Who runs.
    this.compared.actors++;
    if (r.actors[k] !== o.current) {
      const field = k === r.steps && r.divergence ? 'actor (diverged)' : 'actor';
      return this.differ(k, r.actors[k], field, o.current, r.actors[k]);
    }
    // Resumptions, in order.
    const rec = r.resumptions[this.nextResumption]?.step === k ? r.resumptions[this.nextResumption] : undefined;
    if (rec || resumed) {
      this.compared.resumptions++;
      if (!rec) return this.differ(k, resumed!.thread, 'resumption', resumed!.thread, null);
      this.nextResumption++;
      if (!resumed) return this.differ(k, rec.thread, 'resumption', null, rec.thread);
      if (rec.thread !== resumed.thread) return this.differ(k, rec.thread, 'resumption', resumed.thread, rec.thread);
      // A retried access follows a restart (the fault handler's reply), as `restart` does.
      const recReturned = rec.how === 'return';
      if (recReturned !== resumed.returned) return this.differ(k, rec.thread, 'how', resumed.returned ? 'return' : 'restart or entry', rec.how);
    }
    for (const ret of this.returnsAfter.get(k) ?? []) {
      this.compareReturn(k, ret, threads, lastTrap);
      if (this.done) return;
    }
    for (const l of this.loadsAt.get(k) ?? []) {
      this.compared.loads++;
      const got = o.threads[l.thread]?.loaded;
      if (got !== l.value) return this.differ(k, l.thread, 'loaded', got ?? null, l.value);
    }
    if (k === r.steps) this.finish(k, o, threads.live());
  }

  private compareReturn(k: number, ret: Return, threads: Threads, lastTrap: ReadonlyMap<string, number>): void {
    const t = threads.get(ret.thread);
    if (!t) return this.differ(k, ret.thread, 'exists', false, true);
    if (ret.trapStep !== null && lastTrap.get(ret.thread) !== ret.trapStep) {
      return this.differ(k, ret.thread, 'trapStep', lastTrap.get(ret.thread) ?? null, ret.trapStep);
    }
    const harness = new Set(ret.harnessWords ?? []);
    this.compared.registers++;
    for (let i = 0; i < ABI_REGISTERS.length; i++) {
      if (i >= 2 && harness.has(i - 2)) continue;
      const model = t.tcb.registers[ABI_REGISTERS[i]] ?? 0;
      const sel4 = ret.registers[i];
      if (model === sel4) continue;
      if (i === 1) return this.differInfo(k, ret.thread, messageInfoFromWord(model), messageInfoFromWord(sel4));
      const field = i >= 2 && i - 2 >= ret.info.length ? `r${i}` : REGISTER_FIELDS[i];
      return this.differ(k, ret.thread, field, model, sel4);
    }
    if (ret.mrsFromBuffer !== false) {
      for (let i = 4; i < Math.min(ret.info.length, ret.mrs.length); i++) {
        if (harness.has(i)) continue;
        this.compared.bufferWords++;
        const model = bufferWord(threads.s, t.ptr, t.tcb, IPC_BUFFER.msg + i);
        if (model !== ret.mrs[i]) return this.differ(k, ret.thread, `mrs[${i}]`, model ?? '(buffer not readable)', ret.mrs[i]);
      }
    }
    for (const [j, b] of (ret.unwrappedBadges ?? []).entries()) {
      this.compared.bufferWords++;
      const model = bufferWord(threads.s, t.ptr, t.tcb, IPC_BUFFER.capsOrBadges + j);
      if (model !== b) return this.differ(k, ret.thread, `unwrappedBadges[${j}]`, model ?? '(buffer not readable)', b);
    }
  }

  private differInfo(k: number, thread: string, model: MessageInfo, sel4: MessageInfo): void {
    for (const f of ['label', 'capsUnwrapped', 'extraCaps', 'length'] as const) {
      if (model[f] !== sel4[f]) return this.differ(k, thread, `info.${f}`, model[f], sel4[f]);
    }
  }

  /** The end: threads whose call had not returned, and the kernel's final scheduler dump. */
  private finish(k: number, o: Observation, live: ReadonlySet<string>): void {
    const r = this.record;
    for (const u of r.unreturned) {
      this.compared.unreturned++;
      const t = o.threads[u.thread];
      if (t !== undefined && o.current === u.thread) return this.differ(k, u.thread, 'unreturned', 'running', 'not returned');
    }
    if (!r.final) return;
    for (const [name, f] of Object.entries(r.final.threads)) {
      this.compared.finalThreads++;
      const m = o.threads[name];
      if (m === undefined) return this.differ(k, name, 'final.exists', false, true);
      if (m.state !== f.state) return this.differ(k, name, 'final.state', m.state, f.state);
      if (f.priority !== undefined && m.priority !== f.priority) return this.differ(k, name, 'final.priority', m.priority ?? null, f.priority);
    }
    // The dump lists every TCB seL4 has not finalised (the idle thread too): a TCB the model has
    // not finalised either (a thread cap to it is left) must be in it.
    if (r.final.unnamed.length === 0) {
      for (const name of live) {
        if (!(name in r.final.threads)) return this.differ(k, name, 'final.exists', true, false);
      }
    }
  }
}

const sameSet = (a: ReadonlySet<number>, b: ReadonlySet<number>): boolean => a.size === b.size && [...a].every((x) => b.has(x));

/** The events a comparison runs: as many as the longest record covers. */
function eventsToRun(trace: Trace, records: readonly Sel4Record[]): number {
  return Math.min(trace.events.length, Math.max(0, ...records.map((r) => r.steps)));
}

/**
 * Replays `trace` on the model (both kernels with refinement, every invariant and contract by default) and
 * compares it with each record. The trace's config must name the records' platform
 * (parseTrace's `platform` override).
 */
export function conformTrace(trace: Trace, records: readonly Sel4Record[], opts: ConformOptions = {}): TraceConformance {
  const comparisons = records.map((r) => new RecordComparison(r));
  const result = (modelFailure?: ModelFailure): TraceConformance => ({
    records: comparisons.map((c) => ({ build: c.record.kernel.build, outcome: c.record.outcome, events: c.record.steps, compared: c.compared, difference: c.difference })),
    modelFailure,
  });
  // A record of a run that did not finish has nothing to compare: it is a difference in itself.
  for (const c of comparisons) {
    const out = c.record.outcome;
    if (out === 'crashed' || out === 'timeout' || out === 'setup-failed') c.difference = { step: 0, thread: '-', field: 'outcome', model: 'completed', sel4: out };
  }
  const kernel = opts.kernel ?? 'both';
  const k = new CheckedKernel(trace.config, kernel, opts.invariants ?? ALL_CHECKS, opts.impl);
  // Restarts made by activateThread during the current step, by kernel (TCB addresses).
  const restarted = { spec: new Set<number>(), impl: new Set<number>() };
  const unwatch = k.watchRestarts((kern, tcb) => restarted[kern].add(tcb));
  try {
    const windows = new Map<string, Window>();
    const lastTrap = new Map<string, number>();
    const b = k.boot();
    if (b.failure) return result({ step: 0, check: b.failure.check, evidence: b.failure.evidence });
    let prevObs = b.observation;
    let prevThreads = new Threads(k.state);
    const pcOf = (t: Threads, name: string): number | undefined => t.get(name)?.tcb.registers[REG.pc];
    const resumeAt = (threads: Threads, name: string): void => {
      windows.set(name, { restarted: false, pc: pcOf(threads, name) });
    };
    resumeAt(prevThreads, prevObs.current);
    for (const c of comparisons) c.step(0, prevObs, prevThreads, { thread: prevObs.current, returned: false }, lastTrap);
    const n = eventsToRun(trace, records);
    for (let i = 0; i < n && comparisons.some((c) => !c.done); i++) {
      const e = trace.events[i];
      restarted.spec.clear();
      restarted.impl.clear();
      const r = k.step(e.event);
      if (r.failure) return result({ step: i + 1, check: r.failure.check, evidence: r.failure.evidence });
      if (kernel === 'both' && !sameSet(restarted.spec, restarted.impl)) {
        return result({ step: i + 1, check: 'refinement', evidence: { restartedBySpec: [...restarted.spec], restartedByImpl: [...restarted.impl] } });
      }
      const o = r.observation;
      const threads = new Threads(k.state);
      let resumed: { thread: string; returned: boolean } | undefined;
      if (enteredKernel(e, prevObs, o)) {
        // The actor trapped: its window starts before the event.
        if (prevObs.current !== 'idle') {
          windows.set(prevObs.current, { restarted: false, pc: pcOf(prevThreads, prevObs.current) });
          lastTrap.set(prevObs.current, i + 1);
        }
        // Restarted: shown in Restart now, or restarted and activated within the step.
        const names = Object.entries(o.threads).filter(([, t]) => t.state === 'Restart').map(([name]) => name);
        for (const p of restarted[kernel === 'impl' ? 'impl' : 'spec']) names.push(threadName(k.state, p));
        for (const name of names) {
          const w = windows.get(name);
          if (w) w.restarted = true;
          else windows.set(name, { restarted: true, pc: undefined });
        }
        if (o.current !== 'idle') {
          const w = windows.get(o.current);
          const returned = w !== undefined && !w.restarted && w.pc === pcOf(threads, o.current);
          resumed = { thread: o.current, returned };
          resumeAt(threads, o.current);
        }
      }
      for (const c of comparisons) c.step(i + 1, o, threads, resumed, lastTrap);
      prevObs = o;
      prevThreads = threads;
    }
    const f = n === trace.events.length ? k.finish() : undefined;
    return result(f ? { step: f.step, check: f.check, evidence: f.evidence } : undefined);
  } finally {
    unwatch();
    k.release();
  }
}
