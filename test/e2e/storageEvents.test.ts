/**
 * Storage events end to end: files uploaded to Azurite, Event Grid events built from the
 * documented schema with the files' real eTags, the storage-event function called with a real
 * InvocationContext, drivers in the stand-in, the ledger in Azurite, hand-overs on the broker.
 */
import functions from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStorageEventsHandler } from '../../src/triggers/storageEventsHandler.js';
import { postObject } from '../../dev/kube-standin/postObject.js';
import { driverQuota } from '../../src/domain/render/capacityObjects.js';
import { DispatchError } from '../../src/shared/errors.js';
import { COPY_PENDING } from '../../src/domain/intake/messageProps.js';
import { PROPS } from '../../src/usecases/handleJobMessage.js';
import type { IntakeDeps } from '../../src/usecases/intakeDeps.js';
import { blobCreated } from '../support/blobEvents.js';
import { countedLedger } from '../support/countedLedger.js';
import { eventually } from '../support/eventually.js';
import { intakeEnv, key, QUEUE, type IntakeEnv } from '../support/intakeEnv.js';

let env: IntakeEnv;
let sequence = 0x100;
const logLines: string[] = [];

beforeAll(async () => {
  env = await intakeEnv();
}, 60_000);
afterAll(async () => env?.close());

async function upload(filesystem: string, path: string, content: string): Promise<string> {
  const container = env.blobs.getContainerClient(filesystem);
  await container.createIfNotExists();
  const result = await container.getBlockBlobClient(path).upload(content, Buffer.byteLength(content));
  return result.etag!;
}

/** The same event in the CloudEvents 1.0 schema. */
function asCloudEvent(e: ReturnType<typeof blobCreated>) {
  return { specversion: '1.0', id: e.id, source: e.topic, subject: e.subject.slice(1), type: e.eventType, time: e.eventTime, data: e.data };
}

function deliver(events: unknown[], deps: IntakeDeps = env.runtime.deps) {
  const context = new functions.InvocationContext({
    invocationId: `inv-${++sequence}`,
    functionName: 'storageEvents',
    logHandler: (_level, ...args) => logLines.push(args.map(String).join(' ')),
  });
  return makeStorageEventsHandler(async () => deps)(events as never, context);
}

// The ledger knows every job by its tenant's key: <tenant>/<key the event gives>.
const ledger = (jobKey: string) => env.runtime.deps.ledger.get(key(jobKey));
const drivers = () =>
  env.kube.standIn.objects('pods', 'spark-jobs').filter((p) => (p.metadata.labels as Record<string, string>)['spark-role'] === 'driver');
const uploadKey = (path: string, eTag: string) =>
  `upload:https://sparkdispatchdemo.dfs.core.windows.net/jobs/${path}#${eTag.replace(/"/g, '')}`;

