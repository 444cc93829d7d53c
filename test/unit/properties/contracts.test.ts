// The contracts (properties/contracts): each row stays quiet on real steps of the scenarios and
// fires on a hand-broken after-state of the same step (a slip a kernel could make).

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_RIGHTS } from '../../../abi/rights';
import { wordFromMessageInfo } from '../../../abi/messageinfo';
import type { KernelState } from '../../../spec';
import type { Cap, PPtr } from '../../../spec/api/types';
import type { CTE, TCB } from '../../../spec/object/structures';
import { TCB_SLOT } from '../../../spec/object/structures';
import type { StepContext } from '../../../properties/invariants/types';
import { CONTRACT_TABLE, decodeStep, judge, type Contract, type Invocation, type SyscallStep } from '../../../properties/contracts';
import { ALL_CHECKS } from '../../../properties/checks';
import { METHOD_NAMES } from '../../../abi/invocations';
import { REG } from '../../../abi/registers';
import { checkTraceSpec } from '../../../properties/invariants/run';
import { capAt } from '../../../properties/contracts/cspace';
import { contexts, scenarioTraces } from './fixtures';

let steps: StepContext[] = [];
beforeAll(() => {
  steps = scenarioTraces().filter(({ file }) => !file.includes('lazy')).flatMap(({ trace }) => contexts(trace).steps);
}, 120_000);

const rowOf = (name: string): Contract => {
  const r = CONTRACT_TABLE.find((c) => c.name === name);
  if (!r) throw new Error(`no row ${name}`);
  return r;
};

type Found = { ctx: StepContext; inv: Invocation };

/** The first scenario step that invokes `method` with the given outcome (and `pred`). */
function find(method: string, outcome: 'success' | 'error', pred: (f: Found) => boolean = () => true): Found {
  for (const ctx of steps) {
    const d = decodeStep(ctx);
    if (d.kind !== 'invocation' || d.method !== method) continue;
    const ok = d.outcome.tag === 'noReply' || (d.outcome.tag === 'replied' && d.outcome.error === 'NoError');
    const err = d.outcome.tag === 'replied' && d.outcome.error !== 'NoError';
    if ((outcome === 'success' ? ok : err) && pred({ ctx, inv: d })) return { ctx, inv: d };
  }
  throw new Error(`no ${outcome} step of ${method} in the scenarios`);
}

function findSyscall(name: string, pred: (st: SyscallStep) => boolean): StepContext {
  for (const ctx of steps) {
    const d = decodeStep(ctx);
    if (d.kind === 'syscall' && d.syscall === name && pred(d)) return ctx;
  }
  throw new Error(`no ${name} step`);
}

const cteAt = (s: KernelState, slot: PPtr): CTE => s.ctes[slot] ?? { cap: { tag: 'NullCap' }, mdb: { prev: 0, next: 0, revocable: false, firstBadged: false } };
const withCap = (s: KernelState, slot: PPtr, cap: Cap): KernelState => ({ ...s, ctes: { ...s.ctes, [slot]: { ...cteAt(s, slot), cap } } });
const withCTE = (s: KernelState, slot: PPtr, cte: CTE): KernelState => ({ ...s, ctes: { ...s.ctes, [slot]: cte } });
const withTCB = (s: KernelState, p: PPtr, f: Partial<TCB>): KernelState => ({ ...s, objects: { ...s.objects, [p]: { ...(s.objects[p] as TCB), ...f } } });

/** Asserts the row is quiet on the real step and fires on `broken` of its after-state. */
function quietThenFires(name: string, f: { ctx: StepContext }, broken: (after: KernelState) => KernelState, event = f.ctx.event): void {
  const row = rowOf(name);
  expect(judge(row, f.ctx)).toBeNull();
  const v = judge(row, { ...f.ctx, event, after: broken(f.ctx.after) });
  expect(v).not.toBeNull();
}

const slotOf = (inv: Invocation, index: string, depth: string, root: Cap = inv.target.cap): PPtr => {
  // The rows name slots with their own resolver; the tests take the same slot the row judged.
  const i = inv.arg(index)!;
  const cnode = root as Cap & { ptr: number };
  void depth;
  return cnode.ptr + 16 * (i % 2 ** (root as { radix: number }).radix);
};

describe('the table', () => {
  it('has one row per method of abi/invocations and a unique contract- name each', () => {
    const methods = CONTRACT_TABLE.filter((c) => c.kind === 'method').map((c) => (c as { method: string }).method);
    expect([...methods].sort()).toEqual([...METHOD_NAMES].sort());
    const names = CONTRACT_TABLE.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of CONTRACT_TABLE) expect(c.name).toMatch(/^contract-[A-Za-z]+(_[A-Za-z]+)*$/);
    for (const c of CONTRACT_TABLE) expect(c.section).toMatch(/§/);
  });

  it('docs/contracts.md lists every row', () => {
    const doc = readFileSync('docs/contracts.md', 'utf8');
    for (const c of CONTRACT_TABLE) expect(doc, c.name).toContain(`\`${c.name}\``);
  });

  it('is part of the default checks, and every scenario keeps every contract', () => {
    expect(ALL_CHECKS.map((i) => i.name)).toContain('contract-CNode_Mint');
    for (const { file, trace } of scenarioTraces()) {
      if (trace.expectViolation) continue;
      const r = checkTraceSpec(trace, ALL_CHECKS.filter((i) => i.name.startsWith('contract-')));
      expect(r.violation, file).toBeNull();
    }
  }, 120_000);
});

describe('the error half', () => {
  it('an error reply that changed a slot, or names an error the method does not list, is caught', () => {
    const f = find('CNode_Copy', 'error');
    quietThenFires('contract-CNode_Copy', f, (a) => withCap(a, 0x00100400, { tag: 'IRQControlCap' }));
    quietThenFires('contract-CNode_Copy', f, (a) => withTCB(a, f.inv.invoker, { delivered: { ...(a.objects[f.inv.invoker] as TCB).delivered, error: 'NotEnoughMemory' } }));
    quietThenFires('contract-CNode_Copy', f, (a) => withTCB(a, f.inv.invoker, { priority: 3 }));
  });

  it('a success with fewer argument words than the method takes is caught (Truncated Message)', () => {
    const f = find('CNode_Mint', 'success');
    const info = { ...f.inv.info, length: 3 };
    const ev = f.ctx.event.tag === 'syscall' ? { ...f.ctx.event, info: wordFromMessageInfo(info) } : f.ctx.event;
    quietThenFires('contract-CNode_Mint', f, (a) => a, ev);
  });
});

