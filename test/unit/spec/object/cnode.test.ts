import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../abi/config';
import { ROOT_SLOTS, bootLayout } from '../../../../abi/boot';
import { LABEL } from '../../../../abi/invocations';
import { ALL_RIGHTS } from '../../../../abi/rights';
import type { Cap, CapOf, InvocationArgs, PPtr } from '../../../../spec/api/types';
import { bootState, newTCB } from '../../../../spec/kernel/boot';
import { type KernelState, cnodeSlot, getCTE, getTCB, tcbSlot } from '../../../../spec/model/state';
import { TCB_SLOT } from '../../../../spec/object/structures';
import { decodeInvocation } from '../../../../spec/api/invocation';
import {
  cteDelete, cteInsert, cteMove, cteRevoke, cteSwap, decodeCNodeInvocation, emptySlot, ensureNoChildren, insertNewCap,
  invokeCNode, isFinalCapability, isMDBParentOf,
} from '../../../../spec/object/cnode';

const config = defaultConfig();
const L = bootLayout(config);
const EP = 0x00900000;
const EP2 = 0x00900010;
const CN = 0x00910000; // a CNode of radix 4
const T = [0x00920000, 0x00920200, 0x00920400, 0x00920600];

const slotOf = (i: number): PPtr => cnodeSlot(L.rootCNode, i);
const ep = (ptr: PPtr, badge = 0): CapOf<'EndpointCap'> => ({ tag: 'EndpointCap', ptr, badge, rights: ALL_RIGHTS });
const cnCap = (ptr: PPtr, radix = 4): CapOf<'CNodeCap'> => ({ tag: 'CNodeCap', ptr, radix, guardSize: 0, guard: 0 });
const zombie = (ptr: PPtr, type: 'TCB' | number, number: number): CapOf<'ZombieCap'> =>
  ({ tag: 'ZombieCap', ptr, zombieType: type === 'TCB' ? { tag: 'ZombieTCB' } : { tag: 'ZombieCNode', radix: type }, number });

function world(): KernelState {
  const s = structuredClone(bootState(config));
  s.objects[EP] = { tag: 'Endpoint', state: 'Idle', queue: [] };
  s.objects[EP2] = { tag: 'Endpoint', state: 'Idle', queue: [] };
  s.objects[CN] = { tag: 'CNode', radix: 4 };
  for (const t of T) s.objects[t] = { ...newTCB(config), priority: 10 };
  return s;
}

/** An original cap, revocable and unlinked, as boot writes them. */
function put(s: KernelState, slot: PPtr, cap: Cap): PPtr {
  s.ctes[slot] = { cap, mdb: { prev: 0, next: 0, revocable: true, firstBadged: true } };
  return slot;
}

/** Checks the MDB is a well-formed set of doubly linked lists and returns the list through `from`. */
function mdbList(s: KernelState, from: PPtr): PPtr[] {
  for (const [k, cte] of Object.entries(s.ctes)) {
    const p = Number(k);
    expect(cte.cap.tag).not.toBe('NullCap');
    if (cte.mdb.next !== 0) expect(s.ctes[cte.mdb.next]?.mdb.prev, `next of ${p}`).toBe(p);
    if (cte.mdb.prev !== 0) expect(s.ctes[cte.mdb.prev]?.mdb.next, `prev of ${p}`).toBe(p);
  }
  let head = from;
  const seen = new Set<PPtr>();
  while (s.ctes[head].mdb.prev !== 0) {
    expect(seen.has(head)).toBe(false);
    seen.add(head);
    head = s.ctes[head].mdb.prev;
  }
  const out: PPtr[] = [];
  for (let p = head; p !== 0; p = s.ctes[p].mdb.next) {
    expect(out.includes(p)).toBe(false);
    out.push(p);
  }
  return out;
}

