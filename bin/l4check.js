#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so that a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
// A closed pipe (`l4check replay FILE | head`) ends the output, quietly.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