describe('CNode rows', () => {
  it('Mint: rights beyond source ∩ requested, or the wrong badge, are caught', () => {
    const f = find('CNode_Mint', 'success', ({ inv }) => capAt(inv.before, slotOf(inv, 'srcIndex', 'srcDepth', inv.extra[0].cap)).tag === 'EndpointCap');
    const dest = slotOf(f.inv, 'destIndex', 'destDepth');
    const c = capAt(f.ctx.after, dest) as Cap & { tag: 'EndpointCap' };
    const src = capAt(f.ctx.before, slotOf(f.inv, 'srcIndex', 'srcDepth', f.inv.extra[0].cap)) as Cap & { tag: 'EndpointCap' };
    if (JSON.stringify(c.rights) !== JSON.stringify(ALL_RIGHTS)) quietThenFires('contract-CNode_Mint', f, (a) => withCap(a, dest, { ...c, rights: ALL_RIGHTS }));
    quietThenFires('contract-CNode_Mint', f, (a) => withCap(a, dest, { ...c, badge: (c.badge + 1) & 0xfffffff }));
    quietThenFires('contract-CNode_Mint', f, (a) => withCap(a, dest, { ...c, ptr: c.ptr + 16 }));
    void src;
  });

  it('Copy: a changed source, another slot changed, or a cap not derived from the source, are caught', () => {
    const f = find('CNode_Copy', 'success');
    const dest = slotOf(f.inv, 'destIndex', 'destDepth');
    const srcSlot = slotOf(f.inv, 'srcIndex', 'srcDepth', f.inv.extra[0].cap);
    quietThenFires('contract-CNode_Copy', f, (a) => withCap(a, srcSlot, { tag: 'NullCap' }));
    quietThenFires('contract-CNode_Copy', f, (a) => withCTE(a, dest, { ...cteAt(a, dest), mdb: { ...cteAt(a, dest).mdb, prev: 0 } }));
    quietThenFires('contract-CNode_Copy', f, (a) => withCap(a, 0x00100400 + 16 * 200, { tag: 'IRQControlCap' }));
  });

  it('Copy: a copy of an untyped cap with children is caught', () => {
    // A real copy of a childless untyped; then the same step with a child (an endpoint inside the
    // region) following the source in the derivation order.
    const f = find('CNode_Copy', 'success', ({ inv }) => capAt(inv.before, slotOf(inv, 'srcIndex', 'srcDepth', inv.extra[0].cap)).tag === 'UntypedCap');
    const src = slotOf(f.inv, 'srcIndex', 'srcDepth', f.inv.extra[0].cap);
    const u = capAt(f.ctx.before, src) as Cap & { tag: 'UntypedCap' };
    const row = rowOf('contract-CNode_Copy');
    expect(judge(row, f.ctx)).toBeNull();
    const child = 0x00100000 + 16 * 4000;
    const before = withCTE(withCTE(f.ctx.before, src, { ...cteAt(f.ctx.before, src), mdb: { ...cteAt(f.ctx.before, src).mdb, next: child } }), child,
      { cap: { tag: 'EndpointCap', ptr: u.ptr, badge: 0, rights: ALL_RIGHTS }, mdb: { prev: src, next: 0, revocable: true, firstBadged: true } });
    expect(judge(row, { ...f.ctx, before })).toMatchObject({ promise: expect.stringMatching(/RevokeFirst/) });
  });

  it('Move and Mutate: a source left behind or a changed badge are caught', () => {
    const f = find('CNode_Move', 'success');
    const srcSlot = slotOf(f.inv, 'srcIndex', 'srcDepth', f.inv.extra[0].cap);
    quietThenFires('contract-CNode_Move', f, (a) => withCap(a, srcSlot, capAt(f.ctx.before, srcSlot)));
    const g = find('CNode_Mutate', 'success');
    const dest = slotOf(g.inv, 'destIndex', 'destDepth');
    const c = capAt(g.ctx.after, dest);
    quietThenFires('contract-CNode_Mutate', g, (a) => withCap(a, dest, c.tag === 'EndpointCap' ? { ...c, badge: c.badge + 1 } : { tag: 'IRQControlCap' }));
  });

  it('Rotate: a pivot that lost its cap is caught', () => {
    const f = find('CNode_Rotate', 'success');
    const pivot = slotOf(f.inv, 'pivotIndex', 'pivotDepth', f.inv.extra[0].cap);
    quietThenFires('contract-CNode_Rotate', f, (a) => withCap(a, pivot, { tag: 'NullCap' }));
  });

  it('Delete: a slot left full, or a thread left blocked on a destroyed endpoint, is caught', () => {
    const f = find('CNode_Delete', 'success');
    const slot = slotOf(f.inv, 'index', 'depth');
    quietThenFires('contract-CNode_Delete', f, (a) => withCap(a, slot, capAt(f.ctx.before, slot)));
    const g = find('CNode_Delete', 'success', ({ inv }) => {
      const c = capAt(inv.before, slotOf(inv, 'index', 'depth'));
      const o = c.tag === 'EndpointCap' ? inv.before.objects[c.ptr] : undefined;
      const now = c.tag === 'EndpointCap' ? inv.after.objects[c.ptr] : undefined;
      return o?.tag === 'Endpoint' && o.queue.length > 0 && now?.tag === 'Endpoint' && now.queue.length === 0;
    });
    const c = capAt(g.ctx.before, slotOf(g.inv, 'index', 'depth')) as Cap & { tag: 'EndpointCap' };
    const ep = g.ctx.before.objects[c.ptr] as { queue: PPtr[] };
    const t = ep.queue[0];
    quietThenFires('contract-CNode_Delete', g, (a) => withTCB(a, t, { state: (g.ctx.before.objects[t] as TCB).state }));
  });

  it('Delete of a cap that is not the last one to an endpoint: a changed queue is caught (final-ignores-next)', () => {
    const f = find('CNode_Delete', 'success', ({ inv }) => {
      const c = capAt(inv.before, slotOf(inv, 'index', 'depth'));
      return c.tag === 'EndpointCap' && Object.values(inv.after.ctes).some((x) => x.cap.tag === 'EndpointCap' && x.cap.ptr === c.ptr);
    });
    const c = capAt(f.ctx.before, slotOf(f.inv, 'index', 'depth')) as Cap & { tag: 'EndpointCap' };
    quietThenFires('contract-CNode_Delete', f, (a) => ({ ...a, objects: { ...a.objects, [c.ptr]: { ...(a.objects[c.ptr] as { tag: 'Endpoint'; queue: PPtr[] }), queue: [f.inv.invoker] } as never } }));
  });

  it('Revoke: a descendant left after the cap, or a changed revoked cap, is caught', () => {
    const f = find('CNode_Revoke', 'success', ({ inv }) => {
      const slot = slotOf(inv, 'index', 'depth');
      const next = inv.before.ctes[slot]?.mdb.next ?? 0;
      return next !== 0 && inv.after.ctes[next] === undefined && inv.before.ctes[slot]!.mdb.revocable;
    });
    const slot = slotOf(f.inv, 'index', 'depth');
    const child = f.ctx.before.ctes[slot]!.mdb.next;
    quietThenFires('contract-CNode_Revoke', f, (a) => withCTE(withCTE(a, child, f.ctx.before.ctes[child]!), slot, { ...cteAt(a, slot), mdb: { ...cteAt(a, slot).mdb, next: child } }));
    quietThenFires('contract-CNode_Revoke', f, (a) => withCap(a, slot, { tag: 'NullCap' }));
  });

  it('CancelBadgedSends: a sender with the badge left in the queue is caught', () => {
    const f = find('CNode_CancelBadgedSends', 'success', ({ inv }) => {
      const c = capAt(inv.before, slotOf(inv, 'index', 'depth'));
      const o = c.tag === 'EndpointCap' ? inv.before.objects[c.ptr] : undefined;
      return c.tag === 'EndpointCap' && c.badge !== 0 && o?.tag === 'Endpoint' && o.queue.length > 0 && JSON.stringify(inv.after.objects[c.ptr]) !== JSON.stringify(o);
    });
    const c = capAt(f.ctx.before, slotOf(f.inv, 'index', 'depth')) as Cap & { tag: 'EndpointCap' };
    quietThenFires('contract-CNode_CancelBadgedSends', f, (a) => ({ ...a, objects: { ...a.objects, [c.ptr]: f.ctx.before.objects[c.ptr] } }));
  });

  it('Mutate / Rotate: a CNode cap whose guard is not the data word\'s is caught', () => {
    const g = find('CNode_Mutate', 'success', ({ inv }) => capAt(inv.after, slotOf(inv, 'destIndex', 'destDepth')).tag === 'CNodeCap');
    const dest = slotOf(g.inv, 'destIndex', 'destDepth');
    const c = capAt(g.ctx.after, dest) as Cap & { tag: 'CNodeCap' };
    quietThenFires('contract-CNode_Mutate', g, (a) => withCap(a, dest, { ...c, guardSize: c.guardSize === 0 ? 1 : 0 }));
    // No scenario rotates a CNode cap: put one in the pivot (before) and in the destination (after),
    // with the guard the destBadge word gives it, then a guard size one off.
    const r = find('CNode_Rotate', 'success', ({ inv }) => inv.arg('destBadge') === 0);
    const rd = slotOf(r.inv, 'destIndex', 'destDepth');
    const rp = slotOf(r.inv, 'pivotIndex', 'pivotDepth', r.inv.extra[0].cap);
    const cn: Cap = { tag: 'CNodeCap', ptr: c.ptr, radix: c.radix, guard: 0, guardSize: 0 };
    const ctx = { ...r.ctx, before: withCap(r.ctx.before, rp, cn), after: withCap(r.ctx.after, rd, cn) };
    quietThenFires('contract-CNode_Rotate', { ctx }, (a) => withCap(a, rd, { ...cn, guardSize: 1 }));
  });

  it('CancelBadgedSends: a success on an endpoint cap without full rights is caught', () => {
    const f = find('CNode_CancelBadgedSends', 'success', ({ inv }) => capAt(inv.before, slotOf(inv, 'index', 'depth')).tag === 'EndpointCap');
    const slot = slotOf(f.inv, 'index', 'depth');
    const c = capAt(f.ctx.before, slot) as Cap & { tag: 'EndpointCap' };
    const row = rowOf('contract-CNode_CancelBadgedSends');
    expect(judge(row, f.ctx)).toBeNull();
    const weak = { ...c, rights: { ...c.rights, grantReply: false } };
    const v = judge(row, { ...f.ctx, before: withCap(f.ctx.before, slot, weak), after: withCap(f.ctx.after, slot, weak) });
    expect(v).toMatchObject({ promise: expect.stringMatching(/full rights/) });
  });

  it('CapLookup: a thread that runs on after a Call or Recv on an address that does not resolve is caught', () => {
    for (const name of ['Call', 'Recv']) {
      const ctx = findSyscall(name, (st) => st.target === null && st.invoker !== st.before.idleThread);
      const t = ctx.before.curThread;
      quietThenFires('contract-CapLookup', { ctx }, (a) => withTCB(a, t, { state: { tag: 'Running' } }));
    }
  });

  it('SaveCaller: a reply cap left in the caller slot is caught', () => {
    const f = find('CNode_SaveCaller', 'success', ({ inv }) => capAt(inv.before, inv.invoker + 16 * TCB_SLOT.caller).tag === 'ReplyCap');
    const caller = f.inv.invoker + 16 * TCB_SLOT.caller;
    quietThenFires('contract-CNode_SaveCaller', f, (a) => withCap(a, caller, capAt(f.ctx.before, caller)));
  });
});

