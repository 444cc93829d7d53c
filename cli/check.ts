// `l4check check`: random traces on both kernels with refinement and every invariant (DESIGN §4).
// The regression corpus runs first; then the runs of the seed (split over --workers and --shard
// without changing the result); a failure is shrunk, printed with names, written as a trace file
// under counterexamples/, and given a vitest snippet. Exit 0 all green, 1 a check failed, 2 bad
// options. docs/check.md is the user's guide.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { availableParallelism } from 'node:os';
import { SingleBar } from 'cli-progress';
import pc from 'picocolors';
import { type Config, PLATFORM_NAMES, type PlatformName, isPlatformName } from '../abi/config';
import { parseEvent, parseTrace } from '../abi/trace';
import { DEFAULT_GENERATOR_OPTIONS, EVENT_KINDS, UNRECORDABLE_KINDS, type EventKind, type GeneratorOptions, type RawEvent, type World, layoutWorld, runConfig, worldSetup } from '../properties/generators';
import { type Cells, type RunOutcome, type RunSetup, executeRun, executeTrace } from '../properties/check/execute';
import { traceOf } from '../properties/check/shrink';
import { type PoolResult, startPool } from '../properties/check/pool';
import { type CheckPlan, type FailureReport, GENERATED_RAN_FLOOR, MAX_SHRINK_RUNS, expectedRunEvents, loadInvariants, planConfig, selectChecks, shardIndexes } from '../properties/check/runs';
import {
  type JUnitCase, SHORT, addressNames, counterexampleTrace, coverageTable, describeEvent, junitXML, mergeCells,
  missingCells, nameEvidence, vitestSnippet, writeCounterexample, generatedShare, cellsJSON,
} from '../properties/check/report';
import { CheckedKernel, type ImplModule, type KernelChoice } from '../properties/check/steppers';
import { ALL_CHECKS } from '../properties/checks';

const PROJECT_CHECKS = new Set(ALL_CHECKS.map((i) => i.name));
import { loadImpl } from '../refinement/kernels';
import { bootState, setSpecFreeze } from '../spec';
import { applicableInvariants } from '../properties/invariants/run';
import { traceFiles } from './regress';
import { UsageError, corpusDir } from './input';
import { checkInvariantsTypes } from './typecheck';
import { activeMutant } from '../mutants/apply';
import { VERSION } from './version';

/** The default budget: fixed, so that a seed gives one result (docs/check.md has the timings). */
export const DEFAULT_RUNS = 200;
export const DEFAULT_STEPS = 250;

export interface CheckOpts {
  runs?: string;
  steps?: string;
  seed?: string;
  kernel: string;
  variant?: string[];
  platform?: string;
  invariants?: string;
  workers?: string;
  shard?: string;
  json?: boolean;
  junit?: string;
  timeLimit?: string;
  threads?: string;
  endpoints?: string;
  notifications?: string;
  weights?: string;
  recordable?: boolean;
  /** false with --no-regressions: the random runs alone. */
  regressions?: boolean;
  /** false with --no-replay-failures: earlier counterexamples are not replayed first. */
  replayFailures?: boolean;
  path?: string;
  corpus?: string;
  /** false with --no-coverage: no matrix in the text summary. */
  coverage?: boolean;
  minRuns?: string;
  only?: string;
  skip?: string;
}

