#!/usr/bin/env node
// The CLI runs from the compiled build so that start-up stays fast (no TypeScript loader).
// `npm install` builds it through the `prepare` script.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('spark-dispatch is not built yet: run `npm run build` (npm install does it for you).\n');
  process.exit(3);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