describe('Untyped_Retype', () => {
  it('a misaligned object, a watermark not advanced, or a cap of the wrong type are caught', () => {
    const f = find('Untyped_Retype', 'success', ({ inv }) => inv.arg('numObjects') === 1 && inv.arg('nodeDepth') === 0);
    const root = f.inv.extra[0].cap as Cap & { ptr: number };
    const slot = root.ptr + 16 * f.inv.arg('nodeOffset')!;
    const c = capAt(f.ctx.after, slot) as Cap & { ptr: number };
    quietThenFires('contract-Untyped_Retype', f, (a) => withCap(a, slot, { ...c, ptr: c.ptr + 4 } as Cap));
    quietThenFires('contract-Untyped_Retype', f, (a) => withCap(a, slot, { tag: 'IRQControlCap' }));
    const ut = capAt(f.ctx.after, f.inv.target.slot) as Cap & { tag: 'UntypedCap' };
    quietThenFires('contract-Untyped_Retype', f, (a) => withCap(a, f.inv.target.slot, { ...ut, freeIndex: capAt(f.ctx.before, f.inv.target.slot).tag === 'UntypedCap' ? (capAt(f.ctx.before, f.inv.target.slot) as typeof ut).freeIndex : 0 }));
  });
  it('with nothing of the region left: objects not at its start, or NotEnoughMemory though they fit, are caught', () => {
    // The first retype from a fresh untyped: nothing of its region exists yet.
    const f = find('Untyped_Retype', 'success', ({ inv }) => {
      const u = inv.target.cap;
      return u.tag === 'UntypedCap' && u.freeIndex === 0 && inv.arg('numObjects') === 1 && inv.arg('nodeDepth') === 0 && inv.arg('type') === 2;
    });
    const root = f.inv.extra[0].cap as Cap & { ptr: number };
    const slot = root.ptr + 16 * f.inv.arg('nodeOffset')!;
    const c = capAt(f.ctx.after, slot) as Cap & { tag: 'EndpointCap' };
    const ut = capAt(f.ctx.after, f.inv.target.slot) as Cap & { tag: 'UntypedCap' };
    // The endpoint one place up (still aligned, inside, the watermark past it): not from the start.
    const up = c.ptr + 16;
    quietThenFires('contract-Untyped_Retype', f, (a) => withCap(withCap({ ...a, objects: { ...a.objects, [up]: a.objects[c.ptr] } }, slot, { ...c, ptr: up }), f.inv.target.slot, { ...ut, freeIndex: ut.freeIndex + 16 }));
    const row = rowOf('contract-Untyped_Retype') as Contract & { kind: 'method' };
    expect(row.error!(f.inv, 'NotEnoughMemory')).toMatchObject({ promise: expect.stringMatching(/NotEnoughMemory only when/) });
    expect(row.error!(f.inv, 'RangeError')).toBeNull();
  });
});

