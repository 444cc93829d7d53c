// The basic generator: a fixed setup phase in which the root task builds a small world (endpoints,
// a notification, two configured threads with IPC buffers), then arbitrary events from every row
// of trace-format.md with little knowledge of the world (garbage included). The checker's world
// (world.ts) uses it for its share of garbage. Events are trace-file JSON, so a shrunk
// counterexample is directly a trace file.

import fc from 'fast-check';
import { type IrqConfig, timerIrq } from '../../abi/config';
import { METHODS, METHOD_NAMES, type ArgType, type MethodName } from '../../abi/invocations';
import { SYSCALL_NAMES } from '../../abi/syscalls';
import { OBJECT_TYPES } from '../../abi/objecttype';

export type RawEvent = Record<string, unknown>;

/** Slots the setup phase fills in the root CNode. */
export const WORLD = {
  ep: 20, ep2: 21, ntfn: 22, tcbA: 23, tcbB: 24, cnode: 25, frameA: 26, frameB: 27, untyped: 29,
  badgedEp: 30, badgedNtfn: 31, firstFree: 32,
} as const;

const retype = (type: string, sizeBits: number, offset: number, n = 1): RawEvent => ({
  invoke: 'Untyped_Retype', cap: 17,
  args: { type, sizeBits, root: 2, nodeIndex: 0, nodeDepth: 0, nodeOffset: offset, numObjects: n },
});

/** The setup phase, run by root from boot (default config). */
export function setupEvents(): RawEvent[] {
  const W = WORLD;
  const configure = (tcb: number, buffer: number, frame: number): RawEvent => ({
    invoke: 'TCB_Configure', cap: tcb,
    args: { faultEP: W.ep2, cspaceRoot: 2, cspaceRootData: 0, vspaceRoot: 3, vspaceRootData: 0, buffer, bufferFrame: frame },
  });
  const mint = (dest: number, src: number, rights: string, badge: number): RawEvent => ({
    invoke: 'CNode_Mint', cap: 2, args: { destIndex: dest, destDepth: 32, srcRoot: 2, srcIndex: src, srcDepth: 32, rights, badge },
  });
  return [
    retype('Endpoint', 0, W.ep, 2),
    retype('Notification', 0, W.ntfn),
    retype('TCB', 0, W.tcbA, 2),
    retype('CNode', 4, W.cnode),
    retype('SmallPage', 0, W.frameA, 2),
    retype('Untyped', 12, W.untyped),
    mint(W.badgedEp, W.ep, 'RWGP', 5),
    mint(W.badgedNtfn, W.ntfn, 'RW', 1),
    { invoke: 'Page_Map', cap: W.frameA, args: { vspace: 3, vaddr: '0x00202000', rights: 'RW', attr: 0 } },
    { invoke: 'Page_Map', cap: W.frameB, args: { vspace: 3, vaddr: '0x00203000', rights: 'RW', attr: 0 } },
    configure(W.tcbA, 0x00202000, W.frameA),
    configure(W.tcbB, 0x00203000, W.frameB),
    { invoke: 'TCB_SetPriority', cap: W.tcbA, args: { authority: 1, priority: 200 } },
    { invoke: 'TCB_SetPriority', cap: W.tcbB, args: { authority: 1, priority: 200 } },
    { invoke: 'DebugNameThread', cap: W.tcbA, args: { name: 'a' } },
    { invoke: 'DebugNameThread', cap: W.tcbB, args: { name: 'b' } },
    { invoke: 'TCB_Resume', cap: W.tcbA },
    { invoke: 'TCB_Resume', cap: W.tcbB },
  ];
}

export const u32 = fc.nat({ max: 0xffffffff });
/** Cap pointers: mostly slots that hold something after setup, sometimes empty ones or garbage. */
const cptr = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: WORLD.firstFree + 4 }) },
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: u32 },
);
export const smallWord = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 64 }) }, { weight: 1, arbitrary: u32 });
const depth = fc.oneof({ weight: 6, arbitrary: fc.constant(32) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }) });
const vaddr = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x00200000 / 4, max: 0x00204000 / 4 - 1 }).map((w) => w * 4) },
  { weight: 1, arbitrary: u32 },
);

function arbArg(name: string, type: ArgType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'cap':
      return cptr;
    case 'bool':
      return fc.boolean();
    case 'rights':
      return fc.oneof(fc.constantFrom('RWGP', 'RW', 'R', 'W', 'RWG', ''), fc.integer({ min: 0, max: 15 }));
    case 'objtype':
      return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...OBJECT_TYPES) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 20 }) });
    case 'regs':
      return fc.array(u32, { maxLength: 17 });
    case 'u8':
      return depth;
    case 'word':
      if (/vaddr|buffer/.test(name)) return vaddr;
      if (/[dD]epth/.test(name)) return depth;
      if (/priority|mcp/.test(name)) return fc.integer({ min: 0, max: 260 });
      return smallWord;
  }
}

function arbInvoke(m: MethodName): fc.Arbitrary<RawEvent> {
  const args = Object.fromEntries(METHODS[m].args.map((a) => [a.name, arbArg(a.name, a.type)]));
  return fc.record({ invoke: fc.constant(m), cap: cptr, args: fc.record(args) });
}

const arbSyscall: fc.Arbitrary<RawEvent> = fc.record(
  {
    syscall: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...SYSCALL_NAMES) }, { weight: 1, arbitrary: fc.integer({ min: -20, max: 20 }) }),
    cap: cptr,
    info: fc.record({ label: smallWord }, { requiredKeys: [] }),
    mrs: fc.array(smallWord, { maxLength: 6 }),
    extraCaps: fc.array(cptr, { maxLength: 3 }),
    receive: fc.record({ root: fc.constantFrom(0, 2), index: cptr, depth }),
  },
  { requiredKeys: ['syscall', 'cap'] },
);

/**
 * A device line of the config: any line but the timer's, uniformly. With the timer on line 0 (the
 * default platform) this is integer(1..n-1) itself, so default runs draw what they always drew.
 */
export function arbDeviceLine(c: IrqConfig): fc.Arbitrary<number> {
  const timer = timerIrq(c);
  if (timer === 0) return fc.integer({ min: 1, max: c.irqLines - 1 });
  return fc.integer({ min: 0, max: c.irqLines - 2 }).map((l) => (l >= timer ? l + 1 : l));
}

/** One random event for a booted system with this config. */
export function arbEvent(config: IrqConfig): fc.Arbitrary<RawEvent> {
  return fc.oneof(
    { weight: 10, arbitrary: arbSyscall },
    { weight: 10, arbitrary: fc.constantFrom(...METHOD_NAMES).chain(arbInvoke) },
    { weight: 2, arbitrary: vaddr.map((v) => ({ load: v })) },
    { weight: 2, arbitrary: fc.tuple(vaddr, u32).map(([v, x]) => ({ store: v, value: x })) },
    { weight: 1, arbitrary: u32.map((c) => ({ exception: c })) },
    { weight: 1, arbitrary: arbDeviceLine(config).map((l) => ({ irq: l })) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 12 }).map((n) => ({ tick: n })) },
  );
}
