import { blobServiceFor } from '../adapters/blob/blobServiceFor.js';
import { createBlobLedger } from '../adapters/blob/blobLedger.js';
import { DispatchError } from '../errors.js';
import type { Settings } from '../settings/settingsSchema.js';
import type { LedgerPort } from '../usecases/ledgerPort.js';

/**
 * The job ledger of the settings. Checks ledger.account itself, although createBlobLedger does
 * too, to name the settings key as a CLI user writes it (main prints a DispatchError, exit 3).
 */
export function cliLedger(settings: Settings): LedgerPort {
  if (!settings.ledger.account) {
    throw new DispatchError('configuration', 'no job ledger is configured. Set settings.ledger.account (and settings.blob.accounts.<account> to reach it).');
  }
  return createBlobLedger({ service: blobServiceFor(settings.blob), settings: settings.ledger });
}