/** Blocks thread t sending on ep (state and queue, as sendIPC leaves them). */
function blockOnSend(s: KernelState, t: PPtr, ep: PPtr, badge = 0): void {
  getTCB(s, t).state = { tag: 'BlockedOnSend', ep, badge, canGrant: false, canGrantReply: false, isCall: false };
  const e = s.objects[ep];
  if (e.tag !== 'Endpoint') throw new Error('not an endpoint');
  e.state = 'Send';
  e.queue.push(t);
}

describe('MDB list operations', () => {
  it('cteInsert puts the new cap right after its source; isCapRevocable sets the bits', () => {
    const s = world();
    const o = put(s, slotOf(40), ep(EP));
    cteInsert(s, ep(EP), o, slotOf(41)); // copy: not revocable
    cteInsert(s, ep(EP, 5), o, slotOf(42)); // badged: revocable, firstBadged
    expect(mdbList(s, o)).toEqual([o, slotOf(42), slotOf(41)]);
    expect(s.ctes[slotOf(41)].mdb).toMatchObject({ revocable: false, firstBadged: false });
    expect(s.ctes[slotOf(42)].mdb).toMatchObject({ revocable: true, firstBadged: true });
    expect(isMDBParentOf(s, o, slotOf(42))).toBe(true);
    expect(ensureNoChildren(s, o)).toBe(false);
    expect(ensureNoChildren(s, slotOf(41))).toBe(true);
  });

  it('cteMove keeps the list position; cteSwap exchanges positions, adjacent or not', () => {
    const s = world();
    const a = put(s, slotOf(40), ep(EP));
    cteInsert(s, ep(EP), a, slotOf(41));
    cteInsert(s, ep(EP), slotOf(41), slotOf(42));
    cteMove(s, ep(EP), slotOf(41), slotOf(50));
    expect(mdbList(s, a)).toEqual([a, slotOf(50), slotOf(42)]);
    expect(s.ctes[slotOf(41)]).toBeUndefined();
    cteSwap(s, getCTE(s, slotOf(50)).cap, slotOf(50), getCTE(s, slotOf(42)).cap, slotOf(42));
    expect(mdbList(s, a)).toEqual([a, slotOf(42), slotOf(50)]);
    cteSwap(s, getCTE(s, a).cap, a, getCTE(s, slotOf(50)).cap, slotOf(50));
    expect(mdbList(s, a)).toEqual([slotOf(50), slotOf(42), a]);
    expect(s.ctes[slotOf(50)].mdb.revocable).toBe(true);
  });

  it('emptySlot unlinks and passes firstBadged on to the next entry', () => {
    const s = world();
    const o = put(s, slotOf(40), ep(EP));
    cteInsert(s, ep(EP, 7), o, slotOf(41));
    cteInsert(s, ep(EP, 7), slotOf(41), slotOf(42)); // a copy of the badged cap
    expect(s.ctes[slotOf(42)].mdb.firstBadged).toBe(false);
    emptySlot(s, slotOf(41));
    expect(mdbList(s, o)).toEqual([o, slotOf(42)]);
    expect(s.ctes[slotOf(42)].mdb.firstBadged).toBe(true);
  });

  it('insertNewCap makes revocable children, last created first', () => {
    const s = world();
    const u = slotOf(ROOT_SLOTS.firstUntyped + 2); // 0x00800000, 8 MiB: covers EP and EP2
    insertNewCap(s, u, slotOf(60), ep(EP));
    insertNewCap(s, u, slotOf(61), ep(EP2));
    expect(mdbList(s, u)).toEqual([u, slotOf(61), slotOf(60)]);
    expect(isMDBParentOf(s, u, slotOf(61))).toBe(true);
  });
});

