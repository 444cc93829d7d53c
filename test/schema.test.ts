// docs/trace-format.schema.json accepts every trace file we ship and the observation lines replay prints.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { parseTraceText } from '../abi/trace';
import { replaySpec } from '../properties/replay';

const schema = JSON.parse(readFileSync('docs/trace-format.schema.json', 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateTrace = ajv.compile(schema);
const validateObservation = ajv.getSchema(`${schema.$id}#/$defs/observation`)!;

const files = ['scenarios', 'scenarios/shared', 'regressions']
  .filter((d) => existsSync(d))
  .flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => join(d, f)));

describe('trace-format schema', () => {
  it.each(files)('%s validates, and so do its observations', (f) => {
    const text = readFileSync(f, 'utf8');
    expect(validateTrace(JSON.parse(text)), JSON.stringify(validateTrace.errors)).toBe(true);
    const r = replaySpec(parseTraceText(text));
    for (const o of r.observations) expect(validateObservation(JSON.parse(JSON.stringify(o))), JSON.stringify(validateObservation.errors)).toBe(true);
  });

  it('rejects what l4check rejects for closed objects', () => {
    expect(validateTrace({ format: 'l4check-trace/1', events: [{ tick: 1, colour: 1 }] })).toBe(false);
    expect(validateTrace({ format: 'l4check-trace/2', events: [] })).toBe(false);
  });
});
