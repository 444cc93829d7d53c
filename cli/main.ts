// The l4check command line. Exit codes: 0 success, 1 a check failed, 2 bad input, 3 a bug of the model.

import { Command, CommanderError, Option } from 'commander';
import pc from 'picocolors';
import { describeFailure, replay } from '../properties/replay';
import { type KernelName, loadImpl } from '../refinement/kernels';
import { setSpecFreeze } from '../spec';
import { describeChanges, describeRawEvent } from './describe';
import { CapNamer } from '../properties/view/names';
import { regressCommand } from './regress';
import { type BenchOpts, benchCommand } from './bench';
import { type CheckOpts, checkCommand } from './check';
import { type ConformOpts, conformCommand } from './conform';
import { type MutantsOpts, mutantsCommand } from './mutants';
import { mergeCommand } from './merge';
import { viewCommand } from './view';
import { UsageError, checkMutant, loadTrace, rerunInMutant } from './input';
import type { Invariant } from '../properties/invariants';
import { loadInvariants } from '../properties/check/runs';
import { PLATFORMS, PLATFORM_NAMES } from '../abi/config';
import { VERSION } from './version';
import { checkInvariantsTypes } from './typecheck';
import { stateText, stateView } from '../properties/view/state';
import type { KernelState } from '../spec';

interface ReplayOpts {
  json?: boolean;
  kernel: string;
  check?: boolean;
  invariants?: string;
  allowMutant?: boolean;
  state?: string;
  explain?: boolean;
}

