/**
 * The seed's IPC table in the machine's own terms (`l4check bench --ipc`, docs/ipc-cost.md): what
 * one IPC costs the impl in memory loads, stores, distinct 64-byte lines, TLB hits and misses and
 * kernel entries, from the machine's counters, steady state (after a warm-up, the mean of a loop).
 *
 * The world, built by trace events from boot: a server S (priority 150, waiting on `ep`) and a client
 * C (100), optionally S with a bound notification and C in a second address space (a new page
 * directory with an ASID from the root pool, C's IPC buffer mapped in it), and `blocked` threads at
 * C's priority that each served one Call of C on another endpoint and now wait there again (under
 * the lazy variant their ready-queue entries stay, stale, behind C's). Root then waits on an endpoint
 * of its own, out of the way. Operations, each from that state in a loop:
 *  - send: C Sends to S waiting in Recv (S runs), S Recvs again (C runs): one-way, the Send entry;
 *  - call / replyRecv: C Calls S, S answers with ReplyRecv: the two halves of the round trip;
 *  - yield: C Yields (no other thread of its priority is runnable);
 *  - nbsend: C NBSends on an endpoint nobody waits on (the message is dropped).
 * After each measured entry the thread that now runs reads its IPC buffer's first word: the only
 * translated accesses (the kernel addresses memory physically), so the TLB columns say what the
 * switch costs the user side.
 */

import type { Config, Variant } from '../abi/config';
import { defaultConfig } from '../abi/config';
import type { KernelEvent } from '../abi/events';
import { parseEvent } from '../abi/trace';
import { FASTPATH_STATS } from '../impl/fastpath/fastpath';
import { GLOBALS } from '../impl/model/state';
import type { CounterValues } from '../machine/counters';
import { type RawEvent, inv } from '../properties/generators';
import { ImplRunner, loadImpl } from '../refinement/kernels';

export const IPC_OPS = ['send', 'call', 'replyRecv', 'roundTrip', 'yield', 'nbsend'] as const;
export type IpcOp = (typeof IPC_OPS)[number];

export interface IpcScenario {
  scheduler: Variant['scheduler'];
  fastpath: boolean;
  /** S (the receiver) has a bound notification (idle). */
  boundNotification: boolean;
  /** C runs in its own address space (another page directory and ASID). */
  crossAS: boolean;
  /** Threads blocked on another endpoint at C's priority. */
  blocked: number;
}

/** Means per operation. */
export interface IpcCost {
  /** Kernel memory loads, stores and distinct 64-byte lines (summed over the entries). */
  loads: number;
  stores: number;
  lines: number;
  /** Loads of the impl's schedule() (its share of `loads`). */
  scheduleLoads: number;
  /** The user side: the resumed thread's read of its IPC buffer (each miss is a two-level walk). */
  tlbHits: number;
  tlbMisses: number;
  kernelEntries: number;
  /** How many of the entries took the fastpath (Call or ReplyRecv). */
  fastpath: number;
}

export interface IpcRow extends IpcScenario {
  op: IpcOp;
  cost: IpcCost;
}

export interface IpcBenchOptions {
  warmup: number;
  rounds: number;
}

export const DEFAULT_IPC_OPTIONS: IpcBenchOptions = { warmup: 100, rounds: 1000 };

const SLOT = { ep: 20, epBlocked: 21, epRoot: 22, epNobody: 23, ntfn: 24, server: 30, client: 31, firstBlocked: 32 } as const;
const FRAME_S = 200;
const FRAME_C = 201;
const PD2 = 202;
const PT2 = 203;
const BUFFER_S = 0x00202000;
const BUFFER_C = 0x00203000;
const BUFFER_REGION = 0x00200000;
const PRIO_S = 150;
const PRIO_C = 100;
const MESSAGE = [1, 2];

const retype = (type: string, slot: number, n = 1): RawEvent =>
  inv('Untyped_Retype', 17, { type, sizeBits: 0, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: slot, numObjects: n });
const blockerName = (i: number) => `B${i}`;

