/**
 * A corpus of bad job specs. Each case starts from one valid spec, changes one thing, and checks
 * that `prepareJob` (schema + policy, as every entry point runs it) refuses it with the right
 * field path and the right explanation. A refusal at the wrong path, or one that is silently
 * accepted, is a bug a user meets as "my job did something else" rather than a clear error.
 */
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../src/domain/spec/document.js';
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import type { Problem } from '../../src/domain/spec/problem.js';
import { DEMO_SETTINGS } from '../../src/settings/defaultSettings.js';
import { parseSettings } from '../../src/settings/loadSettings.js';

const settingsResult = parseSettings(DEMO_SETTINGS);
if (!settingsResult.ok) throw new Error(`DEMO_SETTINGS do not parse: ${JSON.stringify(settingsResult.problems)}`);
const settings = settingsResult.value;

const SOURCE = { tenant: 'default', source: { kind: 'cli', ref: 'badSpecCorpus' } } as const;

const ROOT = 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net';
const BASE = { name: 'wordcount', namespace: 'spark-jobs', main: `${ROOT}/wordcount/main.py`, sparkVersion: '4.0' } as const;

// Credential-shaped values (fake, but in the exact formats the detector knows).
const ACCOUNT_KEY = `${'Zm9vYmFyYmF6cXV4'.repeat(5)}AbCdEf`; // 86 base64 characters
const ACCOUNT_KEY_VALUE = `${ACCOUNT_KEY}==`;
const SAS_SIG = 'abcdEFGH1234ijklMNOP5678qrstUVWX%3D';
const SAS_TOKEN = `sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&st=2024-01-01T00:00:00Z&spr=https&sig=${SAS_SIG}`;
const JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzcGFyay1kcml2ZXIiLCJhdWQiOiJhcGk6Ly9BenVyZUFEVG9rZW5FeGNoYW5nZSJ9.c2lnbmF0dXJlLW5vdC1yZWFs';
const CONNECTION_STRING_KEY = 'c2VjcmV0LWtleS1mb3ItYS1jb25uZWN0aW9uLXN0cmluZw';
const CONNECTION_STRING = `DefaultEndpointsProtocol=https;AccountName=sparkdispatchdemo;AccountKey=${CONNECTION_STRING_KEY};EndpointSuffix=core.windows.net`;

interface BadSpec {
  readonly title: string;
  /** Fields that replace the base spec's (shallow: nested objects are given whole). */
  readonly change: Record<string, unknown>;
  /** Every problem expected, by path, with a substring of its `expected` or `hint`. */
  readonly want: Readonly<Record<string, string>>;
  /** A credential in the spec that no problem may repeat. */
  readonly secret?: string;
}

const manyConf = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`spark.myapp.option${i}`, String(i)]));