describe('cteRevoke', () => {
  it('deletes minted children and grandchildren in list order, and nothing else', () => {
    const s = world();
    const o = put(s, slotOf(40), ep(EP));
    cteInsert(s, ep(EP, 5), o, slotOf(41)); // o -> 41(b5)
    cteInsert(s, ep(EP, 5), slotOf(41), slotOf(42)); // 41 -> 42(b5 copy)
    cteInsert(s, ep(EP, 6), o, slotOf(43)); // o -> 43(b6) -> 41 -> 42
    const other = put(s, slotOf(44), ep(EP2));
    cteInsert(s, ep(EP2), other, slotOf(45));
    expect(mdbList(s, o)).toEqual([o, slotOf(43), slotOf(41), slotOf(42)]);
    cteRevoke(s, slotOf(41));
    expect(mdbList(s, o)).toEqual([o, slotOf(43), slotOf(41)]);
    cteRevoke(s, o);
    expect(mdbList(s, o)).toEqual([o]);
    expect(mdbList(s, other)).toEqual([other, slotOf(45)]);
  });

  it('the last cap of an endpoint is final; deleting it restarts the queued threads in queue order', () => {
    const s = world();
    const o = put(s, slotOf(40), ep(EP));
    cteInsert(s, ep(EP, 3), o, slotOf(41));
    blockOnSend(s, T[0], EP);
    blockOnSend(s, T[1], EP, 3);
    expect(isFinalCapability(s, o)).toBe(false);
    cteRevoke(s, o);
    expect(getTCB(s, T[0]).state.tag).toBe('BlockedOnSend'); // a non-final delete does nothing
    expect(isFinalCapability(s, o)).toBe(true);
    cteDelete(s, o, true);
    expect(s.objects[EP]).toMatchObject({ state: 'Idle', queue: [] });
    expect(getTCB(s, T[0]).state.tag).toBe('Restart');
    expect(getTCB(s, T[1]).state.tag).toBe('Restart');
    // tcbSchedEnqueue puts each at the head: the last restarted is first.
    expect(s.readyQueues[10]).toEqual([T[1], T[0]]);
  });
});

