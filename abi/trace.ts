// Parsing and validation of l4check-trace/1 files (trace-format.md). Every object is closed;
// every error names its JSON path. Nothing here runs a kernel.

import {
  type Config, type IrqConfig, DEFAULT_PLATFORM, DEFAULT_VARIANT, PLATFORMS, PLATFORM_NAMES, type PlatformName, defaultUntyped,
  isDeviceLine, isPlatformName, platformLinesProblem, timerIrq,
} from './config';
import {
  type KernelEvent, type ReceiveSlot, type TraceEvent, INFO_KEYS, OBSERVATION_KEYS,
  THREAD_NAME_PATTERN, THREAD_OBSERVATION_KEYS, THREAD_STATES,
} from './events';
import { SEL4_ERRORS } from './errors';
import { DEBUG_NAME_THREAD, METHODS, type MethodName, LABEL, type InvocationLabel, INVOCATION_LABELS } from './invocations';
import { marshalInvocation, type ArgValues } from './marshal';
import { MSG_MAX_EXTRA_CAPS, MSG_MAX_LENGTH, wordFromMessageInfo } from './messageinfo';
import { OBJECT_TYPES, type ObjectTypeName, objectTypeNumber } from './objecttype';
import { N_USER_REGISTERS } from './registers';
import { rightsFromLetters, wordFromRights } from './rights';
import { SYSCALLS, type SyscallName } from './syscalls';

export const TRACE_FORMAT = 'l4check-trace/1';

/** A problem with an input file: the JSON path and what is wrong. */
export class TraceError extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(path ? `${path}: ${problem}` : problem);
  }
}

export interface Expectation {
  step: number;
  /** The subset of the observation to match (without step and comment). */
  match: Record<string, unknown>;
}

export interface Trace {
  name?: string;
  comment?: string;
  config: Config;
  events: TraceEvent[];
  expect: Expectation[];
  expectViolation?: string;
  /** The config object as written (for writing traces back). */
  rawConfig: Record<string, unknown>;
}

type Obj = Record<string, unknown>;

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? 'an object' : String(v);

function fail(path: string, problem: string): never {
  throw new TraceError(path, problem);
}

function object(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `expected an object, got ${describe(v)}`);
  return v as Obj;
}

function closed(o: Obj, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(join(path, k), 'unknown key');
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

function array(v: unknown, path: string, max?: number): unknown[] {
  if (!Array.isArray(v)) fail(path, `expected an array, got ${describe(v)}`);
  if (max !== undefined && v.length > max) fail(path, `at most ${max} entries, got ${v.length}`);
  return v;
}

/** u32: a JSON integer 0..2^32-1 or "0x" + 1..8 hex digits. */
export function u32(v: unknown, path: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{1,8}$/.test(v)) return parseInt(v.slice(2), 16);
  return fail(path, `expected u32, got ${describe(v)}`);
}

function intIn(v: unknown, path: string, lo: number, hi: number): number {
  const n = u32(v, path);
  if (n < lo || n > hi) fail(path, `expected ${lo}..${hi}, got ${n}`);
  return n;
}

function flag(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, `expected true or false, got ${describe(v)}`);
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `expected a string, got ${describe(v)}`);
  return v;
}

function rights(v: unknown, path: string): number {
  if (typeof v === 'string' && !v.startsWith('0x')) {
    const r = rightsFromLetters(v);
    if (!r) fail(path, `expected rights letters from R, W, G, P (each at most once), got ${describe(v)}`);
    return wordFromRights(r);
  }
  return u32(v, path);
}

function objectType(v: unknown, path: string): number {
  if (typeof v === 'string' && (OBJECT_TYPES as readonly string[]).includes(v)) return objectTypeNumber(v as ObjectTypeName);
  if (typeof v === 'string' && !v.startsWith('0x')) fail(path, `unknown object type ${describe(v)} (expected one of ${OBJECT_TYPES.join(', ')} or a u32)`);
  return u32(v, path);
}

