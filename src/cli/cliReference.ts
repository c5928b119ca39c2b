/**
 * The CLI reference (docs/cli.md) as the commands define themselves: name, usage, what it does,
 * every flag and the examples. `npm run docs:cli` writes it; a test fails while the page and the
 * command definitions differ, as it does for the job spec's JSON Schema.
 */
import type { Command } from './command.js';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function cliReference(commands: readonly Command[]): string {
  const out: string[] = [
    '# CLI reference',
    '',
    '[← README](../README.md) · [all docs](README.md)',
    '',
    '<!-- Generated from the command definitions in src/cli/commands/ by `npm run docs:cli`: do not edit by hand. -->',
    '',
    "Every command takes `--help`. Exit codes: **0** ok, **1** invalid input (a job spec, a message, a file that cannot be read), **2** usage, **3** infrastructure (settings, cluster, storage, broker; and `submit`'s `deferred`).",
    '',
    '| command | what it does |',
    '|---|---|',
    ...commands.map((c) => `| [\`${c.name}\`](#${c.name}) | ${cell(c.summary)} |`),
  ];
  for (const c of commands) {
    out.push(
      '',
      `## ${c.name}`,
      '',
      '```',
      `spark-dispatch ${c.name} ${c.usage}`.trimEnd(),
      '```',
      '',
      `${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.`,
    );
    if (c.description) out.push('', c.description.replace(/\n/g, ' '));
    const flags = Object.entries(c.options);
    if (flags.length > 0) {
      out.push('', '| flag | meaning |', '|---|---|');
      for (const [name, o] of flags) {
        const value = o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : '';
        out.push(`| \`${o.short ? `-${o.short}, ` : ''}--${name}${value}\`${o.multiple ? ' (repeatable)' : ''} | ${cell(o.description)} |`);
      }
    }
    if (c.examples?.length) out.push('', '```sh', ...c.examples, '```');
  }
  return `${out.join('\n')}\n`;
}
