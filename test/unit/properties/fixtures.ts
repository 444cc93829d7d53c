// Trace builders and scenario helpers shared by the invariant tests.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrace, parseTraceText, type Trace } from '../../../abi/trace';

export type Raw = Record<string, unknown>;

export const nonce = (n: number): number => (0xc0de0000 | n) >>> 0;

export function trace(events: Raw[], config: Raw = {}): Trace {
  return parseTrace({ format: 'l4check-trace/1', config, events });
}

export const retype = (type: string, slot: number, n = 1, sizeBits = 0): Raw => ({
  invoke: 'Untyped_Retype', cap: 17, args: { type, sizeBits, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: slot, numObjects: n },
});

export const configure = (tcb: number): Raw => ({
  invoke: 'TCB_Configure', cap: tcb,
  args: { faultEP: 0, cspaceRoot: 2, cspaceRootData: 0, vspaceRoot: 3, vspaceRootData: 0, buffer: 0, bufferFrame: 0 },
});

export const setPrio = (tcb: number, priority: number): Raw => ({ invoke: 'TCB_SetPriority', cap: tcb, args: { authority: 1, priority } });
export const name = (tcb: number, n: string): Raw => ({ invoke: 'DebugNameThread', cap: tcb, args: { name: n } });

/**
 * n servers at priority 200 wait in Recv on one endpoint (slot 20); a client C at 200 calls each
 * once (the servers answer with ReplyRecv), then C blocks on a second endpoint. Every Call and
 * ReplyRecv switches directly, so under lazy scheduling each server leaves a stale entry in the
 * queue of 200, and the client's final block makes chooseThread sweep all n of them.
 */
export function blockedServersTrace(n: number, scheduler: 'benno' | 'lazy'): Trace {
  const C = 30;
  const W = (i: number) => 31 + i;
  const ev: Raw[] = [retype('Endpoint', 20, 2), retype('TCB', C, n + 1)];
  for (let i = 0; i <= n; i++) ev.push(configure(C + i), setPrio(C + i, 200), name(C + i, i === 0 ? 'C' : `W${i - 1}`));
  ev.push({ invoke: 'TCB_Resume', cap: C });
  for (let i = 0; i < n; i++) ev.push({ invoke: 'TCB_Resume', cap: W(i) });
  ev.push(setPrio(1, 100));
  for (let i = n - 1; i >= 0; i--) ev.push({ as: `W${i}`, syscall: 'Recv', cap: 20 });
  for (let i = 0; i < n; i++) {
    ev.push({ as: 'C', syscall: 'Call', cap: 20, mrs: [nonce(2 * i), i] });
    ev.push({ as: `W${n - 1 - i}`, syscall: 'ReplyRecv', cap: 20, mrs: [nonce(2 * i + 1)] });
  }
  ev.push({ as: 'C', syscall: 'Recv', cap: 21 });
  ev.push({ as: 'root', syscall: 'Yield' });
  const config: Raw = { variant: { scheduler }, untyped: [{ paddr: '0x00800000', sizeBits: 23 }] };
  return trace(ev, config);
}

/** Every scenario file (scenarios/, scenarios/shared/, the shared samples), parsed. */
export function scenarioTraces(): { file: string; trace: Trace }[] {
  const dirs = ['scenarios', 'scenarios/shared', 'regressions', '../shared/samples'].filter((d) => existsSync(d));
  return dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.json')).sort().map((f) => join(d, f)))
    .map((file) => ({ file, trace: parseTraceText(readFileSync(file, 'utf8')) }));
}

import type { Observation, KernelEvent } from '../../../abi/events';
import type { KernelState } from '../../../spec';
import type { StepContext } from '../../../properties/invariants/types';
import { replay } from '../../../properties/replay';

/** Every step of a trace on the spec, as the monitors see it (boot state first). */
export function contexts(t: Trace): { boot: KernelState; steps: StepContext[] } {
  const steps: StepContext[] = [];
  let pending: { before: KernelState; after: KernelState; event: KernelEvent } | null = null;
  const r = replay({ ...t, expect: [] }, {
    onStep: (ev, before, after) => {
      pending = { before, after, event: ev.event };
    },
    onObservation: (o: Observation) => {
      if (o.step > 0) steps.push({ step: o.step, ...pending!, observation: o });
    },
  });
  if (r.failure) throw new Error(`fixture trace failed: ${JSON.stringify(r.failure)}`);
  if (steps.length === 0) throw new Error('fixture trace has no steps');
  return { boot: steps[0].before, steps };
}

/** A step context with a hand-made after state (the event and observation are placeholders). */
export function fakeStep(before: KernelState, after: KernelState, step = 1, event: KernelEvent = { tag: 'load', vaddr: 0x00200000 }): StepContext {
  return { step, event, before, after, observation: { step, current: 'x', threads: {} } };
}

/**
 * IPC world: srv (200) waits on endpoint 20; root (100) sends it nonce 0; srv sends nonce 1 on
 * endpoint 21 where nobody waits (pending), root receives it. A notification (22) with badged caps
 * 23 (badge 1) and 24 (badge 2): root signals both and waits.
 */
export function ipcTrace(): Trace {
  return trace([
    retype('Endpoint', 20, 2),
    retype('Notification', 22),
    { invoke: 'CNode_Mint', cap: 2, args: { destIndex: 23, destDepth: 32, srcRoot: 2, srcIndex: 22, srcDepth: 32, rights: 'RW', badge: 1 } },
    { invoke: 'CNode_Mint', cap: 2, args: { destIndex: 24, destDepth: 32, srcRoot: 2, srcIndex: 22, srcDepth: 32, rights: 'RW', badge: 2 } },
    retype('TCB', 30),
    configure(30),
    setPrio(30, 200),
    name(30, 'srv'),
    setPrio(1, 100),
    { invoke: 'TCB_Resume', cap: 30 },
    { as: 'srv', syscall: 'Recv', cap: 20 },
    { as: 'root', syscall: 'Send', cap: 20, mrs: [nonce(0), 7, 8] },
    { as: 'srv', syscall: 'Send', cap: 21, mrs: [nonce(1), 9] },
    { as: 'root', syscall: 'Recv', cap: 21 },
    { as: 'srv', syscall: 'Send', cap: 23 },
    { as: 'srv', syscall: 'Send', cap: 24 },
    { as: 'srv', syscall: 'Recv', cap: 22 },
  ]);
}