/** Root's part: every object, the threads configured and resumed; root waits last. */
export function ipcSetup(s: IpcScenario): RawEvent[] {
  const ev: RawEvent[] = [
    retype('Endpoint', SLOT.ep, 4),
    retype('Notification', SLOT.ntfn),
    retype('TCB', SLOT.server, 2 + s.blocked),
    retype('SmallPage', FRAME_S, 2),
  ];
  const vspaceC = s.crossAS ? PD2 : 3;
  if (s.crossAS) {
    ev.push(retype('PageDirectory', PD2), retype('PageTable', PT2));
    ev.push(inv('ASIDPool_Assign', 6, { vspace: PD2 }));
    ev.push(inv('PageTable_Map', PT2, { vspace: PD2, vaddr: BUFFER_REGION, attr: 0 }));
  }
  ev.push(inv('Page_Map', FRAME_S, { vspace: 3, vaddr: BUFFER_S, rights: 'RW', attr: 0 }));
  ev.push(inv('Page_Map', FRAME_C, { vspace: vspaceC, vaddr: BUFFER_C, rights: 'RW', attr: 0 }));
  const configure = (tcb: number, vspace: number, buffer: number, frame: number, prio: number, name: string) => {
    ev.push(inv('TCB_Configure', tcb, { faultEP: 0, cspaceRoot: 2, cspaceRootData: 0, vspaceRoot: vspace, vspaceRootData: 0, buffer, bufferFrame: frame }));
    ev.push(inv('TCB_SetPriority', tcb, { authority: 1, priority: prio }));
    ev.push({ invoke: 'DebugNameThread', cap: tcb, args: { name } });
  };
  configure(SLOT.server, 3, BUFFER_S, FRAME_S, PRIO_S, 'S');
  configure(SLOT.client, vspaceC, BUFFER_C, FRAME_C, PRIO_C, 'C');
  for (let i = 0; i < s.blocked; i++) configure(SLOT.firstBlocked + i, 3, 0, 0, PRIO_C, blockerName(i));
  if (s.boundNotification) ev.push(inv('TCB_BindNotification', SLOT.server, { notification: SLOT.ntfn }));
  ev.push(inv('TCB_Resume', SLOT.server), inv('TCB_Resume', SLOT.client));
  for (let i = 0; i < s.blocked; i++) ev.push(inv('TCB_Resume', SLOT.firstBlocked + i));
  ev.push({ syscall: 'Recv', cap: SLOT.epRoot });
  return ev;
}

export type IpcImpl = Awaited<ReturnType<typeof loadImpl>>;

const send = (syscall: string, cap: number): RawEvent => ({ syscall, cap, info: { label: 1 }, mrs: MESSAGE });
const touch = (vaddr: number): RawEvent => ({ load: vaddr });

/**
 * A world to measure on: the impl booted, the scenario's setup and the threads' first moves done.
 * A setup step that failed shows as the wrong thread running later (every step names its actor),
 * a user read that faults likewise (the thread has no fault handler and stops).
 */
class IpcWorld {
  private readonly runner: ImplRunner;
  private n = 0;

  constructor(impl: IpcImpl, readonly config: Config, s: IpcScenario, previous?: IpcWorld) {
    this.runner = new ImplRunner(impl, config, previous?.runner.kernel.m);
    for (const e of ipcSetup(s)) this.run(e);
    const serverAsid = this.runner.kernel.m.mmu.currentAsid;
    this.as('S', { syscall: 'Recv', cap: SLOT.ep });
    // The blocked threads run in queue order: each waits on the other endpoint, then serves one Call.
    const waiting: string[] = [];
    while (this.current() !== 'C') {
      waiting.push(this.current());
      this.run({ syscall: 'Recv', cap: SLOT.epBlocked });
    }
    if (waiting.length !== s.blocked) throw new Error(`ipc bench: ${waiting.length} blocked threads ran, ${s.blocked} expected`);
    for (const b of waiting) {
      this.as('C', send('Call', SLOT.epBlocked));
      this.as(b, { syscall: 'ReplyRecv', cap: SLOT.epBlocked, mrs: [0] });
    }
    this.as('C', touch(BUFFER_C));
    const clientAsid = this.runner.kernel.m.mmu.currentAsid;
    if ((clientAsid !== serverAsid) !== s.crossAS) throw new Error(`ipc bench: C runs on ASID ${clientAsid}, S on ${serverAsid} (crossAS ${s.crossAS})`);
  }

  current(): string {
    const k = this.runner.kernel;
    return k.names.get(k.m.peek32(GLOBALS.ksCurThread)) ?? '?';
  }

  run(raw: RawEvent): void {
    const e: KernelEvent = parseEvent(raw, `ipc bench event ${++this.n}`, this.config).event;
    this.runner.apply(e);
  }

  /** Runs `raw` as `name`, which must be the current thread. */
  as(name: string, raw: RawEvent): void {
    const cur = this.current();
    if (cur !== name) throw new Error(`ipc bench: ${name} should run ${JSON.stringify(raw)}, but ${cur} runs`);
    this.run(raw);
  }

