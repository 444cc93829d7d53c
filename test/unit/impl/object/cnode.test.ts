// The concrete kernel's capability tables against the spec's: the CSpace scenarios are replayed on
// both kernels in lockstep and after every step every non-empty slot of the impl (read from
// memory through the cap layouts) equals the spec's CTE (cap and MDB node), and the ghost object
// table lists the spec's objects. Covers retype, copy/mint/move/mutate/rotate, delete and revoke
// with seL4's deletion order, badged subtrees, reset.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTraceText } from '../../../../abi/trace';
import { bootKernel, stepKernel } from '../../../../impl';
import { bootState, setSpecFreeze, step } from '../../../../spec';
import { implCTEs, implObjectList, specObjectList } from './spec-view';
import { bootLayout } from '../../../../abi/boot';
import { makeZombieCap, readCap, writeCap } from '../../../../impl/object/cap';
import type { CapOf } from '../../../../spec/api/types';
import { cnodeSlot } from '../../../../spec/model/state';

const SCENARIOS = [
  'cdt-badged-subtrees', 'cdt-delete-order', 'cnode-copy-mint', 'cnode-delete-revoke', 'cnode-lookup', 'cnode-move-rotate',
  'cnode-savecaller', 'untyped-retype', 'tcb-suspend-resume', 'ipc-cap-transfer', 'cdt-finalise', 'irq-notification', 'vspace-asid',
];

describe('CTEs and ghost objects agree with the spec after every step', () => {
  setSpecFreeze(false);
  for (const name of SCENARIOS) {
    it(name, () => {
      const trace = parseTraceText(readFileSync(`scenarios/${name}.json`, 'utf8'));
      let s = bootState(trace.config);
      const k = bootKernel(trace.config);
      for (let i = 0; i <= trace.events.length; i++) {
        if (i > 0) {
          const ev = trace.events[i - 1]!.event;
          s = step(s, ev, i).state;
          stepKernel(k, ev, i);
        }
        expect({ step: i, ctes: implCTEs(k) }).toEqual({ step: i, ctes: { ...s.ctes } });
        expect({ step: i, objects: implObjectList(k) }).toEqual({ step: i, objects: specObjectList(s) });
      }
    });
  }
});

describe('nested final CNodes and threads (the Zombies seL4 leaves behind) agree with the spec', () => {
  const cn = (cap: number, method: string, args: Record<string, unknown>) => ({ as: 'root', invoke: method, cap, args });
  const retype = (type: string, sizeBits: number, offset: number, n: number) =>
    cn(17, 'Untyped_Retype', { type, sizeBits, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: offset, numObjects: n });
  const copy = (cnode: number, dest: number, srcIndex: number) =>
    cn(cnode, 'CNode_Copy', { destIndex: dest, destDepth: 2, srcRoot: 2, srcIndex, srcDepth: 32, rights: 'RWGP' });
  const move = (cnode: number, dest: number, srcIndex: number) =>
    cn(cnode, 'CNode_Move', { destIndex: dest, destDepth: 2, srcRoot: 2, srcIndex, srcDepth: 32 });
  // X (slot 40) and Y (41): 4-slot CNodes. Y holds an EP copy, the only TCB cap and a copy of X's
  // cap; X holds the only Y cap and finally its own only root-reachable cap.
  const world = [
    retype('CNode', 2, 40, 2), retype('Endpoint', 0, 42, 1), retype('TCB', 0, 43, 1),
    copy(41, 0, 42), move(41, 1, 43), copy(41, 2, 40), move(40, 3, 41), move(40, 0, 40),
  ];
  const cases: Record<string, unknown[]> = {
    'revoke of the untyped': [...world, cn(2, 'CNode_Revoke', { index: 17, depth: 32 })],
    'delete of a non-final cap, then revoke': [...world.slice(0, 7), cn(2, 'CNode_Delete', { index: 40, depth: 32 }), cn(2, 'CNode_Revoke', { index: 17, depth: 32 })],
    'delete of the final cap of a CNode holding the last TCB cap': [...world.slice(0, 5), cn(2, 'CNode_Delete', { index: 41, depth: 32 })],
    'delete of the final cap of a CNode holding the last TCB cap, then revoke': [
      ...world.slice(0, 5), cn(2, 'CNode_Delete', { index: 41, depth: 32 }), cn(2, 'CNode_Revoke', { index: 17, depth: 32 }),
    ],
    'delete of X (its slot 3 holds the last Y cap), then revoke': [
      ...world.slice(0, 7), cn(2, 'CNode_Delete', { index: 40, depth: 32 }), cn(2, 'CNode_Revoke', { index: 17, depth: 32 }),
    ],
  };
  setSpecFreeze(false);
  for (const [name, events] of Object.entries(cases)) {
    it(name, () => {
      const trace = parseTraceText(JSON.stringify({ format: 'l4check-trace/1', events }));
      let s = bootState(trace.config);
      const k = bootKernel(trace.config);
      trace.events.forEach((ev, j) => {
        const i = j + 1;
        const r = step(s, ev.event, i);
        s = r.state;
        expect({ step: i, o: stepKernel(k, ev.event, i) }).toEqual({ step: i, o: r.observation });
        expect({ step: i, ctes: implCTEs(k) }).toEqual({ step: i, ctes: { ...s.ctes } });
        expect({ step: i, objects: implObjectList(k) }).toEqual({ step: i, objects: specObjectList(s) });
        expect({ step: i, error: r.observation.threads['root']?.error }).toEqual({ step: i, error: 'NoError' });
      });
    });
  }
});