/** The project's invariants plus those of a user's file (--invariants); a bad file is bad input. */
async function invariantsWith(file: string | undefined): Promise<Invariant[] | undefined> {
  if (file === undefined) return undefined;
  checkInvariantsTypes(file);
  try {
    return await loadInvariants(file);
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
}

async function replayCommand(file: string, opts: ReplayOpts, argv: readonly string[]): Promise<number> {
  if (opts.check && opts.kernel !== 'spec') throw new UsageError('--check runs both kernels: do not combine it with --kernel');
  if (opts.invariants !== undefined && !opts.check) throw new UsageError('--invariants needs --check');
  const trace = loadTrace(file);
  const mutant = checkMutant(trace, file, opts.allowMutant ?? false);
  // The copy runs in this directory, so every path of the command line means the same there.
  if (mutant) return rerunInMutant(mutant, argv);
  const stateAt = opts.state === undefined ? undefined : Number(opts.state);
  if (opts.state !== undefined && (!/^\d{1,9}$/.test(opts.state) || stateAt! > trace.events.length)) {
    throw new UsageError(`--state: expected a step 0..${trace.events.length} (0: after boot), got "${opts.state.slice(0, 40)}"`);
  }
  if ((opts.state !== undefined || opts.explain) && opts.kernel === 'impl') throw new UsageError('--state and --explain show the spec state: use the spec kernel (the default) or --check');
  setSpecFreeze(false);
  // The spec state after each step (index 0: after boot), for --state and --explain.
  const states: KernelState[] = [];
  let prev: (typeof r.observations)[number] | undefined;
  // Each event's caps by name, looked up in the issuing thread's CSpace (spec state only).
  const caps = new CapNamer();
  let capName: ((cptr: unknown) => string | undefined) | undefined;
  if (!opts.json) process.stdout.write(pc.dim(`${'step'.padStart(4)}  ${'by'.padEnd(10)}  ${'event'.padEnd(36)}  ${'then runs'.padEnd(10)}  what changed\n`));
  const r = replay(trace, {
    onStep: (_e, before, after) => {
      capName = (c) => caps.capName(before, before.curThread, c);
      if (stateAt === undefined && !opts.explain) return;
      if (states.length === 0) states.push(before);
      states.push(after);
    },
    kernel: opts.kernel as KernelName,
    check: opts.check,
    invariants: await invariantsWith(opts.invariants),
    impl: opts.kernel === 'impl' || opts.check ? await loadImpl() : undefined,
    onObservation: (o) => {
      if (opts.json) {
        process.stdout.write(JSON.stringify(o) + '\n');
      } else {
        const raw = o.step === 0 ? undefined : (trace.events[o.step - 1].raw as Record<string, unknown>);
        const device = raw !== undefined && (raw.irq !== undefined || raw.tick !== undefined);
        const ev = raw === undefined ? 'boot' : describeRawEvent(raw, device ? undefined : capName);
        // Who issued the event: the thread running before it (a device for irqs and ticks).
        const by = raw === undefined ? '' : device ? 'device' : (prev?.current ?? '');
        const changes = describeChanges(prev, o);
        process.stdout.write(`${String(o.step).padStart(4)}  ${by.padEnd(10)}  ${ev.padEnd(36)}  ${o.current.padEnd(10)}  ${o.skipped ? pc.dim('(skipped) ') : ''}${changes}\n`);
        capName = undefined;
      }
      prev = o;
    },
  });
  const show = (k: number, title: string) => {
    const st = states[k];
    if (!st) return;
    if (opts.json) process.stdout.write(JSON.stringify({ stateAfterStep: k, state: stateView(st) }) + '\n');
    else process.stdout.write(`\n${pc.bold(title)}\n${stateText(stateView(st))}\n`);
  };
  if (stateAt !== undefined) {
    if (stateAt >= states.length) process.stderr.write(`${file}: the replay stopped at step ${states.length - 1}, before step ${stateAt}\n`);
    show(stateAt, stateAt === 0 ? 'state after boot' : `state after step ${stateAt}`);
  }
  if (opts.explain && r.failure) {
    const at = r.failure.step;
    show(at - 1, at - 1 === 0 ? 'state after boot (before the failing step)' : `state after step ${at - 1} (before the failing step)`);
    show(at, `state after step ${at}, where it failed: ${describeFailure(r.failure)}`);
  } else if (opts.explain && !opts.json) process.stdout.write('\n(--explain: nothing failed)\n');
  if (!r.failure) {
    // A counterexample that `check` wrote failed a check this replay did not run: say so.
    const found = (trace.config.generator as { found?: { check?: unknown; step?: unknown } } | undefined)?.found;
    const unchecked = !opts.check && typeof found?.check === 'string'
      ? `; its checks not run: l4check check found ${found.check} failing at step ${String(found.step)} (replay --check runs them)`
      : undefined;
    const expected = r.expectedViolation ? `; ${r.expectedViolation.check} fails at step ${r.observations.length - 1}, as the trace expects` : unchecked ?? ', all checks passed';
    if (!opts.json) process.stderr.write(pc.green(`${file}: ${trace.events.length} events${expected}\n`));
    return 0;
  }
  process.stderr.write(`${file}: ${describeFailure(r.failure)}\n`);
  return r.failure.kind === 'internal' ? 3 : 1;
}

function buildProgram(argv: readonly string[]): Command {
  const program = new Command('l4check')
    .description('An executable, checkable model of the seL4 microkernel')
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .showHelpAfterError(false);
  program
    .command('replay')
    .description('replay a trace file and print one observation per step')
    .argument('<file>', 'an l4check-trace/1 file')
    .option('--json', 'one JSON observation per line on stdout')
    .addOption(new Option('--kernel <kernel>', 'the kernel to run').choices(['spec', 'impl']).default('spec'))
    .option('--check', 'run both kernels with refinement and every invariant')
    .option('--invariants <file>', "with --check: a module of the user's own invariants, checked with the project's")
    .option('--allow-mutant', 'honour config.mutant')
    .option('--state <k>', 'then print the kernel state after step K (0: after boot): threads, queues, ready queues, CSpaces, untyped watermarks')
    .option('--explain', 'on a failure, print the state before and at the failing step')
    .action(async (file: string, opts: ReplayOpts) => {
      program.setOptionValue('exitCode', await replayCommand(file, opts, argv));
    });
  program
    .command('regress')
    .description('replay scenarios/ and regressions/ (or the given files) and report')
    .argument('[files...]', 'trace files or folders')
    .option('--corpus <dir>', "the project folder whose scenarios/ and regressions/ run (default: the nearest folder up from here with a package.json)")
    .action(async (files: string[], opts: { corpus?: string }) => {
      program.setOptionValue('exitCode', await regressCommand(files, opts.corpus));
    });
  program
    .command('check')
    .description('random traces on both kernels with refinement and every invariant; shrinks and stores failures')
    .option('--runs <n>', 'number of runs (default 60)')
    .option('--steps <n>', 'random events per run, after the setup phase (default 250)')
    .option('--seed <n>', 'fast-check seed (default: random, printed first)')
    .option('--kernel <kernel>', 'spec, impl, or both with refinement', 'both')
    .option('--variant <key=value...>', 'design variant: scheduler=benno|lazy, fastpath=true|false')
    .option('--platform <name>', `interrupt layout: ${PLATFORM_NAMES.map((n) => `${n} (${PLATFORMS[n].irqLines} lines, timer ${PLATFORMS[n].timerIrq})`).join(' or ')}`)
    .option('--invariants <file>', "a module of the user's own invariants, checked with the project's")
    .option('--workers <n>', 'worker threads (the result does not depend on it)')
    .option('--shard <i/n>', 'run only shard i of n of the runs (a CI matrix covers one seed space)')
    .option('--json', 'one JSON summary on stdout')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--time-limit <seconds>', 'start no run after this many seconds (the result then depends on speed)')
    .option('--threads <n>', 'threads besides root in the generated world (1..6, default 4)')
    .option('--endpoints <n>', 'endpoints in the generated world (1..4, default 3)')
    .option('--notifications <n>', 'notifications in the generated world (1..3, default 2)')
    .option('--weights <kind=n,...>', 'weights of the kinds of random event: ipc, invoke, memory, exception, irq, tick, garbage')
    .option('--no-regressions', 'skip the regression corpus (regressions/): the random runs alone')
    .option('--no-coverage', 'leave the coverage matrix out of the text summary (missing cells are still listed)')
    .option('--corpus <dir>', 'the project folder whose regressions/ run first (default: the nearest folder up from here with a package.json)')
    .option('--no-replay-failures', 'do not replay the earlier counterexamples of this configuration (counterexamples/) first')
    .option('--only <names>', 'run only these invariants and contracts (comma-separated; l4check list names them)')
    .option('--skip <names>', 'run every invariant and contract but these')
    .option('--min-runs <n>', 'with --time-limit: fail (exit 1) when fewer runs than this ran (default: every run)')
    .option('--path <path>', "rerun only the run at this fast-check path (the reproduce line of a failure gives it)")
    .option('--recordable', 'generate only traces a real seL4 can run (docs/trace-format.md "Traces a real kernel can run")')
    .action(async (opts: CheckOpts) => {
      program.setOptionValue('exitCode', await checkCommand(opts));
    });
  program
    .command('conform')
    .description('compare the model with recordings of the real seL4 running the same traces (l4check-sel4/1)')
    .argument('[paths...]', 'folders of recordings, or NAME.trace.json / NAME.sel4.json files')
    .option('--json', 'one JSON summary on stdout')
    .addOption(new Option('--kernel <kernel>', 'the model to compare: spec, impl, or both with refinement').choices(['spec', 'impl', 'both']).default('both'))
    .action(async (paths: string[], opts: ConformOpts) => {
      program.setOptionValue('exitCode', await conformCommand(paths, opts));
    });
  program
    .command('view')
    .description('a trace as one self-contained HTML page: sequence diagram, the failure, the kernel state at each step')
    .argument('<file>', 'an l4check-trace/1 file (a scenario, a regression, a counterexample)')
    .option('-o, --output <file>', 'the page to write (default: FILE with .html, in this folder)')
    .option('--no-check', 'replay on the spec only (default: both kernels, refinement, every invariant and contract)')
    .option('--invariants <file>', "with the user's own invariants of this module")
    .action(async (file: string, opts: { output?: string; check?: boolean; invariants?: string }) => {
      program.setOptionValue('exitCode', await viewCommand(file, opts, await invariantsWith(opts.invariants)));
    });
  program
    .command('merge')
    .description("the check --json reports of a CI matrix's shards as one: events summed, coverage united, a check failed if any shard failed it")
    .argument('<reports...>', 'check --json reports')
    .option('--json', 'one JSON summary on stdout')
    .action((files: string[], opts: { json?: boolean }) => {
      program.setOptionValue('exitCode', mergeCommand(files, opts));
    });
  program
    .command('list')
    .description('every check that check, replay --check and regress run: refinement, each invariant and each contract, with its one-line doc')
    .option('--invariants <file>', "with the user's own invariants of this module")
    .action(async (opts: { invariants?: string }) => {
      const checks = (await invariantsWith(opts.invariants)) ?? (await loadInvariants());
      process.stdout.write(`${'refinement'.padEnd(34)} the impl behaves as the spec says at every step (both kernels)\n`);
      for (const i of checks) process.stdout.write(`${i.name.padEnd(34)} ${i.doc.split('\n')[0]}\n`);
    });
  program
    .command('mutants')
    .description('the mutation score: the default check against every seeded kernel bug of mutants/ (docs/mutants.md)')
    .option('--json', 'one JSON summary on stdout')
    .option('--only <name...>', 'only these mutants')
    .option('--class <class>', 'only the mutants of one class: impl, spec or both')
    .option('--no-regressions', 'the random runs alone: skip the regression corpus')
    .option('--seed <n>', "each check's seed (default 1)")
    .option('--workers <n>', 'mutants checked at once (default 2)')
    .option('--check-args <options>', 'more options for each check, e.g. "--runs 20"')
    .option('--list', 'list the mutants and stop')
    .action(async (opts: MutantsOpts & { list?: boolean }) => {
      program.setOptionValue('exitCode', await mutantsCommand(opts));
    });
  program
    .command('bench')
    .description('measure throughput (machine word accesses, translations, kernel events per second)')
    .option('--json', 'one JSON object with every figure')
    .addOption(new Option('--only <part>', 'run only one part').choices(['machine', 'kernels', 'contracts']))
    .option('--ipc', "instead: the seed's IPC table — loads, stores, lines, TLB hits and misses, kernel entries per IPC (docs/ipc-cost.md)")
    .action(async (opts: BenchOpts) => {
      program.setOptionValue('exitCode', await benchCommand(opts));
    });
  return program;
}

/** One line of at most ~300 characters: an error quotes what the user gave, which may be huge. */
function oneLine(msg: string): string {
  const line = msg.replace(/[\r\n]+/g, ' ');
  return line.length > 300 ? `${line.slice(0, 300)}... (${line.length} characters)` : line;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(argv);
  if (argv.length === 0) {
    process.stdout.write(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return (program.getOptionValue('exitCode') as number | undefined) ?? 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      process.stderr.write(`l4check: ${oneLine(e.message.replace(/^error: /, ''))}\n`);
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`l4check: ${oneLine(e.message)}\n`);
      return 2;
    }
    process.stderr.write(`l4check: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 3;
  }
}
