// DESIGN "Layering": who may import whom. impl/ never imports spec/ (that would make refinement
// vacuous), machine/ imports nothing of the project, spec/ only abi/.

import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ALLOWED: Record<string, { project: string[]; packages: string[] }> = {
  abi: { project: ['abi'], packages: [] },
  spec: { project: ['abi', 'spec'], packages: ['immer', 'ts-pattern'] },
  machine: { project: ['machine'], packages: [] },
  impl: { project: ['abi', 'machine', 'impl'], packages: ['ts-pattern'] },
  refinement: { project: ['abi', 'machine', 'impl', 'spec', 'refinement'], packages: ['ts-pattern'] },
  properties: { project: ['abi', 'spec', 'refinement', 'properties'], packages: ['fast-check', 'ts-pattern', 'immer', 'node:'] },
};

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;

describe('layering', () => {
  for (const [layer, rule] of Object.entries(ALLOWED)) {
    it(`${layer}/ imports only ${[...rule.project, ...rule.packages].join(', ')}`, () => {
      const bad: string[] = [];
      for (const file of tsFiles(layer)) {
        for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
          const spec = m[1] ?? m[2];
          if (spec.startsWith('.')) {
            const target = relative(process.cwd(), resolve(dirname(file), spec)).split('/')[0];
            if (!rule.project.includes(target)) bad.push(`${file} -> ${spec}`);
          } else if (!rule.packages.some((p) => spec === p || spec.startsWith(p))) {
            bad.push(`${file} -> ${spec}`);
          }
        }
      }
      expect(bad).toEqual([]);
    });
  }
});