/** --junit FILE must be writable where it is, and must not be a trace file (or anything but a report). */
function checkJUnitPath(file: string): void {
  const dir = dirname(file);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--junit: ${quote(file)}: no folder ${quote(dir)}`);
  if (existsSync(file)) {
    if (statSync(file).isDirectory()) throw new UsageError(`--junit: ${quote(file)} is a folder`);
    const head = readFileSync(file, 'utf8').slice(0, 200).trimStart();
    if (!head.startsWith('<?xml') && !head.startsWith('<testsuites')) throw new UsageError(`--junit: ${quote(file)} exists and is not a JUnit report: not overwritten`);
  }
}

/** An offending value, short and on one line, for an error message. */
export function quote(v: string): string {
  const one = v.replace(/[\r\n\t]/g, ' ');
  return one.length > 200 ? `${one.slice(0, 200)}... (${v.length} characters)` : one;
}

function int(name: string, v: string | undefined, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v) || Number(v) < lo || Number(v) > hi) throw new UsageError(`--${name}: expected an integer in ${lo}..${hi}, got "${quote(v)}"`);
  return Number(v);
}

function parseVariant(list: string[] | undefined): CheckPlan['variant'] {
  const out: CheckPlan['variant'] = {};
  for (const item of (list ?? []).flatMap((x) => x.split(','))) {
    const m = /^(scheduler|fastpath)=(.*)$/.exec(item);
    if (!m) throw new UsageError(`--variant: expected scheduler=benno|lazy or fastpath=true|false, got "${quote(item)}"`);
    if (m[1] === 'scheduler') {
      if (m[2] !== 'benno' && m[2] !== 'lazy') throw new UsageError(`--variant: scheduler must be benno or lazy, got "${quote(m[2])}"`);
      out.scheduler = m[2];
    } else {
      if (m[2] !== 'true' && m[2] !== 'false') throw new UsageError(`--variant: fastpath must be true or false, got "${quote(m[2])}"`);
      out.fastpath = m[2] === 'true';
    }
  }
  return out;
}

function parseWeights(v: string | undefined): GeneratorOptions['weights'] {
  const w = { ...DEFAULT_GENERATOR_OPTIONS.weights };
  if (v === undefined) return w;
  for (const item of v.split(',')) {
    const m = /^([a-z]+)=(\d{1,6})$/.exec(item);
    if (!m || !(EVENT_KINDS as readonly string[]).includes(m[1])) throw new UsageError(`--weights: expected KIND=N with KIND one of ${EVENT_KINDS.join(', ')} and N in 0..999999, got "${quote(item)}"`);
    w[m[1] as EventKind] = Number(m[2]);
  }
  if (Object.values(w).every((x) => x === 0)) throw new UsageError('--weights: every weight is 0');
  return w;
}

export function parsePlan(o: CheckOpts): CheckPlan {
  const shardM = o.shard === undefined ? ['', '1', '1'] : /^(\d+)\/(\d+)$/.exec(o.shard);
  if (!shardM || Number(shardM[2]) < 1 || Number(shardM[2]) > 1_000_000 || Number(shardM[1]) < 1 || Number(shardM[1]) > Number(shardM[2])) throw new UsageError(`--shard: expected i/n with 1 <= i <= n <= 1000000, got "${quote(o.shard ?? "")}"`);
  if (o.kernel !== 'spec' && o.kernel !== 'impl' && o.kernel !== 'both') throw new UsageError(`--kernel: expected spec, impl or both, got "${quote(o.kernel)}"`);
  let timeLimitMs: number | undefined;
  if (o.timeLimit !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(o.timeLimit) || Number(o.timeLimit) <= 0) throw new UsageError(`--time-limit: expected a number of seconds > 0, got "${quote(o.timeLimit)}"`);
    timeLimitMs = Number(o.timeLimit) * 1000;
  }
  const threads = int('threads', o.threads, 1, 6, DEFAULT_GENERATOR_OPTIONS.threads);
  const generator: GeneratorOptions = {
    threads,
    endpoints: int('endpoints', o.endpoints, 1, 4, DEFAULT_GENERATOR_OPTIONS.endpoints),
    notifications: int('notifications', o.notifications, 1, 3, DEFAULT_GENERATOR_OPTIONS.notifications),
    cspaces: Math.min(threads, DEFAULT_GENERATOR_OPTIONS.cspaces),
    steps: int('steps', o.steps, 1, 60000, DEFAULT_STEPS),
    weights: parseWeights(o.weights),
  };
  if (o.recordable) {
    generator.recordable = true;
    if (EVENT_KINDS.every((k) => generator.weights[k] === 0 || (UNRECORDABLE_KINDS as readonly string[]).includes(k))) {
      throw new UsageError('--recordable: every weight but those of exception, irq and tick (which --recordable sets to 0) is 0');
    }
  }
  try {
    layoutWorld(generator);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (o.corpus !== undefined && !(existsSync(o.corpus) && statSync(o.corpus).isDirectory())) throw new UsageError(`--corpus: ${quote(o.corpus)}: no such folder`);
  if (o.invariants !== undefined && !existsSync(o.invariants)) throw new UsageError(`--invariants: ${quote(o.invariants)}: no such file`);
  if (o.junit !== undefined) checkJUnitPath(o.junit);
  if (o.platform !== undefined && !isPlatformName(o.platform)) throw new UsageError(`--platform: expected one of ${PLATFORM_NAMES.join(', ')}, got "${quote(o.platform)}"`);
  const runs = int('runs', o.runs, 1, 1_000_000, DEFAULT_RUNS);
  if (o.path !== undefined) {
    if (!/^\d{1,7}(:\d{1,9}){0,2000}$/.test(o.path)) throw new UsageError(`--path: expected fast-check's path of a run, r or r:i:j..., got "${quote(o.path)}"`);
    if (Number(o.path.split(':')[0]) >= runs) throw new UsageError(`--path: run ${o.path.split(':')[0]} is not among the ${runs} runs (give the --runs the failure was found with)`);
    if (o.shard !== undefined) throw new UsageError('--path runs one run: do not combine it with --shard');
  }
  if (o.minRuns !== undefined) {
    if (o.timeLimit === undefined) throw new UsageError('--min-runs goes with --time-limit (without it every run runs)');
    int('min-runs', o.minRuns, 0, runs, runs);
  }
  const names = (v: string | undefined) => (v === undefined ? undefined : v.split(',').map((x) => x.trim()).filter(Boolean));
  if (o.only !== undefined && o.skip !== undefined) throw new UsageError('--only and --skip: give one of them');
  return {
    path: o.path,
    only: names(o.only),
    skip: names(o.skip),
    runs,
    seed: o.seed === undefined ? (Date.now() ^ (Math.random() * 0x100000000)) | 0 : int('seed', o.seed, -(2 ** 31), 2 ** 31 - 1, 0),
    kernel: o.kernel as KernelChoice,
    variant: parseVariant(o.variant),
    platform: (o.platform ?? 'default') as PlatformName,
    generator,
    shard: { index: Number(shardM[1]), count: Number(shardM[2]) },
    workers: int('workers', o.workers, 1, 64, Math.min(2, availableParallelism())),
    invariantsFile: o.invariants,
    timeLimitMs,
  };
}

