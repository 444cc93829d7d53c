// The impl's abstraction kept step by step without the spec (`check --kernel impl`): after every
// step of generated runs it equals a full abstraction (CheckedKernel.finish compares the two,
// then starts again from the full one).

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseEvent } from '../../../abi/trace';
import { DEFAULT_GENERATOR_OPTIONS, ROOT_FREE, arbFullRun, inv, layoutWorld, worldSetup } from '../../../properties/generators';
import { executeRun } from '../../../properties/check/execute';
import { planConfig } from '../../../properties/check/runs';
import { CheckedKernel, type ImplModule } from '../../../properties/check/steppers';
import { ALL_INVARIANTS, stepChanges } from '../../../properties/invariants';
import { loadImpl } from '../../../refinement/kernels';
import { setSpecFreeze } from '../../../spec';

const O = { ...DEFAULT_GENERATOR_OPTIONS, steps: 120 };
const config = planConfig({ variant: {} });
let impl: ImplModule;

beforeAll(async () => {
  setSpecFreeze(false);
  impl = await loadImpl();
});

describe('the impl abstraction kept without the spec', () => {
  it('equals a full abstraction after every step of 8 generated runs, and the invariants hold on it', () => {
    for (let r = 0; r < 8; r++) {
      const [run] = fc.sample(arbFullRun(O, config), { seed: 11, path: String(r), numRuns: 1 });
      // The events as the driver ran them (on the spec), then the same events on the impl alone.
      const events = executeRun(run, { config, kernel: 'spec', invariants: [], generator: O }, layoutWorld(O), { trace: true }).events!;
      const k = new CheckedKernel(config, 'impl', ALL_INVARIANTS, impl);
      expect(k.boot().failure).toBeUndefined();
      events.forEach(({ as: _, ...raw }, i) => {
        const s = k.step(parseEvent(raw, `events[${i}]`, config).event);
        expect([r, i, s.failure]).toEqual([r, i, undefined]);
        expect([r, i, k.finish()]).toEqual([r, i, undefined]);
      });
    }
  }, 60_000);

  it('sees an object replaced at the same address by one of another type in one step', () => {
    // The world's setup makes an ASID pool in the 4 KiB untyped `poolUntyped` and deletes its cap;
    // a retype of that untyped then resets it and puts CNodes where the pool began.
    const world = layoutWorld(O);
    const params = { priorities: [100, 100, 100, 100], rootPriority: 255, faultHandler: [true, true, true, true], boundTo: [-1, -1], asidFill: 'none' as const };
    const retype = inv('Untyped_Retype', world.probes.poolUntyped, { type: 'CNode', sizeBits: 5, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: ROOT_FREE.first, numObjects: 2 });
    const k = new CheckedKernel(config, 'impl', ALL_INVARIANTS, impl);
    expect(k.boot().failure).toBeUndefined();
    [...worldSetup(world, params), retype].forEach((raw, i) => {
      expect([i, k.step(parseEvent(raw, `events[${i}]`, config).event).failure]).toEqual([i, undefined]);
      expect([i, k.finish()]).toEqual([i, undefined]);
    });
    const cnode = Object.values(k.state.objects).filter((o) => o.tag === 'CNode' && o.radix === 5);
    expect(cnode).toHaveLength(2);
  });

  it('leaves the boot state as it was: the first step sees what it wrote (a Mint after a Retype)', () => {
    const k = new CheckedKernel(config, 'impl', ALL_INVARIANTS, impl);
    expect(k.boot().failure).toBeUndefined();
    const boot = k.state;
    const slot20 = 0x00100000 + 16 * 20;
    const retype = inv('Untyped_Retype', 17, { type: 'Endpoint', sizeBits: 0, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: 20, numObjects: 1 });
    const mint = inv('CNode_Mint', 2, { destIndex: 21, destDepth: 32, srcRoot: 2, srcIndex: 20, srcDepth: 32, rights: 'RWGP', badge: 5 });
    expect(k.step(parseEvent(retype, 'events[0]', config).event).failure).toBeUndefined();
    expect(boot.ctes[slot20]).toBeUndefined();
    expect(stepChanges(boot, k.state).slots).toContain(slot20);
    // authority-confinement compares root's authority before and after: before must show the endpoint.
    expect(k.step(parseEvent(mint, 'events[1]', config).event).failure).toBeUndefined();
  });
});
