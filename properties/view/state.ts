// What a kernel state shows a person (`replay --state K`, `replay --explain`; issue 11's viewer
// reads the same data): threads with their state, priority, bound notification and fault handler;
// endpoint and notification queues; the ready queues; each thread's CSpace with cap type, rights,
// badge and CDT parent; untyped watermarks. One source of truth: the data here, the text below.

import type { KernelState } from '../../spec';
import type { Cap, PPtr } from '../../spec/api/types';
import { isMDBParentOf } from '../../spec/object/cnode';
import { TCB_SLOT } from '../../spec/object/structures';

export interface ThreadView {
  name: string;
  addr: PPtr;
  state: string;
  /** What it is blocked on, by name. */
  on?: string;
  priority: number;
  mcp: number;
  bound?: string;
  faultHandler: number;
  running: boolean;
}

export interface QueueView {
  name: string;
  kind: 'Endpoint' | 'Notification';
  state: string;
  queue: string[];
  /** Notifications: the word and the bound thread. */
  word?: number;
  bound?: string;
}

export interface SlotView {
  /** The slot's index in its CNode, and its address. */
  index: number;
  addr: PPtr;
  cap: string;
  /** The object the cap names, by name. */
  object?: string;
  rights?: string;
  badge?: number;
  /** The CDT parent's slot, by name (none: an original cap at the root of its tree). */
  parent?: string;
  /** Untyped caps: bytes used of the region, and its size. */
  watermark?: { used: number; size: number };
}

export interface CSpaceView {
  /** The CNode, and the threads whose CSpace root it is. */
  name: string;
  addr: PPtr;
  radix: number;
  threads: string[];
  slots: SlotView[];
}

