// `l4check merge REPORT.json...`: the reports of the shards of one CI matrix (`check --json`) as
// one: events summed, coverage united (a cell counts as reached when any shard reached it), each
// check failed when any shard failed it, and ok only when every shard was. Exit 0 when the merged
// check is green, 1 when not, 2 on a file that is not a check report.

import { readFileSync } from 'node:fs';
import pc from 'picocolors';
import { type Cells, addCell } from '../properties/check/execute';
import { cellsJSON, missingCells } from '../properties/check/report';
import { UsageError } from './input';
import { VERSION } from './version';

/** The part of a `check --json` report that merging reads. */
interface Report {
  ok: boolean;
  seed: number;
  shard: { index: number; count: number };
  runsRun: number;
  notRun: number;
  events: number;
  regressionEvents?: number;
  randomEvents?: number;
  seconds: number;
  checks: Record<string, string>;
  coverage: Record<string, string[]>;
  coverageCounts?: Record<string, Record<string, number>>;
  failure?: { check: string; step: number; path: string; reproduce?: string };
}

function readReport(file: string): Report {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file}: not a check report (${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]})`);
  }
  const r = v as Partial<Report>;
  const missing = (['ok', 'seed', 'shard', 'runsRun', 'events', 'checks', 'coverage'] as const).find((k) => r?.[k] === undefined);
  if (typeof v !== 'object' || v === null || missing) throw new UsageError(`${file}: not a check --json report (no "${missing ?? 'ok'}")`);
  return r as Report;
}

export function mergeReports(reports: readonly Report[]) {
  const cells: Cells = new Map();
  // Counts add up when every report has them (older reports list the cells only).
  for (const r of reports) {
    for (const [row, cs] of Object.entries(r.coverage)) for (const c of cs) addCell(cells, row, c, r.coverageCounts?.[row]?.[c] ?? 1);
  }
  const counted = reports.every((r) => r.coverageCounts !== undefined);
  const checks: Record<string, string> = {};
  for (const r of reports) {
    for (const [n, v] of Object.entries(r.checks)) {
      const was = checks[n];
      checks[n] = was === 'fail' || v === 'fail' ? 'fail' : was === 'not run' || v === 'not run' ? 'not run' : 'pass';
    }
  }
  const sum = (f: (r: Report) => number | undefined) => reports.reduce((a, r) => a + (f(r) ?? 0), 0);
  const shards = reports.map((r) => `${r.shard.index}/${r.shard.count}`);
  return {
    ok: reports.every((r) => r.ok), version: VERSION, reports: reports.length, seeds: [...new Set(reports.map((r) => r.seed))], shards,
    runsRun: sum((r) => r.runsRun), notRun: sum((r) => r.notRun), events: sum((r) => r.events),
    regressionEvents: sum((r) => r.regressionEvents), randomEvents: sum((r) => r.randomEvents), seconds: sum((r) => r.seconds),
    checks, ...(counted ? cellsJSON(cells) : { coverage: cellsJSON(cells).coverage }), missing: missingCells(cells),
    failures: reports.flatMap((r) => (r.failure ? [{ shard: `${r.shard.index}/${r.shard.count}`, check: r.failure.check, step: r.failure.step, path: r.failure.path, reproduce: r.failure.reproduce }] : [])),
  };
}

export function mergeCommand(files: string[], o: { json?: boolean }): number {
  if (files.length === 0) throw new UsageError('merge: give the check --json reports to merge');
  const m = mergeReports(files.map(readReport));
  if (o.json) {
    process.stdout.write(JSON.stringify(m) + '\n');
    return m.ok ? 0 : 1;
  }
  const count = new Set(files.map((_, i) => m.shards[i])).size;
  process.stdout.write(`${m.reports} reports (shards ${m.shards.join(', ')}${count < m.reports ? pc.yellow(', some twice') : ''}), seed${m.seeds.length > 1 ? 's' : ''} ${m.seeds.join(', ')}\n`);
  for (const [n, v] of Object.entries(m.checks)) process.stdout.write(`${v === 'fail' ? pc.red('FAIL') : v === 'pass' ? pc.green('pass') : pc.yellow('----')}  ${n}\n`);
  for (const f of m.failures) process.stdout.write(`${pc.red('failure')} in shard ${f.shard}: ${f.check} at step ${f.step}, ${f.path}${f.reproduce ? `\n  reproduce: ${f.reproduce}` : ''}\n`);
  process.stdout.write(m.missing.length === 0 ? pc.green('every required cell reached by some shard\n') : pc.yellow(`never reached by any shard (${m.missing.length}): ${m.missing.join(', ')}\n`));
  process.stdout.write(`${m.events.toLocaleString('en')} events (${m.randomEvents.toLocaleString('en')} random, ${m.regressionEvents.toLocaleString('en')} of the corpus) in ${m.runsRun} runs, ${m.seconds.toFixed(1)} s of checking\n`);
  return m.ok ? 0 : 1;
}
