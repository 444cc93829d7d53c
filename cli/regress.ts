// `l4check regress`: replays every trace of scenarios/ and regressions/ (or the given files) on
// both kernels with refinement and every invariant, as `replay --check` does; a trace with
// expectViolation passes when exactly that check fails.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pc from 'picocolors';
import { describeFailure, replay } from '../properties/replay';
import { loadImpl } from '../refinement/kernels';
import { setSpecFreeze } from '../spec';
import { UsageError, checkMutant, corpusDir, loadTrace, projectRoot } from './input';

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

export async function regressCommand(files: string[], corpus?: string): Promise<number> {
  const paths = files.length > 0 ? files : [corpusDir('scenarios', corpus), corpusDir('regressions', corpus)].filter((d) => existsSync(d));
  setSpecFreeze(false);
  const impl = await loadImpl();
  let failed = 0;
  let worst = 0;
  const list = traceFiles(paths);
  if (list.length === 0) throw new UsageError(files.length > 0 ? `no trace files in ${files.join(', ')}` : `nothing to run: no scenarios/ or regressions/ with traces in the project (${projectRoot()})${corpus ? '' : '; --corpus DIR names another'}`);
  for (const f of list) {
    const trace = loadTrace(f);
    checkMutant(trace, f, false);
    const r = replay(trace, { check: true, impl });
    if (r.failure) {
      failed++;
      worst = Math.max(worst, r.failure.kind === 'internal' ? 3 : 1);
      process.stdout.write(`${pc.red('FAIL')} ${f}: ${describeFailure(r.failure)}\n`);
    } else {
      const note = r.expectedViolation ? `, fails ${r.expectedViolation.check} as expected` : '';
      process.stdout.write(`${pc.green('ok  ')} ${f} (${trace.events.length} events${note})\n`);
    }
  }
  process.stdout.write(`${list.length - failed}/${list.length} traces green\n`);
  return worst;
}
