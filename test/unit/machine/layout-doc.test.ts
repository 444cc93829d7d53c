import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PDE_SECTION } from '../../../machine/descriptors';
import { descriptorTables, layoutTable, withDescriptorTables } from '../../../machine/layout-doc';

describe('generated descriptor tables', () => {
  it('docs/machine.md carries the tables generated from the layouts (regenerate: npx tsx machine/layout-doc.ts --write)', () => {
    const doc = readFileSync(new URL('../../../docs/machine.md', import.meta.url), 'utf8');
    expect(doc).toContain(descriptorTables());
    expect(withDescriptorTables(doc)).toBe(doc);
  });

  it('describes every bit of a layout, high bits first', () => {
    const t = layoutTable(PDE_SECTION);
    expect(t).toContain('| 31..20 | base |');
    expect(t).toContain('| 18 | supersection = 0b0 |');
    expect(t.indexOf('| 31..20')).toBeLessThan(t.indexOf('| 1..0 | type = 0b10'));
  });
});
