/** npm run docs:cli: writes docs/cli.md from the command definitions (test/unit/cliReference.test.ts keeps it so). */
import { writeFileSync } from 'node:fs';
import { cliReference } from '../src/cli/cliReference.js';
import { COMMANDS } from '../src/cli/main.js';

writeFileSync(new URL('../docs/cli.md', import.meta.url), cliReference(COMMANDS));
process.stdout.write('docs/cli.md written\n');