const CASES: readonly BadSpec[] = [
  // ── Script locations ─────────────────────────────────────────────────────────────────────────
  // The driver's spark-submit downloads main and pyFiles through Hadoop: only abfss:// (TLS, the
  // dfs endpoint) and local:/// resolve, and each refusal must say what to write instead.
  {
    title: 'wasb:// (retired Blob driver)',
    change: { main: 'wasb://jobs@sparkdispatchdemo.blob.core.windows.net/wordcount/main.py' },
    want: { main: "wasb:// is Hadoop's retired Blob (WASB) driver" },
  },
  {
    title: 'wasbs:// (retired Blob driver, TLS)',
    change: { main: 'wasbs://jobs@sparkdispatchdemo.blob.core.windows.net/wordcount/main.py' },
    want: { main: "wasbs:// is Hadoop's retired Blob (WASB) driver" },
  },
  { title: 's3a://', change: { main: 's3a://my-bucket/wordcount/main.py' }, want: { main: 's3a:// is not supported' } },
  { title: 'gs://', change: { main: 'gs://my-bucket/wordcount/main.py' }, want: { main: 'gs:// is not supported' } },
  { title: 'hdfs://', change: { main: 'hdfs://namenode:8020/jobs/wordcount/main.py' }, want: { main: 'hdfs:// is not supported' } },
  { title: 'file://', change: { main: 'file:///tmp/wordcount/main.py' }, want: { main: 'file:// is not supported' } },
  {
    title: 'https blob URL: the hint gives the abfss URI to write',
    change: { main: 'https://sparkdispatchdemo.blob.core.windows.net/jobs/wordcount/main.py' },
    want: { main: `write the storage URL as ${ROOT}/wordcount/main.py` },
  },
  {
    title: 'abfs:// (no TLS)',
    change: { main: 'abfs://jobs@sparkdispatchdemo.dfs.core.windows.net/wordcount/main.py' },
    want: { main: 'abfs:// sends data unencrypted' },
  },
  {
    title: 'abfss:// on the blob endpoint: the hint names the dfs host',
    change: { main: 'abfss://jobs@sparkdispatchdemo.blob.core.windows.net/wordcount/main.py' },
    want: { main: `ABFS talks to the dfs endpoint: ${ROOT}/wordcount/main.py` },
  },
  { title: 'a bare path', change: { main: 'wordcount/main.py' }, want: { main: 'a bare path is ambiguous' } },
  { title: 'a .. segment', change: { main: `${ROOT}/wordcount/../secret/main.py` }, want: { main: 'no "." or ".." path segments' } },
  { title: 'a percent-encoded segment', change: { main: `${ROOT}/word%20count/main.py` }, want: { main: 'found "word%20count"' } },
  { title: 'an empty segment (//)', change: { main: `${ROOT}/wordcount//main.py` }, want: { main: 'no empty path segments' } },
  { title: 'a trailing slash', change: { main: `${ROOT}/wordcount/` }, want: { main: 'no empty path segments (// or a trailing /)' } },
  { title: 'main not ending in .py', change: { main: `${ROOT}/wordcount/main.zip` }, want: { main: 'a file ending in .py' } },
  {
    title: 'a pyFile that is a .jar',
    change: { pyFiles: [`${ROOT}/lib/helpers.zip`, `${ROOT}/lib/deps.jar`] },
    want: { 'pyFiles[1]': 'a file ending in .py, .zip, .egg' },
  },
  {
    title: 'local:// with a relative path',
    change: { main: 'local://opt/app/main.py' },
    want: { main: 'local:// needs an absolute path' },
  },
  { title: 'wrong type for pyFiles (a string, not a list)', change: { pyFiles: `${ROOT}/lib/helpers.py` }, want: { pyFiles: 'a list' } },

  // ── Storage policy ───────────────────────────────────────────────────────────────────────────
  // A well-formed abfss URI can still point outside what this installation trusts.
  {
    title: 'a storage account that is not allowed',
    change: { main: 'abfss://jobs@someoneelse.dfs.core.windows.net/wordcount/main.py' },
    want: { main: 'a storage account allowed in settings for tenant default (sparkdispatchdemo)' },
  },
  {
    title: 'a filesystem that is not allowed',
    change: { main: 'abfss://secrets@sparkdispatchdemo.dfs.core.windows.net/wordcount/main.py' },
    want: { main: 'a filesystem allowed for sparkdispatchdemo (jobs, data, staging)' },
  },

  // ── Untrusted text ───────────────────────────────────────────────────────────────────────────
  // Names, args and keys end up in pod specs, Spark conf and logs: nothing that hides or
  // reorders text (Trojan Source), breaks a properties file, or has no size bound.
  { title: 'a control character in an arg', change: { args: ['--input', 'a\nb'] }, want: { 'args[1]': 'text without control characters' } },
  { title: 'a bidi override (U+202E) in the name', change: { name: 'word\u202Etnuoc' }, want: { name: 'direction-changing characters' } },
  { title: 'a zero-width space in the jobKey', change: { jobKey: 'nightly\u200B-2024-01-01' }, want: { jobKey: 'without invisible' } },
  {
    title: 'an unpaired surrogate in an env value',
    change: { env: { GREETING: 'hi \uD83D' } },
    want: { 'env.GREETING': 'well-formed Unicode text' },
  },
  { title: 'an arg over 4096 characters', change: { args: ['x'.repeat(4097)] }, want: { 'args[0]': 'at most 4096 characters' } },
  {
    title: 'more than 256 args',
    change: { args: Array.from({ length: 257 }, (_, i) => `a${i}`) },
    want: { args: 'at most 256 arguments' },
  },
  { title: 'a name longer than 100 characters', change: { name: 'w'.repeat(101) }, want: { name: 'at most 100 characters' } },
  { title: 'a name with no letter or digit', change: { name: '-_-' }, want: { name: 'at least one letter or digit' } },
  { title: 'an empty jobKey', change: { jobKey: '' }, want: { jobKey: 'a non-empty string' } },

  // ── Namespace and version catalog ────────────────────────────────────────────────────────────
  // Where the driver runs and which image it gets are decided by settings, never by the job.
  { title: 'a namespace with upper case', change: { namespace: 'Spark-Jobs' }, want: { namespace: 'a Kubernetes namespace name' } },
  {
    title: 'a namespace not allowed by settings',
    change: { namespace: 'kube-system' },
    want: { namespace: 'one of the allowed namespaces of tenant default (spark-jobs)' },
  },
  {
    title: 'a sparkVersion not in the catalog',
    change: { sparkVersion: '3.4' },
    want: { sparkVersion: 'a version from the catalog (3.5, 4.0)' },
  },
  { title: 'sparkVersion as a number (unquoted YAML 4.0)', change: { sparkVersion: 4.0 }, want: { sparkVersion: 'put it in quotes' } },
  {
    title: 'sparkVersion 3.5: Hadoop 3.3.4 has no WorkloadIdentityTokenProvider',
    change: { sparkVersion: '3.5' },
    want: { sparkVersion: 'ships Hadoop 3.3.4, which has no WorkloadIdentityTokenProvider' },
  },
  { title: 'a bad backend', change: { backend: 'yarn' }, want: { backend: 'one of "native", "operator"' } },

  // ── Resources ────────────────────────────────────────────────────────────────────────────────
  // Sizes must mean the same to us (pod requests) and to Spark (JVM heap), and stay in limits.
  { title: 'memory "2 GB"', change: { driver: { memory: '2 GB' } }, want: { 'driver.memory': 'a size such as 512m or 2g' } },
  {
    title: 'memory as a bare number string',
    change: { executor: { memory: '2048' } },
    want: { 'executor.memory': 'a size such as 512m or 2g' },
  },
  // zod 4 reports .int() as invalid_type "int", so the message is the generic "a whole number".
  { title: 'cores 1.5', change: { driver: { cores: 1.5 } }, want: { 'driver.cores': 'a whole number' } },
  { title: 'cores 0', change: { executor: { cores: 0 } }, want: { 'executor.cores': 'at least 1 core' } },
  {
    title: 'executor instances over the limit (50)',
    change: { executor: { instances: 51 } },
    want: { 'executor.instances': 'at most 50 (the limit for namespace spark-jobs)' },
  },
  { title: 'deadlineSeconds below 60', change: { deadlineSeconds: 10 }, want: { deadlineSeconds: 'at least 60 seconds' } },
  {
    title: 'dynamic allocation without maxExecutors',
    change: { conf: { 'spark.dynamicAllocation.enabled': 'true' } },
    want: { 'conf["spark.dynamicAllocation.maxExecutors"]': 'without it dynamic allocation is unbounded' },
  },
  {
    title: 'spark.driver.memoryOverheadFactor 1.5',
    change: { conf: { 'spark.driver.memoryOverheadFactor': '1.5' } },
    want: { 'conf["spark.driver.memoryOverheadFactor"]': 'a number greater than 0 and at most 1' },
  },

  // ── Unknown fields ───────────────────────────────────────────────────────────────────────────
  // A misspelt field silently ignored would run the job with defaults; strict objects refuse it.
  {
    title: 'an unknown top-level field, with "did you mean"',
    change: { deadlineSecond: 600 },
    want: { deadlineSecond: 'did you mean "deadlineSeconds"?' },
  },
  { title: 'an unknown nested field', change: { driver: { memroy: '2g' } }, want: { 'driver.memroy': 'did you mean "memory"?' } },

  // ── Conf the dispatcher owns ─────────────────────────────────────────────────────────────────
  // These keys decide where, as whom and with which image the driver runs.
  {
    title: 'conf spark.master',
    change: { conf: { 'spark.master': 'local[*]' } },
    want: { 'conf["spark.master"]': 'the driver always runs in-cluster' },
  },
  {
    title: 'conf spark.kubernetes.container.image',
    change: { conf: { 'spark.kubernetes.container.image': 'evil.example/spark:latest' } },
    want: { 'conf["spark.kubernetes.container.image"]': 'images come from the version catalog' },
  },
  {
    title: 'conf spark.kubernetes.authenticate.driver.serviceAccountName',
    change: { conf: { 'spark.kubernetes.authenticate.driver.serviceAccountName': 'cluster-admin' } },
    want: { 'conf["spark.kubernetes.authenticate.driver.serviceAccountName"]': 'service accounts and credentials are set per namespace' },
  },
  {
    title: 'conf spark.kubernetes.driver.secrets.*',
    change: { conf: { 'spark.kubernetes.driver.secrets.storage-creds': '/mnt/creds' } },
    want: { 'conf["spark.kubernetes.driver.secrets.storage-creds"]': 'mounting Secrets is not allowed' },
  },
  {
    title: 'a conf key not starting with spark.',
    change: { conf: { 'hadoop.fs.defaultFS': 'abfss://x' } },
    want: { 'conf["hadoop.fs.defaultFS"]': 'a Spark conf key starting with "spark."' },
  },
  { title: 'more than 256 conf entries', change: { conf: manyConf }, want: { conf: 'at most 256 conf entries' } },

  // ── Conf smuggling ───────────────────────────────────────────────────────────────────────────
  // Routes around a denylist: the same intent through another key, a JVM option or an executor
  // variable. The allowlist refuses each with a reason (or parses it and applies the field's rule).
  {
    title: 'a Secret mount inside spark.driver.extraJavaOptions',
    change: { conf: { 'spark.driver.extraJavaOptions': '-XX:+UseG1GC -Dspark.kubernetes.driver.secrets.x=/y' } },
    want: { 'conf["spark.driver.extraJavaOptions"]': 'Spark reads -Dspark.* system properties as conf' },
  },
  {
    title: 'another service account inside extraJavaOptions',
    change: { conf: { 'spark.driver.extraJavaOptions': '-Dspark.kubernetes.authenticate.driver.serviceAccountName=admin' } },
    want: { 'conf["spark.driver.extraJavaOptions"]': 'set the conf key itself' },
  },
  {
    title: 'another image inside spark.executor.extraJavaOptions',
    change: { conf: { 'spark.executor.extraJavaOptions': '-Dspark.kubernetes.container.image=evil' } },
    want: { 'conf["spark.executor.extraJavaOptions"]': 'Spark reads -Dspark.* system properties as conf' },
  },
  {
    title: 'a Java agent',
    change: { conf: { 'spark.driver.extraJavaOptions': '-javaagent:/tmp/a.jar' } },
    want: { 'conf["spark.driver.extraJavaOptions"]': 'agents run code inside the JVM' },
  },
  {
    title: 'LD_PRELOAD through spark.executorEnv',
    change: { conf: { 'spark.executorEnv.LD_PRELOAD': '/tmp/evil.so' } },
    want: { 'conf["spark.executorEnv.LD_PRELOAD"]': 'does not own' },
  },
  {
    title: 'workload identity variables through spark.kubernetes.driverEnv',
    change: { conf: { 'spark.kubernetes.driverEnv.AZURE_CLIENT_ID': '22222222-2222-2222-2222-222222222222' }, backend: 'operator' },
    want: { 'conf["spark.kubernetes.driverEnv.AZURE_CLIENT_ID"]': 'does not own' },
  },
  {
    title: 'a credential in an executor variable',
    change: { conf: { 'spark.executorEnv.UPSTREAM_AUTH': JWT } },
    want: { 'conf["spark.executorEnv.UPSTREAM_AUTH"]': 'it looks like a JSON Web Token' },
    secret: JWT,
  },
  {
    title: 'a GPU per executor',
    change: { conf: { 'spark.executor.resource.gpu.amount': '1' } },
    want: { 'conf["spark.executor.resource.gpu.amount"]': 'GPUs and other custom resources are not allowed' },
  },
  {
    title: 'PySpark memory outside the pod limits',
    change: { conf: { 'spark.executor.pyspark.memory': '64g' } },
    want: { 'conf["spark.executor.pyspark.memory"]': 'outside the namespace limits' },
  },
  {
    title: 'off-heap memory outside the pod limits',
    change: { conf: { 'spark.memory.offHeap.size': '64g' } },
    want: { 'conf["spark.memory.offHeap.size"]': 'outside the namespace limits' },
  },
  {
    title: 'an executor CPU request above the namespace limit',
    change: { conf: { 'spark.kubernetes.executor.request.cores': '16' } },
    want: { 'conf["spark.kubernetes.executor.request.cores"]': 'at most 8 (the limit for namespace spark-jobs)' },
  },
  {
    title: 'spark.task.cpus above executor.cores',
    change: { executor: { cores: 2 }, conf: { 'spark.task.cpus': '3' } },
    want: { 'conf["spark.task.cpus"]': "at most 2 (this job's executor.cores)" },
  },
  {
    title: 'spark.dynamicAllocation.enabled " true", which Spark would read as true',
    change: { conf: { 'spark.dynamicAllocation.enabled': ' true', 'spark.dynamicAllocation.maxExecutors': '5' } },
    want: { 'conf["spark.dynamicAllocation.enabled"]': 'write true' },
  },
  {
    title: 'a node selector',
    change: { conf: { 'spark.kubernetes.node.selector.x': 'gpu' } },
    want: { 'conf["spark.kubernetes.node.selector.x"]': "node placement is the platform's" },
  },
  {
    title: "another team's volume on executors",
    change: { conf: { 'spark.kubernetes.executor.volumes.persistentVolumeClaim.x.options.claimName': 'finance-data' } },
    want: { 'conf["spark.kubernetes.executor.volumes.persistentVolumeClaim.x.options.claimName"]': "volumes are the platform's" },
  },
  {
    title: 'an executor annotation',
    change: { conf: { 'spark.kubernetes.executor.annotation.x': 'y' } },
    want: { 'conf["spark.kubernetes.executor.annotation.x"]': 'annotations are set by spark-dispatch' },
  },
  {
    title: 'the executor pod template',
    change: { conf: { 'spark.kubernetes.executor.podTemplateFile': '/tmp/t.yaml' } },
    want: { 'conf["spark.kubernetes.executor.podTemplateFile"]': 'pod security comes from the cluster profile' },
  },
  {
    title: 'the driver class path',
    change: { conf: { 'spark.driver.extraClassPath': '/tmp/evil.jar' } },
    want: { 'conf["spark.driver.extraClassPath"]': 'the class path comes from the image' },
  },
  {
    title: 'a conf key on no list',
    change: { conf: { 'spark.plugins': 'com.example.Plugin' } },
    want: { 'conf["spark.plugins"]': 'not on the allowlist' },
  },

  // ── Credentials ──────────────────────────────────────────────────────────────────────────────
  // Spark conf is a ConfigMap and pod specs are readable by anyone who can list pods: a secret
  // there leaks. The refusal itself must not repeat the secret (it is logged and returned).
  {
    title: 'conf spark.hadoop.fs.azure.account.key.<account>.dfs.core.windows.net',
    change: { conf: { 'spark.hadoop.fs.azure.account.key.sparkdispatchdemo.dfs.core.windows.net': ACCOUNT_KEY_VALUE } },
    want: { 'conf["spark.hadoop.fs.azure.account.key.sparkdispatchdemo.dfs.core.windows.net"]': 'storage authentication is keyless' },
    secret: ACCOUNT_KEY,
  },
  {
    // Spark's own credential keys are camelCase (spark.ssl.keyPassword, …trustStorePassword).
    title: 'a conf key that names a credential',
    change: { conf: { 'spark.ssl.keyPassword': 'hunter2-but-longer' } },
    want: { 'conf["spark.ssl.keyPassword"]': 'the key names a credential' },
    secret: 'hunter2-but-longer',
  },
  {
    title: 'a SAS token as a conf value',
    change: { conf: { 'spark.myapp.source': `?${SAS_TOKEN}` } },
    want: { 'conf["spark.myapp.source"]': 'it looks like a SAS token' },
    secret: SAS_SIG,
  },
  {
    title: 'an account key as a conf value',
    change: { conf: { 'spark.myapp.blob': ACCOUNT_KEY_VALUE } },
    want: { 'conf["spark.myapp.blob"]': 'it looks like an Azure storage account key' },
    secret: ACCOUNT_KEY,
  },
  {
    title: 'a JWT in env',
    change: { env: { UPSTREAM_AUTH: JWT } },
    want: { 'env.UPSTREAM_AUTH': 'it looks like a JSON Web Token' },
    secret: JWT,
  },
  {
    title: 'a connection string with AccountKey= in args',
    change: { args: ['--output', CONNECTION_STRING] },
    want: { 'args[1]': 'it looks like a connection string with a key' },
    secret: CONNECTION_STRING_KEY,
  },
  {
    // Users copy SAS URLs straight from the portal: the refusal must not echo the signature back.
    title: 'an https blob URL carrying a SAS token',
    change: { main: `https://sparkdispatchdemo.blob.core.windows.net/jobs/wordcount/main.py?${SAS_TOKEN}` },
    want: { main: `${ROOT}/wordcount/main.py` },
    secret: SAS_SIG,
  },

  // ── Environment and labels ───────────────────────────────────────────────────────────────────
  // Variables and labels the image, Spark or workload identity own decide selection and identity.
  {
    title: 'env SPARK_USER (reserved)',
    change: { env: { SPARK_USER: 'root' } },
    want: { 'env.SPARK_USER': 'a variable that Spark, the image or workload identity does not own' },
  },
  { title: 'env name 1BAD', change: { env: { '1BAD': 'x' } }, want: { 'env["1BAD"]': 'an environment variable name' } },
  {
    title: 'label key spark-role (reserved)',
    change: { labels: { 'spark-role': 'driver' } },
    want: { 'labels["spark-role"]': 'a label key outside spark-*' },
  },
  {
    title: 'a label value of 64 characters',
    change: { labels: { team: 'a'.repeat(64) } },
    want: { 'labels.team': 'a Kubernetes label value (at most 63' },
  },
  { title: 'a label key with a space', change: { labels: { 'a b': 'x' } }, want: { 'labels["a b"]': 'a Kubernetes label key' } },

  // ── Several problems at once ─────────────────────────────────────────────────────────────────
  // Every problem is reported in one round trip, not only the first one found.
  {
    title: 'bad main + bad memory + unknown field, all reported together',
    change: { main: 'wasb://jobs@sparkdispatchdemo.blob.core.windows.net/wordcount/main.py', driver: { memory: '2 GB' }, retries: 3 },
    want: { main: 'WASB', 'driver.memory': 'a size such as 512m or 2g', retries: 'one of the fields name, namespace, main' },
  },
  {
    title: 'several policy problems together (namespace, version, conf, env, label)',
    change: {
      namespace: 'other-team',
      sparkVersion: '9.9',
      conf: { 'spark.master': 'yarn' },
      env: { JAVA_HOME: '/tmp' },
      labels: { 'kubernetes.io/role': 'x' },
    },
    want: {
      namespace: 'one of the allowed namespaces',
      sparkVersion: 'a version from the catalog',
      'conf["spark.master"]': 'set by spark-dispatch',
      'env.JAVA_HOME': 'does not own',
      'labels["kubernetes.io/role"]': 'a label key outside',
    },
  },
  {
    // A schema problem sets aside only its own entry: the policy still judges the rest of the map.
    title: 'one bad conf entry next to several forbidden or unusable ones',
    change: {
      conf: {
        'spark.foo': 3,
        'spark.master': 'local',
        'spark.driver.memoryOverheadFactor': '2',
        'spark.kubernetes.driver.limit.cores': 'two',
        'spark.dynamicAllocation.enabled': 'true',
      },
    },
    want: {
      'conf["spark.foo"]': 'a string',
      'conf["spark.master"]': 'set by spark-dispatch',
      'conf["spark.driver.memoryOverheadFactor"]': 'a number greater than 0 and at most 1',
      'conf["spark.kubernetes.driver.limit.cores"]': 'a CPU quantity',
      'conf["spark.dynamicAllocation.maxExecutors"]': 'without it dynamic allocation is unbounded',
    },
  },
  {
    title: 'bad env and label entries next to reserved ones',
    change: { env: { '1BAD': 'x', PATH: '/bin' }, labels: { team: 'not ok!', 'spark-role': 'driver' } },
    want: {
      'env["1BAD"]': 'an environment variable name',
      'env.PATH': 'does not own',
      'labels.team': 'a Kubernetes label value',
      'labels["spark-role"]': 'a label key outside spark-*',
    },
  },
  {
    title: 'a bad pyFile and a bad argument next to refused ones, each at its own index',
    change: {
      pyFiles: [`${ROOT}/lib/deps.jar`, 'abfss://jobs@otheraccount.dfs.core.windows.net/lib/b.py', `${ROOT}/lib/ok.py`],
      args: [42, '--output', CONNECTION_STRING],
    },
    want: {
      'pyFiles[0]': 'a file ending in .py, .zip, .egg',
      'pyFiles[1]': 'a storage account allowed in settings',
      'args[0]': 'a string',
      'args[2]': 'it looks like a connection string with a key',
    },
    secret: CONNECTION_STRING_KEY,
  },
];

