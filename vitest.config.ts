import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Inference on real photos takes a while on two cores; these are ceilings, not targets.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Files run one at a time: each starts its own inference workers, and two suites
    // competing for two cores would only make both slower.
    fileParallelism: false,
  },
});
