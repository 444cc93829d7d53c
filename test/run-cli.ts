// Runs the l4check command line as a user does (a child process), for the CLI tests.

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const BIN = resolve('bin/l4check.js');

/** Exit code, stdout and stderr (colour codes removed: CI turns picocolors on). */
export function runCli(args: string[], cwd?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('node', [BIN, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: stripVTControlCharacters(r.stdout ?? ''), stderr: stripVTControlCharacters(r.stderr ?? '') };
}
