// `l4check regress`: replays every trace of scenarios/ and regressions/ (or the given files).

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pc from 'picocolors';
import { describeFailure, replaySpec } from '../properties/replay';
import { setSpecFreeze } from '../spec';
import { UsageError, checkMutant, loadTrace } from './input';

export function traceFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`${p}: no such file or folder`);
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (f.endsWith('.json')) out.push(join(p, f));
    } else out.push(p);
  }
  return out;
}

export function regressCommand(files: string[]): number {
  const paths = files.length > 0 ? files : ['scenarios', 'regressions'].filter((d) => existsSync(d));
  setSpecFreeze(false);
  let failed = 0;
  let worst = 0;
  const list = traceFiles(paths);
  for (const f of list) {
    const trace = loadTrace(f);
    checkMutant(trace, f, false);
    const r = replaySpec(trace);
    if (r.failure) {
      failed++;
      worst = Math.max(worst, r.failure.kind === 'internal' ? 3 : 1);
      process.stdout.write(`${pc.red('FAIL')} ${f}: ${describeFailure(r.failure)}\n`);
    } else {
      process.stdout.write(`${pc.green('ok  ')} ${f} (${trace.events.length} events)\n`);
    }
  }
  process.stdout.write(`${list.length - failed}/${list.length} traces green\n`);
  return worst;
}
