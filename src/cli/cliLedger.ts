import { createBlobLedger } from '../adapters/blob/blobLedger.js';
import { DispatchError } from '../shared/errors.js';
import { repositoryRoot } from './localState.js';
import type { Settings } from '../settings/settingsSchema.js';
import type { LedgerPort } from '../usecases/ledgerPort.js';
import type { LedgerRecord } from '../domain/intake/ledgerRecord.js';
import { UsageError } from './command.js';
import type { CliAzure } from './cliAzure.js';
import { scopedKey, tenantOfKey, JOB_ID } from '../domain/tenant/jobIdentity.js';

/**
 * The job ledger of the settings, reached as the user (`azure`). Checks ledger.account itself,
 * although createBlobLedger does too, to name the settings key as a CLI user writes it (main
 * prints a DispatchError, exit 3).
 */
export function cliLedger(settings: Settings, azure: CliAzure, cwd: string = process.cwd()): LedgerPort {
  if (!settings.ledger.account) {
    // Most often: the local stack is not running (or runs elsewhere), so the demo settings, without a ledger, apply.
    const root = repositoryRoot(cwd);
    throw new DispatchError(
      'configuration',
      `no job ledger is configured: no local stack is running${root ? ` (start it with \`npm start\` in ${root})` : ''}, and the settings name no ledger (pass --config FILE with ledger.account, or set SPARK_DISPATCH__ledger__account; for a deployment, --storage-account NAME, or --config with the file of \`spark-dispatch settings pull --app NAME\`).`,
    );
  }
  return createBlobLedger({ service: azure.blobService(settings), settings: settings.ledger });
}

/**
 * A job's record by what a user types: the ledger's own key (`<tenant>/<jobKey>`), the job key a
 * request carried, scoped by `--tenant` or, when there is none, by each tenant in turn, or the job's
 * id (a hex prefix of its key's hash, as commands print it and driver names carry it). Two
 * tenants with a job of that key: the user must say which (a UsageError lists them).
 */
export async function findRecord(
  ledger: LedgerPort,
  settings: Settings,
  typed: string,
  tenant: string | undefined,
): Promise<LedgerRecord | undefined> {
  const tenants = tenant !== undefined ? [tenant] : Object.keys(settings.tenants);
  const scoped = tenants.map((t) => scopedKey(t, typed));
  const candidates = [...new Set(tenant !== undefined ? [...scoped, typed] : [typed, ...scoped])];
  let found = (await Promise.all(candidates.map((k) => ledger.get(k)))).filter((r): r is LedgerRecord => r !== undefined);
  // A job id (the hex every command prints, the hash in the driver's name).
  if (found.length === 0 && JOB_ID.test(typed))
    found = (await ledger.byId(typed)).filter((r) => tenant === undefined || tenantOfKey(r.jobKey) === tenant);
  if (found.length > 1 && tenant === undefined && found[0]!.jobKey !== typed) {
    throw new UsageError(
      `${found.length} tenants have a job ${JSON.stringify(typed)}: say which with --tenant, or give the whole key (${found.map((r) => r.jobKey).join(', ')})`,
    );
  }
  return found[0];
}