function syscallNumber(v: unknown, path: string): number {
  if (typeof v === 'string') {
    if (v in SYSCALLS) return SYSCALLS[v as SyscallName] >>> 0;
    fail(path, `unknown syscall ${describe(v)} (expected one of ${Object.keys(SYSCALLS).join(', ')} or an integer)`);
  }
  if (typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 32) return v >>> 0;
  return fail(path, `expected a syscall name or an integer in [-2^31, 2^32), got ${describe(v)}`);
}

const CONFIG_KEYS = ['memoryBits', 'untyped', 'rootCNodeBits', 'timeslice', 'tlbEntries', 'platform', 'irqLines', 'variant', 'mutant', 'seed', 'path', 'generator'];

/** Overrides of a trace's own config (`l4check conform` runs a trace on its recording's platform). */
export interface ConfigOverrides {
  platform?: PlatformName;
}

function parsePlatform(v: unknown, path: string): PlatformName {
  if (v === undefined) return DEFAULT_PLATFORM;
  if (!isPlatformName(v)) fail(path, `unknown platform ${describe(v)} (expected one of ${PLATFORM_NAMES.join(', ')})`);
  return v;
}

/**
 * The config of a trace. `irqLines` defaults to the platform's line count; a platform with a
 * count of its own (qemu-arm-virt) takes no other. An override of the platform replaces the
 * file's platform and line count.
 */
export function parseConfig(v: unknown, path = 'config', overrides: ConfigOverrides = {}): Config {
  const o = v === undefined ? {} : object(v, path);
  closed(o, path, CONFIG_KEYS);
  const memoryBits = o.memoryBits === undefined ? 24 : intIn(o.memoryBits, join(path, 'memoryBits'), 22, 28);
  const rootCNodeBits = o.rootCNodeBits === undefined ? 12 : intIn(o.rootCNodeBits, join(path, 'rootCNodeBits'), 8, 16);
  const timeslice = o.timeslice === undefined ? 5 : intIn(o.timeslice, join(path, 'timeslice'), 1, 1000);
  const tlbEntries = o.tlbEntries === undefined ? 64 : intIn(o.tlbEntries, join(path, 'tlbEntries'), 1, 1024);
  if ((tlbEntries & (tlbEntries - 1)) !== 0) fail(join(path, 'tlbEntries'), `expected a power of two, got ${tlbEntries}`);
  const filePlatform = parsePlatform(o.platform, join(path, 'platform'));
  const fileLines = o.irqLines === undefined ? PLATFORMS[filePlatform].irqLines : intIn(o.irqLines, join(path, 'irqLines'), 2, 256);
  const linesProblem = platformLinesProblem(filePlatform, fileLines);
  if (linesProblem !== null) fail(join(path, 'irqLines'), linesProblem);
  const platform = overrides.platform ?? filePlatform;
  const irqLines = overrides.platform === undefined ? fileLines : PLATFORMS[overrides.platform].irqLines;
  const untyped = o.untyped === undefined ? defaultUntyped(memoryBits) : parseUntyped(o.untyped, join(path, 'untyped'), memoryBits);
  const variant = { ...DEFAULT_VARIANT };
  if (o.variant !== undefined) {
    const vp = join(path, 'variant');
    const vo = object(o.variant, vp);
    closed(vo, vp, ['scheduler', 'fastpath']);
    if (vo.scheduler !== undefined) {
      if (vo.scheduler !== 'benno' && vo.scheduler !== 'lazy') fail(join(vp, 'scheduler'), `expected "benno" or "lazy", got ${describe(vo.scheduler)}`);
      variant.scheduler = vo.scheduler;
    }
    if (vo.fastpath !== undefined) variant.fastpath = flag(vo.fastpath, join(vp, 'fastpath'));
  }
  const config: Config = { memoryBits, untyped, rootCNodeBits, timeslice, tlbEntries, platform, irqLines, variant };
  if (o.mutant !== undefined) config.mutant = str(o.mutant, join(path, 'mutant'));
  if (o.seed !== undefined) {
    const s = o.seed;
    if (typeof s !== 'number' || !Number.isInteger(s) || s < -(2 ** 31) || s >= 2 ** 31) fail(join(path, 'seed'), `expected a signed 32-bit integer, got ${describe(s)}`);
    config.seed = s;
  }
  if (o.path !== undefined) config.path = str(o.path, join(path, 'path'));
  if (o.generator !== undefined) config.generator = o.generator;
  if (rootCNodeBits === 16) fail(join(path, 'rootCNodeBits'), 'a root CNode of 2^16 slots fills [1 MiB, 2 MiB) and leaves no room for the other boot objects (docs/deviations.md)');
  return config;
}

