import type { LaunchOutcome } from '../usecases/launchOutcome.js';
import { EXIT, type ExitCode } from './cliIo.js';
import { jobId } from '../domain/tenant/jobIdentity.js';

const refText = (r: { kind: string; name: string }) => `${r.kind.toLowerCase()}/${r.name}`;

/** The job's id (short, typeable: `status ID`) and its key, as every command that starts a job prints them. */
export const ids = (jobKey: string): string =>
  `  job id:  ${jobId(jobKey)}   (spark-dispatch status ${jobId(jobKey)})\n  job key: ${jobKey}\n`;

export function formatOutcome(outcome: LaunchOutcome): string {
  switch (outcome.kind) {
    case 'launched':
      return `launched${outcome.dryRun ? ' (dry run: nothing was stored)' : ''}  ${outcome.namespace}/${outcome.driverPod}\n  created: ${outcome.created.map(refText).join(', ')}\n${ids(outcome.jobKey)}`;
    case 'already-launched':
      return `already launched  ${outcome.namespace}/${outcome.driverPod}\n${ids(outcome.jobKey)}${outcome.created.length > 0 ? `  completed a half-done launch: ${outcome.created.map(refText).join(', ')}\n` : ''}`;
    case 'deferred':
      return `deferred  ${outcome.namespace}/${outcome.driverPod}: the cluster has no room now\n  ${outcome.reason}\n  Try again later; jobs sent through the queue wait and retry by themselves.\n`;
    case 'rejected':
      return `rejected${outcome.namespace ? `  ${outcome.namespace}` : ''}\n${outcome.reasons.map((r) => `  - ${r}\n`).join('')}`;
  }
}

/** launched and already-launched are success; a refusal is invalid input; a deferral means the cluster is full. */
export function outcomeExitCode(outcome: LaunchOutcome): ExitCode {
  if (outcome.kind === 'rejected') return EXIT.invalid;
  if (outcome.kind === 'deferred') return EXIT.infrastructure;
  return EXIT.ok;
}