describe('script uploads', () => {
  it('main.py uploaded last launches the job, with job.yaml and py-files read from beside it', async () => {
    await upload(
      'jobs',
      'uploads/wordcount/job.yaml',
      'args: [abfss://data@sparkdispatchdemo.dfs.core.windows.net/books/]\npyFiles: [lib/helpers.zip]\ndriver: { memory: 1g }\nlabels: { team: analytics }\n',
    );
    await upload('jobs', 'uploads/wordcount/lib/helpers.zip', 'PK...');
    const eTag = await upload('jobs', 'uploads/wordcount/main.py', 'print("count words")\n');
    await deliver([blobCreated('jobs', 'uploads/wordcount/main.py', eTag)]);

    const record = await ledger(uploadKey('uploads/wordcount/main.py', eTag));
    expect(record).toMatchObject({ state: 'launched', name: 'wordcount', source: { kind: 'script-upload' } });
    const pod = drivers().find((p) => p.metadata.name === record?.driverPod)!;
    const spec = pod.spec as { containers: { args: string[]; resources: { limits: { memory: string } } }[] };
    expect(spec.containers[0]!.args.slice(5)).toEqual([
      'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/uploads/wordcount/main.py',
      'abfss://data@sparkdispatchdemo.dfs.core.windows.net/books/',
    ]);
    expect(spec.containers[0]!.resources.limits.memory).toBe('1433Mi');
    expect((pod.metadata.labels as Record<string, string>).team).toBe('analytics');
    const conf = env.kube.standIn
      .objects('configmaps', 'spark-jobs')
      .find(
        (c) =>
          c.metadata.name?.startsWith('spark-drv-') &&
          (c.metadata.ownerReferences as { name: string }[] | undefined)?.[0]?.name === pod.metadata.name,
      )!;
    expect((conf.data as Record<string, string>)['spark.properties']).toContain(
      'spark.submit.pyFiles=abfss\\://jobs@sparkdispatchdemo.dfs.core.windows.net/uploads/wordcount/lib/helpers.zip',
    );
  });

  it('py-files beside an upload in a sovereign cloud are loaded from that cloud, as main.py is', async () => {
    await upload('jobs', 'uploads/gov/job.yaml', 'pyFiles: [lib/helpers.zip, ./more.py]\n');
    const eTag = await upload('jobs', 'uploads/gov/main.py', 'print("gov")\n');
    await deliver([blobCreated('jobs', 'uploads/gov/main.py', eTag, { cloud: 'core.usgovcloudapi.net' })]);
    const record = await ledger(
      `upload:https://sparkdispatchdemo.dfs.core.usgovcloudapi.net/jobs/uploads/gov/main.py#${eTag.replace(/"/g, '')}`,
    );
    expect(record).toMatchObject({ state: 'launched', name: 'gov' });
    const pod = drivers().find((p) => p.metadata.name === record?.driverPod)!;
    const conf = env.kube.standIn
      .objects('configmaps', 'spark-jobs')
      .find((c) => (c.metadata.ownerReferences as { name: string }[] | undefined)?.[0]?.name === pod.metadata.name)!;
    const properties = (conf.data as Record<string, string>)['spark.properties'];
    expect(properties).toContain(
      'spark.submit.pyFiles=abfss\\://jobs@sparkdispatchdemo.dfs.core.usgovcloudapi.net/uploads/gov/lib/helpers.zip,abfss\\://jobs@sparkdispatchdemo.dfs.core.usgovcloudapi.net/uploads/gov/more.py',
    );
    expect((pod.spec as { containers: { args: string[] }[] }).containers[0]!.args).toContain(
      'abfss://jobs@sparkdispatchdemo.dfs.core.usgovcloudapi.net/uploads/gov/main.py',
    );
  });

  it('a redelivered event (same URL and eTag) does not launch again, even through the dfs host or the CloudEvents schema', async () => {
    const eTag = await upload('jobs', 'uploads/again/main.py', 'print(1)\n');
    const event = blobCreated('jobs', 'uploads/again/main.py', eTag);
    await deliver([event]);
    const before = drivers().length;
    await deliver([event]);
    await deliver([blobCreated('jobs', 'uploads/again/main.py', eTag, { host: 'dfs' })]);
    await deliver([asCloudEvent(event)]);
    expect(drivers().length).toBe(before);
    const record = await ledger(uploadKey('uploads/again/main.py', eTag));
    expect(record?.history.map((h) => h.state)).toEqual(['launching', 'launched']);
  });

  it('a Data Lake upload fires CreateFile then FlushWithClose: one job', async () => {
    const eTag = await upload('jobs', 'uploads/dl/main.py', 'print(2)\n');
    const before = drivers().length;
    await deliver([
      blobCreated('jobs', 'uploads/dl/main.py', '0x8DC0000000000001', { api: 'CreateFile', contentLength: 0, host: 'dfs' }),
      blobCreated('jobs', 'uploads/dl/main.py', eTag, { api: 'FlushWithClose', contentLength: 9, host: 'dfs' }),
    ]);
    expect(drivers().length).toBe(before + 1);
  });

  it('an event for a main.py that was uploaded again since is superseded: only the current version runs', async () => {
    const old = await upload('jobs', 'uploads/twice/main.py', 'print("v1")\n');
    const current = await upload('jobs', 'uploads/twice/main.py', 'print("v2")\n');
    const before = drivers().length;
    await deliver([blobCreated('jobs', 'uploads/twice/main.py', old)]);
    expect(drivers().length).toBe(before);
    expect(logLines.some((l) => l.includes('superseded'))).toBe(true);
    await deliver([blobCreated('jobs', 'uploads/twice/main.py', current)]);
    expect(drivers().length).toBe(before + 1);
  });

  it('a job.yaml that sets main or jobKey is rejected with the reason', async () => {
    await upload('jobs', 'uploads/sneaky/job.yaml', 'jobKey: fixed\n');
    const eTag = await upload('jobs', 'uploads/sneaky/main.py', 'print(3)\n');
    await deliver([blobCreated('jobs', 'uploads/sneaky/main.py', eTag)]);
    const record = await ledger(uploadKey('uploads/sneaky/main.py', eTag));
    expect(record?.state).toBe('rejected');
    expect(record?.reasons).toEqual(['uploads/sneaky/job.yaml: the job key is the upload itself (URL + eTag); remove jobKey']);
  });

  it('a job file over 64 KiB, not UTF-8, or a directory is refused and recorded, and the batch succeeds', async () => {
    const container = env.blobs.getContainerClient('jobs');
    const big = `args: [${Array.from({ length: 9000 }, (_, i) => `"a${i}"`).join(', ')}]\n`;
    await upload('jobs', 'uploads/big-sidecar/job.yaml', big);
    const latin1 = Buffer.from('name: café\n', 'latin1');
    await container.getBlockBlobClient('uploads/latin1-sidecar/job.yaml').upload(latin1, latin1.length);
    await container.getBlockBlobClient('uploads/folder-sidecar/job.yaml').upload('', 0, { metadata: { hdi_isfolder: 'true' } });
    const folders = ['big-sidecar', 'latin1-sidecar', 'folder-sidecar'];
    const eTags = await Promise.all(folders.map((f) => upload('jobs', `uploads/${f}/main.py`, 'print(4)\n')));
    const before = drivers().length;
    await deliver(folders.map((f, i) => blobCreated('jobs', `uploads/${f}/main.py`, eTags[i]!)));
    const records = await Promise.all(folders.map((f, i) => ledger(uploadKey(`uploads/${f}/main.py`, eTags[i]!))));
    expect(records.map((r) => [r?.state, r?.reasons])).toEqual([
      [
        'rejected',
        [
          `uploads/big-sidecar/job.yaml: (file): expected a job file of at most 64 KiB, found ${Math.ceil(Buffer.byteLength(big) / 1024)} KiB`,
        ],
      ],
      [
        'rejected',
        [
          'uploads/latin1-sidecar/job.yaml: (file): expected a job file in UTF-8 text, found bytes that are not UTF-8 (from byte 9, 0xe9) (save it as UTF-8 text)',
        ],
      ],
      [
        'rejected',
        [
          "uploads/folder-sidecar/job.yaml: (file): expected a job file (job.yaml, job.yml, job.json beside main.py holds the job's fields), found a directory named job.yaml",
        ],
      ],
    ]);
    expect(drivers().length).toBe(before);
  });

  it('only a storage outage fails the batch: reading job.yaml fails, the event comes again', async () => {
    const eTag = await upload('jobs', 'uploads/outage/main.py', 'print(5)\n');
    const down: IntakeDeps = {
      ...env.runtime.deps,
      files: {
        ...env.runtime.deps.files,
        readText: async () => {
          throw new DispatchError('unavailable', 'storage answered 503');
        },
      },
    };
    await expect(deliver([blobCreated('jobs', 'uploads/outage/main.py', eTag)], down)).rejects.toThrow(
      /could not be handled.*storage answered 503/,
    );
    expect(await ledger(uploadKey('uploads/outage/main.py', eTag))).toBeUndefined();
    await deliver([blobCreated('jobs', 'uploads/outage/main.py', eTag)]);
    expect((await ledger(uploadKey('uploads/outage/main.py', eTag)))?.state).toBe('launched');
  });

  it('events for paths nobody watches are ignored, and logged as ignored', async () => {
    const before = drivers().length;
    const eTag = await upload('data', 'scratch/notes.txt', 'x');
    await deliver([blobCreated('data', 'scratch/notes.txt', eTag)]);
    expect(drivers().length).toBe(before);
    const line = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.message === 'storage event ignored' && String(l.reason).includes('scratch/notes.txt'));
    expect(line).toMatchObject({
      reason: 'no script-upload folder or landing rule watches data/scratch/notes.txt',
      invocationId: expect.any(String),
    });
  });
});

