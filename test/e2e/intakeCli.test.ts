/** `spark-dispatch publish`, `status` and `logs` against the broker and Azurite. */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../dev/servicebus-broker/index.js';
import { recordStep } from '../../src/domain/intake/ledgerRecord.js';
import { blobServiceFor } from '../../src/adapters/blob/blobServiceFor.js';
import { createBlobLedger } from '../../src/adapters/blob/blobLedger.js';
import { kubeconfigYaml } from '../../dev/kube-standin/kubeconfig.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { runCli } from '../support/runCli.js';
import { NO_CREDENTIAL } from '../support/credentials.js';
import { hashKey, jobId } from '../../src/domain/tenant/jobIdentity.js';

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

  it('checks the message as the dispatcher will, and sends nothing invalid (exit 1)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sd-pub-')), 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'bad', main: 'wasb://x@y.blob.core.windows.net/a.py', namespace: 'kube-system' }));
    const before = broker.messages('spark-jobs').length;
    const r = await runCli(['publish', file, '--connection-string', broker.connectionString]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^invalid  .*bad.json: 2 problems$/m);
    expect(r.stderr).toContain('namespace: expected one of the allowed namespaces of tenant default');
    expect(broker.messages('spark-jobs').length).toBe(before);
  });

  it('without a connection it says what to set (exit 3)', async () => {
    const r = await runCli(['publish', 'examples/wordcount/spec.yaml']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Service Bus is not configured');
    expect(r.stderr).toContain('Pass --servicebus NAMESPACE (with `az login`) or --connection-string, or set settings.serviceBus.');
  });
});

