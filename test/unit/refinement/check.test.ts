// The refinement checker: incremental and full checking agree on long random traces, and both
// catch a deliberately broken impl (test doubles below, never shipped) at the right step with a
// readable diff.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyPlatform, defaultConfig } from '../../../abi/config';
import type { KernelEvent } from '../../../abi/events';
import { parseEvent } from '../../../abi/trace';
import { arbEvent, setupEvents, WORLD } from '../../../properties/generators';
import { RefinementChecker, prepareCheckedRun } from '../../../refinement/check';
import { abstract } from '../../../refinement/model/state';
import { diffs } from '../../../refinement/diff';
import { loadImpl } from '../../../refinement/kernels';
import { GLOBALS } from '../../../impl/model/state';
import { TCB_OFFSET, TCB_WORD } from '../../../impl/object/structures';

type Impl = Awaited<ReturnType<typeof loadImpl>>;
const config = defaultConfig();
const parse = (raw: unknown, i: number): KernelEvent => parseEvent(raw, `events[${i}]`, config).event;
const setup = setupEvents().map(parse);
let impl: Impl;

beforeAll(async () => {
  prepareCheckedRun();
  impl = await loadImpl();
});

function run(c: RefinementChecker, events: KernelEvent[]) {
  expect(c.boot().divergence).toBeUndefined();
  for (let i = 0; i < events.length; i++) {
    const r = c.step(events[i], i + 1);
    if (r.divergence) return r.divergence;
  }
  return undefined;
}

describe('incremental checking', () => {
  it('keeps exactly the full abstraction on long random traces', () => {
    fc.assert(
      fc.property(fc.array(arbEvent(config), { minLength: 50, maxLength: 150 }), (raws) => {
        const c = new RefinementChecker(config, impl, { incremental: true, fullEvery: 0 });
        expect(c.boot().divergence).toBeUndefined();
        const events = [...setup, ...raws.map(parse)];
        for (let i = 0; i < events.length; i++) {
          const r = c.step(events[i], i + 1);
          expect(r.divergence).toBeUndefined();
          const full = abstract(c.impl.kernel).state;
          const kept = c.maintainedAbstraction();
          expect(diffs(full.objects, kept.objects, 'objects')).toEqual([]);
          expect(diffs(full.ctes, kept.ctes, 'ctes')).toEqual([]);
        }
        expect(c.fullCheck(events.length)).toBeUndefined();
      }),
      { seed: 5, numRuns: 8 },
    );
  });
});

/** A test double of the impl that runs the real kernel, then breaks something after step `at`. */
function broken(at: number, breakIt: (k: ReturnType<Impl['bootKernel']>) => void): Impl {
  return {
    ...impl,
    stepKernel: (k, e, n) => {
      const o = impl.stepKernel(k, e, n);
      if (n === at) {
        breakIt(k);
        return impl.observeKernel(k, n);
      }
      return o;
    },
  };
}

const CONFIGURE_STEP = setup.findIndex((e) => e.tag === 'syscall' && e.method === 'TCB_Configure') + 1;

