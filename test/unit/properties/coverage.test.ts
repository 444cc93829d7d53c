// The coverage matrix's paths: each is credited on the step of a hand-written trace that takes it,
// and on no step of a plain IPC trace.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTraceText } from '../../../abi/trace';
import { COVERAGE_PATHS, type CoveragePath, coveragePaths } from '../../../properties/coverage';
import { requiredCells } from '../../../properties/check/report';
import { type Raw, configure, contexts, ipcTrace, name, nonce, retype, setPrio, trace } from './fixtures';

/** The paths each step of a trace takes, by step number (steps without any left out). */
function pathsOf(t: ReturnType<typeof trace>): Map<number, CoveragePath[]> {
  const out = new Map<number, CoveragePath[]>();
  for (const c of contexts(t).steps) {
    const p = coveragePaths(c.event, c.before, c.after);
    if (p.length > 0) out.set(c.step, p);
  }
  return out;
}

// Endpoint 20 and a cap 21 to it with Write only; notification 22; threads a, b, d (priority 200),
// d's fault handler the Write-only cap.
const events: Raw[] = [
  retype('Endpoint', 20),
  retype('Notification', 22),
  retype('TCB', 30, 3),
  configure(30), configure(31),
  { invoke: 'TCB_Configure', cap: 32, args: { faultEP: 21, cspaceRoot: 2, cspaceRootData: 0, vspaceRoot: 3, vspaceRootData: 0, buffer: 0, bufferFrame: 0 } },
  name(30, 'a'), name(31, 'b'), name(32, 'd'),
  setPrio(30, 200), setPrio(31, 200), setPrio(32, 200),
  { invoke: 'CNode_Mint', cap: 2, args: { destIndex: 21, destDepth: 32, srcRoot: 2, srcIndex: 20, srcDepth: 32, rights: 'W', badge: 0 } },
  setPrio(1, 100),
  { as: 'root', invoke: 'TCB_SetPriority', cap: 1, args: { authority: 1, priority: 150 }, comment: 'mcp-not-priority: 150 is above the priority (100), within the MCP (255)' },
  { invoke: 'TCB_BindNotification', cap: 30, args: { notification: 22 } },
  { invoke: 'TCB_Resume', cap: 30 },
  { as: 'a', syscall: 'Recv', cap: 20 },
  { as: 'root', syscall: 'Call', cap: 20, mrs: [nonce(0)] },
  { as: 'a', syscall: 'Send', cap: 22, mrs: [nonce(1)], comment: 'a signals its own bound notification: Active' },
  { as: 'a', syscall: 'ReplyRecv', cap: 20, mrs: [nonce(2)], comment: 'fastpath-replyrecv-bound-active' },
  { as: 'a', syscall: 'Recv', cap: 20 },
  { as: 'root', syscall: 'NBSend', cap: 21, mrs: [nonce(3)], comment: 'reduced-cap-used' },
  { as: 'a', syscall: 'Recv', cap: 20 },
  { as: 'root', invoke: 'TCB_Resume', cap: 31 },
  { as: 'b', syscall: 'Recv', cap: 20 },
  { as: 'root', invoke: 'TCB_Resume', cap: 32 },
  { as: 'd', exception: 1, comment: 'fault-handler-lacks-rights' },
  { as: 'root', invoke: 'CNode_Delete', cap: 2, args: { index: 21, depth: 32 } },
  { as: 'root', invoke: 'CNode_Delete', cap: 2, args: { index: 20, depth: 32 }, comment: 'final-delete-queued-endpoint: a and b queued' },
];
const stepOf = (comment: string) => events.findIndex((e) => typeof e.comment === 'string' && e.comment.startsWith(comment)) + 1;

