// One line for an event as written in a trace file (replay's table, the viewer).

/** One line for an event as written in a trace file. */
export function describeRawEvent(raw: unknown): string {
  const e = raw as Record<string, unknown>;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(e)) {
    if (k === 'as' || k === 'comment') continue;
    parts.push(k === 'syscall' || k === 'invoke' ? String(v) : `${k}=${JSON.stringify(v)}`);
  }
  return parts.join(' ');
}
