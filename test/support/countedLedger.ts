/**
 * A ledger that writes down which of its calls a request made, in order, around the real one:
 * what tests of the storage cost of a job (one conditional create, no read) assert on.
 */
import type { LedgerPort } from '../../src/usecases/ledgerPort.js';

export function countedLedger(real: LedgerPort): { readonly ledger: LedgerPort; readonly calls: string[] } {
  const calls: string[] = [];
  const ledger: LedgerPort = {
    ...real,
    get: (k) => (calls.push('get'), real.get(k)),
    create: async (k, first) => {
      const holder = await real.create(k, first);
      calls.push(holder === undefined ? `create ${first.state}` : `create refused: held by ${holder.state}`);
      return holder;
    },
    update: (k, change) => (calls.push('update'), real.update(k, change)),
  };
  return { ledger, calls };
}
