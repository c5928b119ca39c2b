/**
 * Malformed and hostile inputs: what an attacker, a buggy orchestrator or a broken Event Grid
 * subscription might send. Every one must end as a "rejected" ledger record with a reason, launch
 * nothing, and crash nothing.
 */
import { key, refused, type IntakeEnv } from './intakeEnv.js';

const MAIN = 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/soak/main.py';
const ok = { name: 'hostile', main: MAIN };
const ACCOUNT_KEY = `${'Q'.repeat(40)}${'a1B2'.repeat(11)}+/==`.slice(0, 86) + '==';
const JWT = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzcGFyay1kaXNwYXRjaCIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJl';

export interface BadMessage {
  readonly id: string;
  readonly body: unknown;
  /** Where the refusal must be recorded: under the message's own id, never under a key it asks for. */
  readonly ledgerKeys: readonly string[];
  /** The job key the body asks for: a refused request must leave it free. */
  readonly claimed?: string;
}

function message(id: string, body: unknown): BadMessage {
  const claimed =
    body !== null && typeof body === 'object' && typeof (body as { jobKey?: unknown }).jobKey === 'string'
      ? key((body as { jobKey: string }).jobKey)
      : undefined;
  return { id, body, ledgerKeys: [refused(id)], ...(claimed ? { claimed } : {}) };
}

const deepJson = `${'['.repeat(5000)}${']'.repeat(5000)}`;
const aliasBomb = [
  'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
].join('\n');