export interface StateView {
  current: string;
  threads: ThreadView[];
  queues: QueueView[];
  /** Non-empty ready queues, highest priority first, head first. */
  ready: { priority: number; threads: string[] }[];
  cspaces: CSpaceView[];
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/** Names of the state's objects: threads by their DebugName, the rest by type and address. */
export function objectNames(s: KernelState): Map<PPtr, string> {
  const names = new Map<PPtr, string>();
  const counts = new Map<string, number>();
  for (const [k, o] of Object.entries(s.objects).sort(([a], [b]) => Number(a) - Number(b))) {
    const p = Number(k);
    if (o.tag === 'TCB') names.set(p, p === s.idleThread ? 'idle' : o.name ?? `tcb@${hex(p)}`);
    else {
      const short = { Endpoint: 'ep', Notification: 'ntfn', CNode: 'cnode', Frame: 'frame', PageDirectory: 'pd', PageTable: 'pt', ASIDPool: 'asidpool' }[o.tag];
      const n = counts.get(short) ?? 0;
      counts.set(short, n + 1);
      names.set(p, `${short}${n}`);
    }
  }
  return names;
}

const rightsText = (r: { read?: boolean; write?: boolean; grant?: boolean; grantReply?: boolean }) =>
  `${r.read ? 'R' : ''}${r.write ? 'W' : ''}${r.grant ? 'G' : ''}${r.grantReply ? 'P' : ''}` || '-';

function capFields(c: Cap, names: Map<PPtr, string>): Omit<SlotView, 'index' | 'addr' | 'parent'> {
  const obj = (p: PPtr) => names.get(p) ?? hex(p);
  switch (c.tag) {
    case 'EndpointCap':
    case 'NotificationCap':
      return { cap: c.tag, object: obj(c.ptr), rights: rightsText(c.rights), badge: c.badge };
    case 'UntypedCap':
      return { cap: c.tag, object: `${hex(c.ptr)}/${c.sizeBits}${c.isDevice ? ' device' : ''}`, watermark: { used: c.freeIndex, size: 2 ** c.sizeBits } };
    case 'ReplyCap':
      return { cap: c.master ? 'ReplyCap (master)' : 'ReplyCap', object: obj(c.tcb), rights: c.canGrant ? 'G' : '-' };
    case 'CNodeCap':
      return { cap: c.tag, object: `${obj(c.ptr)} radix ${c.radix} guard ${c.guard}/${c.guardSize}` };
    case 'ThreadCap':
      return { cap: c.tag, object: obj(c.ptr) };
    case 'ZombieCap':
      return { cap: c.tag, object: `${hex(c.ptr)} ${c.zombieType.tag} (${c.number} left)` };
    case 'IRQHandlerCap':
      return { cap: c.tag, object: `line ${c.irq}` };
    case 'FrameCap':
      return { cap: c.tag, object: obj(c.ptr), rights: c.rights, ...(c.mapped ? { object: `${obj(c.ptr)} at ${hex(c.mapped.vaddr)} (asid ${c.mapped.asid})` } : {}) };
    case 'PageTableCap':
      return { cap: c.tag, object: obj(c.ptr) };
    case 'PageDirectoryCap':
      return { cap: c.tag, object: `${obj(c.ptr)}${c.mapped !== null ? ` asid ${c.mapped}` : ''}` };
    case 'ASIDPoolCap':
      return { cap: c.tag, object: `${obj(c.ptr)} base ${c.asidBase}` };
    case 'NullCap':
    case 'IRQControlCap':
    case 'DomainCap':
    case 'ASIDControlCap':
      return { cap: c.tag };
  }
}

/** The CDT parent of a slot: the nearest entry before it in the derivation list that it is a child of. */
function cdtParent(s: KernelState, slot: PPtr): PPtr | undefined {
  for (let a = s.ctes[slot]?.mdb.prev ?? 0, n = 0; a !== 0 && n < 100_000; a = s.ctes[a]?.mdb.prev ?? 0, n++) {
    if (s.ctes[a] && isMDBParentOf(s, a, slot)) return a;
  }
  return undefined;
}

export function stateView(s: KernelState): StateView {
  const names = objectNames(s);
  const name = (p: PPtr) => names.get(p) ?? hex(p);
  const threads: ThreadView[] = [];
  const queues: QueueView[] = [];
  const roots = new Map<PPtr, string[]>();
  for (const [k, o] of Object.entries(s.objects).sort(([a], [b]) => Number(a) - Number(b))) {
    const p = Number(k);
    if (o.tag === 'TCB') {
      const st = o.state;
      const on = st.tag === 'BlockedOnReceive' || st.tag === 'BlockedOnSend' ? name(st.ep) : st.tag === 'BlockedOnNotification' ? name(st.ntfn) : undefined;
      threads.push({
        name: name(p), addr: p, state: st.tag, ...(on ? { on } : {}), priority: o.priority, mcp: o.mcp,
        ...(o.boundNotification !== null ? { bound: name(o.boundNotification) } : {}), faultHandler: o.faultHandler, running: p === s.curThread,
      });
      const root = s.ctes[p + 16 * TCB_SLOT.cTable]?.cap;
      if (root?.tag === 'CNodeCap' && p !== s.idleThread) roots.set(root.ptr, [...(roots.get(root.ptr) ?? []), name(p)]);
    } else if (o.tag === 'Endpoint') {
      queues.push({ name: name(p), kind: 'Endpoint', state: o.state, queue: o.queue.map(name) });
    } else if (o.tag === 'Notification') {
      queues.push({ name: name(p), kind: 'Notification', state: o.state, queue: o.queue.map(name), word: o.word, ...(o.boundTCB !== null ? { bound: name(o.boundTCB) } : {}) });
    }
  }
  const slotName = new Map<PPtr, string>();
  for (const [cn, ts] of roots) {
    const o = s.objects[cn];
    if (o?.tag === 'CNode') for (let i = 0; i < 2 ** o.radix; i++) slotName.set(cn + 16 * i, `${ts[0]}[${i}]`);
  }
  const cspaces: CSpaceView[] = [...roots].map(([cn, ts]) => {
    const o = s.objects[cn];
    const radix = o?.tag === 'CNode' ? o.radix : 0;
    const slots: SlotView[] = [];
    for (let i = 0; i < 2 ** radix; i++) {
      const addr = cn + 16 * i;
      const cte = s.ctes[addr];
      if (!cte || cte.cap.tag === 'NullCap') continue;
      const parent = cdtParent(s, addr);
      slots.push({ index: i, addr, ...capFields(cte.cap, names), ...(parent !== undefined ? { parent: slotName.get(parent) ?? hex(parent) } : {}) });
    }
    return { name: name(cn), addr: cn, radix, threads: ts, slots };
  });
  const ready = Object.entries(s.readyQueues)
    .filter(([, q]) => q.length > 0)
    .map(([prio, q]) => ({ priority: Number(prio), threads: q.map(name) }))
    .sort((a, b) => b.priority - a.priority);
  return { current: name(s.curThread), threads, queues, ready, cspaces };
}

/** The view as text, a few lines per part. */
export function stateText(v: StateView): string {
  const out: string[] = [];
  out.push(`running: ${v.current}`);
  out.push('threads:');
  for (const t of v.threads) {
    out.push(`  ${t.running ? '*' : ' '} ${t.name.padEnd(16)} ${(t.state + (t.on ? ` on ${t.on}` : '')).padEnd(34)} prio ${String(t.priority).padStart(3)} mcp ${String(t.mcp).padStart(3)}${t.bound ? `  bound ${t.bound}` : ''}  fault handler cptr ${t.faultHandler}`);
  }
  out.push('queues:');
  for (const q of v.queues) {
    out.push(`    ${q.name.padEnd(16)} ${q.kind.padEnd(12)} ${q.state.padEnd(8)} [${q.queue.join(', ')}]${q.word !== undefined ? ` word ${hex(q.word)}` : ''}${q.bound ? ` bound ${q.bound}` : ''}`);
  }
  out.push(`ready: ${v.ready.length === 0 ? '(none)' : v.ready.map((r) => `${r.priority}: [${r.threads.join(', ')}]`).join('  ')}`);
  for (const c of v.cspaces) {
    out.push(`cspace ${c.name} (radix ${c.radix}) of ${c.threads.join(', ')}:`);
    for (const sl of c.slots) {
      const bits = [sl.cap, sl.object, sl.rights !== undefined ? `rights ${sl.rights}` : undefined, sl.badge ? `badge ${hex(sl.badge)}` : undefined,
        sl.watermark ? `used ${hex(sl.watermark.used)} of ${hex(sl.watermark.size)}` : undefined, sl.parent ? `parent ${sl.parent}` : undefined];
      out.push(`    [${String(sl.index).padStart(4)}] ${bits.filter(Boolean).join('  ')}`);
    }
  }
  return out.join('\n');
}