describe('TCB rows', () => {
  const target = (f: Found): PPtr => (f.inv.target.cap as { ptr: number }).ptr;

  it('SetPriority / SetMCPriority: a priority other than requested, or a Range Error within the MCP, are caught', () => {
    for (const [m, field] of [['TCB_SetPriority', 'priority'], ['TCB_SetMCPriority', 'mcp']] as const) {
      const f = find(m, 'success');
      quietThenFires(`contract-${m}`, f, (a) => withTCB(a, target(f), { [field]: ((a.objects[target(f)] as TCB)[field] + 1) % 256 }));
      // The same request answered with a Range Error and no change.
      quietThenFires(`contract-${m}`, f, () => withTCB(f.ctx.before, f.inv.invoker, { delivered: { error: 'RangeError' } }));
    }
  });

  it('SetPriority: a success above the authority\'s MCP is caught', () => {
    const f = find('TCB_SetPriority', 'error', ({ inv }) => inv.outcome.tag === 'replied' && inv.outcome.error === 'RangeError');
    expect(judge(rowOf('contract-TCB_SetPriority'), f.ctx)).toBeNull();
    const a = withTCB(f.ctx.after, f.inv.invoker, { delivered: { error: 'NoError' } });
    expect(judge(rowOf('contract-TCB_SetPriority'), { ...f.ctx, after: a })).not.toBeNull();
  });

  it('Suspend leaves the thread Inactive and unqueued; Resume of an Inactive thread restarts it', () => {
    const f = find('TCB_Suspend', 'success', ({ inv }) => target({ ctx: inv.ctx, inv }) !== inv.invoker);
    quietThenFires('contract-TCB_Suspend', f, (a) => withTCB(a, target(f), { state: { tag: 'Running' } }));
    const g = find('TCB_Resume', 'success', ({ inv }) => (inv.before.objects[(inv.target.cap as { ptr: number }).ptr] as TCB).state.tag === 'Inactive');
    quietThenFires('contract-TCB_Resume', g, (a) => withTCB(a, target(g), { state: { tag: 'Inactive' } }));
  });

  it('Configure, SetSpace and SetIPCBuffer set what they are given', () => {
    const f = find('TCB_Configure', 'success');
    quietThenFires('contract-TCB_Configure', f, (a) => withTCB(a, target(f), { faultHandler: (f.inv.arg('faultEP')! + 1) >>> 0 }));
    const g = find('TCB_SetIPCBuffer', 'success');
    quietThenFires('contract-TCB_SetIPCBuffer', g, (a) => withTCB(a, target(g), { ipcBuffer: g.inv.arg('buffer')! + 512 }));
    const h = find('TCB_SetSpace', 'success');
    quietThenFires('contract-TCB_SetSpace', h, (a) => withTCB(a, target(h), { faultHandler: (h.inv.arg('faultEP')! + 1) >>> 0 }));
  });

  it('SetTLSBase: a TLS base other than the one given, or another register moved, is caught', () => {
    const f = find('TCB_SetTLSBase', 'success', ({ inv }) => (inv.target.cap as { ptr: number }).ptr !== inv.invoker);
    const t = target(f);
    const regs = (f.ctx.after.objects[t] as TCB).registers;
    quietThenFires('contract-TCB_SetTLSBase', f, (a) => withTCB(a, t, { registers: regs.map((v, i) => (i === REG.tpidrurw ? (v + 1) >>> 0 : v)) }));
    quietThenFires('contract-TCB_SetTLSBase', f, (a) => withTCB(a, t, { registers: regs.map((v, i) => (i === REG.r8 ? (v + 1) >>> 0 : v)) }));
  });

  it('Bind / Unbind: a one-sided binding is caught', () => {
    const f = find('TCB_BindNotification', 'success');
    quietThenFires('contract-TCB_BindNotification', f, (a) => withTCB(a, target(f), { boundNotification: null }));
    const g = find('TCB_UnbindNotification', 'success');
    const n = (g.ctx.before.objects[target(g)] as TCB).boundNotification!;
    quietThenFires('contract-TCB_UnbindNotification', g, (a) => withTCB(a, target(g), { boundNotification: n }));
  });
});

describe('Yield', () => {
  it('a yielding thread that keeps the CPU while a peer of its priority is ready is caught', () => {
    const ctx = findSyscall('Yield', (st) => st.after.curThread !== st.invoker);
    expect(judge(rowOf('contract-Yield'), ctx)).toBeNull();
    const inv = ctx.before.curThread;
    expect(judge(rowOf('contract-Yield'), { ...ctx, after: { ...ctx.after, curThread: inv } })).not.toBeNull();
  });
});