describe('spark-dispatch status', () => {
  it('lists the latest jobs and shows one job with its history and reasons', async () => {
    const ledger = createBlobLedger({
      service: blobServiceFor({ accounts: { sparkdispatchdemo: { connectionString: azurite.connectionString } } }, NO_CREDENTIAL),
      settings: { account: 'sparkdispatchdemo', container: 'spark-dispatch-ledger', maxPayloadBytes: 65536 },
    });
    const t = new Date('2026-11-23T10:00:00Z');
    await ledger.update('job-a', (r) =>
      recordStep(
        recordStep(r, 'job-a', { state: 'received' }, t),
        'job-a',
        { state: 'launched', namespace: 'spark-jobs', driverPod: 'a-driver', name: 'a' },
        new Date(t.getTime() + 1000),
      ),
    );
    await ledger.update('job-b', (r) =>
      recordStep(r, 'job-b', { state: 'rejected', reasons: ['main: expected abfss://…'] }, new Date(t.getTime() + 2000)),
    );

    const list = await runCli(['status'], env);
    expect(list.code).toBe(0);
    // Every row says what to type (the id), the name, the namespace and, for a refusal, why.
    expect(list.stdout).toMatch(/^ID\s+UPDATED\s+STATE\s+NAME\s+NAMESPACE\s+JOB KEY\s+WHY$/m);
    const rows = list.stdout.trim().split('\n').slice(1);
    expect(rows[0]).toMatch(new RegExp(`^${jobId('job-b')}\\s+\\S+ \\S+\\s+rejected\\s+-\\s+-\\s+job-b\\s+main: expected abfss://…$`));
    expect(rows[1]).toMatch(new RegExp(`^${jobId('job-a')}\\s+\\S+ \\S+\\s+launched\\s+a\\s+spark-jobs\\s+job-a\\s+-$`));

    // The id finds the job, as the key does.
    const byId = await runCli(['status', jobId('job-a')], env);
    expect(byId.stdout).toContain('job key:   job-a');
    expect(byId.stdout).toContain(`job id:    ${jobId('job-a')}`);

    const one = await runCli(['status', 'job-b'], env);
    expect(one.stdout).toContain('state:     rejected');
    expect(one.stdout).toContain('  - main: expected abfss://…');
    const json = await runCli(['status', 'job-a', '-o', 'json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({
      jobKey: 'job-a',
      state: 'launched',
      history: [{ state: 'received' }, { state: 'launched' }],
    });
  });

  it('an unknown key is exit 1; no ledger configured is exit 3 with what to set', async () => {
    expect((await runCli(['status', 'nope'], env)).code).toBe(1);
    const r = await runCli(['status']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('pass --config FILE with ledger.account, or set SPARK_DISPATCH__ledger__account');
  });
});

describe('spark-dispatch logs', () => {
  // An API server that answers pods/log as a real one does when the log cannot be read.
  const answers: Record<string, { status: number; body: unknown }> = {
    'running-driver': { status: 200, body: 'line 1\nline 2\n' },
    'pending-driver': {
      status: 400,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'BadRequest',
        code: 400,
        message: 'container "spark-kubernetes-driver" in pod "pending-driver" is waiting to start: ContainerCreating',
      },
    },
    'forbidden-driver': {
      status: 403,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message:
          'pods "forbidden-driver" is forbidden: User "dev" cannot get resource "pods/log" in API group "" in the namespace "spark-jobs"',
      },
    },
    'unauthorized-driver': {
      status: 401,
      body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401, message: 'Unauthorized' },
    },
  };
  let api: Server;
  let kubeconfig: string;

  beforeAll(async () => {
    api = createServer((req, res) => {
      const pod = /^\/api\/v1\/namespaces\/spark-jobs\/pods\/([^/]+)\/log/.exec(req.url ?? '')?.[1];
      const answer = (pod && answers[pod]) || {
        status: 404,
        body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `pods "${pod}" not found` },
      };
      res.writeHead(answer.status, { 'content-type': typeof answer.body === 'string' ? 'text/plain' : 'application/json' });
      res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
    });
    await new Promise<void>((done) => api.listen(0, '127.0.0.1', done));
    const { port } = api.address() as { port: number };
    kubeconfig = join(mkdtempSync(join(tmpdir(), 'sd-logs-')), 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(`http://127.0.0.1:${port}`, { namespace: 'spark-jobs' }));
    const ledger = createBlobLedger({
      service: blobServiceFor({ accounts: { sparkdispatchdemo: { connectionString: azurite.connectionString } } }, NO_CREDENTIAL),
      settings: { account: 'sparkdispatchdemo', container: 'spark-dispatch-ledger', maxPayloadBytes: 65536 },
    });
    for (const driverPod of [...Object.keys(answers), 'gone-driver']) {
      await ledger.update(`logs-${driverPod}`, (r) =>
        recordStep(r, `logs-${driverPod}`, { state: 'launched', namespace: 'spark-jobs', driverPod, name: 'x' }, new Date()),
      );
    }
  });
  afterAll(async () => new Promise<void>((done) => (api ? api.close(() => done()) : done())));

  const logs = (driverPod: string) => runCli(['logs', `logs-${driverPod}`, '--kubeconfig', kubeconfig], env);

  it('prints the live log of a running driver', async () => {
    const r = await logs('running-driver');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('line 1\nline 2\n');
  });

  it('a container that has not started (400) has no log yet: exit 1', async () => {
    const r = await logs('pending-driver');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is launched (driver pending-driver), and no log is available yet');
  });

  it('a driver pod that is gone (404) without a saved log: exit 1, no log', async () => {
    const r = await logs('gone-driver');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no log is available yet');
  });

  it.each([
    ['forbidden-driver', 'pods "forbidden-driver" is forbidden: User "dev" cannot get resource "pods/log"'],
    ['unauthorized-driver', 'read the log of pod/unauthorized-driver'],
  ])('a refusal (%s) is an infrastructure failure (exit 3) with the server\'s message, not "no log yet"', async (driverPod, message) => {
    const r = await logs(driverPod);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`spark-dispatch logs: `);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('no log is available');
  });
});

