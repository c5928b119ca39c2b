/**
 * The conf policy page's tables (docs/conf-policy.md) are generated from confPolicy.ts: they must be exactly what
 * the code enforces (regenerate with `npm run docs:conf`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALLOWLIST, REFUSED_KEYS } from '../../src/domain/spec/confPolicy.js';
import { confPolicyMarkdown, DOCS_END, DOCS_START, withConfPolicyDocs } from '../../src/domain/spec/confPolicyDocs.js';

const readme = readFileSync('docs/conf-policy.md', 'utf8');
const section = readme.slice(readme.indexOf(DOCS_START), readme.indexOf(DOCS_END) + DOCS_END.length);

describe('README: Spark conf policy', () => {
  it('holds exactly the generated tables (run `npm run docs:conf` after changing confPolicy.ts)', () => {
    expect(section).toBe(confPolicyMarkdown());
    expect(withConfPolicyDocs(readme)).toBe(readme);
  });

  it('lists every allowlist entry and every refused pattern in a table row', () => {
    for (const entry of ALLOWLIST) expect(section).toContain(`| \`${entry.key}\` |`);
    for (const refused of REFUSED_KEYS) expect(section).toContain(`| \`${refused.pattern}\` |`);
  });

  it('sits in the section "Spark conf policy and secrets", which the Settings table links to', () => {
    const heading = readme.indexOf('## Spark conf policy and secrets');
    expect(heading).toBeGreaterThan(0);
    expect(readme.indexOf(DOCS_START)).toBeGreaterThan(heading);
    const next = readme.indexOf('\n## ', heading + 3);
    expect(readme.indexOf(DOCS_END)).toBeLessThan(next === -1 ? readme.length : next);
    expect(readFileSync('docs/settings.md', 'utf8')).toContain('| `confPolicy.allowedKeys` |');
  });
});
