// The trace-level shrinking phase: removes every event the failure does not need, keeps the setup.

import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../abi/config';
import { shrinkTrace } from '../../../properties/check/shrink';
import { stateInvariant } from '../../../properties/invariants/types';
import type { RawEvent } from '../../../properties/generators';

const config = defaultConfig();
// Fails once root's priority is 100 and a notification exists in slot 21.
const both = stateInvariant('prio-and-ntfn', 'test only', (s) => {
  const root = Object.values(s.objects).find((o) => o.tag === 'TCB' && o.name === 'root');
  const hasNtfn = Object.values(s.objects).some((o) => o.tag === 'Notification');
  return root?.tag === 'TCB' && root.priority === 100 && hasNtfn ? { priority: 100 } : null;
});
const retype = (type: string, slot: number): RawEvent => ({
  invoke: 'Untyped_Retype', cap: 17, args: { type, sizeBits: 0, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: slot, numObjects: 1 },
});
const prio = (p: number): RawEvent => ({ invoke: 'TCB_SetPriority', cap: 1, args: { authority: 1, priority: p } });

describe('shrinkTrace', () => {
  it('keeps the setup and only the events the failure needs', () => {
    const setup = [retype('Endpoint', 20)];
    const noise = (n: number) => Array.from({ length: n }, (_, i): RawEvent => (i % 2 ? { syscall: 'Yield' } : { tick: 1 }));
    const events = [...setup, ...noise(9), retype('Notification', 21), ...noise(14), prio(150), prio(100), ...noise(5)];
    const out = shrinkTrace(config, events, setup.length, 'prio-and-ntfn', { kernel: 'spec', invariants: [both] });
    expect(out).toEqual([...setup, retype('Notification', 21), prio(100)]);
  });

  it('stops at its replay budget and still returns a failing trace', () => {
    const events = [retype('Notification', 21), ...Array.from({ length: 40 }, (): RawEvent => ({ syscall: 'Yield' })), prio(100)];
    const out = shrinkTrace(config, events, 0, 'prio-and-ntfn', { kernel: 'spec', invariants: [both] }, undefined, 4);
    // Halves hold a needed event each; the fourth replay removes a quarter's chunk of Yields.
    expect(out.length).toBe(events.length - 10);
    expect(out[0]).toEqual(events[0]);
    expect(out[out.length - 1]).toEqual(prio(100));
  });
});