describe('data-landing rules', () => {
  it('a _SUCCESS marker starts one job for the committed dataset; its part files start nothing', async () => {
    const folder = 'raw/orders/date=2026-11-22';
    const before = drivers().length;
    const parts = await Promise.all([0, 1, 2].map((i) => upload('data', `${folder}/part-0000${i}.parquet`, 'PAR1')));
    const marker = await upload('data', `${folder}/_SUCCESS`, '');
    await deliver([
      ...parts.map((e, i) => blobCreated('data', `${folder}/part-0000${i}.parquet`, e)),
      blobCreated('data', `${folder}/_SUCCESS`, marker, { contentLength: 0 }),
    ]);
    expect(drivers().length).toBe(before + 1);
    const ruleKey = `rule:orders-landed:https://sparkdispatchdemo.dfs.core.windows.net/data/${folder}/_SUCCESS#${marker.replace(/"/g, '')}`;
    const record = await ledger(ruleKey);
    expect(record).toMatchObject({ state: 'launched', name: 'ingest-_SUCCESS', source: { kind: 'data-landing' } });
    const pod = drivers().find((p) => p.metadata.name === record?.driverPod)!;
    expect((pod.spec as { containers: { args: string[] }[] }).containers[0]!.args.slice(6)).toEqual([
      `abfss://data@sparkdispatchdemo.dfs.core.windows.net/${folder}/`,
      '2026-11-22',
    ]);
  });

  it('a marker claims its key with one conditional create and no read; its redelivery finds the key held and launches nothing', async () => {
    const folder = 'raw/orders/date=2026-11-23';
    const marker = await upload('data', `${folder}/_SUCCESS`, '');
    const ruleKey = `rule:orders-landed:https://sparkdispatchdemo.dfs.core.windows.net/data/${folder}/_SUCCESS#${marker.replace(/"/g, '')}`;
    const { ledger: counted, calls } = countedLedger(env.runtime.deps.ledger);
    const event = blobCreated('data', `${folder}/_SUCCESS`, marker, { contentLength: 0 });
    const before = drivers().length;
    await deliver([event], { ...env.runtime.deps, ledger: counted });
    expect(calls).toEqual(['create launching', 'update']);
    calls.length = 0;
    await deliver([{ ...event, id: `${event.id}-again` }], { ...env.runtime.deps, ledger: counted });
    expect(calls).toEqual(['create refused: held by launched']);
    expect(drivers().length).toBe(before + 1);
    expect((await ledger(ruleKey))?.history.map((h) => h.state)).toEqual(['launching', 'launched']);
  });

  it("an upload's record is still read first: a repeated event reads neither the job file nor the record twice", async () => {
    const eTag = await upload('jobs', 'uploads/read-first/main.py', 'print("x")\n');
    const { ledger: counted, calls } = countedLedger(env.runtime.deps.ledger);
    const event = blobCreated('jobs', 'uploads/read-first/main.py', eTag);
    await deliver([event], { ...env.runtime.deps, ledger: counted });
    expect(calls).toEqual(['get', 'update', 'update']);
    calls.length = 0;
    await deliver([event], { ...env.runtime.deps, ledger: counted });
    expect(calls).toEqual(['get']);
    expect((await ledger(uploadKey('uploads/read-first/main.py', eTag)))?.state).toBe('launched');
  });
});