describe('spark-dispatch replay, and status without a ledger record', () => {
  /** A job message that went to the dead-letter queue, as the trigger's last delivery leaves it. */
  async function deadLetter(id: string, jobKey: string): Promise<void> {
    const { ServiceBusClient } = await import('@azure/service-bus');
    const client = new ServiceBusClient(broker.connectionString);
    try {
      await client.createSender('spark-jobs').sendMessages({
        body: { name: 'stuck', main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/x/main.py' },
        messageId: id,
        applicationProperties: { 'sd-job-key': jobKey, 'sd-retries': 9, 'sd-first-failure': '2026-11-23T09:00:00Z' },
      });
      const receiver = client.createReceiver('spark-jobs');
      for (const message of await receiver.receiveMessages(10, { maxWaitTimeInMs: 2_000 })) {
        if (message.messageId === id)
          await receiver.deadLetterMessage(message, {
            deadLetterReason: 'MaxDeliveryCountExceeded',
            deadLetterErrorDescription: 'the API server was down',
          });
        else await receiver.abandonMessage(message);
      }
      await receiver.close();
    } finally {
      await client.close();
    }
  }

  it('lists the dead-lettered job messages with their tenant-scoped key and why', async () => {
    await deadLetter('dlq-1', 'stuck/2026-11-23');
    const r = await runCli(['replay', '--connection-string', broker.connectionString], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^MESSAGE ID\s+JOB KEY\s+DEAD-LETTERED\s+WHY$/m);
    expect(r.stdout).toMatch(/dlq-1\s+default\/stuck\/2026-11-23\s+\S+ \S+\s+MaxDeliveryCountExceeded: the API server was down/);
  });

  it('status finds a job that is not in the ledger on its queue: dead-lettered, with the reason', async () => {
    const r = await runCli(['status', 'stuck/2026-11-23'], { ...env, SERVICEBUS_CONNECTION_STRING: broker.connectionString });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('job key:   default/stuck/2026-11-23');
    expect(r.stdout).toContain('ledger:    no record yet');
    expect(r.stdout).toMatch(/queue:\s+spark-jobs: dead-lettered \(since .*\): MaxDeliveryCountExceeded: the API server was down/);
  });

  it('sends a dead-lettered message again with its key and request id, and a fresh outage budget', async () => {
    const r = await runCli(['replay', 'dlq-1', '--connection-string', broker.connectionString], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sent again to spark-jobs: 1 message (dlq-1)');
    expect(broker.messages('spark-jobs/$deadletterqueue').filter((m) => m.messageId === 'dlq-1')).toHaveLength(0);
    const again = broker.messages('spark-jobs').find((m) => m.applicationProperties['sd-message-id'] === 'dlq-1');
    expect(again?.applicationProperties).toMatchObject({ 'sd-job-key': 'stuck/2026-11-23', 'sd-message-id': 'dlq-1' });
    expect(again?.applicationProperties).not.toHaveProperty('sd-retries');
    expect(again?.applicationProperties).not.toHaveProperty('sd-first-failure');
  });

  it('an id not on the dead-letter queue is named (exit 1)', async () => {
    const r = await runCli(['replay', 'nope', '--connection-string', broker.connectionString], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not on the dead-letter queue of spark-jobs: nope');
  });
});

describe('spark-dispatch submit with a ledger', () => {
  it('tells the launch in the ledger as any job: launching, then launched, with name, namespace and driver', async () => {
    const { standInCluster } = await import('../support/standInCluster.js');
    const kube = await standInCluster();
    try {
      const r = await runCli(['submit', 'examples/wordcount/spec.yaml', '--kubeconfig', kube.kubeconfigPath], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const id = /job id:\s+([0-9a-f]{16})/.exec(r.stdout)?.[1];
      const status = await runCli(['status', id!, '-o', 'json'], env);
      const record = JSON.parse(status.stdout) as {
        state: string;
        name: string;
        namespace: string;
        driverPod: string;
        history: { state: string }[];
        source: { kind: string };
      };
      expect(record).toMatchObject({ state: 'launched', name: 'wordcount', namespace: 'spark-jobs', source: { kind: 'cli' } });
      expect(record.driverPod).toMatch(new RegExp(`^wordcount-${id}-driver$`));
      expect(record.history.map((h) => h.state)).toEqual(['launching', 'launched']);
    } finally {
      await kube.close();
    }
  });
});