  /** Runs the entry as `name`, then the user read of `touchAt` by `next`; adds its costs to `acc`. */
  measured(name: string, raw: RawEvent, next: string, touchAt: number, acc: IpcCost | null): void {
    const m = this.runner.kernel.m;
    const fp = FASTPATH_STATS.call + FASTPATH_STATS.replyRecv;
    this.as(name, raw);
    const entry: CounterValues = m.perEntry();
    const scheduleLoads = this.runner.kernel.scheduleLoads;
    const tlbHits = m.counters.tlbHits;
    const tlbMisses = m.counters.tlbMisses;
    this.as(next, touch(touchAt));
    if (acc === null) return;
    acc.loads += entry.loads;
    acc.stores += entry.stores;
    acc.lines += entry.lines;
    acc.kernelEntries += entry.kernelEntries;
    acc.scheduleLoads += scheduleLoads;
    acc.tlbHits += m.counters.tlbHits - tlbHits;
    acc.tlbMisses += m.counters.tlbMisses - tlbMisses;
    acc.fastpath += FASTPATH_STATS.call + FASTPATH_STATS.replyRecv - fp;
  }
}

const zeroCost = (): IpcCost => ({ loads: 0, stores: 0, lines: 0, scheduleLoads: 0, tlbHits: 0, tlbMisses: 0, kernelEntries: 0, fastpath: 0 });

function mean(c: IpcCost, n: number): IpcCost {
  const out = zeroCost();
  for (const k of Object.keys(c) as (keyof IpcCost)[]) out[k] = c[k] / n;
  return out;
}

function sum(a: IpcCost, b: IpcCost): IpcCost {
  const out = zeroCost();
  for (const k of Object.keys(a) as (keyof IpcCost)[]) out[k] = a[k] + b[k];
  return out;
}

/** The loops; each op group boots its own world. */
type Group = 'send' | 'roundTrip' | 'yield' | 'nbsend';

function loop(w: IpcWorld, group: Group, o: IpcBenchOptions): Partial<Record<IpcOp, IpcCost>> {
  const a = zeroCost();
  const b = zeroCost();
  for (let i = 0; i < o.warmup + o.rounds; i++) {
    const accA = i < o.warmup ? null : a;
    const accB = i < o.warmup ? null : b;
    switch (group) {
      case 'send':
        w.measured('C', send('Send', SLOT.ep), 'S', BUFFER_S, accA);
        w.measured('S', { syscall: 'Recv', cap: SLOT.ep }, 'C', BUFFER_C, null);
        break;
      case 'roundTrip':
        w.measured('C', send('Call', SLOT.ep), 'S', BUFFER_S, accA);
        w.measured('S', { syscall: 'ReplyRecv', cap: SLOT.ep, info: { label: 0 }, mrs: [3] }, 'C', BUFFER_C, accB);
        break;
      case 'yield':
        w.measured('C', { syscall: 'Yield' }, 'C', BUFFER_C, accA);
        break;
      case 'nbsend':
        w.measured('C', send('NBSend', SLOT.epNobody), 'C', BUFFER_C, accA);
        break;
      default: {
        const never: never = group;
        throw new Error(`ipc bench: ${String(never)}`);
      }
    }
  }
  if (group !== 'roundTrip') return { [group]: mean(a, o.rounds) };
  const call = mean(a, o.rounds);
  const replyRecv = mean(b, o.rounds);
  return { call, replyRecv, roundTrip: sum(call, replyRecv) };
}

/** The fastpath must be taken on each half of the round trip exactly when it is enabled, and never elsewhere. */
function checkFastpath(s: IpcScenario, op: IpcOp, c: IpcCost): void {
  const expected = s.fastpath ? ({ call: 1, replyRecv: 1, roundTrip: 2 } as Partial<Record<IpcOp, number>>)[op] ?? 0 : 0;
  if (c.fastpath !== expected) throw new Error(`ipc bench: ${op} ${JSON.stringify(s)} took the fastpath ${c.fastpath} times per operation, expected ${expected}`);
  if (c.kernelEntries !== (op === 'roundTrip' ? 2 : 1)) throw new Error(`ipc bench: ${op} made ${c.kernelEntries} kernel entries`);
}

/** Measures `groups` on one scenario. */
export function measureScenario(impl: IpcImpl, s: IpcScenario, groups: readonly Group[], o: IpcBenchOptions = DEFAULT_IPC_OPTIONS): IpcRow[] {
  const base = defaultConfig();
  const config: Config = { ...base, variant: { scheduler: s.scheduler, fastpath: s.fastpath } };
  const rows: IpcRow[] = [];
  let prev: IpcWorld | undefined;
  for (const g of groups) {
    const w = new IpcWorld(impl, config, s, prev);
    prev = w;
    const costs = loop(w, g, o);
    for (const op of IPC_OPS) {
      const c = costs[op];
      if (c === undefined) continue;
      checkFastpath(s, op, c);
      rows.push({ op, ...s, cost: c });
    }
  }
  return rows;
}

