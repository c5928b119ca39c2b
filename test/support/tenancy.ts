/**
 * Two teams on one local stack, each trying to cross into the other's: through its own queue, its
 * own uploads, its templates and conf, and pods its drivers could forge. Shared by the integration
 * test (test/e2e/tenancy.test.ts) and `npm run soak`, which prints the counts.
 *
 * Every attempt must end one of three ways:
 * - refused: recorded in the attacker's own ledger space, rejected with a reason, nothing launched;
 * - contained: it ran, but only as the attacker's own job, in the attacker's own namespace;
 * - ignored: a forged pod whose key names another job: the sweeper writes nothing for it.
 * And the victims' own jobs launch as if nothing happened.
 */
import functions from '@azure/functions';
import { makeStorageEventsHandler } from '../../src/triggers/storageEventsHandler.js';
import { PROPS } from '../../src/usecases/handleJobMessage.js';
import { sweep } from '../../src/usecases/sweep.js';
import { postObject } from '../../dev/kube-standin/postObject.js';
import type { LedgerRecord } from '../../src/domain/intake/ledgerRecord.js';
import { SILENT } from '../../src/shared/logger.js';
import { blobCreated } from './blobEvents.js';
import { eventually } from './eventually.js';
import { tenantsEnv, type IntakeEnv } from './intakeEnv.js';
import { refusalKey, scopedKey } from '../../src/domain/tenant/jobIdentity.js';

export const ACCOUNT = 'sparkdispatchdemo';
export const TEAMS = ['alpha', 'beta'] as const;
export type Team = (typeof TEAMS)[number];
const CLIENT_IDS: Record<Team, string> = { alpha: 'aaaaaaaa-0000-4000-8000-00000000000a', beta: 'bbbbbbbb-0000-4000-8000-00000000000b' };

const fs = (team: Team, which: 'code' | 'data') => `${team}-${which}`;
const abfss = (filesystem: string, path: string, host = `${ACCOUNT}.dfs.core.windows.net`) => `abfss://${filesystem}@${host}/${path}`;
const ns = (team: Team) => `${team}-jobs`;

function tenantSettings(team: Team) {
  return {
    queue: `jobs-${team}`,
    clientId: CLIENT_IDS[team],
    namespaces: { [ns(team)]: {} },
    storage: { [ACCOUNT]: { filesystems: [fs(team, 'code'), fs(team, 'data')] } },
    intake: {
      staging: { account: ACCOUNT, filesystem: fs(team, 'code'), prefix: 'inline/' },
      scriptUploads: [{ account: ACCOUNT, filesystem: fs(team, 'code'), prefix: 'uploads/' }],
      rules: [{ name: 'landed', filesystem: fs(team, 'data'), path: 'landing/**/_SUCCESS', template: 'ingest' }],
      // Both teams have an "ingest" template; each has one only it has.
      templates: {
        ingest: { name: `${team}-ingest`, main: abfss(fs(team, 'code'), 'ingest/main.py'), args: ['{folderUrl}'] },
        [`${team}-only`]: { name: `${team}-only`, main: abfss(fs(team, 'code'), 'only/main.py') },
      },
    },
  };
}

type Outcome = 'refused' | 'contained' | 'ignored';

export interface Attempt {
  readonly id: string;
  readonly attacker: Team;
  readonly via: 'message' | 'upload' | 'forged pod';
  readonly what: string;
  readonly expect: Outcome;
}

export interface TenancyResult {
  readonly attempts: number;
  readonly byOutcome: Readonly<Record<Outcome, number>>;
  readonly byPath: Readonly<Record<Attempt['via'], number>>;
  /** Attempts that did not end as expected, with what happened instead. */
  readonly breaches: readonly string[];
  /** The victims' own jobs: each must be launched in its own namespace. */
  readonly victimJobs: number;
  readonly victimJobsLaunched: number;
  readonly seconds: number;
}

const other = (team: Team): Team => (team === 'alpha' ? 'beta' : 'alpha');
const good = (team: Team, name: string, extra: Record<string, unknown> = {}) => ({
  name,
  main: abfss(fs(team, 'code'), `${name}/main.py`),
  ...extra,
});