describe('IPC, notification and fault rows', () => {
  const receiverOf = (st: SyscallStep): PPtr | undefined => {
    const c = st.target?.cap;
    const o = c?.tag === 'EndpointCap' ? st.before.objects[c.ptr] : undefined;
    return o?.tag === 'Endpoint' && o.state === 'Recv' ? o.queue[0] : undefined;
  };

  it('Send / Call: a wrong badge at the receiver, or caps through a cap without Grant, are caught', () => {
    const ctx = findSyscall('Call', (st) => st.target?.cap.tag === 'EndpointCap' && receiverOf(st) !== undefined && (st.target.cap as { badge: number }).badge !== 0);
    const st = decodeStep(ctx) as SyscallStep;
    const r = receiverOf(st)!;
    const d = (ctx.after.objects[r] as TCB).delivered;
    quietThenFires('contract-Call', { ctx }, (a) => withTCB(a, r, { delivered: { ...d, badge: (d.badge ?? 0) + 1 } }));
    const s2 = findSyscall('Send', (x) => x.target?.cap.tag === 'EndpointCap' && receiverOf(x) !== undefined && !(x.target.cap as { rights: { grant: boolean } }).rights.grant);
    const x = decodeStep(s2) as SyscallStep;
    const r2 = receiverOf(x)!;
    const d2 = (s2.after.objects[r2] as TCB).delivered;
    quietThenFires('contract-Send', { ctx: s2 }, (a) => withTCB(a, r2, { delivered: { ...d2, info: { ...d2.info!, extraCaps: 1 } } }));
  });

  it('Call without Grant or GrantReply: a reply cap left in the receiver is caught', () => {
    const ctx = findSyscall('Call', (st) => {
      const c = st.target?.cap;
      return c?.tag === 'EndpointCap' && !c.rights.grant && !c.rights.grantReply && receiverOf(st) !== undefined;
    });
    const st = decodeStep(ctx) as SyscallStep;
    const r = receiverOf(st)!;
    quietThenFires('contract-Call', { ctx }, (a) => withCap(a, r + 16 * TCB_SLOT.caller, { tag: 'ReplyCap', tcb: st.invoker, master: false, canGrant: false }));
  });

  it('Reply: a reply cap that stays, or a caller still blocked, is caught', () => {
    const ctx = findSyscall('Reply', (st) => {
      const rc = capAt(st.before, st.invoker + 16 * TCB_SLOT.caller);
      return rc.tag === 'ReplyCap' && (st.before.objects[rc.tcb] as TCB).state.tag === 'BlockedOnReply' && (st.before.objects[rc.tcb] as TCB).fault === null;
    });
    const st = decodeStep(ctx) as SyscallStep;
    const slot = st.invoker + 16 * TCB_SLOT.caller;
    const rc = capAt(ctx.before, slot) as Cap & { tag: 'ReplyCap' };
    quietThenFires('contract-Reply', { ctx }, (a) => withCap(a, slot, rc));
    quietThenFires('contract-Reply', { ctx }, (a) => withTCB(a, rc.tcb, { state: { tag: 'BlockedOnReply' } }));
  });

  it('Signal: a word that is not the OR of the badges is caught', () => {
    const ctx = findSyscall('Send', (st) => {
      const c = st.target?.cap;
      const o = c?.tag === 'NotificationCap' ? st.before.objects[c.ptr] : undefined;
      return c?.tag === 'NotificationCap' && c.badge !== 0 && o?.tag === 'Notification' && o.state !== 'Waiting' && o.boundTCB === null;
    });
    const c = (decodeStep(ctx) as SyscallStep).target!.cap as Cap & { tag: 'NotificationCap' };
    quietThenFires('contract-Send', { ctx }, (a) => ({ ...a, objects: { ...a.objects, [c.ptr]: { ...(a.objects[c.ptr] as object), word: 0 } as never } }));
  });

  it('Recv: a badge other than the sender\'s, or a caller not waiting for its reply, is caught', () => {
    const ctx = findSyscall('Recv', (st) => {
      const c = st.target?.cap;
      const o = c?.tag === 'EndpointCap' ? st.before.objects[c.ptr] : undefined;
      const s = o?.tag === 'Endpoint' && o.state === 'Send' ? (st.before.objects[o.queue[0]] as TCB) : undefined;
      return s?.state.tag === 'BlockedOnSend' && s.state.isCall && (s.state.canGrant || s.state.canGrantReply) && s.fault === null && (st.before.objects[st.invoker] as TCB).boundNotification === null;
    });
    const st = decodeStep(ctx) as SyscallStep;
    const d = (ctx.after.objects[st.invoker] as TCB).delivered;
    quietThenFires('contract-Recv', { ctx }, (a) => withTCB(a, st.invoker, { delivered: { ...d, badge: (d.badge ?? 0) + 1 } }));
    const c = st.target!.cap as Cap & { ptr: number };
    const sender = (ctx.before.objects[c.ptr] as { queue: PPtr[] }).queue[0];
    quietThenFires('contract-Recv', { ctx }, (a) => withTCB(a, sender, { state: { tag: 'Running' } }));
  });

  it('Wait on a notification bound to another thread: a delivery is caught', () => {
    const ctx = findSyscall('NBRecv', (st) => {
      const c = st.target?.cap;
      const o = c?.tag === 'NotificationCap' ? st.before.objects[c.ptr] : undefined;
      return o?.tag === 'Notification' && o.boundTCB !== null && o.boundTCB !== st.invoker;
    });
    const t = ctx.before.curThread;
    quietThenFires('contract-NBRecv', { ctx }, (a) => withTCB(a, t, { delivered: { badge: 8 } }));
  });

  it('Faults: a thread without a valid handler that is not suspended, or a handler that got the wrong label, is caught', () => {
    const faulting = steps.filter((c) => c.event.tag === 'exception' && c.before.curThread !== c.before.idleThread);
    const none = faulting.find((c) => (c.after.objects[c.before.curThread] as TCB | undefined)?.state.tag === 'Inactive');
    expect(none).toBeDefined();
    quietThenFires('contract-Fault', { ctx: none! }, (a) => withTCB(a, none!.before.curThread, { state: { tag: 'Running' } }));
    const sent = faulting.find((c) => {
      const st = (c.after.objects[c.before.curThread] as TCB | undefined)?.state.tag;
      return st === 'BlockedOnReply';
    });
    expect(sent).toBeDefined();
    quietThenFires('contract-Fault', { ctx: sent! }, (a) => withTCB(a, sent!.before.curThread, { state: { tag: 'Inactive' } }));
  });
});