describe('coverage paths', () => {
  const got = pathsOf(trace(events));
  for (const p of ['mcp-not-priority', 'fastpath-replyrecv-bound-active', 'reduced-cap-used', 'fault-handler-lacks-rights', 'final-delete-queued-endpoint'] as const) {
    it(`${p} on its step`, () => {
      expect(got.get(stepOf(p))).toContain(p);
    });
  }

  it('zombie-created in the CDT deletion scenario (a nested CNode\'s last cap deleted unexposed)', () => {
    const t = parseTraceText(readFileSync('scenarios/cdt-delete-order.json', 'utf8'));
    expect([...pathsOf(t).values()].flat()).toContain('zombie-created');
  });

  it('revoke-two-generations: a revoke that takes a badged mint and a copy of it (its child)', () => {
    const copy = (dest: number, src: number): Raw => ({ invoke: 'CNode_Copy', cap: 2, args: { destIndex: dest, destDepth: 32, srcRoot: 2, srcIndex: src, srcDepth: 32, rights: 'RWGP' } });
    const mint = { invoke: 'CNode_Mint', cap: 2, args: { destIndex: 41, destDepth: 32, srcRoot: 2, srcIndex: 40, srcDepth: 32, rights: 'RWGP', badge: 5 } };
    const revoke = (index: number): Raw => ({ invoke: 'CNode_Revoke', cap: 2, args: { index, depth: 32 } });
    // A copy of a copy is the original's child too (a copy is not revocable): one generation.
    const one = pathsOf(trace([retype('Endpoint', 40), copy(41, 40), copy(42, 41), revoke(40)]));
    expect([...one.values()].flat()).toEqual([]);
    const two = pathsOf(trace([retype('Endpoint', 40), mint, copy(42, 41), revoke(40)]));
    expect(two.get(4)).toEqual(['revoke-two-generations']);
  });

  it('grantless-reply-caps in the call-reply scenario: the reply with a cap through a reply cap without Grant, not the one with Grant', () => {
    const got = pathsOf(parseTraceText(readFileSync('scenarios/ipc-call-reply.json', 'utf8')));
    expect(got.get(17)).toContain('grantless-reply-caps');
    expect(got.get(13) ?? []).not.toContain('grantless-reply-caps');
  });

  it('page-table-unmapped-in-use: PageTable_Unmap of a table with a page mapped in it, not of an empty one', () => {
    const mapPT = { invoke: 'PageTable_Map', cap: 40, args: { vspace: 3, vaddr: 0x00800000, attr: 0 } };
    const unmap = { invoke: 'PageTable_Unmap', cap: 40 };
    const page = { invoke: 'Page_Map', cap: 41, args: { vspace: 3, vaddr: 0x00801000, rights: 'RW', attr: 0 } };
    const used = pathsOf(trace([retype('PageTable', 40), mapPT, retype('SmallPage', 41), page, unmap]));
    expect(used.get(5)).toEqual(['page-table-unmapped-in-use']);
    const empty = pathsOf(trace([retype('PageTable', 40), mapPT, unmap]));
    expect([...empty.values()].flat()).toEqual([]);
  });

  const cnode = (method: string, args: Raw): Raw => ({ invoke: method, cap: 2, args: { destDepth: 32, srcRoot: 2, srcDepth: 32, ...args } });
  const mint = (dest: number, src: number, badge: number) => cnode('CNode_Mint', { destIndex: dest, srcIndex: src, rights: 'RWGP', badge });
  const copy = (dest: number, src: number) => cnode('CNode_Copy', { destIndex: dest, srcIndex: src, rights: 'RWGP' });
  const move = (dest: number, src: number) => cnode('CNode_Move', { destIndex: dest, srcIndex: src });
  const slotOp = (method: string, index: number): Raw => ({ invoke: method, cap: 2, args: { index, depth: 32 } });

  it('first-badged-copy-moved: the move of a copy whose badged original was deleted, not of a copy whose original is there', () => {
    const used = pathsOf(trace([retype('Endpoint', 40), mint(41, 40, 5), copy(42, 41), slotOp('CNode_Delete', 41), move(43, 42)]));
    expect([...used.entries()]).toEqual([[5, ['first-badged-copy-moved']]]);
    const kept = pathsOf(trace([retype('Endpoint', 40), mint(41, 40, 5), copy(42, 41), move(43, 42)]));
    expect([...kept.values()].flat()).toEqual([]);
  });

  it('badged-sibling-revoked: the revoke of a badged cap followed by its own-subtree sibling of the same badge, not of the last one', () => {
    // Mint puts its cap right after the source: 40, 42, 41.
    const used = pathsOf(trace([retype('Endpoint', 40), mint(41, 40, 5), mint(42, 40, 5), slotOp('CNode_Revoke', 42)]));
    expect([...used.entries()]).toEqual([[4, ['badged-sibling-revoked']]]);
    const last = pathsOf(trace([retype('Endpoint', 40), mint(41, 40, 5), mint(42, 40, 5), slotOp('CNode_Revoke', 41)]));
    expect([...last.values()].flat()).toEqual([]);
  });

  it("retype-fills-last-slot: a retype into a CNode's last slot, not into the one before", () => {
    const into = (offset: number): Raw => ({ invoke: 'Untyped_Retype', cap: 17, args: { type: 'Endpoint', sizeBits: 0, root: 2, nodeIndex: 45, nodeDepth: 32, nodeOffset: offset, numObjects: 1 } });
    const used = pathsOf(trace([retype('CNode', 45, 1, 2), into(3)]));
    expect([...used.entries()]).toEqual([[2, ['retype-fills-last-slot']]]);
    const before = pathsOf(trace([retype('CNode', 45, 1, 2), into(2)]));
    expect([...before.values()].flat()).toEqual([]);
  });

  it('page-remapped: a Page_Map of a mapped frame at its own address, not its first map', () => {
    const mapPT = { invoke: 'PageTable_Map', cap: 40, args: { vspace: 3, vaddr: 0x00800000, attr: 0 } };
    const page = (rights: string) => ({ invoke: 'Page_Map', cap: 41, args: { vspace: 3, vaddr: 0x00801000, rights, attr: 0 } });
    const used = pathsOf(trace([retype('PageTable', 40), mapPT, retype('SmallPage', 41), page('RW'), page('R')]));
    expect([...used.entries()]).toEqual([[5, ['page-remapped']]]);
  });

  it('none on a plain IPC trace', () => {
    expect([...pathsOf(ipcTrace()).values()].flat()).toEqual([]);
  });

  it('every path is a required cell', () => {
    const required = requiredCells().filter(([r]) => r === 'path').map(([, c]) => c);
    expect(required.sort()).toEqual(Object.keys(COVERAGE_PATHS).sort());
  });
});
