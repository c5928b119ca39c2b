/**
 * Issue "Spark and Azure fidelity", item 13: `CopyBlob` events on hierarchical-namespace accounts
 * fire when the copy starts; nothing launches until the copy is complete, and SFTP uploads start
 * jobs on `SftpCommit`.
 *
 * What the sources say (Microsoft's docs): "If clients use the CopyBlob operation on accounts that
 * have the hierarchical namespace feature enabled on them … the Microsoft.Storage.BlobCreated event
 * is triggered when the CopyBlob operation is initiated and not when the Block Blob is completely
 * committed" (Azure Blob Storage as an Event Grid source); Copy Blob "can complete asynchronously
 * … call Get Blob or Get Blob Properties on the destination blob to check the status of the copy
 * operation" (x-ms-copy-status: pending, success, aborted, failed; a 2-week timeout), and "the ETag
 * for a block blob changes when the Copy Blob operation is initiated and when the copy finishes".
 * No event is documented for the end of the copy, so a pending copy's event is handed to the
 * tenant's queue and looked at again. SFTP: "SFTP uploads will generate 2 events. One SftpCreate
 * for an initial empty blob created when opening the file and one SftpCommit when the file
 * contents are written."
 *
 * The use case runs on in-memory ports with a small in-memory cluster.
 */
import { describe, expect, it } from 'vitest';
import { COPY_PENDING, PROPS } from '../../src/domain/intake/messageProps.js';
import type { KubeObject } from '../../src/domain/render/kubeObjects.js';
import { DispatchError } from '../../src/shared/errors.js';
import { refOf, type ClusterPort, type ObjectRef, type StoredObject } from '../../src/usecases/clusterPort.js';
import { handleJobMessage } from '../../src/usecases/handleJobMessage.js';
import { handleStorageEvents } from '../../src/usecases/handleStorageEvents.js';
import type { OutgoingMessage } from '../../src/usecases/queuePort.js';
import { blobCreated } from '../support/blobEvents.js';
import { settingsWith } from '../support/fixtures.js';
import { memoryDeps, type MemoryDeps } from '../support/memoryPorts.js';

const ACCOUNT = 'sparkdispatchdemo';
const DFS = `https://${ACCOUNT}.dfs.core.windows.net`;
const SETTINGS = settingsWith({
  intake: {
    scriptUploads: [{ account: ACCOUNT, filesystem: 'jobs', prefix: 'uploads/' }],
    rules: [{ name: 'orders-landed', filesystem: 'data', path: 'orders/**/*.csv', template: 'ingest' }],
    templates: { ingest: { name: 'ingest', main: `abfss://jobs@${ACCOUNT}.dfs.core.windows.net/ingest/main.py`, args: ['{url}'] } },
  },
});
// blobCreated's events happen at 2026-11-22T23:59:58Z; memoryDeps' clock says 2026-11-23T10:00:00Z.
const EVENT_TIME = Date.parse('2026-11-22T23:59:58.123Z');

/** Just enough of a Kubernetes API for launchJob: objects by kind/namespace/name, with uids. */
function memoryCluster() {
  const objects = new Map<string, StoredObject>();
  let uid = 0;
  const at = (r: ObjectRef) => `${r.kind}/${r.namespace}/${r.name}`;
  const port: ClusterPort = {
    async create(object: KubeObject) {
      const ref = refOf(object);
      if (objects.has(at(ref))) throw new DispatchError('already-exists', `${ref.kind} ${ref.name} already exists`, { status: 409 });
      const stored = { ...object, metadata: { ...object.metadata, uid: `uid-${++uid}` } } as StoredObject;
      objects.set(at(ref), stored);
      return stored;
    },
    read: async (ref) => objects.get(at(ref)),
    remove: async (ref) => objects.delete(at(ref)),
    list: async () => ({ items: [...objects.values()] }),
    readLog: async () => undefined,
  };
  return { port, drivers: () => [...objects.values()].filter((o) => o.kind === 'Pod') };
}

function setup(now?: Date) {
  const cluster = memoryCluster();
  const base = memoryDeps(SETTINGS);
  const deps: MemoryDeps = { ...base, cluster: async () => cluster.port, random: () => 0.5, ...(now ? { now: () => now } : {}) };
  return { deps, cluster };
}

const at = (filesystem: string, path: string) => ({ account: ACCOUNT, filesystem, path });
const copyEvent = (filesystem: string, path: string, eTag: string) =>
  blobCreated(filesystem, path, eTag, { api: 'CopyBlob', contentLength: 0 });
