/**
 * One CLI command: its options (node:util parseArgs syntax), its help text, and `run`.
 * The runner parses flags, handles --help and --config, and maps thrown usage errors to exit 2.
 */
import type { ParseArgsConfig } from 'node:util';
import type { CliIo, ExitCode } from './cliIo.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & { readonly description: string; readonly valueName?: string };

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** e.g. `FILE… [-o json]` */
  readonly usage: string;
  readonly description?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly examples?: readonly string[];
  run(args: ParsedArgs, io: CliIo): Promise<ExitCode>;
}

/** Thrown by a command for a command-line mistake: exit 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const stringOption = (args: ParsedArgs, name: string): string | undefined => {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
};

export function oneOf<T extends string>(args: ParsedArgs, name: string, allowed: readonly T[], fallback: T): T {
  const value = stringOption(args, name) ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}