describe.each([
  ['incremental', { incremental: true, fullEvery: 0 }],
  ['full', { incremental: false }],
])('a broken impl is caught (%s checking)', (_mode, opts) => {
  it('a lost fault-handler write (not observable): a state divergence at that step, with the path', () => {
    let target = 0;
    const c = new RefinementChecker(config, broken(CONFIGURE_STEP, (k) => {
      // Undo the fault-handler CPtr TCB_Configure just wrote into the configured thread.
      for (const [p, o] of k.objects) {
        if (o.type === 'TCB' && k.m.peek32(p + TCB_OFFSET + 4 * TCB_WORD.faultHandler) === WORLD.ep2) {
          target = p;
          k.m.store32(p + TCB_OFFSET + 4 * TCB_WORD.faultHandler, 0);
        }
      }
    }), opts);
    const d = run(c, setup);
    expect(target).not.toBe(0);
    expect(d?.step).toBe(CONFIGURE_STEP);
    expect(d?.kind).toBe('state');
    expect(d?.diffs).toEqual([{ path: `objects[0x${target.toString(16).padStart(8, '0')}].faultHandler`, spec: WORLD.ep2, impl: 0 }]);
  });

  it('a broken queue link: an impl invariant at that step', () => {
    const events = [...setup, parse({ syscall: 'Recv', cap: WORLD.ep }, 0)];
    const at = events.length; // root blocks on the endpoint; its link words are then corrupted
    const c = new RefinementChecker(config, broken(at, (k) => {
      const root = [...k.names].find(([, n]) => n === 'root')![0];
      k.m.store32(root + TCB_OFFSET + 4 * TCB_WORD.epPrev, 0x1234560);
    }), opts);
    const d = run(c, events);
    expect(d?.step).toBe(at);
    expect(d?.kind).toBe('impl-invariant');
    expect(String(d?.diffs[0].impl)).toMatch(/prev link/);
  });

  it('a wrong current thread: an observation divergence', () => {
    const at = 3;
    const c = new RefinementChecker(config, broken(at, (k) => k.m.store32(GLOBALS.ksCurThread, k.m.peek32(GLOBALS.ksIdleThread))), opts);
    const d = run(c, setup);
    expect(d?.step).toBe(at);
    expect(d?.kind).toBe('observation');
    expect(d?.diffs).toContainEqual({ path: 'observation.current', spec: 'root', impl: 'idle' });
  });
});

describe('the qemu-arm-virt interrupt layout (160 lines, the timer on 27)', () => {
  const qemu = applyPlatform(config, 'qemu-arm-virt');
  const qparse = (raw: unknown, i: number): KernelEvent => parseEvent(raw, `events[${i}]`, qemu).event;
  // Root issues lines 0, 40 and 159 to the world's notification, then random events and raises.
  const issue = (irq: number, slot: number) => [
    { invoke: 'IRQControl_Get', cap: 4, args: { irq, root: 2, index: slot, depth: 32 } },
    { invoke: 'IRQHandler_SetNotification', cap: slot, args: { notification: WORLD.ntfn } },
  ];
  const irqSetup = [...setupEvents(), ...issue(0, 60), ...issue(40, 61), ...issue(159, 62)].map(qparse);
  const raises = fc.oneof(fc.constantFrom(0, 40, 159, 27 + 1, 26).map((l) => ({ irq: l })), fc.constant({ tick: 1 }),
    fc.constantFrom(60, 61, 62).map((h) => ({ invoke: 'IRQHandler_Ack', cap: h })));

  it('spec and impl agree on random traces, IRQ state included', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(arbEvent(qemu), raises, raises), { minLength: 40, maxLength: 120 }), (raws) => {
        const c = new RefinementChecker(qemu, impl, { incremental: true, fullEvery: 10 });
        const d = run(c, [...irqSetup, ...raws.map(qparse)]);
        expect(d).toBeUndefined();
      }),
      { seed: 9, numRuns: 6 },
    );
  });

  it('an impl whose timer raises line 0 is caught: a tick leaves line 0 pending', () => {
    const at = irqSetup.length + 1;
    const wrongTimer: Impl = { ...impl, stepKernel: (k, e, n) => impl.stepKernel(k, e.tag === 'tick' ? { tag: 'irq', line: 0 } : e, n) };
    const c = new RefinementChecker(qemu, wrongTimer, { incremental: false });
    const d = run(c, [...irqSetup, { tag: 'irq', line: 0 }, { tag: 'tick', count: 1 }]);
    expect(d?.step).toBe(at + 1);
    expect(d?.kind).toBe('state');
    expect(d?.diffs).toContainEqual({ path: 'irqPending[0]', spec: false, impl: true });
    expect(d?.diffs.some((x) => x.path.endsWith('.timeSlice'))).toBe(true);
  });
});
