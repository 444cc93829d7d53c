// A check worker thread: TypeScript through tsx (as bin/l4check.js does), then the worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