describe('blocking, non-blocking, bound notifications, cap faults and fault replies', () => {
  const ntfnOf = (st: SyscallStep) => {
    const c = st.target?.cap;
    const o = c?.tag === 'NotificationCap' ? st.before.objects[c.ptr] : undefined;
    return o?.tag === 'Notification' ? { cap: c as Cap & { tag: 'NotificationCap' }, o } : undefined;
  };
  const epOf = (st: SyscallStep) => {
    const c = st.target?.cap;
    const o = c?.tag === 'EndpointCap' ? st.before.objects[c.ptr] : undefined;
    return o?.tag === 'Endpoint' ? { cap: c as Cap & { tag: 'EndpointCap' }, o } : undefined;
  };
  const unbound = (st: SyscallStep): boolean => (st.before.objects[st.invoker] as TCB).boundNotification === null;
  const withQueue = (a: KernelState, p: PPtr, queue: PPtr[]): KernelState => ({ ...a, objects: { ...a.objects, [p]: { ...(a.objects[p] as object), queue } as never } });

  it('Send / Call with no receiver waiting: a sender that runs on, or is not at the tail, is caught; NBSend that blocks is caught', () => {
    const ctx = findSyscall('Send', (st) => { const e = epOf(st); return e !== undefined && e.cap.rights.write && e.o.state !== 'Recv' && st.extraCaps !== null && (st.before.objects[st.invoker] as TCB).fault === null; });
    const st = decodeStep(ctx) as SyscallStep;
    quietThenFires('contract-Send', { ctx }, (a) => withTCB(a, st.invoker, { state: { tag: 'Running' } }));
    const ep = epOf(st)!.cap.ptr;
    // At the head instead of the tail (or not queued at all when nobody else waited).
    const prior = epOf(st)!.o.state === 'Send' ? epOf(st)!.o.queue : [];
    quietThenFires('contract-Send', { ctx }, (a) => withQueue(a, ep, prior.length > 0 ? [st.invoker, ...prior] : []));
    const nb = findSyscall('NBSend', (x) => { const e = epOf(x); return e !== undefined && e.cap.rights.write && e.o.state !== 'Recv' && x.extraCaps !== null; });
    const y = decodeStep(nb) as SyscallStep;
    quietThenFires('contract-NBSend', { ctx: nb }, (a) => withTCB(a, y.invoker, { state: { tag: 'BlockedOnSend', ep: epOf(y)!.cap.ptr, badge: 0, canGrant: false, canGrantReply: false, isCall: false } }));
  });

  it('Recv / NBRecv with nothing pending: a receiver not blocked with its Grant, or an NBRecv that blocks, is caught', () => {
    const ctx = findSyscall('Recv', (st) => { const e = epOf(st); return e !== undefined && e.cap.rights.read && e.o.state !== 'Send' && unbound(st); });
    const st = decodeStep(ctx) as SyscallStep;
    const e = epOf(st)!;
    quietThenFires('contract-Recv', { ctx }, (a) => withTCB(a, st.invoker, { state: { tag: 'BlockedOnReceive', ep: e.cap.ptr, canGrant: !e.cap.rights.grant } }));
    quietThenFires('contract-Recv', { ctx }, (a) => withQueue(a, e.cap.ptr, []));
    const nb = findSyscall('NBRecv', (x) => { const f = epOf(x); return f !== undefined && f.cap.rights.read && f.o.state !== 'Send' && unbound(x); });
    const y = decodeStep(nb) as SyscallStep;
    quietThenFires('contract-NBRecv', { ctx: nb }, (a) => withTCB(a, y.invoker, { state: { tag: 'BlockedOnReceive', ep: epOf(y)!.cap.ptr, canGrant: false } }));
  });

  it('Wait / Poll with no signal pending: a waiter not queued, or a Poll that blocks, is caught', () => {
    const ctx = findSyscall('Recv', (st) => { const n = ntfnOf(st); return n !== undefined && n.cap.rights.read && n.o.state !== 'Active' && (n.o.boundTCB === null || n.o.boundTCB === st.invoker); });
    const st = decodeStep(ctx) as SyscallStep;
    quietThenFires('contract-Recv', { ctx }, (a) => withTCB(a, st.invoker, { state: { tag: 'Running' } }));
    quietThenFires('contract-Recv', { ctx }, (a) => withQueue(a, ntfnOf(st)!.cap.ptr, []));
    const nb = findSyscall('NBRecv', (x) => { const n = ntfnOf(x); return n !== undefined && n.cap.rights.read && n.o.state !== 'Active' && (n.o.boundTCB === null || n.o.boundTCB === x.invoker); });
    const y = decodeStep(nb) as SyscallStep;
    quietThenFires('contract-NBRecv', { ctx: nb }, (a) => withTCB(a, y.invoker, { state: { tag: 'BlockedOnNotification', ntfn: ntfnOf(y)!.cap.ptr } }));
  });

  it('ReplyRecv: a receive half that does not block on the endpoint is caught', () => {
    const ctx = findSyscall('ReplyRecv', (st) => { const e = epOf(st); return e !== undefined && e.cap.rights.read && e.o.state !== 'Send' && unbound(st); });
    const st = decodeStep(ctx) as SyscallStep;
    quietThenFires('contract-ReplyRecv', { ctx }, (a) => withTCB(a, st.invoker, { state: { tag: 'Running' } }));
  });

  it('a signal to an idle notification whose bound thread waits in Recv: a word left pending is caught', () => {
    const ctx = findSyscall('Send', (st) => {
      const n = ntfnOf(st);
      return n !== undefined && n.cap.rights.write && n.o.state === 'Idle' && n.o.boundTCB !== null && (st.before.objects[n.o.boundTCB] as TCB).state.tag === 'BlockedOnReceive';
    });
    const n = ntfnOf(decodeStep(ctx) as SyscallStep)!;
    quietThenFires('contract-Send', { ctx }, (a) => ({ ...a, objects: { ...a.objects, [n.cap.ptr]: { ...(a.objects[n.cap.ptr] as object), state: 'Active', word: n.cap.badge } as never } }));
  });

  it('a Recv with its bound notification active: a word not delivered is caught', () => {
    const ctx = findSyscall('Recv', (st) => {
      const e = epOf(st);
      const b = (st.before.objects[st.invoker] as TCB).boundNotification;
      const o = b === null ? undefined : st.before.objects[b];
      return e !== undefined && e.cap.rights.read && o?.tag === 'Notification' && o.state === 'Active';
    });
    const st = decodeStep(ctx) as SyscallStep;
    quietThenFires('contract-Recv', { ctx }, (a) => withTCB(a, st.invoker, { delivered: { badge: 0x7fff_0000 } }));
  });

  it('cap faults: a Recv on a missing cap that runs on, or a fault message without the receive phase, is caught', () => {
    const faults = steps.filter((c) => {
      const d = decodeStep(c);
      return d.kind === 'syscall' && (d.syscall === 'Recv' || d.syscall === 'NBRecv') && d.target === null && (c.before.objects[c.before.curThread] as TCB).fault === null;
    });
    expect(faults.length).toBeGreaterThan(0);
    const ctx = faults[0];
    quietThenFires('contract-CapFault', { ctx }, (a) => withTCB(a, ctx.before.curThread, { state: { tag: 'Running' } }));
    const sent = steps.find((c) => {
      const d = decodeStep(c);
      if (d.kind !== 'syscall' || d.target !== null || (c.before.objects[c.before.curThread] as TCB).fault !== null) return false;
      return Object.keys(c.after.objects).some((p) => { const t = c.after.objects[Number(p)]; return t?.tag === 'TCB' && t.delivered.info?.label === 1 && !Object.is(t.delivered, (c.before.objects[Number(p)] as TCB | undefined)?.delivered); });
    });
    if (sent !== undefined) {
      const r = Number(Object.keys(sent.after.objects).find((p) => { const t = sent.after.objects[Number(p)]; return t?.tag === 'TCB' && t.delivered.info?.label === 1 && !Object.is(t.delivered, (sent.before.objects[Number(p)] as TCB | undefined)?.delivered); }));
      const d = (sent.after.objects[r] as TCB).delivered;
      quietThenFires('contract-CapFault', { ctx: sent }, (a) => withTCB(a, r, { delivered: { ...d, mrs: d.mrs!.map((w, i) => (i === 2 ? 1 - w : w)) } }));
    }
  });

  it('a reply to a fault: a thread restarted despite a non-zero label, or registers not written back, is caught', () => {
    const ctx = findSyscall('Reply', (st) => {
      const rc = capAt(st.before, st.invoker + 16 * TCB_SLOT.caller);
      const t = rc.tag === 'ReplyCap' ? (st.before.objects[rc.tcb] as TCB) : undefined;
      return t?.state.tag === 'BlockedOnReply' && (t.fault?.tag === 'UnknownSyscall' || t.fault?.tag === 'UserException');
    });
    const st = decodeStep(ctx) as SyscallStep;
    const rc = capAt(ctx.before, st.invoker + 16 * TCB_SLOT.caller) as Cap & { tag: 'ReplyCap' };
    const now = ctx.after.objects[rc.tcb] as TCB;
    const flip = now.state.tag === 'Inactive' ? { tag: 'Restart' as const } : { tag: 'Inactive' as const };
    quietThenFires('contract-Reply', { ctx }, (a) => withTCB(a, rc.tcb, { state: flip }));
    if (st.word(0) !== undefined && now.state.tag !== 'Inactive') {
      const fault = (ctx.before.objects[rc.tcb] as TCB).fault!;
      const reg = fault.tag === 'UnknownSyscall' ? REG.r0 : REG.pc;
      quietThenFires('contract-Reply', { ctx }, (a) => withTCB(a, rc.tcb, { registers: now.registers.map((v, i) => (i === reg ? (v + 4) >>> 0 : v)) }));
    }
  });
});

