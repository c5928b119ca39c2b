/**
 * The documentation against the code: the CLI reference is exactly what the command definitions
 * say (regenerate with `npm run docs:cli`), every `spark-dispatch …` command line shown in the README
 * and docs/ names a command that exists and only flags it takes, every relative link points at a
 * file that exists (and, for a docs page, at a heading it has), and the README stays short.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliReference } from '../../src/cli/cliReference.js';
import { COMMANDS } from '../../src/cli/main.js';

/** Trace span names read like command lines in prose; they are not (src/usecases: telemetry.span). */
const SPAN_NAMES = ['spark-dispatch job message', 'spark-dispatch launch'];

const pages = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];
const text = (page: string) => readFileSync(page, 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N}\- ]/gu, '')
    .replace(/ /g, '-');
const anchors = (page: string) =>
  new Set(
    text(page)
      .split('\n')
      .filter((l) => /^#{1,4} /.test(l))
      .map((l) => slug(l.replace(/^#+ /, ''))),
  );

describe('docs', () => {
  it('docs/cli.md is the reference the command definitions give (npm run docs:cli)', () => {
    expect(text('docs/cli.md')).toBe(cliReference(COMMANDS));
  });

  it('every command line shown in the README and docs/ exists, with only flags it takes', () => {
    const problems: string[] = [];
    let seen = 0;
    for (const page of pages) {
      for (const line of text(page).split('\n')) {
        for (const match of line.matchAll(/(?:npx )?spark-dispatch ([a-z][a-z-]*)((?: +[^\s`|#;)&]+)*)/g)) {
          const name = match[1]!;
          if (SPAN_NAMES.some((span) => line.slice(match.index!).startsWith(`${span}\``))) continue;
          // Prose ("spark-dispatch turns a job …", "spark-dispatch.io/…") is not a command line.
          if (
            !/^(npx |\$ |  |`|\| `)/.test(line.slice(Math.max(0, match.index! - 4), match.index)) &&
            !line.trimStart().startsWith('npx') &&
            !line.trimStart().startsWith('$') &&
            !line.includes('`spark-dispatch')
          )
            continue;
          const command = COMMANDS.find((c) => c.name === name);
          seen++;
          if (!command) {
            problems.push(`${page}: unknown command "spark-dispatch ${name}" in: ${line.trim()}`);
            continue;
          }
          const flags = new Set(['help', ...Object.keys(command.options)]);
          const shorts = new Set(['h', ...Object.values(command.options).flatMap((o) => (o.short ? [o.short] : []))]);
          for (const flag of (match[2] ?? '').matchAll(/(?:^| )--([a-z][a-z-]*)/g)) {
            if (!flags.has(flag[1]!))
              problems.push(
                `${page}: "spark-dispatch ${name}" has no --${flag[1]} (it takes ${[...flags].map((f) => `--${f}`).join(', ')}): ${line.trim()}`,
              );
          }
          for (const flag of (match[2] ?? '').matchAll(/(?:^| )-([a-zA-Z])(?= |$)/g)) {
            if (!shorts.has(flag[1]!)) problems.push(`${page}: "spark-dispatch ${name}" has no -${flag[1]}: ${line.trim()}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(seen).toBeGreaterThan(20);
  });

  it('every relative link points at a file that exists, and at a heading of a page that has it', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const [, target] of text(page).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [file, anchor] = target!.split('#') as [string, string | undefined];
        const path = file === '' ? page : resolve(dirname(page), file);
        if (!existsSync(path)) broken.push(`${page}: ${target} (no such file)`);
        else if (anchor !== undefined && path.endsWith('.md') && !anchors(path).has(anchor))
          broken.push(`${page}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the README stays short: what it is, the two commands, the walkthrough, links (about 250 lines at most)', () => {
    const readme = text('README.md').split('\n');
    expect(readme.length).toBeLessThanOrEqual(250);
    expect(readme.slice(0, 10).join('\n')).toMatch(/npm install && npm start[\s\S]*npm test/);
  });
});
