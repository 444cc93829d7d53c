import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { implLayoutTables, withImplLayoutTables } from '../../../../impl/object/layout-doc';

describe('generated impl layout tables', () => {
  it('docs/impl.md carries the tables generated from impl/object/structures.ts (regenerate: npx tsx impl/object/layout-doc.ts --write)', () => {
    const doc = readFileSync(new URL('../../../../docs/impl.md', import.meta.url), 'utf8');
    expect(doc).toContain(implLayoutTables());
    expect(withImplLayoutTables(doc)).toBe(doc);
  });
});
