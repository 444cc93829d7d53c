// loadInvariantsFile (`--invariants FILE`): a module's default or `invariants` export; every
// problem is one Error that names the file.

import { describe, expect, it } from 'vitest';
import { loadInvariantsFile } from '../../../properties/invariants';
import { checkTraceSpec } from '../../../properties/invariants/run';
import { trace, setPrio } from './fixtures';

const DATA = 'test/unit/properties/data';

describe('loadInvariantsFile', () => {
  it('loads a .ts module and its invariants run like the built-in ones', async () => {
    const invs = await loadInvariantsFile(`${DATA}/my-invariants.ts`);
    expect(invs.map((i) => i.name)).toEqual(['root-keeps-priority-255']);
    const r = checkTraceSpec(trace([setPrio(1, 100)]), invs);
    expect(r.violation).toMatchObject({ invariant: 'root-keeps-priority-255', step: 1, evidence: { priority: 100 } });
  });
  it('a missing file, a wrong extension, a non-array export: one line naming the file', async () => {
    await expect(loadInvariantsFile(`${DATA}/nope.ts`)).rejects.toThrow(`${DATA}/nope.ts: no such file`);
    await expect(loadInvariantsFile('package.json')).rejects.toThrow('package.json: expected a .ts or .js module');
    await expect(loadInvariantsFile(`${DATA}/not-an-array.ts`)).rejects.toThrow(`${DATA}/not-an-array.ts: its invariants export is not an array`);
  });
  it('refuses a name that clashes with a built-in invariant', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const f = join(mkdtempSync(join(tmpdir(), 'l4inv-')), 'clash.mjs');
    writeFileSync(f, "export default [{ name: 'benno', doc: 'mine', monitor: () => ({ step: () => null }) }];\n");
    await expect(loadInvariantsFile(f)).rejects.toThrow(/clash\.mjs: invariants\[0\]: name "benno" is already taken/);
  });
});