function parseUntyped(v: unknown, path: string, memoryBits: number): Config['untyped'] {
  const list = array(v, path, 64).map((e, i) => {
    const p = join(path, i);
    const o = object(e, p);
    closed(o, p, ['paddr', 'sizeBits']);
    if (o.paddr === undefined) fail(join(p, 'paddr'), 'missing');
    if (o.sizeBits === undefined) fail(join(p, 'sizeBits'), 'missing');
    const paddr = u32(o.paddr, join(p, 'paddr'));
    const sizeBits = intIn(o.sizeBits, join(p, 'sizeBits'), 4, 29);
    if (paddr % 2 ** sizeBits !== 0) fail(p, `0x${paddr.toString(16)} is not aligned to 2^${sizeBits}`);
    if (paddr < 0x00200000 || paddr + 2 ** sizeBits > 2 ** memoryBits) fail(p, `region lies outside [2 MiB, 2^${memoryBits})`);
    return { paddr, sizeBits };
  });
  const sorted = list.map((u, i) => ({ ...u, i })).sort((a, b) => a.paddr - b.paddr);
  for (let k = 1; k < sorted.length; k++) {
    const a = sorted[k - 1];
    if (a.paddr + 2 ** a.sizeBits > sorted[k].paddr) fail(join(path, sorted[k].i), `overlaps ${join(path, a.i)}`);
  }
  return list;
}

const COMMON_EVENT_KEYS = ['as', 'comment'];
const EVENT_FIELDS: Record<string, string[]> = {
  syscall: ['cap', 'info', 'mrs', 'extraCaps', 'receive'],
  invoke: ['cap', 'args', 'info'],
  load: [],
  store: ['value'],
  exception: [],
  irq: [],
  tick: [],
};

function parseInfo(v: unknown, path: string, defaults: { length: number; extraCaps: number }, allowLabel: boolean) {
  const o = object(v ?? {}, path);
  closed(o, path, allowLabel ? ['label', 'capsUnwrapped', 'extraCaps', 'length'] : ['length', 'extraCaps']);
  let label = 0;
  if (allowLabel && o.label !== undefined) {
    const lp = join(path, 'label');
    if (typeof o.label === 'string' && !o.label.startsWith('0x')) label = labelOfName(o.label, lp);
    else label = u32(o.label, lp);
  }
  return {
    label,
    capsUnwrapped: o.capsUnwrapped === undefined ? 0 : intIn(o.capsUnwrapped, join(path, 'capsUnwrapped'), 0, 7),
    extraCaps: o.extraCaps === undefined ? defaults.extraCaps : intIn(o.extraCaps, join(path, 'extraCaps'), 0, MSG_MAX_EXTRA_CAPS),
    length: o.length === undefined ? defaults.length : intIn(o.length, join(path, 'length'), 0, 127),
  };
}

/** A label given by name: a method of the table (Untyped_Retype) or a raw seL4 label (TCBSetTLSBase). */
function labelOfName(name: string, path: string): number {
  if (name in METHODS) return LABEL[METHODS[name as MethodName].label];
  if ((INVOCATION_LABELS as readonly string[]).includes(name)) return LABEL[name as InvocationLabel];
  return fail(path, `unknown method ${describe(name)}`);
}

function parseReceive(v: unknown, path: string): ReceiveSlot {
  if (v === undefined) return { root: 0, index: 0, depth: 0 };
  const o = object(v, path);
  closed(o, path, ['root', 'index', 'depth']);
  return {
    root: o.root === undefined ? 0 : u32(o.root, join(path, 'root')),
    index: o.index === undefined ? 0 : u32(o.index, join(path, 'index')),
    depth: o.depth === undefined ? 0 : u32(o.depth, join(path, 'depth')),
  };
}

