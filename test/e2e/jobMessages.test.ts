/**
 * Job messages end to end: the real @azure/service-bus SDK against the broker, the job-message
 * function run with the Functions host's settlement behaviour, the ledger in Azurite, the driver
 * in the Kubernetes stand-in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { intakeEnv, key, QUEUE, refused, TOPIC, type IntakeEnv } from '../support/intakeEnv.js';
import { jobNames, sha256Hex } from '../../src/domain/tenant/jobIdentity.js';

let env: IntakeEnv;
const spec = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/wordcount/main.py',
  args: ['in', 'out'],
  ...extra,
});
const pods = () =>
  env.kube.standIn
    .objects('pods', 'spark-jobs')
    .filter((p) => (p.metadata.labels as Record<string, string> | undefined)?.['spark-role'] === 'driver');
const ledger = (key: string) => env.runtime.deps.ledger.get(key);

beforeAll(async () => {
  env = await intakeEnv({ intake: { retry: { initialDelaySeconds: 1, maxDelaySeconds: 1, maxTotalWaitSeconds: 3 } } }, 1);
  env.startHost();
}, 60_000);
afterAll(async () => env?.close());

describe('job messages', () => {
  it('message → driver launched → ledger "launched" → lifecycle event; the message is completed', async () => {
    await env.send(spec('wordcount', { jobKey: 'msg-launch-1' }), 'm-1');
    await eventually(async () => expect((await ledger(key('msg-launch-1')))?.state).toBe('launched'), 15_000);
    const record = (await ledger(key('msg-launch-1')))!;
    expect(record).toMatchObject({
      namespace: 'spark-jobs',
      driverPod: jobNames('wordcount', key('msg-launch-1')).driverPod,
      backend: 'native',
      source: { kind: 'message', ref: 'm-1' },
    });
    // The claim is written ahead of the create.
    expect(record.history.map((h) => h.state)).toEqual(['launching', 'launched']);
    expect(record.history[0]?.ids).toMatchObject({ messageId: 'm-1', deliveryCount: 1 });
    expect(pods().map((p) => p.metadata.name)).toContain(record.driverPod);
    await eventually(() =>
      expect({ available: env.broker.messages(QUEUE).map((m) => m.messageId), locked: env.broker.locked(QUEUE).length }).toEqual({
        available: [],
        locked: 0,
      }),
    );
    const events = env.broker.messages(`${TOPIC}/subscriptions/audit`).map((m) => m.body as { type: string; jobKey: string });
    expect(events).toContainEqual(expect.objectContaining({ type: 'launched', jobKey: key('msg-launch-1'), tenant: 'default' }));
    // Structured logs carry the job key and the message and invocation ids.
    const line = env.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.jobKey === key('msg-launch-1') && l.message === 'launched');
    expect(line).toMatchObject({ messageId: 'm-1', deliveryCount: 1, invocationId: expect.any(String), functionName: 'jobMessages' });
  });

  it('a redelivered or repeated message does not launch twice', async () => {
    await env.send(spec('wordcount', { jobKey: 'msg-launch-1' }), 'm-1-again');
    await eventually(async () => expect((await ledger(key('msg-launch-1')))?.history.length).toBe(3));
    expect((await ledger(key('msg-launch-1')))?.state).toBe('launched');
    expect(pods().filter((p) => p.metadata.name === jobNames('wordcount', key('msg-launch-1')).driverPod)).toHaveLength(1);
  });

  it('an invalid message is rejected with every reason and its payload, completed, never launched', async () => {
    const before = pods().length;
    const body = {
      name: 'bad',
      main: 'wasb://x@y.blob.core.windows.net/a.py',
      driver: { memory: 'lots' },
      conf: { 'spark.master': 'local' },
    };
    await env.send(body, 'm-bad');
    await eventually(async () => expect((await ledger(refused('m-bad')))?.state).toBe('rejected'));
    const record = (await ledger(refused('m-bad')))!;
    expect(record.reasons).toHaveLength(3);
    expect(record.reasons?.join('\n')).toMatch(/main: expected abfss:\/\/.*wasb/);
    expect(record.reasons?.join('\n')).toMatch(/driver\.memory/);
    expect(record.reasons?.join('\n')).toMatch(/conf\["spark\.master"\]/);
    expect(JSON.parse(record.payload!)).toEqual(body);
    expect(pods().length).toBe(before);
    await eventually(() => expect(env.broker.messages(QUEUE)).toHaveLength(0));
    expect(env.broker.messages(`${QUEUE}/$deadletterqueue`)).toHaveLength(0);
  });

  it('a message that is not JSON at all is rejected and kept as it came', async () => {
    await env.send('this is not json {', 'm-garbage');
    await eventually(async () => expect((await ledger(refused('m-garbage')))?.state).toBe('rejected'));
    expect((await ledger(refused('m-garbage')))?.payload).toBe('this is not json {');
  });

  it('a template reference launches the template with its parameters', async () => {
    await env.send({ template: 'daily-report', parameters: { date: '2026-11-22' }, jobKey: 'report-2026-11-22' }, 'm-tpl');
    await eventually(async () => expect((await ledger(key('report-2026-11-22')))?.state).toMatch(/launched|deferred/));
  });
});

describe('job keys', () => {
  it("the same key with a different spec is refused as a conflict, recorded under the message's own id; the holder is untouched", async () => {
    await env.send(spec('holder', { jobKey: 'taken-1' }), 'm-holder');
    await eventually(async () => expect((await ledger(key('taken-1')))?.state).toMatch(/launched|deferred/), 15_000);
    const before = (await ledger(key('taken-1')))!;
    await env.send(spec('squatter', { jobKey: 'taken-1' }), 'm-squatter');
    await eventually(async () => expect((await ledger(refused('m-squatter')))?.state).toBe('rejected'));
    const refusal = (await ledger(refused('m-squatter')))!;
    expect(refusal).toMatchObject({ tenant: 'default', requestedKey: key('taken-1'), name: 'squatter' });
    expect(refusal.reasons?.[0]).toMatch(/job key "default\/taken-1" is already taken by a different request \(holder in spark-jobs/);
    const after = (await ledger(key('taken-1')))!;
    expect(after.fingerprint).toBe(before.fingerprint);
    expect(after.history.some((h) => JSON.stringify(h).includes('m-squatter'))).toBe(false);
    expect(pods().filter((p) => p.metadata.name === jobNames('squatter', key('taken-1')).driverPod)).toHaveLength(0);
  });

  it('an invalid request never takes a key: a valid one with that key still launches', async () => {
    await env.send({ name: 'first', jobKey: 'free-1', main: 'wasb://x@y.blob.core.windows.net/a.py' }, 'm-invalid-first');
    await eventually(async () => expect((await ledger(refused('m-invalid-first')))?.state).toBe('rejected'));
    expect(await ledger(key('free-1'))).toBeUndefined();
    await env.send(spec('second', { jobKey: 'free-1' }), 'm-valid-second');
    await eventually(async () => expect((await ledger(key('free-1')))?.state).toMatch(/launched|deferred/), 15_000);
  });
});

describe('inline scripts', () => {
  it('are staged in ADLS under the job key and loaded over abfss', async () => {
    const content = 'from pyspark.sql import SparkSession\nprint(SparkSession.builder.getOrCreate().range(10).count())\n';
    await env.send({ name: 'adhoc', jobKey: 'inline-1', script: { content, fileName: 'main_script.py' } }, 'm-inline');
    await eventually(async () => expect((await ledger(key('inline-1')))?.state).toMatch(/launched|deferred/), 15_000);
    const staged = env.blobs.getContainerClient('staging');
    const names: string[] = [];
    for await (const b of staged.listBlobsFlat({ prefix: 'inline/' })) names.push(b.name);
    expect(names).toHaveLength(1);
    // At the content's hash under the tenant's folder: nothing else can ever be written there.
    expect(names[0]).toMatch(/^inline\/default\/[0-9a-f]{40}\/main_script\.py$/);
    expect((await staged.getBlobClient(names[0]!).downloadToBuffer()).toString()).toBe(content);
  });

  it('a staged path already holding other bytes is never overwritten, and the job is refused', async () => {
    const content = 'print("the real one")\n';
    const path = `inline/default/${sha256Hex(content).slice(0, 40)}/main.py`;
    // As if something wrote there first: the dispatcher must not launch on these bytes, nor replace them.
    await env.blobs.getContainerClient('staging').getBlockBlobClient(path).upload('print("impostor")\n', 19);
    await env.send({ name: 'adhoc', jobKey: 'inline-tampered', script: { content } }, 'm-inline-tampered');
    await eventually(async () => expect((await ledger(key('inline-tampered')))?.state).toBe('rejected'), 15_000);
    expect((await ledger(key('inline-tampered')))?.reasons?.[0]).toMatch(
      /the staged copy at abfss:\/\/staging@sparkdispatchdemo.dfs.core.windows.net\/inline\/default\/[0-9a-f]{40}\/main.py is not this script/,
    );
    expect((await env.blobs.getContainerClient('staging').getBlobClient(path).downloadToBuffer()).toString()).toBe('print("impostor")\n');
  });

  it('a rejected inline job stages nothing', async () => {
    await env.send({ name: 'adhoc', jobKey: 'inline-bad', namespace: 'kube-system', script: { content: 'print(1)' } }, 'm-inline-bad');
    await eventually(async () => expect((await ledger(refused('m-inline-bad')))?.state).toBe('rejected'));
    const names: string[] = [];
    for await (const b of env.blobs.getContainerClient('staging').listBlobsFlat({ prefix: 'inline/' })) names.push(b.name);
    expect(names.some((n) => n.includes('print'))).toBe(false);
    expect(names).toHaveLength(2); // only the earlier tests' scripts
  });
});

describe('capacity: deferred jobs come back and launch', () => {
  it('a full namespace defers the job to a scheduled message, which launches once a driver finishes', async () => {
    // The driver cap is 1 and earlier drivers still run: finish them all except none, then send.
    await env.send(spec('waits', { jobKey: 'deferred-1' }), 'm-deferred');
    await eventually(async () => expect((await ledger(key('deferred-1')))?.state).toBe('deferred'), 15_000);
    const record = (await ledger(key('deferred-1')))!;
    expect(record.deferrals).toBeGreaterThanOrEqual(1);
    expect(record.history.at(-1)?.detail).toMatch(/exceeded quota/);
    expect(env.broker.scheduled(QUEUE).length + env.broker.messages(QUEUE).length + env.broker.locked(QUEUE).length).toBeGreaterThanOrEqual(
      0,
    );
    // Drivers keep finishing, as on a real cluster; the earlier deferred jobs compete for the same
    // single slot, so ours gets in after some of them.
    await eventually(
      async () => {
        for (const pod of pods())
          if (pod.status === undefined || (pod.status as { phase?: string }).phase !== 'Succeeded')
            env.kube.standIn.setPodStatus('spark-jobs', pod.metadata.name, { phase: 'Succeeded' });
        expect((await ledger(key('deferred-1')))?.state).toBe('launched');
      },
      30_000,
      200,
    );
    const states = (await ledger(key('deferred-1')))!.history.map((h) => h.state);
    expect(states[0]).toBe('launching');
    expect(states).toContain('deferred');
    expect(states.at(-1)).toBe('launched');
  });

  it('deferral properties a publisher got wrong are ignored with a note, and the job is still deferred, not lost', async () => {
    await env.send(spec('holds-the-slot', { jobKey: 'slot-holder' }), 'm-slot-holder');
    // The cap is 1, and earlier tests' deferred jobs compete for it: their drivers finish, this one takes the slot.
    const holder = jobNames('holds-the-slot', key('slot-holder')).driverPod;
    await eventually(
      async () => {
        for (const pod of pods())
          if (pod.metadata.name !== holder) env.kube.standIn.setPodStatus('spark-jobs', pod.metadata.name, { phase: 'Succeeded' });
        expect((await ledger(key('slot-holder')))?.state).toBe('launched');
      },
      30_000,
      200,
    );
    await env.send(spec('waits', { jobKey: 'bad-props' }), 'm-bad-props', { 'sd-first-seen': 'yesterday-ish', 'sd-deferrals': 'many' });
    await eventually(async () => expect((await ledger(key('bad-props')))?.state).toBe('deferred'), 15_000);
    expect((await ledger(key('bad-props')))?.deferrals).toBe(1);
    expect(env.logs.join('\n')).toMatch(
      /ignored unusable deferral properties.*sd-deferrals: expected a non-negative integer, found \\"many\\".*sd-first-seen: expected an ISO 8601 time, found \\"yesterday-ish\\"/,
    );
  });
});

describe('outages', () => {
  it('an API storm does not burn deliveries: the job waits as a scheduled copy with a growing delay, and launches when the storm ends', async () => {
    for (const pod of pods()) env.kube.standIn.setPodStatus('spark-jobs', pod.metadata.name, { phase: 'Succeeded' });
    env.kube.standIn.setFaults([{ verb: 'create', resource: 'pods', rate: 1, kinds: ['500'] }]);
    try {
      await env.send(spec('stormy', { jobKey: 'storm-1' }), 'm-storm');
      await eventually(
        async () => expect((await ledger(key('storm-1')))?.history.filter((h) => h.state === 'retrying').length).toBeGreaterThanOrEqual(2),
        20_000,
      );
      const record = (await ledger(key('storm-1')))!;
      expect(record.state).toBe('retrying');
      expect(record.history.at(-1)?.detail).toMatch(/\(attempt \d+; the job comes back at /);
      // Every retry is a new, scheduled message: the original was completed, no delivery was burnt.
      expect(env.broker.messages(`${QUEUE}/$deadletterqueue`).filter((m) => m.messageId === 'm-storm')).toHaveLength(0);
    } finally {
      env.kube.standIn.setFaults([]);
    }
    const stormy = jobNames('stormy', key('storm-1')).driverPod;
    // The cap is 1: the earlier tests' deferred jobs may take the slot first; their drivers finish.
    await eventually(
      async () => {
        for (const pod of pods())
          if (pod.metadata.name !== stormy) env.kube.standIn.setPodStatus('spark-jobs', pod.metadata.name, { phase: 'Succeeded' });
        expect((await ledger(key('storm-1')))?.state).toBe('launched');
      },
      30_000,
      200,
    );
    expect(pods().filter((p) => p.metadata.name === jobNames('stormy', key('storm-1')).driverPod)).toHaveLength(1);
  });

  it('past the retry budget the message is dead-lettered with its job key, and the ledger says so', async () => {
    env.kube.standIn.setFaults([{ verb: 'create', resource: 'pods', rate: 1, kinds: ['500'] }]);
    try {
      await env.send(spec('flaky', { jobKey: 'flaky-1' }), 'm-flaky');
      const deadLettered = () =>
        env.broker.messages(`${QUEUE}/$deadletterqueue`).find((m) => m.applicationProperties['sd-job-key'] === 'flaky-1');
      await eventually(() => expect(deadLettered()).toBeDefined(), 30_000);
      const dead = deadLettered()!;
      expect(dead.deadLetterReason).toBe('MaxDeliveryCountExceeded');
      expect(dead.applicationProperties['sd-message-id']).toBe('m-flaky');
      const record = (await ledger(key('flaky-1')))!;
      expect(record.state).toBe('dead-lettered');
      expect(record.history.filter((h) => h.state === 'retrying').length).toBeGreaterThanOrEqual(2);
      expect(record.history.find((h) => h.state === 'dead-lettered')?.detail).toMatch(/past settings.intake.retry.maxTotalWaitSeconds/);
    } finally {
      env.kube.standIn.setFaults([]);
    }
  });
});
