// Random traces that nest CNodes, endpoints with blocked threads and TCBs inside each other and
// then delete and revoke them, so that seL4's unexposed deletions leave Zombies behind: both
// kernels in lockstep with the refinement check and every invariant after every step, and the impl
// alone with its incremental abstraction (the generated runs of `l4check check` seldom nest a
// last cap).

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTraceText } from '../../../../abi/trace';
import { CheckedKernel, type ImplModule } from '../../../../properties/check/steppers';
import { ALL_INVARIANTS } from '../../../../properties/invariants';
import { checkTraceChecked } from '../../../../properties/invariants/run';
import { loadImpl } from '../../../../refinement/kernels';
import { bootState, setSpecFreeze, step } from '../../../../spec';

let impl: ImplModule;
beforeAll(async () => {
  setSpecFreeze(false);
  impl = await loadImpl();
});

type Raw = Record<string, unknown>;
const root = (method: string, cap: number, args: Record<string, unknown>): Raw => ({ invoke: method, cap, args });
const retype = (type: string, sizeBits: number, offset: number, n: number, ut = 17): Raw =>
  root('Untyped_Retype', ut, { type, sizeBits, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: offset, numObjects: n });

/** Three 4-slot CNodes (40-42), two endpoints (43, 44) with a thread blocked on each (45, 46), a spare TCB (47). */
const SETUP: Raw[] = [
  root('TCB_SetPriority', 1, { authority: 1, priority: 100 }),
  retype('CNode', 2, 40, 3), retype('Endpoint', 0, 43, 2), retype('TCB', 0, 45, 3, 18),
  ...[45, 46].flatMap((t, i) => [
    root('TCB_Configure', t, { faultEP: 0, cspaceRoot: 2, cspaceRootData: 0, vspaceRoot: 3, vspaceRootData: 0, buffer: 0, bufferFrame: 0 }),
    root('TCB_SetPriority', t, { authority: 1, priority: 200 }),
    root('TCB_Resume', t, {}),
    { syscall: 'Recv', cap: 43 + i },
  ]),
];

const small = fc.constantFrom(40, 41, 42);
const rootSlot = fc.integer({ min: 40, max: 50 });
const smallIndex = fc.integer({ min: 0, max: 3 });
/** A destination or source: a root slot (depth 32), or a slot of a small CNode reached through it (depth 2). */
const place = fc.oneof(
  rootSlot.map((i) => ({ node: 2, index: i, depth: 32 })),
  fc.tuple(small, smallIndex).map(([c, i]) => ({ node: c, index: i, depth: 2 })),
);
const copyLike = fc.tuple(fc.constantFrom('CNode_Move', 'CNode_Copy', 'CNode_Move'), place, rootSlot).map(([m, d, src]): Raw => ({
  invoke: m, cap: d.node,
  args: { destIndex: d.index, destDepth: d.depth, srcRoot: 2, srcIndex: src, srcDepth: 32, ...(m === 'CNode_Copy' ? { rights: 'RWGP' } : {}) },
}));
/** Moves one of the setup's caps (CNodes, endpoints, TCBs) into a small CNode. */
const nest = fc.tuple(small, smallIndex, fc.integer({ min: 40, max: 47 })).map(([c, i, src]): Raw =>
  root('CNode_Move', c, { destIndex: i, destDepth: 2, srcRoot: 2, srcIndex: src, srcDepth: 32 }));
const moveOut = fc.tuple(small, smallIndex, rootSlot).map(([c, i, d]): Raw =>
  root('CNode_Move', 2, { destIndex: d, destDepth: 32, srcRoot: c, srcIndex: i, srcDepth: 2 }));
const del = fc.tuple(fc.constantFrom('CNode_Delete', 'CNode_Delete', 'CNode_Revoke'), place).map(([m, p]): Raw =>
  root(m, p.node, { index: p.index, depth: p.depth }));
/** Deletes a small CNode's cap in the root CNode (its last cap, unless a copy was made). */
const delSmall = small.map((c): Raw => root('CNode_Delete', 2, { index: c, depth: 32 }));
const revokeUntyped = fc.constantFrom(17, 18).map((u): Raw => root('CNode_Revoke', 2, { index: u, depth: 32 }));
const again = fc.constantFrom(retype('CNode', 2, 48, 1), retype('Endpoint', 0, 49, 1));
const threadRecv = fc.constantFrom<Raw>({ syscall: 'Recv', cap: 43 }, { syscall: 'Recv', cap: 44 }, { syscall: 'Yield' });

const arbStep: fc.Arbitrary<Raw> = fc.oneof(
  { weight: 4, arbitrary: copyLike },
  { weight: 4, arbitrary: nest },
  { weight: 2, arbitrary: moveOut },
  { weight: 3, arbitrary: del },
  { weight: 1, arbitrary: delSmall },
  { weight: 1, arbitrary: revokeUntyped },
  { weight: 1, arbitrary: again },
  { weight: 1, arbitrary: threadRecv },
);

/** How many (step, Zombie) pairs the trace's states hold, by kind. */
function zombiesIn(events: Raw[]): { all: number; tcb: number; cnode: number } {
  const trace = parseTraceText(JSON.stringify({ format: 'l4check-trace/1', events }));
  let s = bootState(trace.config);
  const n = { all: 0, tcb: 0, cnode: 0 };
  trace.events.forEach((e, i) => {
    s = step(s, e.event, i + 1).state;
    for (const k in s.ctes) {
      const cap = s.ctes[k]!.cap;
      if (cap.tag !== 'ZombieCap') continue;
      n.all++;
      if (cap.zombieType.tag === 'ZombieTCB') n.tcb++;
      else n.cnode++;
    }
  });
  return n;
}

describe('random nesting and deletion of CNodes, endpoints and TCBs', () => {
  it('both kernels agree, the refinement holds and no invariant fails; Zombies are left behind and finished', () => {
    const seen = { all: 0, tcb: 0, cnode: 0 };
    fc.assert(
      fc.property(fc.array(arbStep, { minLength: 10, maxLength: 40 }), (raws) => {
        const events = [...SETUP, ...raws];
        const trace = parseTraceText(JSON.stringify({ format: 'l4check-trace/1', events }));
        const r = checkTraceChecked(trace, ALL_INVARIANTS, impl);
        expect(r.divergence).toBeUndefined();
        expect(r.violation).toBeNull();
        // The impl alone (`check --kernel impl`): its abstraction kept step by step equals a full one.
        const k = new CheckedKernel(trace.config, 'impl', ALL_INVARIANTS, impl);
        expect(k.boot().failure).toBeUndefined();
        trace.events.forEach((e, i) => {
          expect([i, k.step(e.event).failure]).toEqual([i, undefined]);
          expect([i, k.finish()]).toEqual([i, undefined]);
        });
        const z = zombiesIn(events);
        seen.all += z.all;
        seen.tcb += z.tcb;
        seen.cnode += z.cnode;
      }),
      { seed: Number(process.env.SEED ?? 0x20b), numRuns: Number(process.env.RUNS ?? 60) },
    );
    // The test is about Zombies: the traces must make some.
    expect(seen.all).toBeGreaterThan(50);
    expect(seen.tcb).toBeGreaterThan(0);
    expect(seen.cnode).toBeGreaterThan(0);
  }, 600_000);
});
