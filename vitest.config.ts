import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers (Azurite, the broker, the Kubernetes stand-in):
    // give them room on a 2-core CI machine, but keep a hard ceiling so a hang fails fast.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