describe('deletion of a final CNode cap', () => {
  it('empties the CNode from the highest slot down', () => {
    const s = world();
    const c = put(s, slotOf(40), cnCap(CN));
    put(s, cnodeSlot(CN, 2), ep(EP));
    put(s, cnodeSlot(CN, 9), ep(EP2));
    blockOnSend(s, T[0], EP);
    blockOnSend(s, T[1], EP2);
    cteDelete(s, c, true);
    // EP2 (slot 9) went first, EP (slot 2) last, so T[0] is at the head.
    expect(s.readyQueues[10]).toEqual([T[0], T[1]]);
    for (let i = 0; i < 16; i++) expect(s.ctes[cnodeSlot(CN, i)]).toBeUndefined();
    expect(s.ctes[c]).toBeUndefined();
  });

  it('a big CNode skips its empty slots but keeps the order', () => {
    const s = world();
    const BIG = 0x00a00000;
    s.objects[BIG] = { tag: 'CNode', radix: 10 };
    const c = put(s, slotOf(40), cnCap(BIG, 10));
    put(s, cnodeSlot(BIG, 900), ep(EP));
    put(s, cnodeSlot(BIG, 5), ep(EP2));
    put(s, cnodeSlot(BIG, 1023), { tag: 'DomainCap' });
    blockOnSend(s, T[0], EP);
    blockOnSend(s, T[1], EP2);
    cteDelete(s, c, true);
    expect(s.readyQueues[10]).toEqual([T[1], T[0]]);
    expect(Object.keys(s.ctes).map(Number).filter((p) => p >= BIG && p < BIG + 16 * 1024)).toEqual([]);
  });

  it('a CNode holding its own last cap: seL4 swaps the Zombie into slot 0 and stops', () => {
    const s = world();
    const inside = put(s, cnodeSlot(CN, 15), cnCap(CN));
    put(s, cnodeSlot(CN, 3), ep(EP));
    put(s, cnodeSlot(CN, 0), ep(EP2));
    blockOnSend(s, T[0], EP);
    blockOnSend(s, T[1], EP2);
    cteDelete(s, inside, true);
    // Slot 15's Zombie deletes slot 15 itself (unexposed): the Zombie goes to slot 0, whose EP2
    // cap comes to slot 15 and is deleted there. Slot 3 waits for the Zombie's own deletion.
    expect(s.ctes[inside]).toBeUndefined();
    expect(getCTE(s, cnodeSlot(CN, 0)).cap).toEqual(zombie(CN, 4, 16));
    expect(getCTE(s, cnodeSlot(CN, 3)).cap).toEqual(ep(EP));
    expect(getTCB(s, T[0]).state.tag).toBe('BlockedOnSend');
    expect(s.readyQueues[10]).toEqual([T[1]]);
    // Deleting the Zombie (exposed) finishes the CNode, slot 0 last.
    cteDelete(s, cnodeSlot(CN, 0), true);
    expect(Object.keys(s.ctes).map(Number).filter((p) => p >= CN && p < CN + 256)).toEqual([]);
    expect(s.readyQueues[10]).toEqual([T[0], T[1]]);
  });

  it('the root CNode holding its own last cap (slot 2): slots 3.. go, a Zombie is left in slot 0 and slot 1 stays', () => {
    const s = world();
    cteDelete(s, tcbSlot(L.rootTCB, TCB_SLOT.cTable), true);
    cteDelete(s, slotOf(ROOT_SLOTS.cnode), true);
    const size = 16 << config.rootCNodeBits;
    const left = Object.keys(s.ctes).map(Number).filter((p) => p >= L.rootCNode && p < L.rootCNode + size);
    expect(left).toEqual([slotOf(0), slotOf(ROOT_SLOTS.tcb)]);
    // The Zombie reached slot 2 with 3 slots to go and was swapped into (empty) slot 0.
    expect(getCTE(s, slotOf(0)).cap).toEqual(zombie(L.rootCNode, config.rootCNodeBits, 3));
    expect(getTCB(s, L.rootTCB).state.tag).toBe('Running'); // its Thread cap in slot 1 was not reached
    // The Zombie took the root CNode cap's place in the derivation list.
    expect(mdbList(s, slotOf(0))).toContain(slotOf(0));
    cteDelete(s, slotOf(0), true);
    expect(getTCB(s, L.rootTCB).state.tag).toBe('Inactive'); // its last Thread cap was in slot 1
    // ... deleted unexposed, so the root TCB keeps its own Zombie (in its empty CSpace root slot).
    const tcbRoot = tcbSlot(L.rootTCB, TCB_SLOT.cTable);
    expect(getCTE(s, tcbRoot).cap).toEqual(zombie(L.rootTCB, 'TCB', 5));
    cteDelete(s, tcbRoot, true);
    expect(Object.keys(s.ctes)).toEqual([]);
  });

  it('a nested final CNode: only its slot 0 (swapped out by its Zombie) is deleted; the later delete of the Zombie does the rest', () => {
    const s = world();
    const CN2 = 0x00930000;
    s.objects[CN2] = { tag: 'CNode', radix: 2 };
    const c = put(s, slotOf(40), cnCap(CN));
    put(s, cnodeSlot(CN, 5), cnCap(CN2, 2));
    put(s, cnodeSlot(CN2, 0), ep(EP));
    put(s, cnodeSlot(CN2, 3), ep(EP2));
    blockOnSend(s, T[0], EP);
    blockOnSend(s, T[1], EP2);
    cteDelete(s, c, true);
    expect(Object.keys(s.ctes).map(Number).filter((p) => p >= CN && p < CN + 256)).toEqual([]);
    expect(getCTE(s, cnodeSlot(CN2, 0)).cap).toEqual(zombie(CN2, 2, 4));
    expect(getCTE(s, cnodeSlot(CN2, 3)).cap).toEqual(ep(EP2));
    expect(getTCB(s, T[1]).state).toMatchObject({ tag: 'BlockedOnSend', ep: EP2 }); // still blocked, not lost
    expect(s.readyQueues[10]).toEqual([T[0]]);
    expect(isFinalCapability(s, cnodeSlot(CN2, 0))).toBe(true);
    cteDelete(s, cnodeSlot(CN2, 0), true);
    expect(Object.keys(s.ctes).map(Number).filter((p) => p >= CN2 && p < CN2 + 64)).toEqual([]);
    expect(s.readyQueues[10]).toEqual([T[1], T[0]]);
  });

  it('a TCB whose last cap is in a CNode being deleted: suspended, its Zombie left in its CSpace root slot', () => {
    const s = world();
    const t = T[2];
    const c = put(s, slotOf(40), cnCap(CN));
    put(s, cnodeSlot(CN, 7), { tag: 'ThreadCap', ptr: t });
    put(s, tcbSlot(t, TCB_SLOT.reply), { tag: 'ReplyCap', tcb: t, master: true, canGrant: true });
    const cs = cteInsertCopy(s, slotOf(ROOT_SLOTS.cnode), tcbSlot(t, TCB_SLOT.cTable));
    blockOnSend(s, t, EP);
    cteDelete(s, c, true);
    expect(getTCB(s, t).state.tag).toBe('Inactive');
    expect(s.objects[EP]).toMatchObject({ state: 'Idle', queue: [] });
    // Its CSpace root cap was swapped out to CN's slot 7 and deleted there; the reply master waits.
    expect(getCTE(s, cs).cap).toEqual(zombie(t, 'TCB', 5));
    expect(getCTE(s, tcbSlot(t, TCB_SLOT.reply)).cap).toMatchObject({ tag: 'ReplyCap', master: true });
    expect(s.ctes[cnodeSlot(CN, 7)]).toBeUndefined();
    mdbList(s, slotOf(ROOT_SLOTS.cnode));
    cteDelete(s, cs, true);
    for (let i = 0; i < 5; i++) expect(s.ctes[tcbSlot(t, i as 0)]).toBeUndefined();
  });

  it('a revoke of the untyped reaches a Zombie left behind and finishes it', () => {
    const s = world();
    const CN2 = 0x00930000;
    s.objects[CN2] = { tag: 'CNode', radix: 2 };
    const ut = put(s, slotOf(30), { tag: 'UntypedCap', ptr: 0x00900000, sizeBits: 20, freeIndex: 0x40000, isDevice: false });
    insertNewCap(s, ut, slotOf(41), cnCap(CN2, 2));
    insertNewCap(s, ut, slotOf(40), cnCap(CN));
    cteMove(s, getCTE(s, slotOf(41)).cap, slotOf(41), cnodeSlot(CN, 5));
    put(s, cnodeSlot(CN2, 3), ep(EP2));
    blockOnSend(s, T[1], EP2);
    cteDelete(s, slotOf(40), true);
    expect(mdbList(s, ut)).toEqual([ut, cnodeSlot(CN2, 0)]);
    expect(ensureNoChildren(s, ut)).toBe(false); // a retype would not reset the untyped
    cteRevoke(s, ut);
    expect(mdbList(s, ut)).toEqual([ut]);
    expect(getTCB(s, T[1]).state.tag).toBe('Restart');
    expect(s.ctes[cnodeSlot(CN2, 3)]).toBeUndefined();
  });

  it('a final thread cap suspends the thread and clears its slots', () => {
    const s = world();
    const t = T[2];
    const tc = put(s, slotOf(40), { tag: 'ThreadCap', ptr: t });
    put(s, tcbSlot(t, TCB_SLOT.reply), { tag: 'ReplyCap', tcb: t, master: true, canGrant: true });
    const cs = cteInsertCopy(s, slotOf(ROOT_SLOTS.cnode), tcbSlot(t, TCB_SLOT.cTable));
    blockOnSend(s, t, EP);
    cteDelete(s, tc, true);
    expect(getTCB(s, t).state.tag).toBe('Inactive');
    expect(s.objects[EP]).toMatchObject({ state: 'Idle', queue: [] });
    for (let i = 0; i < 5; i++) expect(s.ctes[tcbSlot(t, i as 0)]).toBeUndefined();
    expect(s.ctes[cs]).toBeUndefined();
    mdbList(s, slotOf(ROOT_SLOTS.cnode));
  });
});