describe('item 13: CopyBlob events through the real adapter and the queue', () => {
  /** Copies a blob in Azurite (Copy Blob completes at once there) and says what Get Blob Properties reports. */
  async function copyInto(path: string, content: string) {
    const container = env.blobs.getContainerClient('jobs');
    await upload('jobs', `sources/${path}`, content);
    const poller = await container.getBlockBlobClient(path).beginCopyFromURL(container.getBlockBlobClient(`sources/${path}`).url);
    const done = await poller.pollUntilDone();
    const properties = await container.getBlockBlobClient(path).getProperties();
    return { eTag: done.etag!, copyId: properties.copyId!, copyStatus: properties.copyStatus };
  }

  it('a CopyBlob event whose copy is complete launches the job, known by the copy id Get Blob Properties reports', async () => {
    const path = 'uploads/copied/main.py';
    const { eTag, copyId, copyStatus } = await copyInto(path, 'print("copied")\n');
    expect(copyStatus).toBe('success');
    const before = drivers().length;
    // The event as a hierarchical-namespace account sends it when the copy starts: the empty blob's eTag.
    await deliver([blobCreated('jobs', path, '0x8DC0000000C0FFEE', { api: 'CopyBlob', contentLength: 0 })]);
    const record = await ledger(`upload:https://sparkdispatchdemo.dfs.core.windows.net/jobs/${path}#copy:${copyId}`);
    expect(record).toMatchObject({ state: 'launched', name: 'copied' });
    expect(drivers().length).toBe(before + 1);
    // The copy's own eTag: the event of a copy that completed before it was sent names the same job.
    await deliver([blobCreated('jobs', path, eTag, { api: 'CopyBlob' })]);
    expect(drivers().length).toBe(before + 1);
  });

  it("a look again on the tenant's queue (a copy that was pending) is handled by the job-message function under the local host", async () => {
    const path = 'uploads/copied-later/main.py';
    const { copyId } = await copyInto(path, 'print("later")\n');
    const host = env.startHost();
    try {
      await env.send(blobCreated('jobs', path, '0x8DC0000000C0FFEF', { api: 'CopyBlob', contentLength: 0 }), 'look-again-1', {
        [PROPS.storageEvent]: COPY_PENDING,
        [PROPS.rechecks]: 1,
      });
      await eventually(
        async () =>
          expect((await ledger(`upload:https://sparkdispatchdemo.dfs.core.windows.net/jobs/${path}#copy:${copyId}`))?.state).toBe(
            'launched',
          ),
        15_000,
      );
      await eventually(() => expect(host.settled.completed).toBeGreaterThanOrEqual(1));
    } finally {
      await host.close();
    }
  });
});

