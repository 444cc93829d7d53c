// What `l4check check` writes: the coverage matrix (system call and invocation × result), the
// counterexample file (named by a hash of its content) with its vitest snippet, the trace and
// evidence with names instead of addresses, and JUnit XML.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEL4_ERRORS } from '../../abi/errors';
import { METHODS, METHOD_NAMES } from '../../abi/invocations';
import { SYSCALL_NAMES } from '../../abi/syscalls';
import { TRACE_FORMAT } from '../../abi/trace';
import { bootLayout } from '../../abi/boot';
import type { KernelState } from '../../spec';
import { type RawEvent, SLOT_INDEX_ARG, type World } from '../generators';
import { type Cells, addCell } from './execute';
import { COVERAGE_PATHS, type CoveragePath, PATH_ROW } from '../coverage';
import { VACUITY_MIN_FED } from './runs';

const PATHS = Object.keys(COVERAGE_PATHS) as CoveragePath[];

// ----- coverage --------------------------------------------------------------------------------

export const COVERAGE_ROWS = [...SYSCALL_NAMES, 'UnknownSyscall', ...METHOD_NAMES, 'load', 'store', 'exception', 'irq', 'tick', 'debugName'];
const FAULTS = ['CapFault', 'VMFault', 'UnknownSyscall', 'UserException'];
export const COVERAGE_COLUMNS = ['done', ...SEL4_ERRORS, ...FAULTS, 'Inactive'];
export const SHORT: Record<string, string> = {
  done: 'ok', NoError: 'NoEr', InvalidArgument: 'IArg', InvalidCapability: 'ICap', IllegalOperation: 'IOp',
  RangeError: 'Rnge', AlignmentError: 'Algn', FailedLookup: 'Look', TruncatedMessage: 'Trnc', DeleteFirst: 'DelF',
  RevokeFirst: 'RevF', NotEnoughMemory: 'NoMm', CapFault: 'CapF', VMFault: 'VMF', UnknownSyscall: 'Unk',
  UserException: 'UExc', Inactive: 'Inac',
};

/** The width of a matrix column: the abbreviations are at most 4 characters, so that 17 columns and the longest row name fit 120. */
const COLUMN = 5;

/**
 * The cells every default run must reach: each syscall with success ("done": the kernel took the
 * call), each method with NoError and every error abi/ lists for it, each kind of fault, and
 * each path of coverage.ts (row PATH_ROW).
 */
export function requiredCells(): [string, string][] {
  const out: [string, string][] = SYSCALL_NAMES.map((s) => [s, 'done']);
  for (const m of METHOD_NAMES) {
    out.push([m, 'NoError']);
    for (const e of METHODS[m].errors) out.push([m, e]);
  }
  out.push(['Recv', 'CapFault'], ['UnknownSyscall', 'UnknownSyscall'], ['load', 'VMFault'], ['store', 'VMFault'], ['exception', 'UserException']);
  for (const p of PATHS) out.push([PATH_ROW, p]);
  return out;
}

export function missingCells(cells: Cells): string[] {
  return requiredCells().filter(([r, c]) => !cells.get(r)?.has(c)).map(([r, c]) => `${r} × ${c}`);
}

/** The matrix as text: ✓ reached, ✗ required and never reached, · neither. */
export function coverageTable(cells: Cells): string {
  const required = new Set(requiredCells().map(([r, c]) => `${r}\u0000${c}`));
  const cols = COVERAGE_COLUMNS.filter((c) => [...cells.values()].some((s) => s.has(c)) || requiredCells().some(([, x]) => x === c));
  const w = Math.max(...COVERAGE_ROWS.map((r) => r.length));
  const lines = [`${''.padEnd(w)} ${cols.map((c) => (SHORT[c] ?? c).padStart(COLUMN)).join('')}`];
  for (const r of COVERAGE_ROWS) {
    const got = cells.get(r);
    const mark = (c: string) => (got?.has(c) ? '✓' : required.has(`${r}\u0000${c}`) ? '✗' : '·');
    lines.push(`${r.padEnd(w)} ${cols.map((c) => mark(c).padStart(COLUMN)).join('')}`);
  }
  const paths = cells.get(PATH_ROW);
  lines.push('paths:');
  for (const p of PATHS) lines.push(`  ${paths?.has(p) ? '✓' : '✗'} ${p}`);
  return lines.join('\n');
}

export function mergeCells(into: Cells, from: Iterable<[string, [string, number][]]>): void {
  for (const [r, cs] of from) for (const [c, n] of cs) addCell(into, r, c, n);
}

