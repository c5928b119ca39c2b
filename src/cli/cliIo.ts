import type { TokenCredential } from '@azure/identity';
import type { StoragePipelineOptions } from '@azure/storage-blob';

/** What a command may touch: injected so tests run commands in-process and read their output. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** How commands reach Azure; absent in real use (the sign-in chain, the SDKs' own HTTP, the `az` command). */
  readonly azure?: AzureHooks;
}

/** Stand-ins for what reaches Azure, so that tests need no network and no login. */
export interface AzureHooks {
  /** Replaces the sign-in chain of cliCredential.ts. */
  readonly credential?: TokenCredential;
  /** The storage SDK's HTTP client (a fake server answering requests). */
  readonly httpClient?: StoragePipelineOptions['httpClient'];
  /** Runs the Azure CLI: `az <args>`. */
  readonly az?: AzRunner;
}

export type AzRunner = (args: readonly string[]) => Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }>;

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