const uploadKey = (path: string, copyId: string) => `default/upload:${DFS}/jobs/${path}#copy:${copyId}`;

/** The scheduled look again, delivered as the Functions host would deliver it to the job-message function. */
function lookAgain(deps: MemoryDeps, message: OutgoingMessage) {
  return handleJobMessage(
    {
      body: message.body,
      queue: message.queue,
      messageId: message.messageId,
      deliveryCount: 1,
      applicationProperties: message.applicationProperties,
    },
    deps,
  );
}

describe('item 13: CopyBlob events launch only once the copy is complete', () => {
  it("a copy still pending starts nothing: the event goes to the tenant's queue, to be looked at again", async () => {
    const { deps, cluster } = setup();
    const eTag = deps.files.putCopy(at('jobs', 'uploads/weekly/main.py'), { id: 'copy-1', status: 'pending' });
    const event = copyEvent('jobs', 'uploads/weekly/main.py', eTag);

    const results = await handleStorageEvents([event], deps);
    expect(results).toEqual([
      {
        eventId: event.id,
        jobKey: uploadKey('uploads/weekly/main.py', 'copy-1'),
        outcome: 'waiting',
        reason: expect.stringMatching(
          /^the copy into jobs\/uploads\/weekly\/main\.py is still pending \(x-ms-copy-status: pending, copy id copy-1\): nothing starts before it completes; looked at again at /,
        ),
      },
    ]);
    expect(cluster.drivers()).toHaveLength(0);
    expect(await deps.ledger.get(uploadKey('uploads/weekly/main.py', 'copy-1'))).toBeUndefined();
    expect(deps.scheduled).toHaveLength(1);
    const { message, at: when } = deps.scheduled[0]!;
    expect(message).toMatchObject({
      queue: 'spark-jobs',
      body: event,
      messageId: expect.stringMatching(/^[0-9a-f]{32}~c1$/),
      subject: 'storage-event',
      applicationProperties: {
        [PROPS.storageEvent]: COPY_PENDING,
        [PROPS.rechecks]: 1,
        [PROPS.jobKey]: `upload:${DFS}/jobs/uploads/weekly/main.py#copy:copy-1`,
      },
    });
    // intake.copyWait: 30 s the first time (±20 %).
    expect(when.getTime() - deps.now().getTime()).toBe(30_000);
  });

  it('once the copy completes, the look again launches the job, once, known by its copy', async () => {
    const { deps, cluster } = setup();
    const path = 'uploads/weekly/main.py';
    const eTag = deps.files.putCopy(at('jobs', path), { id: 'copy-2', status: 'pending' });
    const event = copyEvent('jobs', path, eTag);
    await handleStorageEvents([event], deps);
    // The copy completes: new content, new eTag, the same copy id.
    deps.files.putCopy(at('jobs', path), { id: 'copy-2', status: 'success' }, 'print("weekly")\n');

    const result = await lookAgain(deps, deps.scheduled[0]!.message);
    expect(result).toMatchObject({
      kind: 'storage-event',
      jobKey: uploadKey(path, 'copy-2'),
      results: [{ outcome: 'launched', jobKey: uploadKey(path, 'copy-2') }],
    });
    const record = await deps.ledger.get(uploadKey(path, 'copy-2'));
    expect(record).toMatchObject({ state: 'launched', name: 'weekly', source: { kind: 'script-upload', ref: `${DFS}/jobs/${path}` } });
    expect(cluster.drivers()).toHaveLength(1);

    // Event Grid delivers the start event again, the look again comes twice: still one job.
    expect((await handleStorageEvents([event], deps))[0]).toMatchObject({ outcome: 'duplicate' });
    expect((await lookAgain(deps, deps.scheduled[0]!.message)) as { results: unknown }).toMatchObject({
      results: [{ outcome: 'duplicate' }],
    });
    expect(cluster.drivers()).toHaveLength(1);
  });

  it('a copy still pending when looked at again is looked at again later, with a growing delay', async () => {
    const { deps } = setup();
    const eTag = deps.files.putCopy(at('jobs', 'uploads/slow/main.py'), { id: 'copy-3', status: 'pending' });
    await handleStorageEvents([copyEvent('jobs', 'uploads/slow/main.py', eTag)], deps);
    await lookAgain(deps, deps.scheduled[0]!.message);
    await lookAgain(deps, deps.scheduled[1]!.message);
    expect(
      deps.scheduled.map((s) => [
        s.message.messageId.slice(-3),
        s.message.applicationProperties[PROPS.rechecks],
        s.at.getTime() - deps.now().getTime(),
      ]),
    ).toEqual([
      ['~c1', 1, 30_000],
      ['~c2', 2, 60_000],
      ['~c3', 3, 120_000],
    ]);
  });

  it('a copy that completed before its event was read launches at once, though the event shows the empty blob the copy began with', async () => {
    const { deps, cluster } = setup();
    const path = 'uploads/quick/main.py';
    const started = deps.files.putCopy(at('jobs', path), { id: 'copy-4', status: 'pending' });
    deps.files.putCopy(at('jobs', path), { id: 'copy-4', status: 'success' }, 'print("quick")\n');
    const results = await handleStorageEvents([copyEvent('jobs', path, started)], deps);
    expect(results).toMatchObject([{ outcome: 'launched', jobKey: uploadKey(path, 'copy-4') }]);
    expect(deps.scheduled).toHaveLength(0);
    expect(cluster.drivers()).toHaveLength(1);
  });

  it('two CopyBlob events that reach the same copy are one job', async () => {
    const { deps, cluster } = setup();
    const path = 'uploads/twice/main.py';
    const first = deps.files.putCopy(at('jobs', path), { id: 'copy-5', status: 'success' }, 'print(1)\n');
    const results = await handleStorageEvents([copyEvent('jobs', path, first), copyEvent('jobs', path, '0x8DC0000000000BAD')], deps);
    expect(results.map((r) => r.outcome)).toEqual(['launched', 'duplicate']);
    expect(cluster.drivers()).toHaveLength(1);
  });

  it("a data file copied under a landing rule waits the same way; the rule's job starts when the copy completes", async () => {
    const { deps, cluster } = setup();
    const path = 'orders/2026/11/22/eu.csv';
    const eTag = deps.files.putCopy(at('data', path), { id: 'copy-6', status: 'pending' });
    expect(await handleStorageEvents([copyEvent('data', path, eTag)], deps)).toMatchObject([
      { outcome: 'waiting', jobKey: `default/rule:orders-landed:${DFS}/data/${path}#copy:copy-6` },
    ]);
    deps.files.putCopy(at('data', path), { id: 'copy-6', status: 'success' }, 'id,amount\n1,2\n');
    expect(await lookAgain(deps, deps.scheduled[0]!.message)).toMatchObject({
      results: [{ outcome: 'launched', jobKey: `default/rule:orders-landed:${DFS}/data/${path}#copy:copy-6` }],
    });
    expect(cluster.drivers()).toHaveLength(1);
  });

  it('past settings.intake.copyWait.maxTotalWaitSeconds from the event, the job is refused with the reason', async () => {
    const { deps, cluster } = setup(new Date(EVENT_TIME + 25 * 3600_000));
    const path = 'uploads/stuck/main.py';
    const eTag = deps.files.putCopy(at('jobs', path), { id: 'copy-7', status: 'pending' });
    const results = await handleStorageEvents([copyEvent('jobs', path, eTag)], deps);
    expect(results).toMatchObject([{ outcome: 'rejected', jobKey: uploadKey(path, 'copy-7') }]);
    expect(deps.scheduled).toHaveLength(0);
    const record = await deps.ledger.get(uploadKey(path, 'copy-7'));
    expect(record?.state).toBe('rejected');
    expect(record?.reasons).toEqual([
      `the copy into jobs/${path} (copy id copy-7) was still pending 90000 s after its event (settings.intake.copyWait.maxTotalWaitSeconds); nothing was launched: copy or upload the file again`,
    ]);
    expect(cluster.drivers()).toHaveLength(0);
  });

  it('a failed or aborted copy, a file written since the copy, or one gone, starts nothing, with the reason', async () => {
    const { deps, cluster } = setup();
    const failed = deps.files.putCopy(at('jobs', 'uploads/a/main.py'), {
      id: 'copy-8',
      status: 'failed',
      description: '500 OperationCancelled',
    });
    const aborted = deps.files.putCopy(at('jobs', 'uploads/b/main.py'), { id: 'copy-9', status: 'aborted' });
    const copied = deps.files.putCopy(at('jobs', 'uploads/c/main.py'), { id: 'copy-10', status: 'pending' });
    deps.files.put(at('jobs', 'uploads/c/main.py'), 'print("put over it")\n'); // Put Blob clears the copy properties
    const results = await handleStorageEvents(
      [
        copyEvent('jobs', 'uploads/a/main.py', failed),
        copyEvent('jobs', 'uploads/b/main.py', aborted),
        copyEvent('jobs', 'uploads/c/main.py', copied),
        copyEvent('jobs', 'uploads/d/main.py', '0x8DC000000000D0D'),
      ],
      deps,
    );
    expect(results.map((r) => [r.outcome, r.reason])).toEqual([
      [
        'ignored',
        'the copy into jobs/uploads/a/main.py failed (500 OperationCancelled): the file has no content to start anything with; copy it again',
      ],
      ['ignored', 'the copy into jobs/uploads/b/main.py aborted: the file has no content to start anything with; copy it again'],
      [
        'ignored',
        expect.stringMatching(
          /^superseded: jobs\/uploads\/c\/main\.py was written since the copy \(eTag 0x[0-9a-f]+\) by something else; that write's event starts the job$/,
        ),
      ],
      ['ignored', 'jobs/uploads/d/main.py no longer exists'],
    ]);
    expect(deps.scheduled).toHaveLength(0);
    expect(cluster.drivers()).toHaveLength(0);
  });

  it('a batch delivered again while the copy is pending schedules the same look again: duplicate detection keeps one', async () => {
    const { deps } = setup();
    const eTag = deps.files.putCopy(at('jobs', 'uploads/again/main.py'), { id: 'copy-11', status: 'pending' });
    const event = copyEvent('jobs', 'uploads/again/main.py', eTag);
    await handleStorageEvents([event], deps);
    await handleStorageEvents([event], deps);
    expect(new Set(deps.scheduled.map((s) => s.message.messageId)).size).toBe(1);
  });

  it('storage outage while reading the copy: the batch fails and Event Grid delivers it again', async () => {
    const { deps } = setup();
    const eTag = deps.files.putCopy(at('jobs', 'uploads/down/main.py'), { id: 'copy-12', status: 'pending' });
    deps.files.breakDown();
    await expect(handleStorageEvents([copyEvent('jobs', 'uploads/down/main.py', eTag)], deps)).rejects.toMatchObject({
      name: 'BatchIncomplete',
    });
    expect(deps.scheduled).toHaveLength(0);
  });

  it("a look again is only ever the queue's own tenant's: another filesystem, or a body that is no storage event, is refused under the message's id", async () => {
    const { deps, cluster } = setup();
    const props = { [PROPS.storageEvent]: COPY_PENDING, [PROPS.rechecks]: 1 };
    const foreign = await handleJobMessage(
      {
        body: copyEvent('elsewhere', 'uploads/x/main.py', '0x1'),
        queue: 'spark-jobs',
        messageId: 'm-foreign',
        deliveryCount: 1,
        applicationProperties: props,
      },
      deps,
    );
    expect(foreign).toMatchObject({
      kind: 'storage-event',
      jobKey: 'default/refused:message:m-foreign',
      results: [{ outcome: 'rejected' }],
    });
    expect((await deps.ledger.get('default/refused:message:m-foreign'))?.reasons).toEqual([
      `a storage event for ${ACCOUNT}/elsewhere came on tenant default's queue; only the tenant that owns a filesystem starts jobs from it`,
    ]);
    const notAnEvent = await handleJobMessage(
      {
        body: { name: 'sneaky', main: 'abfss://jobs@x.dfs.core.windows.net/a.py' },
        queue: 'spark-jobs',
        messageId: 'm-spec',
        deliveryCount: 1,
        applicationProperties: props,
      },
      deps,
    );
    expect(notAnEvent).toMatchObject({
      kind: 'storage-event',
      results: [{ outcome: 'rejected', reason: expect.stringMatching(/^not a storage event to look at again/) }],
    });
    expect(cluster.drivers()).toHaveLength(0);
  });
});

describe('item 13: SFTP uploads start jobs on SftpCommit, not SftpCreate', () => {
  it('an SFTP put of main.py (SftpCreate, then SftpCommit) launches one job, for the committed content', async () => {
    const { deps, cluster } = setup();
    const path = 'uploads/partner/main.py';
    const created = blobCreated('jobs', path, '0x8DC0000000000E01', { api: 'SftpCreate', contentLength: 0 });
    const eTag = deps.files.put(at('jobs', path), 'print("from sftp")\n');
    const committed = blobCreated('jobs', path, eTag, { api: 'SftpCommit', contentLength: 19 });
    const results = await handleStorageEvents([created, committed], deps);
    expect(results.map((r) => r.outcome)).toEqual(['ignored', 'launched']);
    expect(results[0]?.reason).toBe('SftpCreate: the empty file an SFTP put opens; its content arrives with SftpCommit');
    expect(results[1]?.jobKey).toBe(`default/upload:${DFS}/jobs/${path}#${eTag}`);
    expect(cluster.drivers()).toHaveLength(1);
  });
});