/** The matrix for --json: each row's outcomes reached (sorted), and with the times each was reached. */
export function cellsJSON(cells: Cells): { coverage: Record<string, string[]>; coverageCounts: Record<string, Record<string, number>> } {
  const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
  const rows = [...cells].sort(byKey);
  return {
    coverage: Object.fromEntries(rows.map(([r, s]) => [r, [...s.keys()].sort()])),
    coverageCounts: Object.fromEntries(rows.map(([r, s]) => [r, Object.fromEntries([...s].sort(byKey))])),
  };
}

// ----- names instead of addresses --------------------------------------------------------------

/** Object addresses of the world's slots and threads, by name. */
export function addressNames(s: KernelState, w: World): Map<number, string> {
  const names = new Map<number, string>();
  const root = bootLayout(s.config).rootCNode;
  for (const [slot, name] of w.slotNames) {
    const cap = s.ctes[root + 16 * slot]?.cap as { ptr?: number } | undefined;
    if (cap?.ptr !== undefined && !names.has(cap.ptr)) names.set(cap.ptr, name.replace(/^tcb_/, ''));
  }
  for (const [p, o] of Object.entries(s.objects)) if (o.tag === 'TCB') names.set(Number(p), o.name ?? `tcb@0x${Number(p).toString(16)}`);
  names.set(s.idleThread, 'idle');
  // Slots (CTE addresses): the root CNode's, the own CNodes', the TCBs' five.
  for (let i = 0; i < 64; i++) names.set(root + 16 * i, `rootCNode[${i}${w.slotNames.has(i) ? ' ' + w.slotNames.get(i) : ''}]`);
  for (const [p, o] of Object.entries(s.objects)) {
    const base = Number(p);
    if (o.tag === 'TCB') for (let i = 1; i < 5; i++) names.set(base + 16 * i, `${names.get(base)}.slot[${i}]`);
    if (o.tag === 'CNode' && names.has(base) && base !== root) for (let i = 0; i < 64; i++) if (!names.has(base + 16 * i) || i > 0) names.set(base + 16 * i, `${names.get(base)}[${i}]`);
  }
  return names;
}

/** JSON of the evidence with known addresses replaced by their names. */
export function nameEvidence(evidence: unknown, names: Map<number, string>): string {
  const named = (n: number) => (names.has(n) ? `${names.get(n)}` : undefined);
  const text = JSON.stringify(evidence, (_k, v: unknown) => {
    if (typeof v === 'number') return named(v) ?? v;
    if (typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v)) return named(parseInt(v, 16)) ?? v;
    return v;
  }, 1);
  return (text ?? 'undefined').replace(/0x[0-9a-f]{5,8}/gi, (h) => named(parseInt(h, 16)) ?? h).replace(/\n\s*/g, ' ');
}

/** One line for a generated event: slots by name. */
export function describeEvent(e: RawEvent, w: World): string {
  const slot = (v: unknown) => (typeof v === 'number' && w.slotNames.has(v) ? `${w.slotNames.get(v)}` : JSON.stringify(v));
  const as = e.as !== undefined ? `${String(e.as).padEnd(9)} ` : '';
  const note = e.comment !== undefined ? `   (${String(e.comment)})` : '';
  if ('syscall' in e) {
    const bits = [String(e.syscall), e.cap !== undefined ? slot(e.cap) : ''];
    const info = e.info as { label?: unknown } | undefined;
    if (info?.label !== undefined && info.label !== 0) bits.push(`label=${String(info.label)}`);
    if (Array.isArray(e.mrs) && e.mrs.length > 0) bits.push(`mrs=[${e.mrs.join(',')}]`);
    if (Array.isArray(e.extraCaps)) bits.push(`caps=[${e.extraCaps.map(slot).join(',')}]`);
    return `${as}${bits.filter(Boolean).join(' ')}${note}`;
  }
  if ('invoke' in e) {
    const args = e.args as Record<string, unknown> | undefined;
    const capArgs = new Set(METHODS[e.invoke as keyof typeof METHODS]?.args.filter((a) => a.type === 'cap').map((a) => a.name) ?? []);
    const index = (k: string, v: unknown) => (SLOT_INDEX_ARG.test(k) && typeof v === 'number' && w.slotNames.has(v) ? `${v}(${w.slotNames.get(v)})` : JSON.stringify(v));
    const a = args ? Object.entries(args).map(([k, v]) => `${k}=${capArgs.has(k) ? slot(v) : index(k, v)}`).join(' ') : '';
    const info = e.info ? ` info=${JSON.stringify(e.info)}` : '';
    return `${as}${String(e.invoke)} ${slot(e.cap)}${a ? ' ' + a : ''}${info}${note}`;
  }
  const { as: _a, comment: _c, ...rest } = e;
  return `${as}${Object.entries(rest).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(' ')}${note}`;
}

