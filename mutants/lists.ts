// Mutants of the lists area (types.ts says what a mutant is; docs/mutants.md lists them with their scores).

import type { Mutant } from './types';

const IMPL_THREAD = 'impl/kernel/thread.ts';
const IMPL_EP = 'impl/object/endpoint.ts';

export const LISTS_MUTANTS: readonly Mutant[] = [
  {
    name: 'list-ready-remove-keeps-prev',
    class: 'impl',
    area: 'lists',
    doc: 'Taking a thread out of a ready queue does not point its successor\'s schedPrev at its predecessor.',
    patches: [{ file: IMPL_THREAD, find: '  if (next === 0) k.m.store32(qTailAddr(prio), prev);\n  else setSchedPrev(k, next, prev);\n  if (prev === 0 && next === 0)', replace: '  if (next === 0) k.m.store32(qTailAddr(prio), prev);\n  if (prev === 0 && next === 0)' }],
  },
  {
    name: 'list-ready-append-no-prev',
    class: 'impl',
    area: 'lists',
    doc: 'Appending to a ready queue leaves the new tail\'s schedPrev at 0 instead of the old tail.',
    patches: [{ file: IMPL_THREAD, find: '  setSchedPrev(k, t, tail);\n  setSchedNext(k, t, 0);', replace: '  setSchedPrev(k, t, 0);\n  setSchedNext(k, t, 0);' }],
  },
  {
    name: 'list-ep-dequeue-keeps-tail',
    class: 'impl',
    area: 'lists',
    doc: 'Taking the last thread out of an endpoint queue leaves the queue\'s tail pointing at it.',
    patches: [{ file: IMPL_EP, find: '  if (next === 0) setQueueTail(k, obj, q, prev);\n  else setEpPrev(k, next, prev);', replace: '  if (next !== 0) setEpPrev(k, next, prev);' }],
  },
  {
    name: 'list-ep-append-no-prev',
    class: 'impl',
    area: 'lists',
    doc: 'Appending to an endpoint queue leaves the new tail\'s epPrev at 0 instead of the old tail.',
    patches: [{ file: IMPL_EP, find: '  setEpPrev(k, t, tail);\n  setEpNext(k, t, 0);', replace: '  setEpPrev(k, t, 0);\n  setEpNext(k, t, 0);' }],
  },
];