function parseArgs(method: MethodName, v: unknown, path: string): ArgValues {
  const spec = METHODS[method];
  const o = object(v ?? {}, path);
  closed(o, path, spec.args.map((a) => a.name));
  const out: ArgValues = {};
  for (const a of spec.args) {
    const p = join(path, a.name);
    const x = o[a.name];
    if (x === undefined) fail(p, 'missing argument');
    switch (a.type) {
      case 'bool':
        out[a.name] = typeof x === 'boolean' ? +x : u32(x, p);
        break;
      case 'rights':
        out[a.name] = rights(x, p);
        break;
      case 'objtype':
        out[a.name] = objectType(x, p);
        break;
      case 'regs':
        out[a.name] = array(x, p, N_USER_REGISTERS).map((r, i) => u32(r, join(p, i)));
        break;
      case 'word':
      case 'u8':
      case 'cap':
        out[a.name] = u32(x, p);
        break;
    }
  }
  return out;
}

/** `irq` LINE: a device line, i.e. any line of the config but the timer's (which `tick` raises). */
function deviceLine(v: unknown, path: string, c: IrqConfig): number {
  const timer = timerIrq(c);
  const last = c.irqLines - 1;
  const range = timer === 0 ? `1..${last}` : timer === last ? `0..${last - 1}` : `0..${last} except ${timer}`;
  const n = u32(v, path);
  if (!isDeviceLine(c, n)) fail(path, `expected ${range}, got ${n}${n === timer ? ` (the timer's line on platform ${c.platform ?? DEFAULT_PLATFORM}: use tick)` : ''}`);
  return n;
}

export function parseEvent(v: unknown, path: string, irq: IrqConfig): TraceEvent {
  const o = object(v, path);
  const kinds = Object.keys(EVENT_FIELDS).filter((k) => k in o);
  if (kinds.length !== 1) fail(path, kinds.length === 0 ? `expected one of ${Object.keys(EVENT_FIELDS).join(', ')}` : `more than one event kind (${kinds.join(', ')})`);
  const kind = kinds[0];
  closed(o, path, [kind, ...EVENT_FIELDS[kind], ...COMMON_EVENT_KEYS]);
  if (o.comment !== undefined) str(o.comment, join(path, 'comment'));
  const as = o.as === undefined ? undefined : str(o.as, join(path, 'as'));
  const p = (k: string) => join(path, k);
  let event: KernelEvent;
  switch (kind) {
    case 'syscall': {
      const mrs = o.mrs === undefined ? [] : array(o.mrs, p('mrs'), MSG_MAX_LENGTH).map((x, i) => u32(x, join(p('mrs'), i)));
      const extraCaps = o.extraCaps === undefined ? undefined : array(o.extraCaps, p('extraCaps'), MSG_MAX_EXTRA_CAPS).map((x, i) => u32(x, join(p('extraCaps'), i)));
      const info = parseInfo(o.info, p('info'), { length: mrs.length, extraCaps: extraCaps?.length ?? 0 }, true);
      event = {
        tag: 'syscall', number: syscallNumber(o.syscall, p('syscall')), cap: o.cap === undefined ? 0 : u32(o.cap, p('cap')),
        info: wordFromMessageInfo(info), mrs, extraCaps, receive: parseReceive(o.receive, p('receive')),
      };
      break;
    }
    case 'invoke': {
      const name = str(o.invoke, p('invoke'));
      const cap = o.cap === undefined ? 0 : u32(o.cap, p('cap'));
      if (name === DEBUG_NAME_THREAD) {
        if (o.info !== undefined) fail(p('info'), 'unknown key');
        const a = object(o.args ?? {}, p('args'));
        closed(a, p('args'), ['name']);
        if (a.name === undefined) fail(join(p('args'), 'name'), 'missing argument');
        const n = str(a.name, join(p('args'), 'name'));
        if (!THREAD_NAME_PATTERN.test(n) || n === 'idle' || n.startsWith('tcb')) fail(join(p('args'), 'name'), `invalid thread name ${describe(n)} (must match ${THREAD_NAME_PATTERN.source}, not be "idle", not start with "tcb")`);
        event = { tag: 'debugName', cap, name: n };
        break;
      }
      if (!(name in METHODS)) fail(p('invoke'), `unknown method ${describe(name)}`);
      const method = name as MethodName;
      const m = marshalInvocation(method, parseArgs(method, o.args, p('args')));
      const info = parseInfo(o.info, p('info'), { length: m.mrs.length, extraCaps: m.extraCaps.length }, false);
      event = {
        tag: 'syscall', number: SYSCALLS.Call >>> 0, cap,
        info: wordFromMessageInfo({ ...info, label: m.label, capsUnwrapped: 0 }),
        mrs: m.mrs, extraCaps: m.extraCaps, receive: { root: 0, index: 0, depth: 0 }, method,
      };
      break;
    }
    case 'load':
      event = { tag: 'load', vaddr: u32(o.load, p('load')) };
      break;
    case 'store':
      if (o.value === undefined) fail(p('value'), 'missing');
      event = { tag: 'store', vaddr: u32(o.store, p('store')), value: u32(o.value, p('value')) };
      break;
    case 'exception':
      event = { tag: 'exception', code: u32(o.exception, p('exception')) };
      break;
    case 'irq':
      event = { tag: 'irq', line: deviceLine(o.irq, p('irq'), irq) };
      break;
    case 'tick':
      event = { tag: 'tick', count: intIn(o.tick, p('tick'), 1, 65536) };
      break;
    default:
      return fail(path, `unknown event kind ${kind}`);
  }
  return { event, as, raw: v };
}

/** An expected value: null (absent), or what `check` says; a mismatch of type could never match. */
function expected(v: unknown, path: string, check: (v: unknown, path: string) => void): void {
  if (v !== null) check(v, path);
}

const oneOf = (names: readonly string[], what: string) => (v: unknown, path: string): void => {
  if (typeof v !== 'string' || !names.includes(v)) fail(path, `expected ${what}, got ${describe(v)}`);
};

/** `mrs`: an array of u32, or an object whose index keys give some of them. */
function expectedWords(v: unknown, path: string): void {
  if (Array.isArray(v)) {
    v.forEach((w, i) => u32(w, join(path, i)));
    return;
  }
  for (const [k, w] of Object.entries(object(v, path))) {
    if (!/^\d{1,3}$/.test(k)) fail(join(path, k), 'expected a message register index');
    expected(w, join(path, k), u32);
  }
}

/**
 * The shape and the value types of an expectation: keys of the observation format only, each
 * value of the type the observation has (a state that does not exist, a label of true, a length of
 * 1.5 could never match: bad input, not a failed check).
 */
function checkExpectShape(o: Obj, path: string): void {
  closed(o, path, [...OBSERVATION_KEYS, 'comment']);
  if (o.current !== undefined) expected(o.current, join(path, 'current'), str);
  if (o.skipped !== undefined) expected(o.skipped, join(path, 'skipped'), flag);
  if (o.threads !== undefined) {
    const t = object(o.threads, join(path, 'threads'));
    for (const [name, th] of Object.entries(t)) {
      const tp = join(join(path, 'threads'), name);
      if (th === null) continue;
      const tho = object(th, tp);
      closed(tho, tp, THREAD_OBSERVATION_KEYS);
      const at = (k: string) => join(tp, k);
      if (tho.state !== undefined) expected(tho.state, at('state'), oneOf(THREAD_STATES, `a thread state (${THREAD_STATES.join(', ')})`));
      if (tho.priority !== undefined) expected(tho.priority, at('priority'), (v, p) => intIn(v, p, 0, 255));
      if (tho.badge !== undefined) expected(tho.badge, at('badge'), u32);
      if (tho.loaded !== undefined) expected(tho.loaded, at('loaded'), u32);
      if (tho.error !== undefined) expected(tho.error, at('error'), oneOf(SEL4_ERRORS, 'an seL4 error name'));
      if (tho.mrs !== undefined) expected(tho.mrs, at('mrs'), expectedWords);
      if (tho.info !== undefined && tho.info !== null) {
        const ip = at('info');
        const info = object(tho.info, ip);
        closed(info, ip, INFO_KEYS);
        if (info.label !== undefined) expected(info.label, join(ip, 'label'), (v, p) => intIn(v, p, 0, 0xfffff));
        if (info.capsUnwrapped !== undefined) expected(info.capsUnwrapped, join(ip, 'capsUnwrapped'), (v, p) => intIn(v, p, 0, 7));
        if (info.extraCaps !== undefined) expected(info.extraCaps, join(ip, 'extraCaps'), (v, p) => intIn(v, p, 0, 3));
        if (info.length !== undefined) expected(info.length, join(ip, 'length'), (v, p) => intIn(v, p, 0, 127));
      }
    }
  }
}

/** The deepest a trace file nests (config.generator and expect included) is far less than this. */
const MAX_DEPTH = 32;

/** The JSON path of a value nested deeper than MAX_DEPTH, found without recursion (a file may nest 10^5 deep). */
function tooDeep(json: unknown): string | undefined {
  const stack: [unknown, string, number][] = [[json, '', 0]];
  while (stack.length > 0) {
    const [v, path, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_DEPTH) return path;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, join(path, i), depth + 1]));
    else for (const [k, x] of Object.entries(v)) stack.push([x, join(path, k), depth + 1]);
  }
  return undefined;
}

