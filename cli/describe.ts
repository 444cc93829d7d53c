// Short human-readable descriptions of events and observations for tables and reports.

import type { Observation, ThreadObservation } from '../abi/events';
import { isNonce } from '../properties/generators/driver';

export { describeRawEvent } from '../properties/view/describe';

function describeThread(t: ThreadObservation): string {
  const bits: string[] = [t.state];
  if (t.error !== undefined) bits.push(`error=${t.error}`);
  if (t.badge !== undefined) bits.push(`badge=${t.badge}`);
  if (t.info !== undefined) bits.push(`label=${t.info.label}`);
  if (t.mrs !== undefined && t.mrs.length > 0) bits.push(`mrs=[${t.mrs.map((w) => (isNonce(w) ? `0x${(w >>> 0).toString(16)}` : String(w))).join(',')}]`);
  if (t.loaded !== undefined) bits.push(`loaded=${t.loaded}`);
  return bits.join(' ');
}

/** The threads whose observation changed from `prev` to `cur`. */
export function describeChanges(prev: Observation | undefined, cur: Observation): string {
  const out: string[] = [];
  for (const [name, t] of Object.entries(cur.threads)) {
    const before = prev?.threads[name];
    if (!before || JSON.stringify(before) !== JSON.stringify(t)) out.push(`${name}: ${describeThread(t)}`);
  }
  for (const name of Object.keys(prev?.threads ?? {})) if (!(name in cur.threads)) out.push(`${name}: gone`);
  return out.join('; ');
}