describe('durability', () => {
  it('a batch in which one event fails is failed whole; on redelivery the handled events do not launch again', async () => {
    const a = await upload('jobs', 'uploads/batch-a/main.py', 'print("a")\n');
    const b = await upload('jobs', 'uploads/batch-b/main.py', 'print("b")\n');
    const events = [blobCreated('jobs', 'uploads/batch-a/main.py', a), blobCreated('jobs', 'uploads/batch-b/main.py', b)];
    // The ledger fails for job b only: a is launched and recorded, b cannot be made durable.
    const bKey = key(uploadKey('uploads/batch-b/main.py', b));
    const flaky: IntakeDeps = {
      ...env.runtime.deps,
      ledger: {
        ...env.runtime.deps.ledger,
        get: async (k) => {
          if (k === bKey) throw new Error('ledger unavailable');
          return env.runtime.deps.ledger.get(k);
        },
      },
    };
    const before = drivers().length;
    await expect(deliver(events, flaky)).rejects.toThrow(/1 of 2 storage event\(s\) could not be handled/);
    expect(drivers().length).toBe(before + 1);
    await deliver(events); // Event Grid delivers the whole batch again
    expect(drivers().length).toBe(before + 2);
    expect((await ledger(uploadKey('uploads/batch-a/main.py', a)))?.history.map((h) => h.state)).toEqual(['launching', 'launched']);
  });

  it('when the cluster is full, the job is handed to the Service Bus queue (durable) and recorded as queued', async () => {
    await postObject(
      env.kube.standIn.url,
      '/api/v1/namespaces/spark-jobs/resourcequotas',
      driverQuota('spark-jobs', 'spark-dispatch-driver', 0),
    );
    const eTag = await upload('jobs', 'uploads/full/main.py', 'print("wait")\n');
    await deliver([blobCreated('jobs', 'uploads/full/main.py', eTag)]);
    const requested = uploadKey('uploads/full/main.py', eTag);
    const record = await ledger(requested);
    expect(record?.state).toBe('queued');
    expect(record?.history.at(-1)?.detail).toMatch(/^handed to the job queue \(deferred: pods ".*" is forbidden: exceeded quota/);
    // On the tenant's own queue, with the key the message path scopes by that queue's tenant again.
    const queued = env.broker.messages(QUEUE).find((m) => m.applicationProperties[PROPS.jobKey] === requested);
    expect(queued?.body).toMatchObject({
      name: 'full',
      main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/uploads/full/main.py',
      jobKey: requested,
    });
    // A second delivery of the event does not queue it twice.
    await deliver([blobCreated('jobs', 'uploads/full/main.py', eTag)]);
    expect(env.broker.messages(QUEUE).filter((m) => m.applicationProperties[PROPS.jobKey] === requested)).toHaveLength(1);
  });
});
