/**
 * Writes the conf policy tables into docs/conf-policy.md (between the conf-policy markers) from
 * src/domain/spec/confPolicy.ts. Run after changing the allowlist: `npm run docs:conf`.
 * test/unit/confPolicyDocs.test.ts fails until the page matches.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfPolicyDocs } from '../src/domain/spec/confPolicyDocs.js';

const path = new URL('../docs/conf-policy.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withConfPolicyDocs(before);
if (after === before) process.stdout.write('docs/conf-policy.md: conf policy already up to date\n');
else {
  writeFileSync(path, after);
  process.stdout.write('docs/conf-policy.md: conf policy tables rewritten\n');
}