describe('VSpace and IRQ rows', () => {
  it('Page_Map / Unmap / GetAddress: a cap that does not record its mapping, a wrong address reply, are caught', () => {
    const f = find('Page_Map', 'success');
    const c = capAt(f.ctx.after, f.inv.target.slot) as Cap & { tag: 'FrameCap' };
    quietThenFires('contract-Page_Map', f, (a) => withCap(a, f.inv.target.slot, { ...c, mapped: null }));
    const g = find('Page_Unmap', 'success', ({ inv }) => inv.target.cap.tag === 'FrameCap' && inv.target.cap.mapped !== null);
    quietThenFires('contract-Page_Unmap', g, (a) => withCap(a, g.inv.target.slot, g.inv.target.cap));
    const h = find('Page_GetAddress', 'success');
    const d = (h.ctx.after.objects[h.inv.invoker] as TCB).delivered;
    quietThenFires('contract-Page_GetAddress', h, (a) => withTCB(a, h.inv.invoker, { delivered: { ...d, mrs: [(d.mrs![0] + 4096) >>> 0] } }));
  });

  it('cache maintenance: a success that changed a slot or another object is caught', () => {
    for (const m of ['PageDirectory_Clean_Data', 'Page_Invalidate_Data'] as const) {
      const f = find(m, 'success');
      const slot = f.inv.target.slot;
      quietThenFires(`contract-${m}`, f, (a) => withCap(a, slot, { tag: 'NullCap' }));
    }
  });

  it('PageTable_Map, ASIDPool_Assign, ASIDControl_MakePool, IRQControl_Get: a missing effect is caught', () => {
    const f = find('PageTable_Map', 'success');
    quietThenFires('contract-PageTable_Map', f, (a) => withCap(a, f.inv.target.slot, { ...(capAt(a, f.inv.target.slot) as Cap & { tag: 'PageTableCap' }), mapped: null }));
    const g = find('ASIDPool_Assign', 'success');
    const pd = g.inv.extra[0];
    quietThenFires('contract-ASIDPool_Assign', g, (a) => withCap(a, pd.slot, { ...(capAt(a, pd.slot) as Cap & { tag: 'PageDirectoryCap' }), mapped: null }));
    const h = find('ASIDControl_MakePool', 'success');
    const ut = h.inv.extra[0];
    quietThenFires('contract-ASIDControl_MakePool', h, (a) => withCap(a, ut.slot, { ...(capAt(a, ut.slot) as Cap & { tag: 'UntypedCap' }), freeIndex: 0 }));
    const k = find('IRQControl_Get', 'success');
    const root = k.inv.extra[0].cap as Cap & { ptr: number; radix: number };
    const slot = root.ptr + 16 * (k.inv.arg('index')! % 2 ** root.radix);
    quietThenFires('contract-IRQControl_Get', k, (a) => withCap(a, slot, { tag: 'IRQHandlerCap', irq: k.inv.arg('irq')! + 1 }));
  });
});