describe('a Zombie in a slot the root task can name (written into both kernels) is handled alike', () => {
  // Traces cannot reach a Zombie (it sits in an object no cap names any more); write one over the
  // cap of a fresh CNode (slot 40) in both kernels and invoke around it.
  const cn = (method: string, args: Record<string, unknown>) => ({ as: 'root', invoke: method, cap: 2, args });
  const src = { srcRoot: 2, srcIndex: 40, srcDepth: 32 };
  const events = [
    cn('CNode_Copy', { destIndex: 45, destDepth: 32, ...src, rights: 'RWGP' }),
    cn('CNode_Mint', { destIndex: 45, destDepth: 32, ...src, rights: 'RWGP', badge: 3 }),
    { as: 'root', syscall: 'Call', cap: 40, info: { label: 1, length: 0 } },
    cn('CNode_CancelBadgedSends', { index: 40, depth: 32 }),
    cn('CNode_Revoke', { index: 40, depth: 32 }),
    cn('CNode_Move', { destIndex: 45, destDepth: 32, ...src }),
    cn('CNode_Delete', { index: 45, depth: 32 }),
    cn('CNode_Copy', { destIndex: 46, destDepth: 32, srcRoot: 2, srcIndex: 41, srcDepth: 32, rights: 'RWGP' }),
  ];
  const errors = ['IllegalOperation', 'IllegalOperation', 'InvalidCapability', 'IllegalOperation', 'NoError', 'NoError', 'NoError', 'NoError'];
  it('Copy and Mint are IllegalOperation, a Call is InvalidCapability, Move and Delete work', () => {
    setSpecFreeze(false);
    const trace = parseTraceText(JSON.stringify({
      format: 'l4check-trace/1',
      events: [
        { as: 'root', invoke: 'Untyped_Retype', cap: 17, args: { type: 'CNode', sizeBits: 3, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: 40, numObjects: 1 } },
        { as: 'root', invoke: 'Untyped_Retype', cap: 17, args: { type: 'Endpoint', sizeBits: 0, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: 41, numObjects: 1 } },
        ...events,
      ],
    }));
    let s = bootState(trace.config);
    const k = bootKernel(trace.config);
    const run = (i: number) => {
      const ev = trace.events[i]!.event;
      const r = step(s, ev, i + 1);
      s = r.state;
      expect({ step: i + 1, o: stepKernel(k, ev, i + 1) }).toEqual({ step: i + 1, o: r.observation });
      expect({ step: i + 1, ctes: implCTEs(k) }).toEqual({ step: i + 1, ctes: { ...s.ctes } });
      return r.observation;
    };
    run(0);
    run(1);
    const slot40 = cnodeSlot(bootLayout(trace.config).rootCNode, 40);
    const cnode = s.ctes[slot40]!.cap as CapOf<'CNodeCap'>;
    // An endpoint cap in the CNode's top slot, so that deleting the Zombie has something to do.
    const top = cnodeSlot(cnode.ptr, 7);
    const epCap = s.ctes[cnodeSlot(bootLayout(trace.config).rootCNode, 41)]!.cap;
    s = { ...s, ctes: { ...s.ctes, [slot40]: { ...s.ctes[slot40]!, cap: { tag: 'ZombieCap', ptr: cnode.ptr, zombieType: { tag: 'ZombieCNode', radix: 3 }, number: 8 } }, [top]: { cap: epCap, mdb: { prev: 0, next: 0, revocable: false, firstBadged: false } } } };
    writeCap(k, slot40, makeZombieCap(8, 3, cnode.ptr));
    writeCap(k, top, readCap(k, cnodeSlot(bootLayout(trace.config).rootCNode, 41)));
    events.forEach((_, j) => {
      const o = run(j + 2);
      expect({ step: j + 3, error: o.threads['root']?.error }).toEqual({ step: j + 3, error: errors[j] });
    });
    expect(s.ctes[top]).toBeUndefined();
  });
});
