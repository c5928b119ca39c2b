/** What a command may touch: injected so tests run commands in-process and read their output. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** Exit codes, the same for every command. */
export const EXIT = {
  ok: 0,
  /** A job spec (or another input) is invalid or was refused by policy. */
  invalid: 1,
  /** The command line is wrong. */
  usage: 2,
  /** The environment is wrong or failing: settings, cluster, storage, broker. */
  infrastructure: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
