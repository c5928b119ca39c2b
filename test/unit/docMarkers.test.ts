/**
 * Figures in the docs are written by the commands that measure them: the pure marker replacement,
 * and every marker pair in the README and docs/ well-formed and owned by a command whose script names it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MARKER_OWNERS, replaceBetweenMarkers, scanMarkers } from '../../scripts/docMarkers.js';

const pages = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];

describe('replaceBetweenMarkers', () => {
  const doc = 'intro\n<!-- bench:results:start -->\nold figures\n<!-- bench:results:end -->\noutro\n';

  it('replaces only the text between the named pair, keeping the markers', () => {
    expect(replaceBetweenMarkers(doc, 'bench:results', '\n| a | b |\n')).toEqual({
      kind: 'replaced',
      text: 'intro\n<!-- bench:results:start -->\n| a | b |\n<!-- bench:results:end -->\noutro\n',
    });
  });

  it('is idempotent', () => {
    const once = replaceBetweenMarkers(doc, 'bench:results', 'new');
    if (once.kind !== 'replaced') throw new Error(once.kind);
    expect(replaceBetweenMarkers(once.text, 'bench:results', 'new')).toEqual(once);
  });

  it('says when the pair is missing or the markers are malformed, changing nothing', () => {
    expect(replaceBetweenMarkers(doc, 'soak:results', 'x')).toEqual({ kind: 'missing', name: 'soak:results' });
    expect(replaceBetweenMarkers('<!-- a:b:start -->\n', 'a:b', 'x')).toEqual({
      kind: 'malformed',
      problems: ['a:b:start without its end'],
    });
    expect(replaceBetweenMarkers('<!-- a:b:end -->\n', 'a:b', 'x')).toEqual({ kind: 'malformed', problems: ['a:b:end without its start'] });
    expect(scanMarkers('<!-- a:b:start --><!-- c:d:start --><!-- c:d:end --><!-- a:b:end -->')).toMatchObject({ kind: 'malformed' });
    expect(scanMarkers('<!-- a:b:start --><!-- a:b:end --><!-- a:b:start --><!-- a:b:end -->')).toEqual({
      kind: 'malformed',
      problems: ['a:b appears twice', 'a:b:end without its start'],
    });
  });
});

describe('markers in the docs', () => {
  it('every marker pair is well-formed and owned by a command whose script names it, on the page the owner says', () => {
    const problems: string[] = [];
    const found = new Set<string>();
    for (const page of pages) {
      const scan = scanMarkers(readFileSync(page, 'utf8'));
      if (scan.kind === 'malformed') {
        problems.push(...scan.problems.map((p) => `${page}: ${p}`));
        continue;
      }
      for (const pair of scan.pairs) {
        found.add(pair.name);
        const owner = MARKER_OWNERS[pair.name];
        if (!owner) problems.push(`${page}: ${pair.name} has no owner in scripts/docMarkers.ts`);
        else if (owner.page !== page) problems.push(`${page}: ${pair.name} belongs on ${owner.page}`);
      }
    }
    for (const [name, owner] of Object.entries(MARKER_OWNERS)) {
      if (!found.has(name)) problems.push(`${name} (written by ${owner.command}) is on no page`);
      if (!readFileSync(owner.script, 'utf8').includes(`'${name}'`)) problems.push(`${owner.script} does not write ${name}`);
    }
    expect(problems).toEqual([]);
  });
});
