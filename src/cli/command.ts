/**
 * One CLI command: its options (node:util parseArgs syntax), its help text, and `run`.
 * The runner parses flags, handles --help, maps thrown usage errors to exit 2 and DispatchErrors to exit 3.
 */
import type { ParseArgsConfig } from 'node:util';
import type { DispatchError } from '../shared/errors.js';
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
  /** What to do about a permanent DispatchError that `run` throws (main prints it, exit 3); a retryable one gets "This may pass if you try again." */
  errorHint?(error: DispatchError, args: ParsedArgs): string | undefined;
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
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

export interface IntegerBounds {
  readonly min: number;
  readonly max: number;
  /** Named in the error, e.g. "seconds". */
  readonly unit?: string;
}

/**
 * A whole-number option, or `undefined` when absent. Decimal digits only: Number() would also
 * take "", " ", "0x10" and "1e2". The bounds keep values inside what their consumer can use
 * (setInterval, for one, fires at once above 2^31-1 ms).
 */
export function integerOption(args: ParsedArgs, name: string, bounds: IntegerBounds): number | undefined {
  const value = stringOption(args, name);
  if (value === undefined) return undefined;
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!(n >= bounds.min && n <= bounds.max)) {
    throw new UsageError(
      `--${name} must be a whole number${bounds.unit ? ` of ${bounds.unit}` : ''} from ${bounds.min} to ${bounds.max}, not "${value}"`,
    );
  }
  return n;
}