const prepare = (change: Record<string, unknown>) => prepareJob({ ...BASE, ...change }, settings, SOURCE);
const refusal = (change: Record<string, unknown>): readonly Problem[] => {
  const result = prepare(change);
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(change).slice(0, 200)}`);
  return result.problems;
};
const message = (p: Problem) => `${p.expected}\n${p.hint ?? ''}`;

describe('bad job spec corpus', () => {
  // Without this, every case below would pass for the wrong reason.
  it('the base spec is accepted', () => {
    const result = prepare({});
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it('has at least 40 cases with distinct titles', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.title)).size).toBe(CASES.length);
  });

  it.each(CASES)('$title', ({ change, want }) => {
    const result = prepare(change);
    expect(result.ok, 'a bad spec was accepted').toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path).sort()).toEqual(Object.keys(want).sort());
    for (const problem of result.problems) expect(message(problem)).toContain(want[problem.path]);
  });

  it('no case is ever accepted', () => {
    const accepted = CASES.filter((c) => prepare(c.change).ok).map((c) => c.title);
    expect(accepted).toEqual([]);
  });

  const SECRET_CASES = CASES.filter((c): c is BadSpec & { secret: string } => c.secret !== undefined);
  it.each(SECRET_CASES)('does not repeat the credential: $title', ({ change, secret }) => {
    expect(JSON.stringify(change)).toContain(secret); // the case really carries it
    expect(JSON.stringify(refusal(change))).not.toContain(secret);
  });
});

// ── Documents ──────────────────────────────────────────────────────────────────────────────────
// Specs arrive as text from queues and uploads: anything that is not one bounded mapping is
// refused at the root, before a schema sees it, and without exhausting memory.
const billionLaughs = (() => {
  const names = 'abcdefghi'.split('');
  let doc = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < names.length; i++)
    doc += `${names[i]}: &${names[i]} [${Array(9)
      .fill(`*${names[i - 1]}`)
      .join(',')}]\n`;
  return doc;
})();

const aliasedDepth = (() => {
  const list = (inner: string) => `${'['.repeat(120)}${inner}${']'.repeat(120)}`;
  let doc = `a0: &a0 ${list('x')}\n`;
  for (let i = 1; i < 5; i++) doc += `a${i}: &a${i} ${list(`*a${i - 1}`)}\n`;
  return doc;
})();

const BAD_DOCUMENTS: readonly { title: string; text: string; origin: string; want: string }[] = [
  { title: 'broken YAML', text: 'name: wordcount\nargs: [unclosed\n', origin: 'job.yaml', want: 'valid YAML or JSON' },
  { title: 'broken JSON', text: '{"name": "wordcount", ', origin: 'job.json', want: 'valid JSON' },
  { title: 'a YAML list at the root', text: '- name: wordcount\n- name: other\n', origin: 'job.yaml', want: 'a list' },
  { title: 'an empty document', text: '', origin: 'job.yaml', want: 'an empty document' },
  { title: 'a document of only whitespace', text: '  \n\n', origin: 'job.yaml', want: 'an empty document' },
  { title: 'a scalar at the root', text: '4.0\n', origin: 'job.yaml', want: 'a mapping of fields' },
  { title: 'duplicate YAML keys', text: 'name: wordcount\nmain: a.py\nname: other\n', origin: 'job.yaml', want: 'Map keys must be unique' },
  {
    title: 'duplicate YAML keys, named with their lines',
    text: 'name: wordcount\nmain: a.py\nname: other\n',
    origin: 'job.yaml',
    want: 'line 3: the key "name" appears twice (first on line 1)',
  },
  {
    title: 'duplicate JSON keys are not called a syntax error',
    text: '{\n  "name": "wordcount",\n  "driver": {\n    "memory": "2g",\n    "memory": "4g"\n  }\n}\n',
    origin: 'job.json',
    want: 'line 5: the key "memory" appears twice in driver (first on line 4)',
  },
  {
    title: 'a document over 256 KiB',
    text: `name: wordcount\njobKey: "${'k'.repeat(256 * 1024)}"\n`,
    origin: 'job.yaml',
    want: 'at most 256 KiB',
  },
  {
    title: 'over 256 KiB in bytes, under in characters',
    text: `name: "${'€'.repeat(100_000)}"\n`,
    origin: 'job.yaml',
    want: 'at most 256 KiB',
  },
  {
    title: 'a YAML "billion laughs" alias bomb',
    text: billionLaughs,
    origin: 'job.yaml',
    want: 'YAML aliases (*name) expand at most 100 times',
  },
  // The YAML composer recurses once per level; 5,000 levels can kill the process, not just throw.
  {
    title: '5,000 nested JSON arrays',
    text: `${'['.repeat(5000)}${']'.repeat(5000)}`,
    origin: 'message.json',
    want: 'nested at most 128 levels deep',
  },
  {
    title: '3,000 nested flow maps',
    text: `${'{a: '.repeat(3000)}1${'}'.repeat(3000)}`,
    origin: 'job.yaml',
    want: 'nested at most 128 levels deep',
  },
  { title: '50,000 nested block sequences', text: `${'- '.repeat(50_000)}x\n`, origin: 'job.yaml', want: 'nested at most 128 levels deep' },
];

describe('parseDocument refuses bad documents at the root', () => {
  it.each(BAD_DOCUMENTS)('$title', ({ text, origin, want }) => {
    const result = parseDocument(text, origin);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path)).toEqual(['(root)']);
    expect(result.problems.map((p) => `${p.expected}\n${p.found ?? ''}`).join('\n')).toContain(want);
  });

  it('aliases that nest lists deeper than the text does are refused, naming where', () => {
    // Each alias nests a 120-deep list inside the next: 1.3 KB of text, 120 levels as text, 601 as a value.
    expect(parseDocument(aliasedDepth, 'job.yaml')).toEqual({
      ok: false,
      problems: [
        {
          path: 'a1[0][0][0]… (128 levels down)',
          expected: 'a document nested at most 128 levels deep',
          found: 'more than 128 levels once its YAML aliases are expanded',
        },
      ],
    });
  });

  it('names every repeated key with its line and map, in YAML and in JSON', () => {
    const yaml = [
      'name: wordcount',
      'driver:',
      '  memory: 2g',
      '  cores: 2',
      '  memory: 3g',
      'args:',
      '  - {k: 1, k: 2}',
      'name: other',
      '',
    ].join('\n');
    const fromYaml = parseDocument(yaml, 'job.yaml');
    expect(fromYaml.ok ? [] : fromYaml.problems.map((p) => p.found)).toEqual([
      'line 5: the key "memory" appears twice in driver (first on line 3)',
      'line 7: the key "k" appears twice in args[0] (first on line 7)',
      'line 8: the key "name" appears twice (first on line 1)',
    ]);
    const json = '{"name": "a",\n "conf": {"spark.x": "1",\n  "spark.x": "2"}}';
    const fromJson = parseDocument(json, 'message.json');
    expect(fromJson.ok).toBe(false);
    if (fromJson.ok) return;
    expect(fromJson.problems).toHaveLength(1);
    expect(fromJson.problems[0]!.expected).not.toContain('valid JSON');
    expect(fromJson.problems[0]!.found).toBe('line 3: the key "spark.x" appears twice in conf (first on line 2)');
  });

  it('a key repeated many times is reported a bounded number of times', () => {
    const text = `name: wordcount\n${'x: 1\n'.repeat(100)}`;
    const result = parseDocument(text, 'job.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(20);
    expect(result.problems[1]!.found).toBe('line 4: the key "x" appears again (first on line 2)');
    expect(result.problems[19]!.found).toBe('80 more repeated keys, from line 22 on');
  });

  it('a syntax error after a repeated key is reported too', () => {
    const result = parseDocument('name: a\nname: b\nargs: [unclosed\n', 'job.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.found)).toEqual([
      'line 2: the key "name" appears twice (first on line 1)',
      expect.stringContaining('a syntax error: '),
    ]);
  });

  it('a valid YAML spec still parses (the refusals above are not blanket)', () => {
    const result = parseDocument('name: wordcount\nsparkVersion: "4.0"\nlabels:\n  team: data\n', 'job.yaml');
    expect(result).toEqual({ ok: true, value: { name: 'wordcount', sparkVersion: '4.0', labels: { team: 'data' } } });
  });
});