interface Regression {
  file: string;
  ok: boolean;
  detail: string;
  steps: number;
  /** The check that failed in it, when one did. */
  check?: string;
}

/** Replays regressions/ on the checked kernel: green when nothing fails, or exactly expectViolation does. */
async function runRegressions(kernel: KernelChoice, invariants: Awaited<ReturnType<typeof loadInvariants>>, corpus?: string, bar?: SingleBar): Promise<Regression[]> {
  const dir = corpusDir('regressions', corpus);
  if (!existsSync(dir)) return [];
  const impl = kernel === 'spec' ? undefined : await loadImpl();
  const files = traceFiles([dir]);
  bar?.start(files.length, 0, { phase: 'corpus', events: 0, rate: 0, left: '' });
  return files.map((file, done) => {
    bar?.update(done);
    let trace;
    try {
      trace = parseTrace(JSON.parse(readFileSync(file, 'utf8')));
    } catch (e) {
      throw new UsageError(`${file}: ${(e as Error).message}`);
    }
    const want = trace.expectViolation;
    const wanted = invariants.find((i) => i.name === want);
    const unchecked = want !== undefined && (want === 'refinement' ? kernel !== 'both' : !wanted || (kernel === 'spec' && wanted.needsImpl));
    if (unchecked) return { file, ok: true, detail: `skipped: ${want} is not checked ${wanted || want === 'refinement' ? `with --kernel ${kernel}` : '(--only / --skip)'}`, steps: 0 };
    const r = executeTrace(trace, { kernel, invariants, impl });
    const got = r.failure?.check;
    const ok = want === undefined ? got === undefined : got === want;
    const detail = ok
      ? want ? `fails ${want} at step ${r.failure!.step}, as expected` : 'green'
      : got === undefined ? `expects ${want} to fail, but every check passed` : `step ${r.failure!.step}: ${got} failed: ${JSON.stringify(r.failure!.evidence).slice(0, 300)}`;
    return { file, ok, detail, steps: r.steps, check: ok ? undefined : got };
  });
}

/** The --invariants file as a counterexample records it: its path and a hash of its content. */
export function invariantsId(file: string | undefined): { path: string; sha256: string } | undefined {
  if (file === undefined) return undefined;
  return { path: file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16) };
}

/** What `check` records in a counterexample's config.generator beside the generator options. */
export interface FoundRecord {
  /** The check that failed, and at which step of the file. */
  found: { check: string; step: number };
  kernel: KernelChoice;
  invariants?: { path: string; sha256: string };
}

