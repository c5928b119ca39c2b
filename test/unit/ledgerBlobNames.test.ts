/**
 * The ledger finds a job's record by a name derived from its key. Records written by earlier
 * releases must stay readable, so these names are pinned: the values below were produced by the
 * ledger's own sha256 code before it moved to the shared sha256Hex.
 */
import { describe, expect, it } from 'vitest';
import { ledgerBlobName, logBlobName } from '../../src/adapters/blob/blobLedger.js';

describe('ledger blob names', () => {
  it.each([
    ['sales-2024-06-01', '17eb22e5f522dbc37e2ff6f38db6e0a292861ddf'],
    ['a b/c', '539138d518391ec4fc557ce35c37ead28f89fbf8'],
    ['clé/été ü', '4f33dbcf8e881d2bc929786bd759cc974bfaf636'],
    // sha256 of the empty string: a known value, independent of this code.
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4'],
  ])('%j → jobs/%s.json and logs/%s.log, as before', (jobKey, hash) => {
    expect(ledgerBlobName(jobKey)).toBe(`jobs/${hash}.json`);
    expect(logBlobName(jobKey)).toBe(`logs/${hash}.log`);
  });
});
