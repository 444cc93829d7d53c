// Records of the real seL4 kernel running a trace: the `l4check-sel4/1` format
// (shared/conformance/FORMAT.md), parsed and validated. Every problem names its JSON path, as for
// trace files; members the format does not define are ignored (a newer recorder may add some).

import { TraceError } from '../../abi/trace';
import { THREAD_STATES, type ThreadStateName } from '../../abi/events';
import type { MessageInfo } from '../../abi/messageinfo';

export const SEL4_RECORD_FORMAT = 'l4check-sel4/1';

export const OUTCOMES = ['completed', 'idle', 'diverged', 'crashed', 'timeout', 'setup-failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const RESUMPTION_KINDS = ['return', 'restart', 'entry', 'retried-access'] as const;
export type ResumptionKind = (typeof RESUMPTION_KINDS)[number];

export interface Resumption {
  step: number;
  thread: string;
  how: ResumptionKind;
}

/** The registers and message a thread found when it got the CPU back. */
export interface Return {
  thread: string;
  how: Exclude<ResumptionKind, 'retried-access'>;
  /** The step of the event whose trap the thread last made; null for `entry`. */
  trapStep: number | null;
  /** The thread got the CPU after this step. */
  after: number;
  badge: number;
  info: MessageInfo;
  mrs: number[];
  /** r0..r7. */
  registers: number[];
  unwrappedBadges?: number[];
  /** false: the words past the four registers could not be read. */
  mrsFromBuffer?: boolean;
  /** Indexes of `mrs` that hold the harness's values (pc, sp, physical addresses...). */
  harnessWords?: number[];
}

export interface Load {
  step: number;
  thread: string;
  value: number;
}

export interface Unreturned {
  thread: string;
  trapStep: number;
}

export interface Divergence {
  step: number;
  kernelRan: string;
  modelRuns: string;
}

export interface FinalThread {
  state: ThreadStateName;
  priority?: number;
}

export interface Sel4Record {
  trace: string;
  source: string;
  kernel: { platform: string; arch: string; build: string; commit: string; version?: string };
  outcome: Outcome;
  /** Members below are absent for crashed, timeout and setup-failed. */
  steps: number;
  actors: string[];
  resumptions: Resumption[];
  returns: Return[];
  loads: Load[];
  unreturned: Unreturned[];
  divergence?: Divergence;
  final?: { step: number; threads: Record<string, FinalThread>; unnamed: unknown[] };
}

type Obj = Record<string, unknown>;

function fail(path: string, problem: string): never {
  throw new TraceError(path, problem);
}

const at = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

const show = (v: unknown): string => {
  const s = v === undefined ? 'nothing' : JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
};

function object(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `expected an object, got ${show(v)}`);
  return v as Obj;
}

function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, `expected an array, got ${show(v)}`);
  return v;
}

function string(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `expected a string, got ${show(v)}`);
  return v;
}

function oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) fail(path, `expected one of ${values.join(', ')}, got ${show(v)}`);
  return v as T;
}

/** A register value or a count: an integer 0..2^32-1 (records write plain JSON numbers). */
function word(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) fail(path, `expected an integer 0..2^32-1, got ${show(v)}`);
  return v;
}

function stepNo(v: unknown, path: string, max: number): number {
  const n = word(v, path);
  if (n > max) fail(path, `step ${n} is past the record's last step ${max}`);
  return n;
}

function words(v: unknown, path: string): number[] {
  return array(v, path).map((x, i) => word(x, at(path, i)));
}

function info(v: unknown, path: string): MessageInfo {
  const o = object(v, path);
  return {
    label: word(o.label, at(path, 'label')),
    capsUnwrapped: word(o.capsUnwrapped, at(path, 'capsUnwrapped')),
    extraCaps: word(o.extraCaps, at(path, 'extraCaps')),
    length: word(o.length, at(path, 'length')),
  };
}

function parseReturn(v: unknown, path: string, steps: number): Return {
  const o = object(v, path);
  const how = oneOf(o.how, at(path, 'how'), ['return', 'restart', 'entry'] as const);
  const trapStep = o.trapStep === null ? null : stepNo(o.trapStep, at(path, 'trapStep'), steps);
  if (how !== 'entry' && trapStep === null) fail(at(path, 'trapStep'), `a "${how}" resumption needs the step of its trap`);
  const mrs = words(o.mrs, at(path, 'mrs'));
  const registers = words(o.registers, at(path, 'registers'));
  if (registers.length !== 8) fail(at(path, 'registers'), `expected r0..r7 (8 words), got ${registers.length}`);
  const r: Return = {
    thread: string(o.thread, at(path, 'thread')),
    how,
    trapStep,
    after: stepNo(o.after, at(path, 'after'), steps),
    badge: word(o.badge, at(path, 'badge')),
    info: info(o.info, at(path, 'info')),
    mrs,
    registers,
  };
  if (o.unwrappedBadges !== undefined) r.unwrappedBadges = words(o.unwrappedBadges, at(path, 'unwrappedBadges'));
  if (o.mrsFromBuffer !== undefined) {
    if (typeof o.mrsFromBuffer !== 'boolean') fail(at(path, 'mrsFromBuffer'), `expected true or false, got ${show(o.mrsFromBuffer)}`);
    r.mrsFromBuffer = o.mrsFromBuffer;
  }
  if (o.harnessWords !== undefined) {
    // An index may lie past `mrs`: the recorder marks a method's harness words whatever its reply's length.
    r.harnessWords = words(o.harnessWords, at(path, 'harnessWords'));
  }
  return r;
}