function parseExpect(v: unknown, path: string, nEvents: number): Expectation[] {
  const seen = new Set<number>();
  return array(v, path).map((e, i) => {
    const p = join(path, i);
    const o = object(e, p);
    if (o.step === undefined) fail(join(p, 'step'), 'missing');
    const step = u32(o.step, join(p, 'step'));
    if (step > nEvents) fail(join(p, 'step'), `step ${step} is after the last event (${nEvents})`);
    if (seen.has(step)) fail(join(p, 'step'), `a second expectation for step ${step}`);
    seen.add(step);
    checkExpectShape(o, p);
    const { step: _s, comment: _c, ...match } = o;
    return { step, match };
  });
}

/** Parses a trace file's JSON value; throws TraceError naming the path of the first problem. */
export function parseTrace(json: unknown, overrides: ConfigOverrides = {}): Trace {
  const deep = tooDeep(json);
  if (deep !== undefined) fail(deep.length > 120 ? `${deep.slice(0, 120)}...` : deep, `nested deeper than ${MAX_DEPTH} levels`);
  const o = object(json, '');
  if (o.format !== TRACE_FORMAT) {
    if (o.format === undefined) fail('format', `missing (expected "${TRACE_FORMAT}")`);
    fail('format', `unsupported format ${describe(o.format)}`);
  }
  closed(o, '', ['format', 'name', 'comment', 'config', 'events', 'expect', 'expectViolation']);
  const config = parseConfig(o.config, 'config', overrides);
  if (o.events === undefined) fail('events', 'missing');
  const events = array(o.events, 'events').map((e, i) => parseEvent(e, `events[${i}]`, config));
  const trace: Trace = {
    config,
    events,
    expect: o.expect === undefined ? [] : parseExpect(o.expect, 'expect', events.length),
    rawConfig: (o.config ?? {}) as Obj,
  };
  if (o.name !== undefined) trace.name = str(o.name, 'name');
  if (o.comment !== undefined) trace.comment = str(o.comment, 'comment');
  if (o.expectViolation !== undefined) trace.expectViolation = str(o.expectViolation, 'expectViolation');
  return trace;
}

/** Parses trace file text; JSON syntax errors become TraceErrors too. */
export function parseTraceText(text: string, overrides: ConfigOverrides = {}): Trace {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TraceError('', `not valid JSON (${(e as Error).message})`);
  }
  return parseTrace(json, overrides);
}
