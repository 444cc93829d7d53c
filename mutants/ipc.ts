// Mutants of the ipc area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

export const IPC_MUTANTS: readonly Mutant[] = [
  {
    name: 'ep-dequeue-tail',
    class: 'spec',
    area: 'ipc',
    doc: 'The abstract endpoint hands the newest waiter to a matching operation instead of the oldest (LIFO queue).',
    patches: [{ file: 'spec/object/endpoint.ts', find: 'const head = epo.queue.shift();', replace: 'const head = epo.queue.pop();' }],
  },
];
