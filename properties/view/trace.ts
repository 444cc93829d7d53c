// A trace as data for a picture (`l4check view`): per step the event, who made it, who runs after,
// the arrows between lifelines (IPC, replies, signals, faults, interrupts), an invocation's box with
// its result, every thread's state, and the kernel state (state.ts, stored once per distinct part
// so that 1,000-step traces stay small); and the failure of a checked replay with its evidence.

import type { Trace } from '../../abi/trace';
import { syscallOfWord } from '../../abi/syscalls';
import type { KernelState } from '../../spec';
import type { PPtr } from '../../spec/api/types';
import type { TCB } from '../../spec/object/structures';
import { describeRawEvent } from './describe';
import { CapNamer } from './names';
import { type ReplayFailure, describeFailure, replay } from '../replay';
import type { Invariant } from '../invariants/types';
import { loadImpl } from '../../refinement/kernels';
import { objectNames, stateView, type StateView } from './state';

export interface Arrow {
  from: string;
  to: string;
  kind: 'ipc' | 'reply' | 'signal' | 'fault' | 'irq';
  label: string;
}

export interface StepView {
  step: number;
  event: string;
  /** The thread that made the event (the one running before it); `irq` / `tick` for device events. */
  actor: string;
  running: string;
  arrows: Arrow[];
  /** An invocation of a kernel object: the method and its result. */
  box?: { label: string; result: string };
  tick?: boolean;
  switched?: boolean;
  skipped?: boolean;
  /** Thread name -> state after the step. */
  states: Record<string, string>;
  /** Indices into TraceView.parts of the state view after the step: threads, queues, ready, cspaces. */
  state: [number, number, number, number];
}

export interface TraceView {
  name: string;
  file: string;
  lifelines: string[];
  steps: StepView[];
  /** JSON of the distinct state-view parts. */
  parts: string[];
  checked: boolean;
  failure?: { step: number; what: string; check?: string; evidence?: unknown; diffs?: { path: string; spec: unknown; impl: unknown }[]; expected?: boolean };
}

/** A lifeline's key while drawing: the object's address (a thread is renamed by DebugNameThread). */
const key = (p: PPtr) => `#${p}`;

const tcbs = (s: KernelState): [PPtr, TCB][] =>
  Object.entries(s.objects).filter(([, o]) => o.tag === 'TCB').map(([k, o]) => [Number(k), o as TCB]);

function messageLabel(t: TCB): string {
  const d = t.delivered;
  const bits: string[] = [];
  if (d.info) bits.push(`label ${d.info.label}`);
  if (d.badge) bits.push(`badge 0x${d.badge.toString(16)}`);
  if (d.info?.length) bits.push(`${d.info.length} words`);
  if (d.info?.extraCaps) bits.push(`${d.info.extraCaps} caps`);
  if (d.info?.capsUnwrapped) bits.push(`unwrapped ${d.info.capsUnwrapped.toString(2)}`);
  return bits.join(', ');
}

/** Whether the kernel delivered nothing new to the thread (a TCB record is copied whenever it changes). */
const sameDelivered = (a: TCB, b: TCB) => a.delivered === b.delivered || JSON.stringify(a.delivered) === JSON.stringify(b.delivered);

/** What one step drew: arrows from the spec states around it. */
function stepPicture(before: KernelState, after: KernelState, raw: Record<string, unknown>, actor: string): Pick<StepView, 'arrows' | 'box'> {
  const name = key;
  const arrows: Arrow[] = [];
  let box: StepView['box'];
  const syscall = typeof raw.syscall === 'string' ? raw.syscall : typeof raw.invoke === 'string' ? 'Call' : typeof raw.number === 'number' ? syscallOfWord(raw.number) : undefined;
  const method = typeof raw.invoke === 'string' ? raw.invoke : undefined;
  // Threads that left an endpoint's send queue this step: the senders of what the actor received.
  const left = tcbs(before).filter(([p, t]) => t.state.tag === 'BlockedOnSend' && (after.objects[p] as TCB | undefined)?.state.tag !== 'BlockedOnSend').map(([p]) => name(p));
  for (const [p, t] of tcbs(after)) {
    const b = before.objects[p] as TCB | undefined;
    if (!b) continue;
    const who = name(p);
    if (t.fault !== null && b.fault === null) {
      const receiver = tcbs(after).find(([q, u]) => q !== p && before.objects[q] !== undefined && !sameDelivered(u, before.objects[q] as TCB));
      arrows.push({ from: who, to: receiver ? name(receiver[0]) : 'fault handler', kind: 'fault', label: t.fault.tag });
    }
    // An invocation's result is the invoker's reply, which may equal the one before (NoError twice).
    if (who === actor && method !== undefined) {
      box = { label: method, result: t.delivered.error ?? 'NoError' };
      continue;
    }
    if (sameDelivered(t, b)) continue;
    if (raw.irq !== undefined) {
      arrows.push({ from: `irq ${String(raw.irq)}`, to: who, kind: 'irq', label: `line ${String(raw.irq)}${t.delivered.badge ? `, badge 0x${t.delivered.badge.toString(16)}` : ''}` });
      continue;
    }
    if (arrows.some((a) => a.kind === 'fault' && a.to === who)) continue;
    const wasNtfn = b.state.tag === 'BlockedOnNotification';
    const kind: Arrow['kind'] = b.state.tag === 'BlockedOnReply' ? 'reply' : wasNtfn ? 'signal' : 'ipc';
    const from = who !== actor ? actor : left[0] ?? (t.delivered.badge !== undefined && !t.delivered.info?.length ? 'notification' : actor);
    if (from === who && !left.length) continue;
    arrows.push({ from, to: who, kind, label: messageLabel(t) || (t.delivered.error ?? '') });
  }
  // A signal into a notification's word (nobody was waiting).
  if ((syscall === 'Send' || syscall === 'NBSend') && arrows.length === 0) {
    for (const [k, o] of Object.entries(after.objects)) {
      const b = before.objects[Number(k)];
      if (o.tag === 'Notification' && b?.tag === 'Notification' && o.word !== b.word) arrows.push({ from: actor, to: name(Number(k)), kind: 'signal', label: `word 0x${o.word.toString(16)}` });
    }
  }
  return { arrows, box };
}