/**
 * The failure database (as Hypothesis keeps one): the counterexamples earlier checks wrote to
 * counterexamples/ under the same variant, platform and invariants file are replayed before the
 * corpus, until they pass or are deleted. Files of another configuration, of a mutant, or that
 * check did not write are left alone.
 */
function replayFailures(plan: CheckPlan, invariants: Awaited<ReturnType<typeof loadInvariants>>, impl: ImplModule | undefined): Regression[] {
  const dir = 'counterexamples';
  if (!existsSync(dir)) return [];
  const variant = JSON.stringify(planConfig(plan).variant);
  const mine = invariantsId(plan.invariantsFile);
  const out: Regression[] = [];
  for (const file of traceFiles([dir])) {
    let trace;
    try {
      trace = parseTrace(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      continue;
    }
    const g = trace.config.generator as Partial<FoundRecord> | undefined;
    if (typeof g?.found?.check !== 'string' || trace.config.mutant !== undefined) continue;
    if (JSON.stringify(trace.config.variant) !== variant || (trace.config.platform ?? 'default') !== (plan.platform ?? 'default')) continue;
    if (JSON.stringify(g.invariants) !== JSON.stringify(mine)) continue;
    const checked = g.found.check === 'refinement' ? plan.kernel === 'both' : invariants.some((i) => i.name === g.found!.check);
    if (!checked) continue;
    const r = executeTrace(trace, { kernel: plan.kernel, invariants, impl });
    out.push(r.failure
      ? { file, ok: false, steps: r.steps, detail: `still fails ${r.failure.check} at step ${r.failure.step} (l4check replay --check ${file}; --no-replay-failures skips these)` }
      : { file, ok: true, steps: r.steps, detail: `passes now (it failed ${g.found.check}): move it to regressions/ or delete it` });
  }
  return out;
}

/** The options that rerun exactly the failing run (its index: --path) with everything it depended on. */
export function reproduceArgs(plan: CheckPlan, path: string): string[] {
  const g = plan.generator;
  const d = DEFAULT_GENERATOR_OPTIONS;
  const args = ['--seed', String(plan.seed), '--runs', String(plan.runs), '--steps', String(g.steps)];
  if (plan.kernel !== 'both') args.push('--kernel', plan.kernel);
  const variant = Object.entries(plan.variant).map(([k, v]) => `${k}=${String(v)}`);
  if (variant.length > 0) args.push('--variant', variant.join(','));
  if ((plan.platform ?? 'default') !== 'default') args.push('--platform', plan.platform!);
  if (g.threads !== d.threads) args.push('--threads', String(g.threads));
  if (g.endpoints !== d.endpoints) args.push('--endpoints', String(g.endpoints));
  if (g.notifications !== d.notifications) args.push('--notifications', String(g.notifications));
  if (EVENT_KINDS.some((k) => g.weights[k] !== d.weights[k])) args.push('--weights', EVENT_KINDS.map((k) => `${k}=${g.weights[k]}`).join(','));
  if (g.recordable) args.push('--recordable');
  if (plan.invariantsFile !== undefined) args.push('--invariants', plan.invariantsFile);
  args.push('--path', path.split(':')[0]);
  return args;
}

/**
 * The counterexample's last replay, on the kernels asked for, with `as` on every event: the
 * trace-level shrink when it still fails there the way the run did, else the shrunk run itself.
 */
function finalReplay(failure: FailureReport, setup: RunSetup, world: World, config: Config): RunOutcome {
  if (failure.trace) {
    const running: string[] = [];
    const r = executeTrace(traceOf(config, failure.trace), setup, running);
    if (r.failure?.check === failure.original.check) return { ...r, events: failure.trace.map((e, i) => ({ as: running[i], ...e })) };
  }
  return executeRun(failure.counterexample, setup, world, { trace: true });
}

function log(json: boolean | undefined, s: string): void {
  if (!json) process.stdout.write(s + '\n');
}

export async function checkCommand(o: CheckOpts): Promise<number> {
  const plan = parsePlan(o);
  const started = Date.now();
  setSpecFreeze(false);
  const g = plan.generator;
  if (plan.invariantsFile !== undefined) checkInvariantsTypes(plan.invariantsFile);
  let invariants;
  try {
    invariants = await loadInvariants(plan.invariantsFile);
  } catch (e) {
    throw new UsageError(`--invariants: ${(e as Error).message}`);
  }
  try {
    invariants = selectChecks(invariants, plan);
  } catch (e) {
    throw new UsageError(`--${plan.only ? 'only' : 'skip'}: ${(e as Error).message}`);
  }
  log(o.json, `seed ${plan.seed}`);
  log(o.json, pc.dim(`l4check check: ${plan.runs} runs × ${g.steps} steps${plan.shard.count > 1 ? `, shard ${plan.shard.index}/${plan.shard.count}` : ''}, kernel ${plan.kernel}${g.recordable ? ', recordable traces' : ''}, variant ${JSON.stringify(planConfig(plan).variant)}${plan.platform !== 'default' ? `, platform ${plan.platform}` : ''}, ${plan.workers} worker${plan.workers > 1 ? 's' : ''}`));
  const boot = bootState(planConfig(plan));
  const checked = applicableInvariants(invariants, boot, plan.kernel !== 'spec').map((i) => i.name);
  const checkNames = [...(plan.kernel === 'both' ? ['refinement'] : []), ...checked];
  const skippedNames = invariants.map((i) => i.name).filter((n) => !checked.includes(n));
  const skipReason = (n: string) => (applicableInvariants(invariants.filter((i) => i.name === n), boot).length > 0
    ? 'needs the impl, which --kernel spec does not run' : `not checked under variant ${JSON.stringify(planConfig(plan).variant)}`);

  // The runs start now on the worker threads, while this thread replays the earlier failures and
  // the corpus (then joins them); a failing corpus trace cancels them (their results are not wanted).
  let done = 0;
  let live = 0;
  let show = () => {};
  // The phase the bar shows: runs, or the shrink of a failing run (its candidates so far).
  let shrinking: string | undefined;
  // The time left: the time so far, scaled by the expected cost of the runs still to finish
  // against that of the runs finished (runs with an ASID fill cost several ordinary runs).
  const indexes = shardIndexes(plan);
  const runsStarted = Date.now();
  const expected = indexes.reduce((a, i) => a + expectedRunEvents(i, g), 0);
  let expectedDone = 0;
  const lanes = startPool(plan, (r) => {
    done++;
    expectedDone += expectedRunEvents(r.index, g);
    show();
  }, (count) => {
    live += count;
    show();
  }, (index, candidate) => {
    shrinking = `shrinking run ${index}: ${candidate}/${MAX_SHRINK_RUNS}`;
    show();
  });

  // Ctrl-C, from here on (the corpus replay included): a partial summary (what ran, and how to go
  // on) and a partial JUnit file, exit 130.
  let regressions: Regression[] = [];
  let bar: SingleBar | undefined;
  const interrupted = () => {
    bar?.stop();
    const what = `interrupted after ${((Date.now() - started) / 1000).toFixed(1)} s: seed ${plan.seed}, ${done} of ${indexes.length} runs finished, ${live.toLocaleString('en')} events checked, no check failed so far`;
    process.stderr.write(`\nl4check check: ${what}\n`);
    if (o.junit) {
      const cases = [...regressions.map((r) => ({ name: `regression ${r.file}`, failure: r.ok ? undefined : r.detail })), { name: 'interrupted', failure: what }];
      writeFileSync(o.junit, junitXML('l4check check (interrupted)', cases, (Date.now() - started) / 1000, { seed: String(plan.seed), shard: `${plan.shard.index}/${plan.shard.count}`, version: VERSION }));
    }
    process.exit(130);
  };
  process.once('SIGINT', interrupted);

  // Earlier failures first, then the regression corpus.
  const corpusBar = o.json || !process.stderr.isTTY ? undefined : new SingleBar({ format: '{phase} {bar} {value}/{total} traces', stream: process.stderr, hideCursor: true, clearOnComplete: true });
  try {
    const earlier = o.replayFailures === false ? [] : replayFailures(plan, invariants, plan.kernel === 'spec' ? undefined : await loadImpl());
    regressions = [...earlier, ...(o.regressions === false ? [] : await runRegressions(plan.kernel, invariants, o.corpus, corpusBar))];
  } catch (e) {
    process.off('SIGINT', interrupted);
    await lanes.cancel();
    throw e;
  } finally {
    corpusBar?.stop();
  }
  let events = regressions.reduce((a, r) => a + r.steps, 0);
  for (const r of regressions) log(o.json, `${r.ok ? pc.green('ok  ') : pc.red('FAIL')} ${r.file}: ${r.detail}`);
  // A corpus trace failing one of the user's own invariants (--invariants) is reported, and the runs
  // still run: the user's check is under development. Any other failure there stops the check.
  const own = new Set(invariants.filter((i) => !PROJECT_CHECKS.has(i.name)).map((i) => i.name));
  const badRegression = regressions.find((r) => !r.ok && !(r.check !== undefined && own.has(r.check)));
  const ownCorpusFailure = regressions.find((r) => !r.ok && r.check !== undefined && own.has(r.check));

  // Then the runs.
  const cells: Cells = new Map();
  let pool: PoolResult | undefined;
  if (badRegression) {
    process.off('SIGINT', interrupted);
    await lanes.cancel();
  } else {
    bar = o.json || !process.stderr.isTTY ? undefined : new SingleBar({
      format: '{phase} {bar} {value}/{total} | {events} events | {rate} events/s | {left} left',
      stream: process.stderr, hideCursor: true, clearOnComplete: true,
    });
    const total = indexes.length;
    live += events;
    bar?.start(total, 0, { phase: 'runs', events: 0, rate: 0, left: '?' });
    // The bar counts finished runs; its events move while runs are under way (workers report every 256).
    show = () => {
      const elapsed = (Date.now() - started) / 1000;
      const left = expectedDone === 0 ? '?' : `${Math.ceil(((Date.now() - runsStarted) / 1000) * ((expected - expectedDone) / expectedDone))}s`;
      bar?.update(done, { phase: shrinking ?? 'runs', events: live, rate: Math.round(live / elapsed), left: shrinking ? '?' : left });
    };
    try {
      show();
      pool = await lanes.finish();
    } finally {
      process.off('SIGINT', interrupted);
    }
    bar?.stop();
    for (const r of pool.reports) {
      events += r.steps;
      mergeCells(cells, r.cells);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  const failure = pool?.failure?.failure;
  const failedCheck = badRegression ? 'regressions' : failure?.original.check ?? ownCorpusFailure?.check;
  const missing = missingCells(cells);

  // The failure: final replay of the shrunk run, the trace with names, the file, the snippet.
  let counterexample: { path: string; step: number; check: string; evidence: string; lines: string[]; events: number; setupEvents: number } | undefined;
  if (failure) {
    const setup = { config: planConfig(plan), kernel: plan.kernel, invariants, impl: plan.kernel === 'spec' ? undefined : await loadImpl(), generator: g };
    const world = layoutWorld(g);
    const booted = runConfig(setup.config, failure.counterexample.world);
    const r = finalReplay(failure, setup, world, booted);
    const f = r.failure ?? failure.original;
    const names = counterexampleNames(r.events ?? [], worldSetup(world, failure.counterexample.world).length, world, booted);

    const found: FoundRecord = { found: { check: f.check, step: f.step }, kernel: plan.kernel, invariants: invariantsId(plan.invariantsFile) };
    const config: Record<string, unknown> = { variant: setup.config.variant, seed: failure.seed, path: failure.path, generator: { ...g, ...found } };
    if (plan.platform !== 'default') config.platform = plan.platform;
    // In a mutant's copy of the project (l4check mutants), the file says which mutant it needs.
    const mutant = activeMutant();
    if (mutant !== undefined) config.mutant = mutant;
    if (booted !== setup.config) Object.assign(config, { memoryBits: booted.memoryBits, untyped: booted.untyped });
    const path = writeCounterexample(counterexampleTrace({ check: f.check, step: f.step, config, events: r.events ?? [] }));
    const setupLength = worldSetup(world, failure.counterexample.world).length;
    const evs = r.events ?? [];
    const lines = [
      `${'1'.padStart(4)}..${Math.min(setupLength, evs.length)}  root: setup phase (world ${JSON.stringify(failure.counterexample.world)})`,
      ...evs.slice(setupLength).map((e, i) => `${String(setupLength + i + 1).padStart(4)}  ${describeEvent(e, world)}`),
    ];
    counterexample = { path, step: f.step, check: f.check, evidence: nameEvidence(f.evidence, names), lines, events: evs.length, setupEvents: Math.min(setupLength, evs.length) };
  }

  // A time limit must not let a CI job pass having run (almost) nothing: fewer runs than --min-runs
  // (default: every run of the shard) is a failure.
  const runsRun = pool?.reports.length ?? 0;
  const wanted = o.minRuns === undefined ? runsRun + (pool?.notRun ?? 0) : Number(o.minRuns);
  const tooFew = !failedCheck && pool !== undefined && pool.notRun > 0 && runsRun < wanted
    ? `--time-limit stopped the check after ${runsRun} of ${runsRun + pool.notRun} runs, fewer than --min-runs ${wanted}` : undefined;
  // Nor pass having run little of what it generated: the share of generated thread events that
  // ran, over the runs and in the worst run (docs/check.md "Vacuity").
  const generated = generatedShare(pool?.reports ?? []);
  const vacuous = !failedCheck && generated.lowest !== undefined && generated.lowest.share < GENERATED_RAN_FLOOR
    ? `run ${generated.lowest.run} ran ${(100 * generated.lowest.share).toFixed(1)}% of its ${generated.lowest.fed} generated thread events, below the floor of ${100 * GENERATED_RAN_FLOOR}%: its threads were beyond the watchdog's help (reproduce: l4check check ${reproduceArgs(plan, String(generated.lowest.run)).join(' ')})` : undefined;
  const ok = !failedCheck && !tooFew && !vacuous;
  const reproduce = failure ? `l4check check ${reproduceArgs(plan, failure.path).join(' ')}` : undefined;
  const regressionEvents = regressions.reduce((a, r) => a + r.steps, 0);

  const junitCases: JUnitCase[] = [
    ...regressions.map((r) => ({ name: `regression ${r.file}`, failure: r.ok ? undefined : r.detail })),
    ...checkNames.map((n) => ({ name: n, failure: failedCheck === n ? `step ${counterexample?.step}: ${counterexample?.evidence}\ncounterexample: ${counterexample?.path}\nseed: ${plan.seed}\nreproduce: ${reproduce}` : undefined, skipped: badRegression ? 'not run: a regression failed' : undefined })),
    ...(tooFew ? [{ name: 'min-runs', failure: tooFew }] : []),
    ...(pool ? [{ name: 'generated-events-ran', failure: vacuous }] : []),
    ...skippedNames.map((n) => ({ name: n, skipped: skipReason(n) })),
    ...(failure && !checkNames.includes(failure.original.check) ? [{ name: failure.original.check, failure: counterexample?.evidence ?? '' }] : []),
  ];
  const suite = `l4check check${plan.shard.count > 1 ? ` shard ${plan.shard.index}/${plan.shard.count}` : ''}`;
  if (o.junit) writeFileSync(o.junit, junitXML(suite, junitCases, seconds, { seed: String(plan.seed), shard: `${plan.shard.index}/${plan.shard.count}`, version: VERSION }));

  if (o.json) {
    process.stdout.write(JSON.stringify({
      ok, version: VERSION, ...(tooFew || vacuous ? { error: tooFew ?? vacuous } : {}),
      seed: plan.seed, runs: plan.runs, steps: g.steps, shard: plan.shard, kernel: plan.kernel, variant: planConfig(plan).variant, platform: plan.platform,
      runsRun, notRun: pool?.notRun ?? 0, events, regressionEvents, randomEvents: events - regressionEvents, seconds, eventsPerSecond: Math.round(events / seconds),
      generatedEvents: { fed: generated.fed, ran: generated.ran, share: generated.share, floor: GENERATED_RAN_FLOOR, lowest: generated.lowest ?? null },
      checks: Object.fromEntries(checkNames.map((n) => [n, failedCheck === n ? 'fail' : badRegression ? 'not run' : 'pass'])),
      skipped: skippedNames, regressions, ...cellsJSON(cells), missing,
      failure: counterexample && failure ? {
        ...counterexample, evidence: parsedEvidence(counterexample.evidence), run: Number(failure.path.split(':')[0]),
        seed: failure.seed, fastCheckPath: failure.path, numShrinks: failure.numShrinks, reproduce,
        ...(failure.shrink ? { shrink: failure.shrink } : {}),
        // Before shrinking: the corpus and the runs up to the failing one, and the time it was found.
        foundAfter: {
          events: regressions.reduce((a, r) => a + r.steps, 0) + (pool?.reports ?? []).reduce((a, r) => a + (r.failure ? r.failure.originalSteps : r.steps), 0),
          seconds: (failure.detectedAt - started) / 1000,
        },
      } : undefined,
    }) + '\n');
    return ok ? 0 : 1;
  }

  if (o.coverage !== false) {
    log(false, '');
    log(false, pc.bold('coverage') + ' (rows: each system call, method and event kind; columns: the outcome for the calling thread)');
    log(false, coverageTable(cells));
    log(false, pc.dim(legendLines().join('\n')));
  }
  if (missing.length === 0) log(false, pc.green('every required cell reached'));
  else log(false, pc.yellow(`never reached (${missing.length}):\n${missing.map((m) => `  ${m}`).join('\n')}`));
  log(false, '');
  for (const n of checkNames) log(false, `${failedCheck === n ? pc.red('FAIL') : badRegression ? pc.yellow('----') : pc.green('pass')}  ${n}`);
  for (const n of skippedNames) log(false, `${pc.dim('skip')}  ${n} ${pc.dim(`(${skipReason(n)})`)}`);
  if (failure && !checkNames.includes(failure.original.check)) log(false, `${pc.red('FAIL')}  ${failure.original.check}`);
  log(false, `${events.toLocaleString('en')} events checked in ${runsRun} runs${regressions.length ? ` and ${regressions.length} regression traces` : ''}, ${seconds.toFixed(1)} s, ${Math.round(events / seconds).toLocaleString('en')} events/s${pool?.notRun ? pc.yellow(` (time limit: ${pool.notRun} runs not run)`) : ''}`);
  if (pool) log(false, `generated thread events run: ${(100 * generated.share).toFixed(1)}% of ${generated.fed.toLocaleString('en')}${generated.lowest ? `, lowest ${(100 * generated.lowest.share).toFixed(1)}% (run ${generated.lowest.run})` : ''}; floor ${100 * GENERATED_RAN_FLOOR}% per run`);
  log(false, `seed ${plan.seed}`);
  // The failure last, so that it is what a terminal or a CI log shows at its end.
  if (counterexample && failure) {
    log(false, '');
    log(false, pc.red(pc.bold(`${counterexample.check} failed at step ${counterexample.step}`)) + ` (run ${failure.path.split(':')[0]}, shrunk ${failure.numShrinks} times to ${counterexample.events} events)`);
    log(false, counterexample.lines.join('\n'));
    log(false, `${pc.bold('evidence')}: ${counterexample.evidence}`);
    log(false, pc.bold('vitest') + ' (once the file is in regressions/):\n' + vitestSnippet(counterexample.path, counterexample.check, plan.invariantsFile));
    log(false, `${pc.bold('picture')}: l4check view ${counterexample.path}   (one HTML page: the sequence diagram, the failure, the state at each step)`);
    log(false, '');
    log(false, pc.red(pc.bold(`FAILED: ${counterexample.check} at step ${counterexample.step}`)));
    log(false, `${pc.bold('counterexample')}: ${counterexample.path}   (l4check replay --check ${counterexample.path}${plan.invariantsFile ? ` --invariants ${plan.invariantsFile}` : ''})`);
    log(false, `${pc.bold('reproduce')}: ${reproduce}`);
  }
  if (tooFew) process.stderr.write(`l4check check: ${tooFew}\n`);
  if (vacuous) process.stderr.write(`l4check check: ${vacuous}\n`);
  if (badRegression) process.stderr.write(`l4check check: ${badRegression.file}: ${badRegression.detail}\n`);
  return ok ? 0 : 1;
}

/** The matrix's legend, in lines of at most 120 columns: the marks, then each abbreviation. */
export function legendLines(): string[] {
  const out = ['✓ reached   ✗ required and never reached   · not required, not reached; ok: the kernel took the call'];
  let line = '';
  for (const [k, v] of Object.entries(SHORT).filter(([k]) => k !== 'done')) {
    const item = `${v} ${k}`;
    if (line.length + item.length + 3 > 120) {
      out.push(line);
      line = '';
    }
    line += (line ? ',  ' : '') + item;
  }
  if (line) out.push(line);
  return out;
}

/** The named evidence as JSON data (it is printed as one line of JSON). */
function parsedEvidence(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Names of the objects of a counterexample: the world's after its setup, the threads' at the end. */
function counterexampleNames(events: RawEvent[], setupLength: number, world: World, config: Config): Map<number, string> {
  const k = new CheckedKernel(config, 'spec', []);
  k.boot();
  let names = new Map<number, string>();
  events.forEach((e, i) => {
    const { as: _as, comment: _c, ...raw } = e;
    k.step(parseEvent(raw, `events[${i}]`, config).event);
    if (i + 1 === setupLength) names = addressNames(k.state, world);
  });
  for (const [p, n] of addressNames(k.state, world)) if (!names.has(p)) names.set(p, n);
  return names;
}
