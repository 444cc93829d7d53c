// The test set StrykerJS runs per mutant (docs/mutants.md "StrykerJS"): the unit tests of both
// kernels and the refinement, without the long random-trace tests and the scenarios (a mutant
// would rerun them all: hours on two cores).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/spec/**/*.test.ts', 'test/unit/impl/**/*.test.ts', 'test/unit/refinement/**/*.test.ts'],
    exclude: ['test/unit/refinement/incremental.test.ts', 'test/unit/impl/object/cnode-zombie-random.test.ts', 'test/unit/impl/object/cnode-random.test.ts', 'test/unit/impl/api/syscall.test.ts', '**/node_modules/**'],
    pool: 'threads',
    testTimeout: 60_000,
  },
});
