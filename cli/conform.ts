// `l4check conform [DIR|FILE...]`: replays every recorded trace (NAME.trace.json with
// NAME.sel4.json, and NAME.sel4.verification.json when present, beside it) on the model and compares
// it with what the real seL4 did (properties/conform). Exit 0 when every record agrees, 1 on a
// disagreement or a failed check of the model, 2 on a malformed file, 3 on an exception of a kernel.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import pc from 'picocolors';
import { PLATFORM_NAMES, isPlatformName } from '../abi/config';
import { TraceError } from '../abi/trace';
import { loadImpl } from '../refinement/kernels';
import { setSpecFreeze } from '../spec';
import { type Compared, type Difference, NO_COMPARISONS, addCompared, conformTrace } from '../properties/conform/compare';
import { type Sel4Record, parseSel4RecordText } from '../properties/conform/record';
import type { KernelChoice } from '../properties/check/steppers';
import { UsageError, loadTrace } from './input';

export interface ConformOpts {
  json?: boolean;
  kernel: string;
}

const TRACE_SUFFIX = '.trace.json';
const RECORD_SUFFIXES = ['.sel4.json', '.sel4.verification.json'] as const;

interface Recorded {
  name: string;
  trace: string;
  records: string[];
}

/** The recorded traces named by the arguments: folders are searched (not recursively), files taken as they are. */
export function recordedTraces(paths: readonly string[]): Recorded[] {
  const out: Recorded[] = [];
  const add = (tracePath: string, explicit: boolean): void => {
    const stem = tracePath.slice(0, -TRACE_SUFFIX.length);
    const records = RECORD_SUFFIXES.map((s) => stem + s).filter((p) => existsSync(p));
    if (records.length === 0) {
      if (explicit) throw new UsageError(`${tracePath}: no record beside it (${basename(stem)}.sel4.json)`);
      return;
    }
    out.push({ name: basename(stem), trace: tracePath, records });
  };
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`${p}: no such file or folder`);
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (f.endsWith(TRACE_SUFFIX)) add(join(p, f), false);
      continue;
    }
    const suffix = RECORD_SUFFIXES.find((s) => p.endsWith(s));
    if (p.endsWith(TRACE_SUFFIX)) add(p, true);
    else if (suffix) add(p.slice(0, -suffix.length) + TRACE_SUFFIX, true);
    else throw new UsageError(`${p}: expected NAME${TRACE_SUFFIX} or NAME${RECORD_SUFFIXES[0]}`);
  }
  const seen = new Set<string>();
  return out.filter((r) => !seen.has(r.trace) && seen.add(r.trace));
}

function loadRecord(path: string, traceFile: string): Sel4Record {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let r: Sel4Record;
  try {
    r = parseSel4RecordText(text);
  } catch (e) {
    if (e instanceof TraceError) throw new UsageError(`${path}: ${e.message}`);
    throw e;
  }
  if (basename(r.trace) !== basename(traceFile)) throw new UsageError(`${path}: trace: the record is of "${r.trace}", not of ${basename(traceFile)}`);
  return r;
}

const show = (v: unknown): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 80) + '…' : s;
};

export interface DisagreementLine extends Difference {
  trace: string;
  build: string;
}

export async function conformCommand(paths: string[], opts: ConformOpts): Promise<number> {
  const kernel = opts.kernel as KernelChoice;
  if (paths.length === 0) throw new UsageError('conform: name a folder of recordings or a recorded trace (e.g. ../shared/conformance)');
  const list = recordedTraces(paths);
  if (list.length === 0) throw new UsageError(`conform: no recorded trace (NAME${TRACE_SUFFIX} with NAME${RECORD_SUFFIXES[0]}) in ${paths.join(', ')}`);
  // Every file is read and validated before anything runs: a malformed one is exit 2, at once.
  // The trace runs on the platform its records ran on (config.platform, parsed with the trace so
  // that its events are checked against that platform's lines).
  const loaded = list.map((x) => {
    const records = x.records.map((p) => loadRecord(p, x.trace));
    const platforms = [...new Set(records.map((r) => r.kernel.platform))];
    if (platforms.length > 1) throw new UsageError(`${x.trace}: its records ran on different platforms (${platforms.join(', ')})`);
    if (!isPlatformName(platforms[0])) throw new UsageError(`${x.records[0]}: kernel.platform: unknown platform ${JSON.stringify(platforms[0])} (the model has ${PLATFORM_NAMES.join(', ')})`);
    const trace = loadTrace(x.trace, { platform: platforms[0] });
    return { ...x, trace, records };
  });
  setSpecFreeze(false);
  const impl = kernel === 'spec' ? undefined : await loadImpl();
  let compared: Compared = { ...NO_COMPARISONS };
  let events = 0;
  let agree = 0;
  let worst = 0;
  const disagree: DisagreementLine[] = [];
  for (const x of loaded) {
    const c = conformTrace(x.trace, x.records, { kernel, impl });
    for (const r of c.records) compared = addCompared(compared, r.compared);
    events += Math.max(0, ...x.records.map((r) => r.steps));
    const lines: DisagreementLine[] = c.records.filter((r) => r.difference).map((r) => ({ trace: x.name, build: r.build, ...r.difference! }));
    if (c.modelFailure) {
      const f = c.modelFailure;
      lines.unshift({ trace: x.name, build: '-', step: f.step, thread: '-', field: `model check ${f.check}`, model: f.evidence, sel4: null });
      worst = Math.max(worst, f.check === 'internal' ? 3 : 1);
    }
    if (lines.length === 0) {
      agree++;
      if (!opts.json) {
        const n = c.records.reduce((a, r) => a + r.compared.resumptions, 0);
        process.stdout.write(`${pc.green('agree   ')} ${x.name} (${x.records.map((r) => r.kernel.build).join(' + ')}: ${x.records[0].steps} events, ${n} resumptions)\n`);
      }
      continue;
    }
    worst = Math.max(worst, 1);
    disagree.push(...lines);
    if (!opts.json) {
      for (const l of lines) {
        process.stdout.write(`${pc.red('DISAGREE')} ${x.name} [${l.build}]: step ${l.step}, thread ${l.thread}, ${l.field}: model ${show(l.model)}, seL4 ${show(l.sel4)}\n`);
      }
    }
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify({ ok: worst === 0, kernel, traces: loaded.length, agree, events, compared, disagree }) + '\n');
  } else {
    const what = Object.entries(compared).map(([k, v]) => `${v} ${k}`).join(', ');
    const line = `${agree}/${loaded.length} traces agree with seL4 (kernel ${kernel}); ${events} events; compared ${what}`;
    process.stdout.write((worst === 0 ? pc.green(line) : pc.red(line)) + '\n');
  }
  return worst;
}
