// Capability integrity: each invariant fails on a state (or step) that breaks it, in full and
// incrementally; authority confinement catches a cap that appears without a channel.

import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import type { KernelState } from '../../../spec';
import type { StateInvariant } from '../../../properties/invariants/changes';
import { authorityConfinement, badgedCapsDescend, cdtRights, cdtWellFormed, objectsDistinct, parentOf, threadAuthority, validCaps } from '../../../properties/invariants/capability';
import type { StepContext } from '../../../properties/invariants/types';
import { contexts, fakeStep, ipcTrace, name, retype, setPrio, trace } from './fixtures';

const { boot, steps } = contexts(ipcTrace());
const s = steps[steps.length - 1].after;
const slot = (i: number) => 0x00100000 + 16 * i; // root CNode slot i
const EP20 = 0x00200000;
const NTFN = 0x00200020;

function expectViolation(inv: StateInvariant, before: KernelState, bad: KernelState): void {
  expect(inv.full(bad)).not.toBeNull();
  expect(inv.monitor().step(fakeStep(before, bad))?.invariant).toBe(inv.name);
}

describe('capability invariants hold along a trace', () => {
  for (const inv of [validCaps, objectsDistinct, cdtWellFormed, cdtRights, badgedCapsDescend]) {
    it(inv.name, () => {
      const m = inv.monitor();
      expect(m.boot?.(boot) ?? null).toBeNull();
      for (const st of steps) expect(m.step(st)).toBeNull();
      expect(inv.full(s)).toBeNull();
    });
  }
  it('authority-confinement', () => {
    const m = authorityConfinement.monitor();
    m.boot?.(boot);
    for (const st of steps) expect(m.step(st)).toBeNull();
  });
  it('the badged notification caps have the unbadged original as parent', () => {
    expect(parentOf(s, slot(23))).toBe(slot(22));
    expect(parentOf(s, slot(24))).toBe(slot(22));
  });
});

describe('capability invariants fail', () => {
  it('valid-caps: an endpoint cap to a notification, and a cap left dangling by a deleted object', () => {
    expectViolation(validCaps, s, produce(s, (d) => {
      const c = d.ctes[slot(20)];
      if (c.cap.tag === 'EndpointCap') c.cap.ptr = NTFN;
    }));
    expectViolation(validCaps, s, produce(s, (d) => {
      delete d.objects[EP20];
    }));
  });
  it('objects-distinct: overlapping objects, and an object above the free index of its untyped', () => {
    expectViolation(objectsDistinct, s, produce(s, (d) => {
      d.objects[0x00200208] = { tag: 'Endpoint', state: 'Idle', queue: [] }; // inside srv's TCB
    }));
    expectViolation(objectsDistinct, s, produce(s, (d) => {
      d.objects[0x00300000] = { tag: 'Endpoint', state: 'Idle', queue: [] };
    }));
    // Lowering a free index below the objects made from the untyped.
    expectViolation(objectsDistinct, s, produce(s, (d) => {
      const c = d.ctes[slot(17)];
      if (c.cap.tag === 'UntypedCap') c.cap.freeIndex = 0;
    }));
  });
  it('cdt-well-formed: a link to an empty slot, and a cycle', () => {
    expectViolation(cdtWellFormed, s, produce(s, (d) => {
      d.ctes[slot(23)].mdb.next = slot(99);
    }));
    expectViolation(cdtWellFormed, s, produce(s, (d) => {
      // 22 -> 24 -> 23 -> ... ; close the loop 23 -> 22 symmetrically.
      const last = slot(23);
      const oldNext = d.ctes[last].mdb.next;
      if (oldNext !== 0) d.ctes[oldNext].mdb.prev = 0;
      d.ctes[last].mdb.next = slot(22);
      const first = d.ctes[slot(22)].mdb.prev;
      if (first !== 0) d.ctes[first].mdb.next = 0;
      d.ctes[slot(22)].mdb.prev = last;
    }));
  });
  it('cdt-rights: a child with more rights than its parent', () => {
    expectViolation(cdtRights, s, produce(s, (d) => {
      const c = d.ctes[slot(22)];
      if (c.cap.tag === 'NotificationCap') c.cap.rights = { read: true, write: false, grant: false, grantReply: false };
    }));
  });
  it('badged-caps-descend: a badge change without a new subtree, and a badged cap not under its unbadged original', () => {
    expectViolation(badgedCapsDescend, s, produce(s, (d) => {
      d.ctes[slot(23)].mdb.firstBadged = false;
    }));
    expectViolation(badgedCapsDescend, s, produce(s, (d) => {
      // An unrelated cap spliced between the original (22) and its badged child (24): the child's
      // derivation run is broken, and it falls to the untyped although the original precedes it.
      const x = slot(20);
      const xm = d.ctes[x].mdb;
      if (xm.prev !== 0) d.ctes[xm.prev].mdb.next = xm.next;
      if (xm.next !== 0) d.ctes[xm.next].mdb.prev = xm.prev;
      const a = d.ctes[slot(22)].mdb;
      const b = a.next;
      a.next = x;
      xm.prev = slot(22);
      xm.next = b;
      d.ctes[b].mdb.prev = x;
    }));
  });
  it('authority-confinement: a cap to a new object appears without a retype', () => {
    const before = s;
    const bad = produce(before, (d) => {
      d.objects[0x00200100] = { tag: 'Endpoint', state: 'Idle', queue: [] };
      d.ctes[slot(40)] = { cap: { tag: 'EndpointCap', ptr: 0x00200100, badge: 0, rights: { read: true, write: true, grant: true, grantReply: true } }, mdb: { prev: 0, next: 0, revocable: true, firstBadged: true } };
    });
    const m = authorityConfinement.monitor();
    m.boot?.(before);
    const v = m.step(fakeStep(before, bad));
    expect(v?.invariant).toBe('authority-confinement');
    expect(v?.evidence).toMatchObject({ thread: 'root', gained: 'EndpointCap@0x00200100' });
  });
  it('authority-confinement: rights amplified in place', () => {
    const before = produce(s, (d) => {
      for (const i of [20]) {
        const c = d.ctes[slot(i)];
        if (c.cap.tag === 'EndpointCap') c.cap.rights = { read: true, write: false, grant: false, grantReply: false };
      }
    });
    const bad = produce(before, (d) => {
      const c = d.ctes[slot(20)];
      if (c.cap.tag === 'EndpointCap') c.cap.rights = { read: true, write: true, grant: true, grantReply: false };
    });
    expect(threadAuthority(before, before.curThread).auth.get('EndpointCap@0x00200000')).toBe(1);
    const m = authorityConfinement.monitor();
    m.boot?.(before);
    expect(m.step(fakeStep(before, bad))?.evidence).toMatchObject({ gained: 'EndpointCap@0x00200000', had: 1 });
  });
});