/** The attack messages one team sends on its own queue against the other. */
function messageAttacks(attacker: Team): { attempt: Attempt; body: unknown; properties?: Record<string, string> }[] {
  const victim = other(attacker);
  const own = (name: string, extra: Record<string, unknown> = {}) => good(attacker, name, extra);
  const victimHost = `${ACCOUNT}.dfs.core.windows.net`;
  const list: [string, Outcome, unknown, Record<string, string>?][] = [
    // Another team's namespace, every way a request can name one.
    ['namespace: the victim namespace', 'refused', own('ns-1', { namespace: ns(victim) })],
    ['inline script into the victim namespace', 'refused', { name: 'ns-2', namespace: ns(victim), script: { content: 'print(1)\n' } }],
    ['template with a namespace override', 'refused', { template: 'ingest', parameters: { folderUrl: 'x' }, namespace: ns(victim) }],
    ['namespace kube-system', 'refused', own('ns-3', { namespace: 'kube-system' })],
    ['namespace default', 'refused', own('ns-4', { namespace: 'default' })],
    ['namespace with upper case', 'refused', own('ns-5', { namespace: ns(victim).toUpperCase() })],
    // Another team's storage: main, py-files, every host spelling.
    ['main in the victim code filesystem', 'refused', good(victim, 'st-1')],
    ['main in the victim data filesystem', 'refused', { name: 'st-2', main: abfss(fs(victim, 'data'), 'x/main.py') }],
    ['py-files in the victim filesystem', 'refused', own('st-3', { pyFiles: [abfss(fs(victim, 'code'), 'lib.zip')] })],
    [
      'main through a sovereign-cloud host',
      'refused',
      { name: 'st-4', main: abfss(fs(victim, 'code'), 'x/main.py', `${ACCOUNT}.dfs.core.usgovcloudapi.net`) },
    ],
    ['main in the ledger container', 'refused', { name: 'st-5', main: abfss('ledger', 'x/main.py') }],
    ['main in an account no tenant has', 'refused', { name: 'st-6', main: abfss('jobs', 'x/main.py', 'evilaccount.dfs.core.windows.net') }],
    ['main in a filesystem no tenant owns', 'refused', { name: 'st-7', main: abfss('scratch', 'x/main.py') }],
    [
      'py-file in the victim staging folder',
      'refused',
      own('st-8', { pyFiles: [abfss(fs(victim, 'code'), `inline/${victim}/0/main.py`)] }),
    ],
    // Another team's templates.
    ['the victim-only template', 'refused', { template: `${victim}-only` }],
    ['a template that does not exist', 'refused', { template: 'nope' }],
    // Conf and env that would change identity, namespace, image, mounts or credentials.
    ['conf spark.kubernetes.namespace', 'refused', own('cf-1', { conf: { 'spark.kubernetes.namespace': ns(victim) } })],
    [
      'conf service account',
      'refused',
      own('cf-2', { conf: { 'spark.kubernetes.authenticate.driver.serviceAccountName': 'spark-driver' } }),
    ],
    [
      'conf the victim client id for the account',
      'refused',
      own('cf-3', { conf: { [`spark.hadoop.fs.azure.account.oauth2.client.id.${victimHost}`]: CLIENT_IDS[victim] } }),
    ],
    [
      'conf the account auth type',
      'refused',
      own('cf-4', { conf: { [`spark.hadoop.fs.azure.account.auth.type.${victimHost}`]: 'SharedKey' } }),
    ],
    ['conf an account key', 'refused', own('cf-5', { conf: { [`spark.hadoop.fs.azure.account.key.${victimHost}`]: 'x' } })],
    [
      'extraJavaOptions -Dspark.kubernetes.namespace',
      'refused',
      own('cf-6', { conf: { 'spark.driver.extraJavaOptions': `-Dspark.kubernetes.namespace=${ns(victim)}` } }),
    ],
    [
      'extraJavaOptions -D the victim client id',
      'refused',
      own('cf-7', {
        conf: { 'spark.executor.extraJavaOptions': `-Dspark.hadoop.fs.azure.account.oauth2.client.id.${victimHost}=${CLIENT_IDS[victim]}` },
      }),
    ],
    [
      'extraJavaOptions -D a Secret mount',
      'refused',
      own('cf-8', { conf: { 'spark.driver.extraJavaOptions': '-Dspark.kubernetes.driver.secrets.victim-secret=/mnt/s' } }),
    ],
    ['executor env AZURE_CLIENT_ID', 'refused', own('cf-9', { conf: { 'spark.executorEnv.AZURE_CLIENT_ID': CLIENT_IDS[victim] } })],
    ['driver env AZURE_CLIENT_ID', 'refused', own('cf-10', { conf: { 'spark.kubernetes.driverEnv.AZURE_CLIENT_ID': CLIENT_IDS[victim] } })],
    ['env AZURE_CLIENT_ID', 'refused', own('cf-11', { env: { AZURE_CLIENT_ID: CLIENT_IDS[victim] } })],
    ['env AZURE_FEDERATED_TOKEN_FILE', 'refused', own('cf-12', { env: { AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/other' } })],
    ['conf a Secret mount', 'refused', own('cf-13', { conf: { 'spark.kubernetes.driver.secrets.victim-secret': '/mnt/s' } })],
    ['conf another image', 'refused', own('cf-14', { conf: { 'spark.kubernetes.container.image': 'evil.azurecr.io/spark:1' } })],
    ['conf a driver pod template', 'refused', own('cf-15', { conf: { 'spark.kubernetes.driver.podTemplateFile': '/tmp/t.yaml' } })],
    ['conf an executor pod template', 'refused', own('cf-16', { conf: { 'spark.kubernetes.executor.podTemplateFile': '/tmp/t.yaml' } })],
    ['label spark-dispatch.io/tenant', 'refused', own('cf-17', { labels: { 'spark-dispatch.io/tenant': victim } })],
    [
      'label azure.workload.identity/client-id',
      'refused',
      own('cf-18', { labels: { 'azure.workload.identity/client-id': CLIENT_IDS[victim] } }),
    ],
    [
      'conf executor label spark-dispatch.io/tenant',
      'refused',
      own('cf-19', { conf: { 'spark.kubernetes.executor.label.spark-dispatch.io/tenant': victim } }),
    ],
    [
      'conf driver annotation job-key',
      'refused',
      own('cf-20', { conf: { 'spark.kubernetes.driver.annotation.spark-dispatch.io/job-key': `${victim}/nightly` } }),
    ],
    [
      'conf executor annotation',
      'refused',
      own('cf-21', { conf: { 'spark.kubernetes.executor.annotation.azure.workload.identity/client-id': CLIENT_IDS[victim] } }),
    ],
    [
      'conf executor volume (a PVC of the victim)',
      'refused',
      own('cf-22', { conf: { 'spark.kubernetes.executor.volumes.persistentVolumeClaim.d.options.claimName': 'victim-data' } }),
    ],
    ['conf node selector', 'refused', own('cf-23', { conf: { 'spark.kubernetes.node.selector.agentpool': 'system' } })],
    // Key squatting: the victim's key, however it is spelled, is never the attacker's to take.
    ['invalid request with the victim key', 'refused', { name: 'sq-1', jobKey: 'nightly', main: 'wasb://x@y.blob.core.windows.net/a.py' }],
    ['invalid request naming the victim key in sd-job-key only', 'refused', { not: 'a job' }, { [PROPS.jobKey]: 'nightly' }],
    ['the victim key in sd-job-key on a refused request', 'refused', own('sq-2', { namespace: ns(victim) }), { [PROPS.jobKey]: 'nightly' }],
    ['a valid job under the victim key', 'contained', own('sq-3', { jobKey: 'nightly' })],
    ['a valid job under <victim>/<key>', 'contained', own('sq-4', { jobKey: `${victim}/nightly` })],
    ['a valid job with the victim key in sd-job-key', 'contained', own('sq-5'), { [PROPS.jobKey]: 'inline-nightly' }],
    [
      'an inline script under the victim inline key',
      'contained',
      { name: 'sq-6', jobKey: 'inline-nightly', script: { content: `print("${attacker} was here")\n` } },
    ],
    [
      'an inline script with the victim script under its key',
      'contained',
      { name: 'sq-7', jobKey: 'inline-nightly-copy', script: { content: `print("nightly of ${victim}")\n` } },
    ],
  ];
  return list.map(([what, expect, body, properties], i) => ({
    attempt: { id: `${attacker}-m${i + 1}`, attacker, via: 'message', what, expect },
    body,
    ...(properties ? { properties } : {}),
  }));
}

/** job.yaml files one team uploads beside a main.py in its own upload folder, against the other. */
function uploadAttacks(attacker: Team): { attempt: Attempt; folder: string; sidecar: string }[] {
  const victim = other(attacker);
  const list: [string, string][] = [
    ['job.yaml: the victim namespace', `namespace: ${ns(victim)}\n`],
    ['job.yaml: py-files in the victim filesystem', `pyFiles: ["${abfss(fs(victim, 'code'), 'lib.zip')}"]\n`],
    ['job.yaml: main in the victim filesystem', `main: ${abfss(fs(victim, 'code'), 'x.py')}\n`],
    ['job.yaml: the victim key', 'jobKey: nightly\n'],
    [
      'job.yaml: extraJavaOptions into the victim namespace',
      `conf: { spark.driver.extraJavaOptions: "-Dspark.kubernetes.namespace=${ns(victim)}" }\n`,
    ],
    [
      'job.yaml: the victim client id',
      `conf: { "spark.hadoop.fs.azure.account.oauth2.client.id.${ACCOUNT}.dfs.core.windows.net": "${CLIENT_IDS[victim]}" }\n`,
    ],
  ];
  return list.map(([what, sidecar], i) => ({
    attempt: { id: `${attacker}-u${i + 1}`, attacker, via: 'upload', what, expect: 'refused' },
    folder: `attack-${i + 1}`,
    sidecar,
  }));
}

/** Driver pods a team's driver could create in its own namespace, carrying keys that are not theirs. */
function forgedPods(
  attacker: Team,
  victimRecord: LedgerRecord,
  ownRecord: LedgerRecord,
): { attempt: Attempt; name: string; jobKey: string; phase: 'Succeeded' | 'Failed' }[] {
  const list: [string, string, 'Succeeded' | 'Failed'][] = [
    ['a finished pod with the victim job key', victimRecord.jobKey, 'Failed'],
    ['a finished pod with the victim key unscoped', victimRecord.jobKey.slice(victimRecord.jobKey.indexOf('/') + 1), 'Succeeded'],
    ['a finished pod with the key of a job of its own that another driver runs', ownRecord.jobKey, 'Failed'],
    ['a finished pod with the victim key spelled <attacker>/<victim key>', scopedKey(attacker, victimRecord.jobKey), 'Failed'],
  ];
  return list.map(([what, jobKey, phase], i) => ({
    attempt: { id: `${attacker}-p${i + 1}`, attacker, via: 'forged pod', what, expect: 'ignored' },
    name: `forged-${i + 1}-driver`,
    jobKey,
    phase,
  }));
}

export async function tenancyScenario(): Promise<TenancyResult> {
  const started = performance.now();
  const env = await tenantsEnv({ alpha: tenantSettings('alpha'), beta: tenantSettings('beta') }, { blob: {} });
  const breaches: string[] = [];
  const attempts: Attempt[] = [];
  try {
    for (const team of TEAMS) {
      for (const which of ['code', 'data'] as const) await env.blobs.getContainerClient(fs(team, which)).createIfNotExists();
      env.startHost(`jobs-${team}`);
    }
    const ledger = (key: string) => env.runtime.deps.ledger.get(key);

    // Each team's own jobs, sent first: a nightly job and an inline one.
    for (const team of TEAMS) {
      await env.sendTo(`jobs-${team}`, good(team, 'nightly', { jobKey: 'nightly' }), `${team}-nightly`);
      await env.sendTo(
        `jobs-${team}`,
        { name: 'inline-nightly', jobKey: 'inline-nightly', script: { content: `print("nightly of ${team}")\n` } },
        `${team}-inline`,
      );
    }
    await eventually(async () => {
      for (const team of TEAMS)
        for (const k of ['nightly', 'inline-nightly'])
          if ((await ledger(scopedKey(team, k)))?.state !== 'launched') throw new Error(`${team}/${k} not launched yet`);
    }, 30_000);
    const stagedBefore = await stagedScripts(env);

    // Messages on the attacker's own queue.
    const messages = TEAMS.flatMap(messageAttacks);
    for (const m of messages) await env.sendTo(`jobs-${m.attempt.attacker}`, m.body, m.attempt.id, m.properties);
    attempts.push(...messages.map((m) => m.attempt));

    // Uploads in the attacker's own upload folder, with hostile job.yaml files.
    const uploads = TEAMS.flatMap(uploadAttacks);
    const events: unknown[] = [];
    for (const u of uploads) {
      const container = env.blobs.getContainerClient(fs(u.attempt.attacker, 'code'));
      await container.getBlockBlobClient(`uploads/${u.folder}/job.yaml`).upload(u.sidecar, Buffer.byteLength(u.sidecar));
      const main = 'print("upload")\n';
      const eTag = (await container.getBlockBlobClient(`uploads/${u.folder}/main.py`).upload(main, main.length)).etag!;
      events.push(blobCreated(fs(u.attempt.attacker, 'code'), `uploads/${u.folder}/main.py`, eTag));
    }
    const handler = makeStorageEventsHandler(async () => env.runtime.deps);
    await handler(
      events as never,
      new functions.InvocationContext({ invocationId: 'tenancy-events', functionName: 'storageEvents', logHandler: () => {} }),
    );
    attempts.push(...uploads.map((u) => u.attempt));

    // Wait for every queue to drain.
    await eventually(
      () => {
        for (const team of TEAMS) {
          const q = `jobs-${team}`;
          const pending = env.broker.messages(q).length + env.broker.locked(q).length;
          if (pending > 0) throw new Error(`${pending} messages on ${q}`);
        }
      },
      60_000,
      100,
    );

    // Judge messages.
    for (const m of messages) {
      const { attacker } = m.attempt;
      const refusedRecord = await ledger(refusalKey(attacker, `message:${m.attempt.id}`));
      if (m.attempt.expect === 'refused') {
        if (refusedRecord?.state !== 'rejected' || (refusedRecord.reasons?.length ?? 0) === 0 || refusedRecord.tenant !== attacker) {
          breaches.push(
            `${m.attempt.id} (${m.attempt.what}): expected refused, ledger says ${refusedRecord ? `${refusedRecord.state} ${JSON.stringify(refusedRecord.reasons)}` : 'nothing'}`,
          );
        }
      } else {
        // Contained: whatever ran is the attacker's own job in the attacker's own namespace.
        const body = m.body as { jobKey?: string };
        const requested = body.jobKey ?? m.properties?.[PROPS.jobKey] ?? m.attempt.id;
        const record = await ledger(scopedKey(attacker, requested));
        const ok =
          record !== undefined &&
          (record.state === 'launched' || record.state === 'rejected') &&
          (record.namespace === undefined || record.namespace === ns(attacker)) &&
          record.tenant === attacker;
        if (!ok)
          breaches.push(
            `${m.attempt.id} (${m.attempt.what}): expected contained in ${attacker}, ledger says ${JSON.stringify(record && { state: record.state, namespace: record.namespace, tenant: record.tenant, reasons: record.reasons })}`,
          );
      }
    }
    // Judge uploads.
    for (const u of uploads) {
      const prefix = scopedKey(
        u.attempt.attacker,
        `upload:https://${ACCOUNT}.dfs.core.windows.net/${fs(u.attempt.attacker, 'code')}/uploads/${u.folder}/main.py#`,
      );
      const records = await env.runtime.deps.ledger.latest(500);
      const record = records.find((r) => r.jobKey.startsWith(prefix));
      if (record?.state !== 'rejected' || (record.reasons?.length ?? 0) === 0)
        breaches.push(`${u.attempt.id} (${u.attempt.what}): expected refused, ledger says ${record ? record.state : 'nothing'}`);
    }

    // Pods the attacker's driver could forge in its own namespace, then a sweep.
    const forged = [];
    for (const attacker of TEAMS) {
      const victimRecord = (await ledger(scopedKey(other(attacker), 'nightly')))!;
      const ownRecord = (await ledger(scopedKey(attacker, 'nightly')))!;
      for (const f of forgedPods(attacker, victimRecord, ownRecord)) {
        forged.push(f);
        await postObject(env.kube.standIn.url, `/api/v1/namespaces/${ns(attacker)}/pods`, forgedDriver(f.name, ns(attacker), f.jobKey));
        env.kube.standIn.setPodStatus(ns(attacker), f.name, {
          phase: f.phase,
          containerStatuses: [
            {
              name: 'spark-kubernetes-driver',
              state: {
                terminated: {
                  exitCode: f.phase === 'Failed' ? 1 : 0,
                  reason: f.phase === 'Failed' ? 'Error' : 'Completed',
                  finishedAt: new Date().toISOString(),
                },
              },
            },
          ],
        });
      }
    }
    const before = new Map<string, LedgerRecord | undefined>();
    for (const f of forged) before.set(f.jobKey, await ledger(f.jobKey));
    await sweep({
      settings: env.settings,
      cluster: env.kube.cluster,
      ledger: env.runtime.deps.ledger,
      events: env.runtime.deps.events,
      now: () => new Date(),
      log: SILENT,
    });
    for (const f of forged) {
      const after = await ledger(f.jobKey);
      const was = before.get(f.jobKey);
      const untouched = JSON.stringify(after) === JSON.stringify(was);
      if (!untouched)
        breaches.push(
          `${f.attempt.id} (${f.attempt.what}): the sweeper wrote to ${f.jobKey}: ${after?.state} ${JSON.stringify(after?.final)}`,
        );
    }
    attempts.push(...forged.map((f) => f.attempt));

    // The victims' jobs: launched in their own namespace, their staged scripts untouched, each
    // team's driver configured for its own identity only.
    let victimJobsLaunched = 0;
    for (const team of TEAMS) {
      for (const k of ['nightly', 'inline-nightly']) {
        const record = await ledger(scopedKey(team, k));
        if (
          record?.state === 'launched' &&
          record.namespace === ns(team) &&
          record.history.filter((h) => h.state === 'launched').length === 1
        )
          victimJobsLaunched++;
        else breaches.push(`${team}/${k}: ${JSON.stringify(record && { state: record.state, namespace: record.namespace })}`);
      }
      const conf = env.kube.standIn
        .objects('configmaps', ns(team))
        .map((c) => JSON.stringify(c.data ?? {}))
        .join('\n');
      if (!conf.includes(CLIENT_IDS[team]) || conf.includes(CLIENT_IDS[other(team)]))
        breaches.push(`${team}: its drivers' conf does not name exactly its own client id`);
      const drivers = env.kube.standIn.objects('pods', ns(team)).filter((p) => !p.metadata.name.startsWith('forged-'));
      const foreign = drivers.filter(
        (p) => !(p.metadata.annotations as Record<string, string> | undefined)?.['spark-dispatch.io/job-key']?.startsWith(`${team}/`),
      );
      if (foreign.length > 0)
        breaches.push(`${ns(team)} holds drivers of another tenant: ${foreign.map((p) => p.metadata.name).join(', ')}`);
    }
    const stagedAfter = await stagedScripts(env);
    for (const [path, content] of stagedBefore) if (stagedAfter.get(path) !== content) breaches.push(`staged script ${path} changed`);

    const count = <K extends string>(key: (a: Attempt) => K) =>
      attempts.reduce<Record<string, number>>((acc, a) => ({ ...acc, [key(a)]: (acc[key(a)] ?? 0) + 1 }), {});
    return {
      attempts: attempts.length,
      byOutcome: { refused: 0, contained: 0, ignored: 0, ...count((a) => a.expect) },
      byPath: { message: 0, upload: 0, 'forged pod': 0, ...count((a) => a.via) },
      breaches,
      victimJobs: TEAMS.length * 2,
      victimJobsLaunched,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    await env.close();
  }
}

/** Every staged inline script, by path, with its content. */
async function stagedScripts(env: IntakeEnv): Promise<Map<string, string>> {
  const scripts = new Map<string, string>();
  for (const team of TEAMS) {
    const container = env.blobs.getContainerClient(fs(team, 'code'));
    for await (const blob of container.listBlobsFlat({ prefix: 'inline/' }))
      scripts.set(`${fs(team, 'code')}/${blob.name}`, (await container.getBlobClient(blob.name).downloadToBuffer()).toString());
  }
  return scripts;
}

/** A driver pod as a driver could create it: our labels and a job key annotation, nothing proving it is ours. */
function forgedDriver(name: string, namespace: string, jobKey: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: {
        'app.kubernetes.io/managed-by': 'spark-dispatch',
        'spark-role': 'driver',
        'spark-app-selector': 'spark-0123456789abcdef0123456789abcdef',
      },
      annotations: { 'spark-dispatch.io/job-key': jobKey },
    },
    spec: { containers: [{ name: 'spark-kubernetes-driver', image: 'busybox:1.36' }] },
  };
}
