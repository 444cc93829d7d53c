// The l4check command line. Exit codes: 0 success, 1 a check failed, 2 bad input, 3 a bug of the model.

import { Command, CommanderError, Option } from 'commander';
import pc from 'picocolors';
import { describeFailure, replay } from '../properties/replay';
import { type KernelName, loadImpl } from '../refinement/kernels';
import { setSpecFreeze } from '../spec';
import { describeChanges, describeRawEvent } from './describe';
import { regressCommand } from './regress';
import { type BenchOpts, benchCommand } from './bench';
import { type CheckOpts, checkCommand } from './check';
import { type ConformOpts, conformCommand } from './conform';
import { type MutantsOpts, mutantsCommand } from './mutants';
import { UsageError, checkMutant, loadTrace, rerunInMutant } from './input';
import type { Invariant } from '../properties/invariants';
import { loadInvariants } from '../properties/check/runs';
import { PLATFORMS, PLATFORM_NAMES } from '../abi/config';

interface ReplayOpts {
  json?: boolean;
  kernel: string;
  check?: boolean;
  invariants?: string;
  allowMutant?: boolean;
}

/** The project's invariants plus those of a user's file (--invariants); a bad file is bad input. */
async function invariantsWith(file: string | undefined): Promise<Invariant[] | undefined> {
  if (file === undefined) return undefined;
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
  setSpecFreeze(false);
  let prev: (typeof r.observations)[number] | undefined;
  const r = replay(trace, {
    kernel: opts.kernel as KernelName,
    check: opts.check,
    invariants: await invariantsWith(opts.invariants),
    impl: opts.kernel === 'impl' || opts.check ? await loadImpl() : undefined,
    onObservation: (o) => {
      if (opts.json) {
        process.stdout.write(JSON.stringify(o) + '\n');
      } else {
        const ev = o.step === 0 ? 'boot' : describeRawEvent(trace.events[o.step - 1].raw);
        const changes = describeChanges(prev, o);
        process.stdout.write(`${String(o.step).padStart(4)}  ${ev.padEnd(36).slice(0, 36)}  ${o.current.padEnd(10)}  ${o.skipped ? pc.dim('(skipped) ') : ''}${changes}\n`);
      }
      prev = o;
    },
  });
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
    .action(async (file: string, opts: ReplayOpts) => {
      program.setOptionValue('exitCode', await replayCommand(file, opts, argv));
    });
  program
    .command('regress')
    .description('replay scenarios/ and regressions/ (or the given files) and report')
    .argument('[files...]', 'trace files or folders')
    .action(async (files: string[]) => {
      program.setOptionValue('exitCode', await regressCommand(files));
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
    .option('--no-replay-failures', 'do not replay the earlier counterexamples of this configuration (counterexamples/) first')
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

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return (program.getOptionValue('exitCode') as number | undefined) ?? 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      process.stderr.write(`l4check: ${e.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`l4check: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`l4check: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 3;
  }
}
