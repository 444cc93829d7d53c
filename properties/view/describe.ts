// One line for an event as written in a trace file (replay's table, the viewer).

import { METHODS, type MethodName } from '../../abi/invocations';
import { isNonce } from '../generators/driver';

/** A word as a reader wants it: a generator's nonce in hex (0xc0de0012), anything else as written. */
function word(v: unknown): string {
  if (typeof v === 'number' && isNonce(v)) return `0x${(v >>> 0).toString(16)}`;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * One line for an event as written in a trace file. With `capName` (the name of the cap a cap
 * pointer names in the issuing thread's CSpace, properties/view/names.ts), each cap is shown with
 * its name: `cap=20(ep0)`.
 */
export function describeRawEvent(raw: unknown, capName?: (cptr: unknown) => string | undefined): string {
  const e = raw as Record<string, unknown>;
  const cap = (v: unknown) => {
    const n = capName?.(v);
    return n === undefined ? word(v) : `${word(v)}(${n})`;
  };
  const capArgs = new Set(typeof e.invoke === 'string' ? (METHODS[e.invoke as MethodName]?.args ?? []).filter((a) => a.type === 'cap').map((a) => a.name) : []);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(e)) {
    if (k === 'as' || k === 'comment') continue;
    if (k === 'syscall' || k === 'invoke') parts.push(String(v));
    else if (k === 'cap') parts.push(`cap=${cap(v)}`);
    else if (k === 'extraCaps' && Array.isArray(v)) parts.push(`extraCaps=[${v.map(cap).join(',')}]`);
    else if (k === 'mrs' && Array.isArray(v)) parts.push(`mrs=[${v.map(word).join(',')}]`);
    else if (k === 'args' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      parts.push(...Object.entries(v as Record<string, unknown>).map(([a, x]) => `${a}=${capArgs.has(a) ? cap(x) : word(x)}`));
    } else parts.push(`${k}=${word(v)}`);
  }
  return parts.join(' ');
}
