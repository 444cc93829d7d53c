// `l4check view FILE [-o out.html]`: a trace as one self-contained HTML page (docs/view.md).

import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { setSpecFreeze } from '../spec';
import { viewHTML } from '../properties/view/html';
import { traceView } from '../properties/view/trace';
import { UsageError, checkMutant, loadTrace } from './input';
import type { Invariant } from '../properties/invariants';

export async function viewCommand(file: string, o: { output?: string; check?: boolean }, invariants?: Invariant[]): Promise<number> {
  const trace = loadTrace(file);
  if (checkMutant(trace, file, false)) throw new UsageError(`${file}: a mutant's trace`);
  setSpecFreeze(false);
  const out = o.output ?? basename(file).replace(/\.json$/, '') + '.html';
  if (out === file || out.endsWith('.json')) throw new UsageError(`-o: ${out}: the page must not overwrite a trace file`);
  const view = await traceView(trace, file, { check: o.check !== false, invariants });
  const html = viewHTML(view);
  try {
    writeFileSync(out, html);
  } catch (e) {
    throw new UsageError(`-o: ${out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  process.stderr.write(`${out}: ${view.steps.length - 1} steps, ${view.lifelines.length} lifelines, ${(html.length / 1024).toFixed(0)} KiB${view.failure ? `; ${view.failure.check ?? 'failure'} at step ${view.failure.step}` : ''}\n`);
  return 0;
}