/**
 * Grant world: r has a CSpace of its own (CNode 31 of root, guard size 26 so that r's slot i is
 * cptr i) holding a full endpoint cap (2) and a cap to its own CNode (1). r receives, root sends
 * the notification cap 24 over endpoint 20 (with Grant): it lands in r's slot 40. Then r calls
 * root, which received with Grant, and root's ReplyRecv sends notification cap 26 into r's slot 41.
 */
function grantTrace() {
  const node = (index: number) => ({ destIndex: index, destDepth: 6 });
  return trace([
    retype('Endpoint', 20),
    retype('Notification', 24),
    retype('Notification', 26),
    retype('TCB', 21),
    retype('SmallPage', 25),
    retype('CNode', 31, 1, 6),
    { invoke: 'CNode_Copy', cap: 31, args: { ...node(2), srcRoot: 2, srcIndex: 20, srcDepth: 32, rights: 'RWGP' } },
    { invoke: 'CNode_Copy', cap: 31, args: { ...node(1), srcRoot: 2, srcIndex: 31, srcDepth: 32, rights: 'RWGP' } },
    { invoke: 'TCB_Configure', cap: 21, args: { faultEP: 0, cspaceRoot: 31, cspaceRootData: 26 << 3, vspaceRoot: 3, vspaceRootData: 0, buffer: '0x00400000', bufferFrame: 25 } },
    setPrio(21, 255),
    name(21, 'r'),
    { invoke: 'TCB_Resume', cap: 21 },
    { as: 'root', syscall: 'Yield' },
    { as: 'r', syscall: 'Recv', cap: 2, receive: { root: 1, index: 40, depth: 6 } },
    { as: 'root', syscall: 'Send', cap: 20, info: { label: 1 }, extraCaps: [24] },
    { as: 'root', syscall: 'Recv', cap: 20 },
    { as: 'r', syscall: 'Call', cap: 2, receive: { root: 1, index: 41, depth: 6 } },
    { as: 'root', syscall: 'ReplyRecv', cap: 20, info: { label: 2 }, extraCaps: [26] },
  ], { untyped: [{ paddr: '0x00800000', sizeBits: 23 }] });
}

describe('authority-confinement is precise about Grant', () => {
  const g = contexts(grantTrace());
  const node = g.steps[g.steps.length - 1].after.ctes[slot(31)]?.cap;
  const rNode = node?.tag === 'CNodeCap' ? node.ptr : 0;
  /** The step that put a cap into r's slot i. */
  const arrival = (i: number) => {
    const st = g.steps.find((x) => x.before.ctes[rNode + 16 * i] === undefined && x.after.ctes[rNode + 16 * i] !== undefined);
    if (st === undefined) throw new Error(`no cap arrived in r's slot ${i}`);
    return st;
  };
  const run = (broken: StepContext) => {
    const m = authorityConfinement.monitor();
    m.boot?.(broken.before);
    return m.step(broken);
  };

  it('caps transferred over Grant (a send, a reply) are allowed', () => {
    const m = authorityConfinement.monitor();
    m.boot?.(g.boot);
    for (const st of g.steps) expect(m.step(st)).toBeNull();
    expect(run(arrival(40))).toBeNull();
    expect(run(arrival(41))).toBeNull();
  });
  it('a cap that arrives over a send whose endpoint cap lacks Grant is a violation, though the sender holds the receiver\'s CNode', () => {
    const st = arrival(40);
    const before = produce(st.before, (d) => {
      const c = d.ctes[slot(20)].cap;
      if (c.tag === 'EndpointCap') c.rights.grant = false;
    });
    expect(run({ ...st, before })?.evidence).toMatchObject({ thread: 'r', gained: expect.stringMatching(/^NotificationCap@/) });
  });
  it('a cap in a reply whose reply cap lacks Grant is a violation, though the cap register names an endpoint cap with Grant', () => {
    const st = arrival(41);
    const root = st.before.curThread;
    const before = produce(st.before, (d) => {
      const c = d.ctes[root + 16 * 3].cap;
      if (c.tag === 'ReplyCap') c.canGrant = false;
    });
    expect(run({ ...st, before })?.evidence).toMatchObject({ thread: 'r', gained: expect.stringMatching(/^NotificationCap@/) });
  });
});
