// Random traces on both kernels in lockstep (the generators' setup world, then random events
// biased towards CSpace operations): the concrete kernel never throws, and after every step its
// observation equals the spec's and its CTEs and ghost objects are the spec's.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { METHODS, type MethodName } from '../../../../abi/invocations';
import { OBJECT_TYPES } from '../../../../abi/objecttype';
import { parseEvent } from '../../../../abi/trace';
import { bootKernel, stepKernel } from '../../../../impl';
import { type RawEvent, WORLD, arbEvent, setupEvents } from '../../../../properties/generators';
import { bootState, setSpecFreeze, step } from '../../../../spec';
import { implCTEs, implObjectList, specObjectList } from './spec-view';

const config = defaultConfig();
const parse = (raw: unknown, i: number) => parseEvent(raw, `events[${i}]`, config).event;
const setup = setupEvents().map(parse);

const slot = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: WORLD.firstFree + 6 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 4095 }) });
const depth = fc.oneof({ weight: 8, arbitrary: fc.constant(32) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 33 }) });
const badge = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 }), fc.nat({ max: 0xffffffff }));
const rights = fc.constantFrom('RWGP', 'RW', 'R', 'W', 'RWG', '');
const cnodeData = fc.oneof(badge, fc.integer({ min: 0, max: 31 }).map((gs) => gs << 3));
const src = { srcRoot: fc.constantFrom(2, WORLD.cnode), srcIndex: slot, srcDepth: depth };
const dest = { destIndex: slot, destDepth: depth };

const CNODE_METHODS: Partial<Record<MethodName, Record<string, fc.Arbitrary<unknown>>>> = {
  CNode_Copy: { ...dest, ...src, rights },
  CNode_Mint: { ...dest, ...src, rights, badge },
  CNode_Move: { ...dest, ...src },
  CNode_Mutate: { ...dest, ...src, badge: cnodeData },
  CNode_Rotate: { ...dest, destBadge: cnodeData, pivotRoot: fc.constant(2), pivotIndex: slot, pivotDepth: depth, pivotBadge: cnodeData, ...src },
  CNode_Delete: { index: slot, depth },
  CNode_Revoke: { index: slot, depth },
  CNode_SaveCaller: { index: slot, depth },
  CNode_CancelBadgedSends: { index: slot, depth },
};

function arbCNodeInvoke(m: MethodName): fc.Arbitrary<RawEvent> {
  const gens = CNODE_METHODS[m]!;
  const names = METHODS[m].args.map((a) => a.name);
  const rec = Object.fromEntries(names.map((n) => [n, gens[n] ?? fc.constant(0)]));
  return fc.record({ invoke: fc.constant(m), cap: fc.constantFrom(2, 2, 2, WORLD.cnode), args: fc.record(rec) });
}

const arbRetype: fc.Arbitrary<RawEvent> = fc.record({
  invoke: fc.constant('Untyped_Retype'),
  cap: fc.constantFrom(17, WORLD.untyped, 18),
  args: fc.record({
    type: fc.constantFrom(...OBJECT_TYPES),
    sizeBits: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 14 })),
    root: fc.constant(2), nodeIndex: fc.constantFrom(0, WORLD.cnode), nodeDepth: fc.constantFrom(0, 32),
    nodeOffset: fc.integer({ min: WORLD.firstFree, max: WORLD.firstFree + 6 }), numObjects: fc.integer({ min: 1, max: 3 }),
  }),
});

const arbCSpaceEvent: fc.Arbitrary<RawEvent> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...(Object.keys(CNODE_METHODS) as MethodName[])).chain(arbCNodeInvoke) },
  { weight: 2, arbitrary: arbRetype },
  { weight: 3, arbitrary: arbEvent(config) },
);

describe('random CSpace traces: impl = spec after every step', () => {
  setSpecFreeze(false);
  it('observations, CTEs and ghost objects agree', () => {
    fc.assert(
      fc.property(fc.array(arbCSpaceEvent, { minLength: 5, maxLength: 30 }), (raws) => {
        let s = bootState(config);
        const k = bootKernel(config);
        const events = [...setup, ...raws.map(parse)];
        events.forEach((e, i) => {
          const r = step(s, e, i + 1);
          s = r.state;
          const o = stepKernel(k, e, i + 1);
          expect({ step: i + 1, o }).toEqual({ step: i + 1, o: r.observation });
          if (i >= setup.length) {
            expect({ step: i + 1, ctes: implCTEs(k) }).toEqual({ step: i + 1, ctes: { ...s.ctes } });
            expect({ step: i + 1, objects: implObjectList(k) }).toEqual({ step: i + 1, objects: specObjectList(s) });
          }
        });
      }),
      { seed: Number(process.env.SEED ?? 0xcd7), numRuns: Number(process.env.RUNS ?? 40) },
    );
  }, 1_200_000);
});