export interface IpcBenchResult {
  /** Benno, nothing blocked: every op, path, notification binding and address-space case. */
  ipc: IpcRow[];
  /** Benno and lazy with 0, 1, 8, 64 threads blocked: same address space, no notification. */
  scheduling: IpcRow[];
}

/** Yield and NBSend have no fastpath: measured once per world, on the kernel with the fastpath enabled. */
function groupsFor(s: IpcScenario): Group[] {
  return s.fastpath && !s.crossAS && !s.boundNotification ? ['send', 'roundTrip', 'yield', 'nbsend'] : ['send', 'roundTrip'];
}

export const BLOCKED_COUNTS = [0, 1, 8, 64] as const;

export async function runIpcBench(o: IpcBenchOptions = DEFAULT_IPC_OPTIONS): Promise<IpcBenchResult> {
  const impl = await loadImpl();
  const ipc: IpcRow[] = [];
  for (const fastpath of [true, false]) {
    for (const crossAS of [false, true]) {
      for (const boundNotification of [false, true]) {
        const s: IpcScenario = { scheduler: 'benno', fastpath, boundNotification, crossAS, blocked: 0 };
        ipc.push(...measureScenario(impl, s, groupsFor(s), o));
      }
    }
  }
  const scheduling: IpcRow[] = [];
  for (const scheduler of ['benno', 'lazy'] as const) {
    for (const blocked of BLOCKED_COUNTS) {
      for (const fastpath of [true, false]) {
        const s: IpcScenario = { scheduler, fastpath, boundNotification: false, crossAS: false, blocked };
        scheduling.push(...measureScenario(impl, s, groupsFor(s), o));
      }
    }
  }
  return { ipc, scheduling };
}

// ---- text tables ----

const num = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(2));

const OP_TEXT: Record<IpcOp, string> = {
  send: 'one-way Send to a waiting Recv',
  call: 'one-way Call (round trip, 1st half)',
  replyRecv: 'one-way ReplyRecv (round trip, 2nd half)',
  roundTrip: 'Call + ReplyRecv round trip',
  yield: 'Yield',
  nbsend: 'NBSend, no receiver',
};

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const COST_HEADER = ['loads', 'stores', 'lines', 'schedule() loads', 'TLB hits', 'TLB misses (walks)', 'entries', 'fastpath'];
const costCells = (c: IpcCost): string[] =>
  [c.loads, c.stores, c.lines, c.scheduleLoads, c.tlbHits, c.tlbMisses, c.kernelEntries, c.fastpath].map(num);

/** The two tables as markdown (what `l4check bench --ipc` prints and docs/ipc-cost.md records). */
export function formatIpcBench(r: IpcBenchResult): string {
  const ipc = table(
    ['operation', 'path', 'address spaces', 'bound ntfn', ...COST_HEADER],
    r.ipc.map((x) => [OP_TEXT[x.op], x.fastpath ? 'fastpath on' : 'slowpath', x.crossAS ? 'different' : 'same', x.boundNotification ? 'yes' : 'no', ...costCells(x.cost)]),
  );
  // One row per scheduler, blocked count and path: each operation's loads / lines.
  const keyOf = (x: IpcRow) => `${x.scheduler} ${x.blocked} ${x.fastpath}`;
  const groups = new Map<string, IpcRow[]>();
  for (const x of r.scheduling) groups.set(keyOf(x), [...(groups.get(keyOf(x)) ?? []), x]);
  const ll = (rows: IpcRow[], op: IpcOp) => {
    const c = rows.find((x) => x.op === op)?.cost;
    return c === undefined ? '—' : `${num(c.loads)} / ${num(c.lines)}`;
  };
  const sched = table(
    ['scheduler', 'blocked', 'path', 'Send', 'Call', 'ReplyRecv', 'round trip', 'round trip: schedule() loads', 'Yield', 'NBSend'],
    [...groups.values()].map((rows) => {
      const x = rows[0]!;
      const rt = rows.find((y) => y.op === 'roundTrip')!.cost;
      return [x.scheduler, String(x.blocked), x.fastpath ? 'fastpath on' : 'slowpath', ll(rows, 'send'), ll(rows, 'call'), ll(rows, 'replyRecv'), ll(rows, 'roundTrip'), num(rt.scheduleLoads), ll(rows, 'yield'), ll(rows, 'nbsend')];
    }),
  );
  return `IPC cost per operation (Benno scheduling, nothing blocked; mean of the steady-state loop)\n\n${ipc}\n\n` +
    `Scheduling variants with threads blocked (same address space, no bound notification): loads / lines per operation\n\n${sched}\n`;
}