// ----- counterexample files ---------------------------------------------------------------------

export interface CounterexampleFile {
  format: string;
  name: string;
  comment: string;
  config: Record<string, unknown>;
  events: RawEvent[];
  expectViolation?: string;
}

export function counterexampleTrace(p: { check: string; step: number; config: Record<string, unknown>; events: RawEvent[] }): CounterexampleFile {
  return {
    format: TRACE_FORMAT,
    name: `${p.check} fails at step ${p.step}`,
    comment: 'found and shrunk by l4check check; `l4check replay --check FILE` shows the failure',
    config: p.config,
    events: p.events,
  };
}

/** Writes counterexamples/<hash>.json (never overwriting anything else); returns the path. */
export function writeCounterexample(file: CounterexampleFile, dir = 'counterexamples'): string {
  const text = JSON.stringify(file, null, 1) + '\n';
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const path = join(dir, `${hash}.json`);
  if (!existsSync(path)) writeFileSync(path, text);
  return path;
}

/**
 * A vitest test for the counterexample once it is moved to regressions/ (docs/check.md): it replays
 * the file with every check, as `replay --check` does, through the public entry alone, with the
 * same invariants file; it fails until the bug is fixed, or — when the file says expectViolation —
 * until exactly that check fails.
 */
export function vitestSnippet(path: string, check: string, invariantsFile?: string): string {
  const name = path.replace(/^.*\//, '').replace(/\.json$/, '');
  const home = `regressions/${name}.json`;
  const options = invariantsFile !== undefined ? `{ invariantsFile: ${JSON.stringify(invariantsFile)} }` : '{}';
  return [
    `// test/regression-${name}.test.ts, after: mv ${path} ${home}`,
    `import { readFileSync } from 'node:fs';`,
    `import { expect, it } from 'vitest';`,
    `import { checkTrace, parseTraceText } from 'l4check/properties';`,
    ``,
    `it('${home}: ${check} holds', async () => {`,
    `  const trace = parseTraceText(readFileSync('${home}', 'utf8'));`,
    `  const r = await checkTrace(trace, ${options});`,
    `  expect(r.failure?.check).toBe(trace.expectViolation);`,
    `});`,
  ].join('\n');
}

// ----- JUnit ------------------------------------------------------------------------------------

export interface JUnitCase {
  name: string;
  failure?: string;
  skipped?: string;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function junitXML(suite: string, cases: JUnitCase[], seconds: number, properties: Record<string, string> = {}): string {
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const body = cases.map((c) => {
    const inner = c.failure !== undefined ? `<failure message="${xml(c.failure.split('\n')[0])}">${xml(c.failure)}</failure>` : c.skipped !== undefined ? `<skipped message="${xml(c.skipped)}"/>` : '';
    return `    <testcase classname="${xml(suite)}" name="${xml(c.name)}"${inner ? `>${inner}</testcase>` : '/>'}`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${seconds.toFixed(3)}">`,
    `  <testsuite name="${xml(suite)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${seconds.toFixed(3)}">`,
    ...(Object.keys(properties).length > 0 ? ['    <properties>', ...Object.entries(properties).map(([k, v]) => `      <property name="${xml(k)}" value="${xml(v)}"/>`), '    </properties>'] : []),
    ...body,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/**
 * Generated thread events fed and run over the runs, and the run with the least share among those
 * fed at least VACUITY_MIN_FED (shorter runs say too little).
 */
export function generatedShare(reports: readonly { index: number; generated?: { fed: number; ran: number } }[]) {
  let fed = 0;
  let ran = 0;
  let lowest: { run: number; share: number; fed: number } | undefined;
  for (const r of reports) {
    if (r.generated === undefined) continue;
    fed += r.generated.fed;
    ran += r.generated.ran;
    const share = r.generated.ran / r.generated.fed;
    if (r.generated.fed >= VACUITY_MIN_FED && (lowest === undefined || share < lowest.share)) lowest = { run: r.index, share, fed: r.generated.fed };
  }
  return { fed, ran, share: fed === 0 ? 1 : ran / fed, lowest };
}