/** Replays the trace (checked when it can be: both kernels, refinement, invariants, contracts) and draws it. */
export async function traceView(trace: Trace, file: string, o: { check?: boolean; invariants?: readonly Invariant[] } = {}): Promise<TraceView> {
  const check = o.check ?? true;
  const parts: string[] = [];
  const partIndex = new Map<string, number>();
  const part = (v: unknown): number => {
    const j = JSON.stringify(v);
    let i = partIndex.get(j);
    if (i === undefined) {
      i = parts.length;
      parts.push(j);
      partIndex.set(j, i);
    }
    return i;
  };
  const stateParts = (v: StateView): StepView['state'] => [part({ current: v.current, threads: v.threads }), part(v.queues), part(v.ready), part(v.cspaces)];
  const steps: StepView[] = [];
  const lifelines: string[] = [];
  const addLife = (n: string) => {
    if (!lifelines.includes(n)) lifelines.push(n);
  };
  let current = '';
  const finalName = new Map<PPtr, string>();
  const caps = new CapNamer();
  const threadStates = (st: KernelState) => Object.fromEntries(tcbs(st).filter(([p]) => p !== st.idleThread).map(([p, t]) => [key(p), t.state.tag]));
  const r = replay(trace, {
    check,
    invariants: o.invariants,
    impl: check ? await loadImpl() : undefined,
    onStep: (ev, before, after) => {
      for (const [p, n] of objectNames(after)) finalName.set(p, n);
      if (steps.length === 0) {
        for (const [p, n] of objectNames(before)) finalName.set(p, n);
        const v = stateView(before);
        for (const [p] of tcbs(before)) if (p !== before.idleThread) addLife(key(p));
        steps.push({ step: 0, event: 'boot', actor: '', running: key(before.curThread), arrows: [], states: threadStates(before), state: stateParts(v) });
        current = key(before.curThread);
      }
      const raw = ev.raw as Record<string, unknown>;
      const device = raw.irq !== undefined ? 'irq' : raw.tick !== undefined ? 'tick' : undefined;
      const actor = device ?? current;
      for (const [p] of tcbs(after)) if (p !== after.idleThread) addLife(key(p));
      const pic = stepPicture(before, after, raw, actor);
      for (const a of pic.arrows) {
        addLife(a.from);
        addLife(a.to);
      }
      const running = key(after.curThread);
      steps.push({
        step: steps.length, event: describeRawEvent(raw, device ? undefined : (c) => caps.capName(before, before.curThread, c)), actor, running, ...pic,
        ...(raw.tick !== undefined ? { tick: true } : {}), ...(running !== current ? { switched: true } : {}),
        ...(before === after ? { skipped: true } : {}),
        states: threadStates(after), state: stateParts(stateView(after)),
      });
      current = running;
    },
  });
  // The lifelines by the objects' last names (a thread's DebugNameThread name).
  const label = (k: string) => (k.startsWith('#') ? (finalName.get(Number(k.slice(1))) ?? k) : k);
  for (const st of steps) {
    st.actor = label(st.actor);
    st.running = label(st.running);
    for (const a of st.arrows) {
      a.from = label(a.from);
      a.to = label(a.to);
    }
    st.states = Object.fromEntries(Object.entries(st.states).map(([k, v]) => [label(k), v]));
  }
  lifelines.splice(0, lifelines.length, ...lifelines.map(label));
  const ev = r.expectedViolation;
  const expected = ev && !r.failure
    ? { step: steps.length - 1, what: `${ev.check} fails at step ${steps.length - 1}, as the trace expects (expectViolation)`, check: ev.check, evidence: ev.evidence, expected: true }
    : undefined;
  return { name: trace.name ?? file, file, lifelines, steps, parts, checked: check, failure: r.failure ? failureOf(r.failure) : expected };
}

function failureOf(f: ReplayFailure): NonNullable<TraceView['failure']> {
  const out: NonNullable<TraceView['failure']> = { step: f.step, what: describeFailure(f).split('\n')[0] };
  if (f.kind === 'violation') {
    out.check = f.violation.check;
    if (f.violation.divergence) out.diffs = f.violation.divergence.diffs.map((d) => ({ path: d.path, spec: d.spec, impl: d.impl }));
    else out.evidence = f.violation.evidence;
  }
  return out;
}