describe('register, IRQ handler, interrupt and tick rows', () => {
  const target = (f: Found): PPtr => (f.inv.target.cap as { ptr: number }).ptr;
  const tcbIn = (s: KernelState, p: PPtr): TCB => s.objects[p] as TCB;
  const irqOf = (f: Found): number => (f.inv.target.cap as { irq: number }).irq;
  const irqSlot = (irq: number): PPtr => 0x4000 + 16 * irq;

  it('ReadRegisters: a reply word that is not the thread\'s register, a short reply, or a changed state, is caught', () => {
    const f = find('TCB_ReadRegisters', 'success', ({ inv }) => inv.outcome.tag === 'replied' && inv.arg('suspendSource') === 0);
    const d = tcbIn(f.ctx.after, f.inv.invoker).delivered;
    quietThenFires('contract-TCB_ReadRegisters', f, (a) => withTCB(a, f.inv.invoker, { delivered: { ...d, mrs: d.mrs!.map((v, i) => (i === 0 ? (v + 1) >>> 0 : v)) } }));
    quietThenFires('contract-TCB_ReadRegisters', f, (a) => withTCB(a, f.inv.invoker, { delivered: { ...d, info: { ...d.info!, length: d.info!.length - 1 }, mrs: d.mrs!.slice(0, -1) } }));
    const st = tcbIn(f.ctx.before, target(f)).state;
    quietThenFires('contract-TCB_ReadRegisters', f, (a) => withTCB(a, target(f), { state: st.tag === 'Inactive' ? { tag: 'Restart' } : { tag: 'Inactive' } }));
  });

  it('WriteRegisters: a register other than the value given, or a resumed target left stopped, is caught', () => {
    const f = find('TCB_WriteRegisters', 'success', ({ inv }) => (inv.arg('count') ?? 0) >= 1);
    const regs = tcbIn(f.ctx.after, target(f)).registers;
    quietThenFires('contract-TCB_WriteRegisters', f, (a) => withTCB(a, target(f), { registers: regs.map((v, i) => (i === REG.pc ? (v + 4) >>> 0 : v)) }));
    const g = find('TCB_WriteRegisters', 'success', ({ inv }) => inv.arg('resumeTarget') === 1 && tcbIn(inv.before, (inv.target.cap as { ptr: number }).ptr).state.tag === 'Inactive');
    quietThenFires('contract-TCB_WriteRegisters', g, (a) => withTCB(a, target(g), { state: { tag: 'Inactive' } }));
  });

  it('CopyRegisters: a transferred register that is not the source\'s, or one kept that moved, is caught', () => {
    const f = find('TCB_CopyRegisters', 'success', ({ inv }) => {
      const s = inv.capArg('source')?.cap as { ptr: number } | undefined;
      const t = (inv.target.cap as { ptr: number }).ptr;
      return s !== undefined && s.ptr !== t && s.ptr !== inv.invoker && t !== inv.invoker && (inv.arg('transferFrame') === 1 || inv.arg('transferInteger') === 1);
    });
    const regs = tcbIn(f.ctx.after, target(f)).registers;
    const i = f.inv.arg('transferFrame') === 1 ? REG.pc : REG.r2;
    quietThenFires('contract-TCB_CopyRegisters', f, (a) => withTCB(a, target(f), { registers: regs.map((v, j) => (j === i ? (v + 4) >>> 0 : v)) }));
  });

  it('IRQHandler Ack / SetNotification / Clear: a line left masked, a notification not set or not cleared, is caught', () => {
    const f = find('IRQHandler_Ack', 'success', ({ inv }) => !inv.before.irqPending[(inv.target.cap as { irq: number }).irq]);
    quietThenFires('contract-IRQHandler_Ack', f, (a) => ({ ...a, irqMasked: a.irqMasked.map((m, i) => (i === irqOf(f) ? true : m)) }));
    const g = find('IRQHandler_SetNotification', 'success');
    quietThenFires('contract-IRQHandler_SetNotification', g, (a) => withCap(a, irqSlot(irqOf(g)), { tag: 'NullCap' }));
    const given = g.inv.extra[0].cap as Cap & { tag: 'NotificationCap' };
    quietThenFires('contract-IRQHandler_SetNotification', g, (a) => withCap(a, irqSlot(irqOf(g)), { ...given, badge: (given.badge + 1) >>> 0 }));
    const h = find('IRQHandler_Clear', 'success', ({ inv }) => capAt(inv.before, irqSlot((inv.target.cap as { irq: number }).irq)).tag !== 'NullCap');
    quietThenFires('contract-IRQHandler_Clear', h, (a) => withCap(a, irqSlot(irqOf(h)), capAt(h.ctx.before, irqSlot(irqOf(h)))));
  });

  it('Interrupt: a delivered line left unmasked, or a signal without the line\'s badge, is caught', () => {
    const ctx = steps.find((c) => c.event.tag === 'irq' && c.before.irqStates[c.event.line] === 'Signal' && !c.before.irqMasked[c.event.line] && capAt(c.before, irqSlot(c.event.line)).tag === 'NotificationCap');
    expect(ctx).toBeDefined();
    const line = (ctx!.event as { line: number }).line;
    quietThenFires('contract-Interrupt', { ctx: ctx! }, (a) => ({ ...a, irqMasked: a.irqMasked.map((m, i) => (i === line ? false : m)) }));
    const cap = capAt(ctx!.before, irqSlot(line)) as Cap & { tag: 'NotificationCap' };
    const n = ctx!.before.objects[cap.ptr] as { state: string; queue: PPtr[] };
    // Whoever got the signal gets a badge other than the line's: the waiter, or the word.
    const broken = (a: KernelState): KernelState => {
      if (n.state === 'Waiting') {
        const w = n.queue[0];
        return withTCB(a, w, { delivered: { ...tcbIn(a, w).delivered, badge: (cap.badge ^ 1) >>> 0 } });
      }
      return { ...a, objects: { ...a.objects, [cap.ptr]: { ...(a.objects[cap.ptr] as object), state: 'Active', word: 0 } as never } };
    };
    if (cap.badge !== 0) quietThenFires('contract-Interrupt', { ctx: ctx! }, broken);
  });

  it('Tick: a timeslice not charged, or not refilled at its end, is caught', () => {
    const ticks = steps.filter((c) => c.event.tag === 'tick' && c.event.count === 1 && c.before.curThread !== c.before.idleThread && tcbIn(c.before, c.before.curThread).state.tag === 'Running');
    const mid = ticks.find((c) => tcbIn(c.before, c.before.curThread).timeSlice > 1);
    const last = ticks.find((c) => tcbIn(c.before, c.before.curThread).timeSlice <= 1);
    expect(mid && last).toBeDefined();
    for (const ctx of [mid!, last!]) {
      const c = ctx.before.curThread;
      quietThenFires('contract-Tick', { ctx }, (a) => withTCB(a, c, { timeSlice: tcbIn(ctx.before, c).timeSlice }));
    }
    // At the end of the slice a ready peer of the same priority runs: the thread keeping the CPU is caught.
    const rotated = ticks.find((c) => {
      const cur = c.before.curThread;
      const p = tcbIn(c.before, cur);
      return p.timeSlice <= 1 && c.after.curThread !== cur && (c.before.readyQueues[p.priority] ?? []).some((q) => q !== cur);
    });
    expect(rotated).toBeDefined();
    quietThenFires('contract-Tick', { ctx: rotated! }, (a) => ({ ...a, curThread: rotated!.before.curThread }));
  });
});