export const BAD_MESSAGES: readonly BadMessage[] = [
  // Not a job at all
  message('broken-json', '{"name": "x", '),
  message('plain-text', 'DROP TABLE jobs;'),
  message('json-array', '[1, 2, 3]'),
  message('json-number', 42),
  message('json-null', 'null'),
  message('empty-object', {}),
  message('deeply-nested', deepJson),
  message('yaml-alias-bomb', aliasBomb),
  message('duplicate-keys', `{"name": "a", "name": "b", "main": "${MAIN}"}`),
  message('proto-pollution', `{"__proto__": {"admin": true}, "name": "x", "main": "${MAIN}"}`),
  message('constructor-key', { ...ok, constructor: { prototype: { admin: true } } }),
  // Wrong types and missing fields
  message('name-number', { name: 5, main: MAIN }),
  message('main-missing', { name: 'x' }),
  message('cores-string', { ...ok, driver: { cores: 'lots' } }),
  message('memory-scientific', { ...ok, driver: { memory: '1e9' } }),
  message('deadline-zero', { ...ok, deadlineSeconds: 0 }),
  message('version-number', { ...ok, sparkVersion: 4 }),
  message('unknown-field', { ...ok, deadlineSecs: 60 }),
  message('backend-yarn', { ...ok, backend: 'yarn' }),
  // Where the script comes from
  message('wasb', { ...ok, main: 'wasbs://jobs@sparkdispatchdemo.blob.core.windows.net/x.py' }),
  message('s3a', { ...ok, main: 's3a://bucket/x.py' }),
  message('http-main', { ...ok, main: 'https://evil.example.com/x.py' }),
  message('file-scheme', { ...ok, main: 'file:///etc/passwd.py' }),
  message('local-relative', { ...ok, main: 'local://x.py' }),
  message('path-traversal', { ...ok, main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/../../etc/passwd.py' }),
  message('encoded-traversal', { ...ok, main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/a/%2e%2e/x.py' }),
  message('account-not-allowed', { ...ok, main: 'abfss://jobs@evilaccount.dfs.core.windows.net/x.py' }),
  message('filesystem-not-allowed', { ...ok, main: 'abfss://secrets@sparkdispatchdemo.dfs.core.windows.net/x.py' }),
  message('pyfile-jar', { ...ok, pyFiles: ['abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/evil.jar'] }),
  // Where and how it runs
  message('namespace-not-allowed', { ...ok, namespace: 'kube-system' }),
  message('namespace-homoglyph', { ...ok, namespace: 'sp\u0430rk-jobs' }),
  message('version-unknown', { ...ok, sparkVersion: '9.9' }),
  message('too-many-executors', { ...ok, executor: { instances: 100_000 } }),
  message('dynamic-unbounded', { ...ok, conf: { 'spark.dynamicAllocation.enabled': 'true' } }),
  // Conf the dispatcher owns, and secrets
  message('conf-master', { ...ok, conf: { 'spark.master': 'local[*]' } }),
  message('conf-service-account', { ...ok, conf: { 'spark.kubernetes.authenticate.driver.serviceAccountName': 'cluster-admin' } }),
  message('conf-image', { ...ok, conf: { 'spark.kubernetes.container.image': 'evil/miner:latest' } }),
  message('conf-hostpath', { ...ok, conf: { 'spark.kubernetes.driver.volumes.hostPath.root.mount.path': '/' } }),
  message('conf-pods-allocator', { ...ok, conf: { 'spark.kubernetes.allocation.pods.allocator': 'statefulset' } }),
  message('conf-pvc-owner', { ...ok, conf: { 'spark.kubernetes.driver.ownPersistentVolumeClaim': 'false' } }),
  message('conf-secret-mount', { ...ok, conf: { 'spark.kubernetes.driver.secrets.db-creds': '/secrets' } }),
  message('conf-account-key', { ...ok, conf: { 'spark.hadoop.fs.azure.account.key.sparkdispatchdemo.dfs.core.windows.net': ACCOUNT_KEY } }),
  message('conf-sas-value', {
    ...ok,
    conf: { 'spark.custom.url': 'https://x.blob.core.windows.net/c?sv=2022-11-02&ss=b&sig=abcdefghijklmnopqrstuv%3D' },
  }),
  message('conf-password-key', { ...ok, conf: { 'spark.ssl.keyPassword': 'hunter2' } }),
  message('conf-not-spark', { ...ok, conf: { 'hadoop.fs.defaultFS': 'hdfs://evil' } }),
  // Routes around a conf denylist: each must be refused by the allowlist, with a reason
  message('conf-java-options-secret-mount', { ...ok, conf: { 'spark.driver.extraJavaOptions': '-Dspark.kubernetes.driver.secrets.x=/y' } }),
  message('conf-java-options-service-account', {
    ...ok,
    conf: { 'spark.driver.extraJavaOptions': '-Dspark.kubernetes.authenticate.driver.serviceAccountName=admin' },
  }),
  message('conf-java-options-image', { ...ok, conf: { 'spark.executor.extraJavaOptions': '-Dspark.kubernetes.container.image=evil' } }),
  message('conf-java-agent', { ...ok, conf: { 'spark.driver.extraJavaOptions': '-javaagent:/tmp/a.jar' } }),
  message('conf-executor-env-ld-preload', { ...ok, conf: { 'spark.executorEnv.LD_PRELOAD': '/tmp/evil.so' } }),
  message('conf-driver-env-azure', {
    ...ok,
    backend: 'operator',
    conf: { 'spark.kubernetes.driverEnv.AZURE_CLIENT_ID': '22222222-2222-2222-2222-222222222222' },
  }),
  message('conf-gpu', { ...ok, conf: { 'spark.executor.resource.gpu.amount': '8' } }),
  message('conf-pyspark-memory', { ...ok, conf: { 'spark.executor.pyspark.memory': '500g' } }),
  message('conf-off-heap', { ...ok, conf: { 'spark.memory.offHeap.enabled': 'true', 'spark.memory.offHeap.size': '500g' } }),
  message('conf-request-cores', { ...ok, conf: { 'spark.kubernetes.executor.request.cores': '64' } }),
  message('conf-task-cpus', { ...ok, conf: { 'spark.task.cpus': '64' } }),
  message('conf-dynamic-spaced-true', { ...ok, conf: { 'spark.dynamicAllocation.enabled': ' true' } }),
  message('conf-node-selector', { ...ok, conf: { 'spark.kubernetes.node.selector.pool': 'system' } }),
  message('conf-pvc', { ...ok, conf: { 'spark.kubernetes.executor.volumes.persistentVolumeClaim.x.options.claimName': 'finance-data' } }),
  message('conf-executor-annotation', { ...ok, conf: { 'spark.kubernetes.executor.annotation.x': 'y' } }),
  message('conf-pod-template', { ...ok, conf: { 'spark.kubernetes.executor.podTemplateFile': '/tmp/t.yaml' } }),
  message('conf-class-path', { ...ok, conf: { 'spark.driver.extraClassPath': '/tmp/evil.jar' } }),
  message('env-jwt', { ...ok, env: { TOKEN: JWT } }),
  message('env-ld-preload', { ...ok, env: { LD_PRELOAD: '/tmp/evil.so' } }),
  message('env-spark-user', { ...ok, env: { SPARK_USER: 'root' } }),
  message('args-connection-string', { ...ok, args: [`DefaultEndpointsProtocol=https;AccountName=a;AccountKey=${ACCOUNT_KEY}`] }),
  // Labels, names and keys
  message('label-managed-by', { ...ok, labels: { 'app.kubernetes.io/managed-by': 'someone-else' } }),
  message('label-spark-role', { ...ok, labels: { 'spark-role': 'executor' } }),
  message('label-value-newline', { ...ok, labels: { team: 'a\nb' } }),
  message('name-newline', { ...ok, name: 'etl\nkubectl delete ns prod' }),
  message('name-bidi', { ...ok, name: 'etl\u202Egnp.exe' }),
  message('jobkey-zero-width', { ...ok, jobKey: 'job\u200Bkey' }),
  // Size
  message('too-many-args', { ...ok, args: Array.from({ length: 300 }, (_, i) => `a${i}`) }),
  message('huge-conf-value', { ...ok, conf: { 'spark.custom.x': 'x'.repeat(5000) } }),
  // Inline scripts and templates
  message('script-too-big', { name: 'big', script: { content: '#'.repeat(200 * 1024) } }),
  message('script-nul', { name: 'nul', script: { content: 'print(1)\u0000' } }),
  message('script-filename-traversal', { name: 'trav', script: { content: 'print(1)', fileName: '../../etc/x.py' } }),
  message('script-and-main', { ...ok, script: { content: 'print(1)' } }),
  message('template-unknown', { template: 'no-such-template', parameters: {} }),
  message('template-missing-parameter', { template: 'daily-report', parameters: {} }),
  message('template-parameter-newline', { template: 'daily-report', parameters: { date: '2026-11-22\n--conf spark.master=local' } }),
];

export interface BadEvent {
  readonly id: string;
  readonly event: unknown;
  readonly ledgerKeys: readonly string[];
}

const host = 'https://sparkdispatchdemo.blob.core.windows.net';
function gridEvent(
  id: string,
  fields: { subject?: string; url?: unknown; eTag?: unknown; sequencer?: unknown; api?: string; data?: unknown },
) {
  return {
    id,
    topic: '/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sparkdispatchdemo',
    subject: fields.subject ?? '/blobServices/default/containers/jobs/blobs/uploads/x/main.py',
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: '2026-11-23T10:00:00.0000000Z',
    dataVersion: '',
    metadataVersion: '1',
    data: fields.data ?? {
      api: fields.api ?? 'PutBlob',
      eTag: fields.eTag ?? '0x8DC0F1B5F2D3A10',
      contentLength: 10,
      blobType: 'BlockBlob',
      url: fields.url ?? `${host}/jobs/uploads/x/main.py`,
      sequencer: fields.sequencer ?? '00000000000000000000000000001f7e0000000000a8e9f1',
    },
  };
}

const invalid = (id: string, event: unknown): BadEvent => ({ id, event, ledgerKeys: [`event:${id}`] });

/** Uploads the hostile job folders and returns the events that announce them (with their real eTags). */
export async function prepareBadEventFiles(env: IntakeEnv): Promise<void> {
  const container = env.blobs.getContainerClient('jobs');
  await container.createIfNotExists();
  for (const [folder, sidecar] of Object.entries(HOSTILE_SIDECARS)) {
    await container.getBlockBlobClient(`uploads/${folder}/job.yaml`).upload(sidecar, Buffer.byteLength(sidecar));
    const main = 'print("hostile")\n';
    const result = await container.getBlockBlobClient(`uploads/${folder}/main.py`).upload(main, main.length);
    eTags.set(folder, result.etag!.replace(/"/g, ''));
  }
}

const HOSTILE_SIDECARS: Record<string, string> = {
  'sidecar-master': 'conf: { spark.master: "local[*]" }\n',
  'sidecar-java-agent': 'conf: { spark.executor.extraJavaOptions: "-javaagent:/tmp/a.jar" }\n',
  'sidecar-namespace': 'namespace: kube-system\n',
  'sidecar-secret-env': `env: { TOKEN: "${JWT}" }\n`,
  'sidecar-main': 'main: abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/other.py\n',
  'sidecar-jobkey': 'jobKey: always-the-same\n',
  'sidecar-broken-yaml': 'args: [unclosed\n',
  'sidecar-label-injection': 'labels: { "spark-role": "executor" }\n',
};
const eTags = new Map<string, string>();

/** Built after prepareBadEventFiles, so the script-upload events carry the real eTags. */
export function badEvents(): BadEvent[] {
  const uploads = Object.keys(HOSTILE_SIDECARS).map((folder): BadEvent => {
    const eTag = eTags.get(folder)!;
    const path = `uploads/${folder}/main.py`;
    return {
      id: `upload-${folder}`,
      event: gridEvent(`upload-${folder}`, {
        subject: `/blobServices/default/containers/jobs/blobs/${path}`,
        url: `${host}/jobs/${path}`,
        eTag,
      }),
      ledgerKeys: [key(`upload:https://sparkdispatchdemo.dfs.core.windows.net/jobs/${path}#${eTag}`)],
    };
  });
  const notAllowed = {
    ...gridEvent('account-not-allowed', { url: 'https://evilaccount.blob.core.windows.net/jobs/uploads/x/main.py' }),
    topic: '/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/evilaccount',
  };
  return [
    invalid('missing-data', { ...gridEvent('missing-data', {}), data: undefined }),
    invalid('missing-url', gridEvent('missing-url', { data: { api: 'PutBlob', eTag: '0x1', contentLength: 1 } })),
    invalid('subject-mismatch', gridEvent('subject-mismatch', { subject: '/blobServices/default/containers/data/blobs/x.py' })),
    invalid('traversal-url', gridEvent('traversal-url', { url: `${host}/jobs/uploads/../../../etc/passwd` })),
    invalid(
      'bidi-path',
      gridEvent('bidi-path', {
        subject: '/blobServices/default/containers/jobs/blobs/uploads/x/ma\u202Ein.py',
        url: `${host}/jobs/uploads/x/ma\u202Ein.py`,
      }),
    ),
    invalid('etag-number', gridEvent('etag-number', { eTag: 12345 })),
    invalid('sequencer-not-hex', gridEvent('sequencer-not-hex', { sequencer: 'zzzz' })),
    invalid('unknown-host', gridEvent('unknown-host', { url: 'https://evil.example.com/jobs/uploads/x/main.py' })),
    invalid('encoded-slash', gridEvent('encoded-slash', { url: `${host}/jobs/uploads/x%2F..%2F..%2Fmain.py` })),
    {
      id: 'account-not-allowed',
      event: notAllowed,
      ledgerKeys: ['event:https://evilaccount.dfs.core.windows.net/jobs/uploads/x/main.py#0x8DC0F1B5F2D3A10'],
    },
    ...uploads,
  ];
}
