// `l4check mutants`: the mutation score (docs/mutants.md). Each mutant of the registry (mutants/)
// gets the default `check` in its own copy of the project, with a fixed seed, on one worker;
// --workers mutants run at once. Exit 0 when every mutant is killed, 1 when one survives or
// crashes a kernel, 2 on bad options.

import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import pc from 'picocolors';
import { MUTANTS, MUTANT_CLASSES, type Mutant, type MutantClass, snapshot } from '../mutants';
import { type MutantResult, runMutant } from '../mutants/run';
import { UsageError } from './input';

export interface MutantsOpts {
  json?: boolean;
  only?: string[];
  class?: string;
  regressions?: boolean;
  seed?: string;
  workers?: string;
  /** Extra options for each check (a smaller budget for a quick look), split on spaces. */
  checkArgs?: string;
}

function select(o: MutantsOpts): Mutant[] {
  if (o.class !== undefined && !(MUTANT_CLASSES as readonly string[]).includes(o.class)) throw new UsageError(`--class: expected impl, spec or both, got "${o.class}"`);
  const names = (o.only ?? []).flatMap((x) => x.split(','));
  for (const n of names) if (!MUTANTS.some((m) => m.name === n)) throw new UsageError(`--only: no mutant "${n}" (l4check mutants --list names them)`);
  return MUTANTS.filter((m) => (names.length === 0 || names.includes(m.name)) && (o.class === undefined || m.class === o.class));
}

/** k/n killed per class. */
export function mutationScore(results: readonly MutantResult[]): Record<MutantClass, string> {
  const score = (c: MutantClass) => {
    const of = results.filter((r) => r.class === c);
    return `${of.filter((r) => r.killed).length}/${of.length}`;
  };
  return { impl: score('impl'), spec: score('spec'), both: score('both') };
}

function line(r: MutantResult): string {
  const status = r.crashed ? pc.red('CRASH   ') : r.killed ? pc.green('killed  ') : pc.red('SURVIVED');
  const how = r.crashed
    ? r.crashed
    : r.killed
      ? `by ${r.by} after ${r.events.toLocaleString('en')} events, ${r.seconds.toFixed(1)} s${r.shrunkEvents !== null ? `, shrunk to ${r.shrunkEvents} events after setup` : ''}`
      : `${r.events.toLocaleString('en')} events, ${r.seconds.toFixed(1)} s`;
  return `${status} ${r.name.padEnd(36)} ${r.class.padEnd(4)} ${r.area.padEnd(12)} ${how}`;
}

export async function mutantsCommand(o: MutantsOpts & { list?: boolean }): Promise<number> {
  const chosen = select(o);
  if (o.list) {
    for (const m of chosen) process.stdout.write(`${m.name.padEnd(36)} ${m.class.padEnd(4)} ${m.area.padEnd(12)} ${m.doc}\n`);
    return 0;
  }
  if (chosen.length === 0) throw new UsageError('no mutant matches --only and --class');
  const seed = o.seed === undefined ? 1 : Number(o.seed);
  if (o.seed !== undefined && !/^-?\d+$/.test(o.seed)) throw new UsageError(`--seed: expected an integer, got "${o.seed}"`);
  const workers = o.workers === undefined ? Math.min(2, availableParallelism()) : Number(o.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError(`--workers: expected an integer in 1..64, got "${o.workers}"`);
  const checkArgs = o.checkArgs?.trim() ? o.checkArgs.trim().split(/\s+/) : [];
  if (!o.json) process.stdout.write(pc.dim(`l4check mutants: ${chosen.length} mutants, default check with seed ${seed}${o.regressions === false ? ', without the regression corpus' : ''}${checkArgs.length ? ` and ${checkArgs.join(' ')}` : ''}, ${workers} at a time\n`));

  // One snapshot of the sources for the whole run: edits made meanwhile change no mutant.
  const source = snapshot();
  const results: MutantResult[] = new Array(chosen.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(workers, chosen.length) }, async () => {
    while (next < chosen.length) {
      const i = next++;
      results[i] = await runMutant(chosen[i], { seed, regressions: o.regressions !== false, checkArgs, source });
      if (!o.json) process.stdout.write(line(results[i]) + '\n');
    }
  }));
  rmSync(source, { recursive: true, force: true });
  const score = mutationScore(results);
  const allKilled = results.every((r) => r.killed);
  if (o.json) {
    process.stdout.write(JSON.stringify({
      seed, regressions: o.regressions !== false,
      mutants: results.map(({ name, class: cls, area, killed, by, events, seconds, shrunkEvents, crashed }) => ({ name, class: cls, area, killed, by, events, seconds, shrunkEvents, ...(crashed ? { crashed } : {}) })),
      score,
    }) + '\n');
  } else {
    process.stdout.write(`\nscore: impl ${score.impl}, spec ${score.spec}, both ${score.both}${allKilled ? pc.green('  every mutant killed') : ''}\n`);
  }
  return allKilled ? 0 : 1;
}