function cteInsertCopy(s: KernelState, src: PPtr, dest: PPtr): PPtr {
  cteInsert(s, getCTE(s, src).cap, src, dest);
  return dest;
}

describe('decodeCNodeInvocation', () => {
  const rootCap = (s: KernelState) => getCTE(s, slotOf(ROOT_SLOTS.cnode)).cap as CapOf<'CNodeCap'>;
  const args = (s: KernelState, label: keyof typeof LABEL, words: number[], extra: number[] = []): InvocationArgs => ({
    label: LABEL[label], words, extraCaps: extra.map((i) => ({ cap: getCTE(s, slotOf(i)).cap, slot: slotOf(i) })),
  });
  const decode = (s: KernelState, a: InvocationArgs) => {
    const r = decodeCNodeInvocation(s, a, rootCap(s), slotOf(ROOT_SLOTS.cnode), L.rootTCB);
    expect(produce(s, (d) => void decodeCNodeInvocation(d, a, rootCap(s), slotOf(2), L.rootTCB))).toBe(s);
    return r;
  };

  it('checks in seL4 order: label, length, destination, then per method', () => {
    const s = world();
    put(s, slotOf(40), ep(EP));
    expect(decode(s, args(s, 'TCBSuspend', [1, 32]))).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    expect(decode(s, args(s, 'CNodeRevoke', [1]))).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(decode(s, args(s, 'CNodeDelete', [1, 0]))).toEqual({ ok: false, error: { tag: 'RangeError', min: 1, max: 32 } });
    expect(decode(s, args(s, 'CNodeCopy', [1, 32, 40], [2]))).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(decode(s, args(s, 'CNodeCopy', [1, 32, 40, 32, 15]))).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(decode(s, args(s, 'CNodeCopy', [1, 32, 40, 32, 15], [2]))).toEqual({ ok: false, error: { tag: 'DeleteFirst' } });
    expect(decode(s, args(s, 'CNodeCopy', [50, 32, 41, 32, 15], [2]))).toEqual({
      ok: false, error: { tag: 'FailedLookup', source: true, failure: { tag: 'MissingCapability', bitsLeft: 32 } },
    });
    expect(decode(s, args(s, 'CNodeCopy', [50, 32, 40, 32], [2]))).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(decode(s, args(s, 'CNodeMint', [50, 32, 40, 32, 15], [2]))).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(decode(s, args(s, 'CNodeCopy', [50, 32, 40, 32, 15], [2]))).toMatchObject({ ok: true, value: { tag: 'Insert' } });
    expect(decode(s, args(s, 'CNodeCopy', [50, 32, ROOT_SLOTS.irqControl, 32, 15], [2]))).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    expect(decode(s, args(s, 'CNodeCancelBadgedSends', [41, 32]))).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    expect(decode(s, args(s, 'CNodeSaveCaller', [40, 32]))).toEqual({ ok: false, error: { tag: 'DeleteFirst' } });
  });

  it('Mint badges only unbadged caps (28 bits); Mutate refuses EP caps', () => {
    const s = world();
    put(s, slotOf(40), ep(EP));
    put(s, slotOf(41), ep(EP, 9));
    const m = decode(s, args(s, 'CNodeMint', [50, 32, 40, 32, 0xf, 0xf0000007], [2]));
    expect(m).toMatchObject({ ok: true, value: { tag: 'Insert', cap: { badge: 7 } } });
    expect(decode(s, args(s, 'CNodeMint', [50, 32, 41, 32, 0xf, 1], [2]))).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    expect(decode(s, args(s, 'CNodeMutate', [50, 32, 40, 32, 0], [2]))).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    expect(decode(s, args(s, 'CNodeMove', [50, 32, 41, 32], [2]))).toMatchObject({ ok: true, value: { tag: 'Move' } });
  });

  it('Rotate: source, then pivot, then identity, emptiness, missing caps (pivot reports source = 0)', () => {
    const s = world();
    put(s, slotOf(40), { tag: 'ThreadCap', ptr: T[0] });
    put(s, slotOf(41), { tag: 'ThreadCap', ptr: T[1] });
    const rot = (dest: number, pivot: number, src: number, depth = 32) =>
      decode(s, args(s, 'CNodeRotate', [dest, 32, 0, pivot, depth, 0, src, depth], [2, 2]));
    expect(decode(s, args(s, 'CNodeRotate', [50, 32, 0, 41, 32, 0, 40], [2, 2]))).toEqual({ ok: false, error: { tag: 'TruncatedMessage' } });
    expect(rot(50, 41, 40, 33)).toEqual({ ok: false, error: { tag: 'RangeError', min: 1, max: 32 } });
    expect(rot(50, 40, 40)).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    expect(rot(41, 41, 40)).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    expect(rot(ROOT_SLOTS.tcb, 41, 40)).toEqual({ ok: false, error: { tag: 'DeleteFirst' } });
    expect(rot(50, 41, 60)).toEqual({ ok: false, error: { tag: 'FailedLookup', source: true, failure: { tag: 'MissingCapability', bitsLeft: 32 } } });
    expect(rot(50, 60, 40)).toEqual({ ok: false, error: { tag: 'FailedLookup', source: false, failure: { tag: 'MissingCapability', bitsLeft: 32 } } });
    expect(rot(40, 41, 40)).toMatchObject({ ok: true, value: { tag: 'Rotate' } });
  });

  it('a Zombie cannot be copied or minted (deriveCap gives NullCap), but it can be moved; invoking it is InvalidCapability', () => {
    const s = world();
    s.objects[CN] = { tag: 'CNode', radix: 4 };
    put(s, slotOf(40), zombie(CN, 4, 16));
    expect(decode(s, args(s, 'CNodeCopy', [50, 32, 40, 32, 15], [2]))).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    expect(decode(s, args(s, 'CNodeMint', [50, 32, 40, 32, 15, 5], [2]))).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    expect(decode(s, args(s, 'CNodeMove', [50, 32, 40, 32], [2]))).toEqual({
      ok: true, value: { tag: 'Move', cap: zombie(CN, 4, 16), sourceSlot: slotOf(40), targetSlot: slotOf(50) },
    });
    expect(decode(s, args(s, 'CNodeMutate', [50, 32, 40, 32, 7], [2]))).toMatchObject({ ok: true, value: { tag: 'Move', cap: zombie(CN, 4, 16) } });
    expect(decode(s, args(s, 'CNodeCancelBadgedSends', [40, 32]))).toEqual({ ok: false, error: { tag: 'IllegalOperation' } });
    const inv = decodeInvocation(s, args(s, 'CNodeCopy', []), 40, zombie(CN, 4, 16), slotOf(40), L.rootTCB, true, true);
    expect(inv).toEqual({ ok: false, error: { tag: 'InvalidCapability', argument: 0 } });
    // A Zombie has no children: a revoke of it does nothing.
    cteRevoke(s, slotOf(40));
    expect(getCTE(s, slotOf(40)).cap).toEqual(zombie(CN, 4, 16));
  });

  it('Rotate through a free destination moves the pivot to dest and the source to the pivot', () => {
    const s = world();
    const a = put(s, slotOf(40), { tag: 'ThreadCap', ptr: T[0] });
    const b = put(s, slotOf(41), { tag: 'ThreadCap', ptr: T[1] });
    const r = decodeCNodeInvocation(s, args(s, 'CNodeRotate', [50, 32, 0, 41, 32, 0, 40, 32], [2, 2]), rootCap(s), slotOf(2), L.rootTCB);
    if (!r.ok) throw new Error('decode failed');
    invokeCNode(s, r.value, L.rootTCB);
    expect(getCTE(s, slotOf(50)).cap).toEqual({ tag: 'ThreadCap', ptr: T[1] });
    expect(getCTE(s, b).cap).toEqual({ tag: 'ThreadCap', ptr: T[0] });
    expect(s.ctes[a]).toBeUndefined();
  });
});