function parseFinal(v: unknown, path: string): NonNullable<Sel4Record['final']> {
  const o = object(v, path);
  const threads: Record<string, FinalThread> = {};
  for (const [name, t] of Object.entries(object(o.threads, at(path, 'threads')))) {
    const p = at(at(path, 'threads'), name);
    const to = object(t, p);
    const f: FinalThread = { state: oneOf(to.state, at(p, 'state'), THREAD_STATES) };
    if (to.priority !== undefined) f.priority = word(to.priority, at(p, 'priority'));
    threads[name] = f;
  }
  return { step: word(o.step, at(path, 'step')), threads, unnamed: o.unnamed === undefined ? [] : array(o.unnamed, at(path, 'unnamed')) };
}

/** Validates a parsed `l4check-sel4/1` document. */
export function parseSel4Record(json: unknown): Sel4Record {
  const o = object(json, '');
  if (o.format !== SEL4_RECORD_FORMAT) fail('format', `unsupported format ${show(o.format)} (expected "${SEL4_RECORD_FORMAT}")`);
  const k = object(o.kernel, 'kernel');
  const kernel = {
    platform: string(k.platform, 'kernel.platform'),
    arch: string(k.arch, 'kernel.arch'),
    build: string(k.build, 'kernel.build'),
    commit: string(k.commit, 'kernel.commit'),
    ...(k.version !== undefined ? { version: string(k.version, 'kernel.version') } : {}),
  };
  const outcome = oneOf(o.outcome, 'outcome', OUTCOMES);
  const base = { trace: string(o.trace, 'trace'), source: string(o.source, 'source'), kernel, outcome };
  if (outcome === 'crashed' || outcome === 'timeout' || outcome === 'setup-failed') {
    return { ...base, steps: 0, actors: [], resumptions: [], returns: [], loads: [], unreturned: [] };
  }
  const steps = word(o.steps, 'steps');
  const actors = array(o.actors, 'actors').map((x, i) => string(x, at('actors', i)));
  if (actors.length !== steps + 1) fail('actors', `expected steps + 1 = ${steps + 1} names, got ${actors.length}`);
  const resumptions = array(o.resumptions, 'resumptions').map((x, i): Resumption => {
    const p = at('resumptions', i);
    const r = object(x, p);
    return { step: stepNo(r.step, at(p, 'step'), steps), thread: string(r.thread, at(p, 'thread')), how: oneOf(r.how, at(p, 'how'), RESUMPTION_KINDS) };
  });
  const returns = array(o.returns, 'returns').map((x, i) => parseReturn(x, at('returns', i), steps));
  const loads = (o.loads === undefined ? [] : array(o.loads, 'loads')).map((x, i): Load => {
    const p = at('loads', i);
    const l = object(x, p);
    return { step: stepNo(l.step, at(p, 'step'), steps), thread: string(l.thread, at(p, 'thread')), value: word(l.value, at(p, 'value')) };
  });
  const unreturned = (o.unreturned === undefined ? [] : array(o.unreturned, 'unreturned')).map((x, i): Unreturned => {
    const p = at('unreturned', i);
    const u = object(x, p);
    return { thread: string(u.thread, at(p, 'thread')), trapStep: stepNo(u.trapStep, at(p, 'trapStep'), steps) };
  });
  const rec: Sel4Record = { ...base, steps, actors, resumptions, returns, loads, unreturned };
  if (outcome === 'diverged') {
    const d = object(o.divergence, 'divergence');
    rec.divergence = {
      step: stepNo(d.step, 'divergence.step', steps),
      kernelRan: string(d.kernelRan, 'divergence.kernelRan'),
      modelRuns: string(d.modelRuns, 'divergence.modelRuns'),
    };
  }
  if (o.final !== undefined) rec.final = parseFinal(o.final, 'final');
  return rec;
}

/** Parses record text; a JSON syntax error is a TraceError too. */
export function parseSel4RecordText(text: string): Sel4Record {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TraceError('', `not JSON: ${(e as Error).message}`);
  }
  return parseSel4Record(json);
}
