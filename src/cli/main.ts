/**
 * The spark-dispatch command line. Each command lives in commands/<name>.ts; this file only
 * finds the command, parses its flags, turns mistakes into exit code 2 with a pointer to help and
 * infrastructure failures (DispatchError) into exit code 3 with their message.
 */
import { parseArgs } from 'node:util';
import { DispatchError } from '../shared/errors.js';
import { EXIT, type CliIo, type ExitCode } from './cliIo.js';
import { UsageError, type Command, type OptionSpec, type ParsedArgs } from './command.js';
import { closest } from '../domain/spec/zodProblems.js';
import { clusterCommand } from './commands/cluster.js';
import { logsCommand } from './commands/logs.js';
import { manifestsCommand } from './commands/manifests.js';
import { startCommand } from './commands/start.js';
import { uploadCommand } from './commands/upload.js';
import { renderCommand } from './commands/render.js';
import { publishCommand } from './commands/publish.js';
import { schemaCommand } from './commands/schema.js';
import { settingsCommand } from './commands/settings.js';
import { statusCommand } from './commands/status.js';
import { replayCommand } from './commands/replay.js';
import { submitCommand } from './commands/submit.js';
import { sweepCommand } from './commands/sweep.js';
import { validateCommand } from './commands/validate.js';
import { versionsCommand } from './commands/versions.js';

export const COMMANDS: readonly Command[] = [
  startCommand,
  validateCommand,
  renderCommand,
  submitCommand,
  uploadCommand,
  publishCommand,
  statusCommand,
  replayCommand,
  logsCommand,
  sweepCommand,
  versionsCommand,
  clusterCommand,
  manifestsCommand,
  settingsCommand,
  schemaCommand,
];

const HELP_OPTION: Record<string, OptionSpec> = { help: { type: 'boolean', short: 'h', description: 'show this help' } };

export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(topic ? commandHelp(topic) : overview());
    return EXIT.ok;
  }
  if (name === '--version') {
    io.stdout.write('spark-dispatch 0.1.0\n');
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`spark-dispatch: unknown command "${name}"\n\n${overview()}`);
    return EXIT.usage;
  }
  let args: ParsedArgs = { values: {}, positionals: [] };
  try {
    const options = { ...HELP_OPTION, ...command.options };
    const parsed = parseArgs({
      args: [...rest],
      options: Object.fromEntries(
        Object.entries(options).map(([k, o]) => [
          k,
          { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
    if (parsed.values.help === true) {
      io.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    args = { values: parsed.values, positionals: parsed.positionals };
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr.write(
        `spark-dispatch ${command.name}: ${usageMessage(error as Error, command)}\nRun "spark-dispatch ${command.name} --help" for usage.\n`,
      );
      return EXIT.usage;
    }
    if (error instanceof DispatchError) {
      const hint = error.retryable ? 'This may pass if you try again.' : command.errorHint?.(error, args);
      io.stderr.write(`spark-dispatch ${command.name}: ${error.message}\n${hint ? `  ${hint}\n` : ''}`);
      return EXIT.infrastructure;
    }
    throw error;
  }
}

/**
 * Node's parser says "Unknown option '--tenat'. To specify a positional argument starting with a
 * '-', place it at the end of the command after '--', as in '-- \"--tenat\"" — the second half
 * misleads: an unknown flag is most often a typo. Say which flags there are, and the nearest.
 */
function usageMessage(error: Error, command: Command): string {
  const code = (error as { code?: unknown }).code;
  const unknown = /Unknown option '(-{1,2}[^']*)'/.exec(error.message)?.[1];
  if (code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || unknown === undefined) return error.message;
  const flags = ['help', ...Object.keys(command.options)];
  const near = closest(unknown.replace(/^-+/, ''), flags);
  return `unknown option ${unknown}${near ? ` (did you mean --${near}?)` : ''}; ${command.name} takes ${flags.map((f) => `--${f}`).join(', ')}`;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'spark-dispatch: launch cluster-mode PySpark drivers on Kubernetes from events, without a spark-submit JVM.',
    '',
    'Usage: spark-dispatch <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Every command takes --help; all but ${COMMANDS.filter((c) => !('config' in c.options))
      .map((c) => c.name)
      .join(', ')} take --config FILE (settings).`,
    'Exit codes: 0 ok, 1 invalid input, 2 usage, 3 infrastructure (settings, cluster, storage).',
    '',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const options = { ...command.options, ...HELP_OPTION };
  const flags = Object.entries(options).map(([name, o]) => {
    const short = o.short ? `-${o.short}, ` : '    ';
    const value = o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : '';
    return [`  ${short}--${name}${value}`, o.description] as const;
  });
  const width = Math.max(...flags.map(([f]) => f.length));
  return [
    `Usage: spark-dispatch ${command.name} ${command.usage}`,
    '',
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    ...(command.description ? ['', command.description] : []),
    '',
    'Options:',
    ...flags.map(([f, d]) => `${f.padEnd(width)}  ${d}`),
    ...(command.examples ? ['', 'Examples:', ...command.examples.map((e) => `  ${e}`)] : []),
    '',
  ].join('\n');
}
