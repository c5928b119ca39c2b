import { defineConfig } from 'vitest/config';
import { locateRealkube, REALKUBE_ONLY } from './test/support/realkubeLocation.js';

// The real-server tier (test/realkube): its server-only files are registered only when the real
// control plane is there; the contract files run against the stand-in always, and against it too.
const realkube = locateRealkube();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...('absent' in realkube ? [REALKUBE_ONLY] : [])],
    globalSetup: ['test/support/realkubeSetup.ts'],
    // Integration tests start real servers (Azurite, the broker, the Kubernetes stand-in):
    // give them room on a 2-core CI machine, but keep a hard ceiling so a hang fails fast.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
