/** `spark-dispatch publish` and `status` against the broker and Azurite. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { hashKey } from '../../src/domain/render/naming.js';
import { recordStep } from '../../src/domain/intake/ledgerRecord.js';
import { blobServiceFor } from '../../src/adapters/blob/blobServiceFor.js';
import { createBlobLedger } from '../../src/adapters/blob/blobLedger.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { runCli } from '../support/runCli.js';

let broker: Broker;
let azurite: Azurite;
let env: Record<string, string>;

beforeAll(async () => {
  [broker, azurite] = await Promise.all([startBroker({ queues: { 'spark-jobs': {} } }), startAzurite()]);
  env = {
    SPARK_DISPATCH__blob__accounts__sparkdispatchdemo__connectionString: azurite.connectionString,
    SPARK_DISPATCH__ledger__account: 'sparkdispatchdemo',
  };
}, 60_000);
afterAll(async () => Promise.all([broker?.close(), azurite?.close()]));

describe('spark-dispatch publish', () => {
  it('sends the file as a job message; a jobKey gives a deterministic message id', async () => {
    const r = await runCli(['publish', 'examples/messages/inline-script.json', '--connection-string', broker.connectionString]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const id = hashKey('adhoc-count/2026-11-23T10:00');
    expect(r.stdout).toContain(`published message ${id} to queue spark-jobs`);
    const sent = broker.messages('spark-jobs').find((m) => m.messageId === id);
    expect(sent?.body).toMatchObject({ name: 'adhoc-count', script: { fileName: 'main_script.py' } });
    expect(sent?.subject).toBe('job');
  });

  it('without a connection it says what to set (exit 3)', async () => {
    const r = await runCli(['publish', 'examples/wordcount/job.yaml']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Service Bus is not configured');
    expect(r.stderr).toContain('Pass --connection-string or set settings.serviceBus.');
  });
});

describe('spark-dispatch status', () => {
  it('lists the latest jobs and shows one job with its history and reasons', async () => {
    const ledger = createBlobLedger({ service: blobServiceFor({ accounts: { sparkdispatchdemo: { connectionString: azurite.connectionString } } }), settings: { account: 'sparkdispatchdemo', container: 'spark-dispatch-ledger', maxPayloadBytes: 65536 } });
    const t = new Date('2026-11-23T10:00:00Z');
    await ledger.update('job-a', (r) => recordStep(recordStep(r, 'job-a', { state: 'received' }, t), 'job-a', { state: 'launched', namespace: 'spark-jobs', driverPod: 'a-driver', name: 'a' }, new Date(t.getTime() + 1000)));
    await ledger.update('job-b', (r) => recordStep(r, 'job-b', { state: 'rejected', reasons: ['main: expected abfss://…'] }, new Date(t.getTime() + 2000)));

    const list = await runCli(['status'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^UPDATED\s+STATE\s+NAMESPACE\s+DRIVER\s+JOB KEY$/m);
    const rows = list.stdout.trim().split('\n').slice(1);
    expect(rows[0]).toMatch(/rejected\s+-\s+-\s+job-b$/);
    expect(rows[1]).toMatch(/launched\s+spark-jobs\s+a-driver\s+job-a$/);

    const one = await runCli(['status', 'job-b'], env);
    expect(one.stdout).toContain('state:     rejected');
    expect(one.stdout).toContain('  - main: expected abfss://…');
    const json = await runCli(['status', 'job-a', '-o', 'json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ jobKey: 'job-a', state: 'launched', history: [{ state: 'received' }, { state: 'launched' }] });
  });

  it('an unknown key is exit 1; no ledger configured is exit 3 with what to set', async () => {
    expect((await runCli(['status', 'nope'], env)).code).toBe(1);
    const r = await runCli(['status']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Set settings.ledger.account');
  });
});
