/**
 * The conf allowlist (src/domain/spec/confPolicy.ts). Every allowlisted key with a value it takes
 * and one it refuses; every smuggling route the denylist let through, refused with a reason; the
 * rules between keys; what an installation may add, and what it may never re-allow.
 */
import { describe, expect, it } from 'vitest';
import { confFactor, confMiB } from '../../src/domain/render/memory.js';
import {
  ALLOWLIST,
  checkConf,
  extraEntryProblem,
  javaOptionRefusal,
  REFUSED_KEYS,
  type ConfContext,
  type ConfPolicySettings,
} from '../../src/domain/spec/confPolicy.js';
import { DEFAULT_LIMITS } from '../../src/domain/tenant/namespacePolicy.js';

const POLICY: ConfPolicySettings = { deniedKeys: [], detectSecrets: true, allowedKeys: [] };
// The built-in limits (8 driver and executor cores, 32g driver memory, 50 executors) and a job
// with a 1-core driver and 2-core executors.
const CTX: ConfContext = { namespace: 'spark-jobs', limits: DEFAULT_LIMITS, driverCores: 1, executorCores: 2, policy: POLICY };

const check = (conf: Record<string, string>, ctx: Partial<ConfContext> = {}) => checkConf(conf, { ...CTX, ...ctx });
/** The one problem for `key`, as text: expected, found and hint. */
const problemText = (conf: Record<string, string>, key: string, ctx: Partial<ConfContext> = {}): string | undefined => {
  const p = check(conf, ctx).problems.find((x) => x.path === `conf[${JSON.stringify(key)}]`);
  return p && `${p.expected}\n${p.found ?? ''}\n${p.hint ?? ''}`;
};

// ── Every allowlisted key: one value it takes, one it refuses ─────────────────────────────────
// A prefix entry (`spark.sql.*`) is tried through a key under it. The good values are set alone,
// so keys that need a partner (dynamic allocation) get it in EXTRA.
const EXTRA: Readonly<Record<string, Record<string, string>>> = {
  'spark.dynamicAllocation.enabled': { 'spark.dynamicAllocation.maxExecutors': '10' },
};
const TABLE: readonly { key: string; good: string; bad: string; why: string }[] = [
  { key: 'spark.sql.shuffle.partitions', good: '64', bad: 'x'.repeat(10) + 'AccountKey=abc', why: 'a credential' },
  { key: 'spark.default.parallelism', good: '200', bad: '0', why: 'at least 1' },
  { key: 'spark.task.cpus', good: '2', bad: '3', why: "at most 2 (this job's executor.cores)" },
  { key: 'spark.task.maxFailures', good: '8', bad: 'four', why: 'a whole number' },
  { key: 'spark.stage.maxConsecutiveAttempts', good: '4', bad: '2147483648', why: '32-bit' },
  { key: 'spark.scheduler.mode', good: 'FAIR', bad: 'fair', why: 'one of FIFO, FAIR' },
  { key: 'spark.locality.wait', good: '0s', bad: '3', why: 'add a unit' },
  { key: 'spark.speculation', good: 'true', bad: 'yes', why: 'true or false' },
  { key: 'spark.speculation.interval', good: '100ms', bad: '0s', why: 'more than 0' },
  { key: 'spark.speculation.multiplier', good: '1.5', bad: '0', why: 'greater than 0' },
  { key: 'spark.speculation.quantile', good: '0.75', bad: '1.5', why: 'at most 1' },
  { key: 'spark.speculation.minTaskRuntime', good: '5s', bad: '5 s', why: 'a duration' },
  { key: 'spark.speculation.task.duration.threshold', good: '10min', bad: '10minutes', why: 'a duration' },
  { key: 'spark.speculation.efficiency.enabled', good: 'false', bad: 'False', why: 'write false' },
  { key: 'spark.speculation.efficiency.processRateMultiplier', good: '0.75', bad: '1.01', why: 'at most 1' },
  { key: 'spark.speculation.efficiency.longRunTaskFactor', good: '2', bad: '0.5', why: 'at least 1' },
  { key: 'spark.dynamicAllocation.enabled', good: 'true', bad: ' true', why: 'write true' },
  { key: 'spark.dynamicAllocation.maxExecutors', good: '50', bad: '51', why: 'at most 50 (the limit for namespace spark-jobs)' },
  { key: 'spark.dynamicAllocation.minExecutors', good: '0', bad: '-1', why: 'at least 0' },
  { key: 'spark.dynamicAllocation.initialExecutors', good: '5', bad: '500', why: 'at most 50' },
  { key: 'spark.dynamicAllocation.executorIdleTimeout', good: '60s', bad: '60', why: 'seconds for some keys' },
  { key: 'spark.dynamicAllocation.cachedExecutorIdleTimeout', good: '1h', bad: '1H', why: 'lower case' },
  { key: 'spark.dynamicAllocation.schedulerBacklogTimeout', good: '1s', bad: '0s', why: 'more than 0' },
  { key: 'spark.dynamicAllocation.schedulerBacklogTimeout', good: '2000ms', bad: '100ms', why: 'in whole seconds' },
  { key: 'spark.dynamicAllocation.sustainedSchedulerBacklogTimeout', good: '5s', bad: '-5s', why: 'a duration' },
  { key: 'spark.dynamicAllocation.shuffleTracking.enabled', good: 'true', bad: '1', why: 'true or false' },
  { key: 'spark.dynamicAllocation.shuffleTracking.timeout', good: '30min', bad: '30 min', why: 'a duration' },
  { key: 'spark.dynamicAllocation.executorAllocationRatio', good: '0.5', bad: '0', why: 'greater than 0 and at most 1' },
  { key: 'spark.driver.memoryOverheadFactor', good: '0.2', bad: '1.5', why: 'a number greater than 0 and at most 1' },
  { key: 'spark.executor.memoryOverheadFactor', good: '1', bad: '5e-1', why: 'a plain decimal' },
  { key: 'spark.kubernetes.memoryOverheadFactor', good: '0.99', bad: '1', why: 'less than 1' },
  { key: 'spark.driver.minMemoryOverhead', good: '512m', bad: '512', why: 'add a unit' },
  { key: 'spark.kubernetes.driver.limit.cores', good: '1500m', bad: '9', why: 'at most 8 (the limit for namespace spark-jobs)' },
  { key: 'spark.kubernetes.executor.limit.cores', good: '4', bad: 'two', why: 'a CPU quantity' },
  { key: 'spark.kubernetes.executor.request.cores', good: '0.5', bad: '8001m', why: 'at most 8' },
  { key: 'spark.kubernetes.allocation.batch.size', good: '10', bad: '51', why: 'at most 50' },
  { key: 'spark.kubernetes.allocation.batch.delay', good: '1s', bad: '500us', why: 'would cut 500us short' },
  { key: 'spark.memory.fraction', good: '0.6', bad: '1', why: 'less than 1' },
  { key: 'spark.memory.storageFraction', good: '0', bad: '1', why: 'less than 1' },
  {
    key: 'spark.serializer',
    good: 'org.apache.spark.serializer.KryoSerializer',
    bad: 'com.example.EvilSerializer',
    why: 'one of org.apache.spark.serializer.KryoSerializer',
  },
  { key: 'spark.kryoserializer.buffer', good: '64k', bad: '2g', why: 'less than 2048m' },
  { key: 'spark.kryoserializer.buffer.max', good: '512m', bad: '2048m', why: 'less than 2048m' },
  { key: 'spark.network.timeout', good: '5min', bad: '1500ms', why: 'in whole seconds' },
  { key: 'spark.executor.heartbeatInterval', good: '20s', bad: '2min', why: 'less than spark.network.timeout (120s, the default)' },
  { key: 'spark.shuffle.compress', good: 'false', bad: 'off', why: 'true or false' },
  { key: 'spark.shuffle.spill.compress', good: 'true', bad: 'TRUE', why: 'write true' },
  { key: 'spark.python.worker.reuse', good: 'false', bad: 'no', why: 'true or false' },
  { key: 'spark.python.worker.memory', good: '1g', bad: '1gb', why: 'without a trailing b' },
  { key: 'spark.eventLog.enabled', good: 'true', bad: 'y', why: 'true or false' },
  {
    key: 'spark.eventLog.dir',
    good: 'abfss://logs@sparkdispatchdemo.dfs.core.windows.net/spark-events',
    bad: 'hdfs://namenode/spark-events',
    why: 'an abfss:// directory URI',
  },
  { key: 'spark.eventLog.compress', good: 'true', bad: 'maybe', why: 'true or false' },
  { key: 'spark.ui.enabled', good: 'false', bad: '0', why: 'true or false' },
  { key: 'spark.ui.showConsoleProgress', good: 'true', bad: 'on', why: 'true or false' },
  { key: 'spark.decommission.enabled', good: 'true', bad: 'True', why: 'write true' },
  { key: 'spark.storage.decommission.enabled', good: 'true', bad: 'enabled', why: 'true or false' },
  { key: 'spark.storage.decommission.shuffleBlocks.enabled', good: 'false', bad: 'nope', why: 'true or false' },
  { key: 'spark.storage.decommission.rddBlocks.enabled', good: 'false', bad: '', why: 'true or false' },
  { key: 'spark.storage.decommission.fallbackStorage.cleanUp', good: 'true', bad: 'tru', why: 'true or false' },
  { key: 'spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version', good: '2', bad: '3', why: 'one of 1, 2' },
  { key: 'spark.hadoop.parquet.enable.summary-metadata', good: 'false', bad: 'FALSE', why: 'write false' },
  { key: 'spark.executorEnv.SALES_CURRENCY', good: 'EUR', bad: 'x', why: 'does not own' },
  { key: 'spark.kubernetes.driverEnv.SALES_CURRENCY', good: 'EUR', bad: 'x', why: 'does not own' },
  {
    key: 'spark.driver.extraJavaOptions',
    good: '-XX:+UseG1GC -XX:MaxGCPauseMillis=200 -Dmyapp.mode=fast',
    bad: '-Xmx64g',
    why: 'driver.memory',
  },
  {
    key: 'spark.executor.extraJavaOptions',
    good: '-XX:+ExitOnOutOfMemoryError -Xss4m',
    bad: '-XX:+UseG1GC "-Dx=a b"',
    why: 'without quotes',
  },
];
// For the env rows the bad case is a reserved name, not a bad value.
const BAD_KEY: Readonly<Record<string, string>> = {
  'spark.executorEnv.SALES_CURRENCY': 'spark.executorEnv.LD_LIBRARY_PATH',
  'spark.kubernetes.driverEnv.SALES_CURRENCY': 'spark.kubernetes.driverEnv.PYSPARK_PYTHON',
};

describe('the allowlist: every key with a good and a bad value', () => {
  it('covers every allowlist entry', () => {
    const covered = (entry: string) =>
      TABLE.some((row) => (entry.endsWith('.*') ? row.key.startsWith(entry.slice(0, -1)) : row.key === entry));
    expect(ALLOWLIST.map((a) => a.key).filter((k) => !covered(k))).toEqual([]);
  });

  it.each(TABLE)('$key = $good is accepted', ({ key, good }) => {
    const conf = { [key]: good, ...EXTRA[key] };
    const result = check(conf);
    expect(result.problems).toEqual([]);
    expect(result.conf).toEqual(conf);
  });

  it.each(TABLE)('$key = $bad is refused ($why)', ({ key, good, bad, why }) => {
    const badKey = BAD_KEY[key] ?? key;
    const conf = { [badKey]: BAD_KEY[key] ? good : bad, ...EXTRA[key] };
    const result = check(conf);
    expect(result.problems.map((p) => p.path)).toEqual([`conf[${JSON.stringify(badKey)}]`]);
    expect(problemText(conf, badKey)).toContain(why);
    expect(result.conf).not.toHaveProperty(badKey);
  });
});

// ── The routes around the old denylist ─────────────────────────────────────────────────────────
const SMUGGLING: readonly { title: string; conf: Record<string, string>; key: string; want: string; ctx?: Partial<ConfContext> }[] = [
  {
    title: 'a Secret mount through -D in extraJavaOptions',
    conf: { 'spark.driver.extraJavaOptions': '-XX:+UseG1GC -Dspark.kubernetes.driver.secrets.x=/y' },
    key: 'spark.driver.extraJavaOptions',
    want: '"-Dspark.kubernetes.driver.secrets.x=/y"',
  },
  {
    title: 'another service account through -D',
    conf: { 'spark.driver.extraJavaOptions': '-Dspark.kubernetes.authenticate.driver.serviceAccountName=admin' },
    key: 'spark.driver.extraJavaOptions',
    want: 'Spark reads -Dspark.* system properties as conf',
  },
  {
    title: 'another image through -D on executors',
    conf: { 'spark.executor.extraJavaOptions': '-Dspark.kubernetes.container.image=evil' },
    key: 'spark.executor.extraJavaOptions',
    want: '-Dspark.kubernetes.container.image=evil',
  },
  {
    title: '-D with another case',
    conf: { 'spark.driver.extraJavaOptions': '-DSPARK.kubernetes.namespace=kube-system' },
    key: 'spark.driver.extraJavaOptions',
    want: 'Spark reads -Dspark.*',
  },
  {
    title: 'a Java agent',
    conf: { 'spark.driver.extraJavaOptions': '-javaagent:/tmp/a.jar' },
    key: 'spark.driver.extraJavaOptions',
    want: 'agents run code inside the JVM',
  },
  {
    title: 'a native agent',
    conf: { 'spark.executor.extraJavaOptions': '-agentlib:jdwp=transport=dt_socket,server=y' },
    key: 'spark.executor.extraJavaOptions',
    want: 'agents run code',
  },
  {
    title: 'a heap beyond executor.memory',
    conf: { 'spark.executor.extraJavaOptions': '-Xmx200g' },
    key: 'spark.executor.extraJavaOptions',
    want: 'executor.memory',
  },
  {
    title: 'a boot class path',
    conf: { 'spark.driver.extraJavaOptions': '-Xbootclasspath/a:/tmp/evil.jar' },
    key: 'spark.driver.extraJavaOptions',
    want: 'the class path comes from the image',
  },
  {
    title: 'an argument file',
    conf: { 'spark.driver.extraJavaOptions': '@/tmp/args' },
    key: 'spark.driver.extraJavaOptions',
    want: 'argument files',
  },
  {
    title: 'a RAM override',
    conf: { 'spark.executor.extraJavaOptions': '-XX:MaxRAM=1t' },
    key: 'spark.executor.extraJavaOptions',
    want: '"-XX:MaxRAM=1t"',
  },
  {
    title: 'log4j configuration from elsewhere',
    conf: { 'spark.driver.extraJavaOptions': '-Dlog4j2.configurationFile=http://evil/x.xml' },
    key: 'spark.driver.extraJavaOptions',
    want: 'starting with log4j',
  },
  {
    title: 'storage settings as system properties',
    conf: { 'spark.driver.extraJavaOptions': '-Dfs.azure.account.auth.type=SharedKey' },
    key: 'spark.driver.extraJavaOptions',
    want: 'starting with fs.azure',
  },
  {
    title: 'LD_PRELOAD on executors',
    conf: { 'spark.executorEnv.LD_PRELOAD': '/tmp/evil.so' },
    key: 'spark.executorEnv.LD_PRELOAD',
    want: 'a variable that Spark, the image or workload identity does not own',
  },
  {
    title: 'workload identity variables on the driver (operator)',
    conf: { 'spark.kubernetes.driverEnv.AZURE_CLIENT_ID': '22222222-2222-2222-2222-222222222222' },
    key: 'spark.kubernetes.driverEnv.AZURE_CLIENT_ID',
    want: 'does not own',
  },
  {
    title: 'an executor variable that is not a variable name',
    conf: { 'spark.executorEnv.A-B': 'x' },
    key: 'spark.executorEnv.A-B',
    want: 'an environment variable name',
  },
  {
    title: 'a GPU',
    conf: { 'spark.executor.resource.gpu.amount': '1' },
    key: 'spark.executor.resource.gpu.amount',
    want: 'GPUs and other custom resources',
  },
  {
    title: 'a driver GPU',
    conf: { 'spark.driver.resource.gpu.amount': '1' },
    key: 'spark.driver.resource.gpu.amount',
    want: 'settings.confPolicy.allowedKeys',
  },
  {
    title: 'PySpark memory outside the limits',
    conf: { 'spark.executor.pyspark.memory': '64g' },
    key: 'spark.executor.pyspark.memory',
    want: 'outside the namespace limits',
  },
  {
    title: 'off-heap memory outside the limits',
    conf: { 'spark.memory.offHeap.size': '64g' },
    key: 'spark.memory.offHeap.size',
    want: 'outside the namespace limits',
  },
  {
    title: 'off-heap switched on',
    conf: { 'spark.memory.offHeap.enabled': 'true' },
    key: 'spark.memory.offHeap.enabled',
    want: 'outside the namespace limits',
  },
  {
    title: 'executor CPU request above the limit',
    conf: { 'spark.kubernetes.executor.request.cores': '16' },
    key: 'spark.kubernetes.executor.request.cores',
    want: 'at most 8 (the limit for namespace spark-jobs)',
  },
  {
    title: 'task CPUs above the executor cores',
    conf: { 'spark.task.cpus': '4' },
    key: 'spark.task.cpus',
    want: "at most 2 (this job's executor.cores)",
  },
  {
    title: 'dynamic allocation " true"',
    conf: { 'spark.dynamicAllocation.enabled': ' true', 'spark.dynamicAllocation.maxExecutors': '5' },
    key: 'spark.dynamicAllocation.enabled',
    want: 'write true',
  },
  {
    title: 'a node selector',
    conf: { 'spark.kubernetes.node.selector.x': 'gpu' },
    key: 'spark.kubernetes.node.selector.x',
    want: "node placement is the platform's",
  },
  {
    title: 'an executor node selector',
    conf: { 'spark.kubernetes.executor.node.selector.pool': 'gpu' },
    key: 'spark.kubernetes.executor.node.selector.pool',
    want: "node placement is the platform's",
  },
  {
    title: 'a PVC on executors',
    conf: { 'spark.kubernetes.executor.volumes.persistentVolumeClaim.x.options.claimName': 'other-teams-data' },
    key: 'spark.kubernetes.executor.volumes.persistentVolumeClaim.x.options.claimName',
    want: "volumes are the platform's",
  },
  {
    title: 'an executor annotation',
    conf: { 'spark.kubernetes.executor.annotation.x': 'y' },
    key: 'spark.kubernetes.executor.annotation.x',
    want: 'annotations are set by spark-dispatch',
  },
  {
    title: 'the executor pod template',
    conf: { 'spark.kubernetes.executor.podTemplateFile': '/tmp/t.yaml' },
    key: 'spark.kubernetes.executor.podTemplateFile',
    want: 'pod security comes from the cluster profile',
  },
  {
    title: 'the driver class path',
    conf: { 'spark.driver.extraClassPath': '/tmp/evil.jar' },
    key: 'spark.driver.extraClassPath',
    want: 'the class path comes from the image',
  },
  {
    title: 'the executor library path',
    conf: { 'spark.executor.extraLibraryPath': '/tmp' },
    key: 'spark.executor.extraLibraryPath',
    want: 'native libraries come from the image',
  },
  {
    title: 'default Java options',
    conf: { 'spark.executor.defaultJavaOptions': '-javaagent:/tmp/a.jar' },
    key: 'spark.executor.defaultJavaOptions',
    want: 'checked option by option',
  },
  {
    title: 'jars',
    conf: { 'spark.jars.packages': 'com.evil:agent:1.0' },
    key: 'spark.jars.packages',
    want: 'JVM dependencies come from the image',
  },
  {
    title: 'storage settings',
    conf: { 'spark.hadoop.fs.azure.always.use.https': 'false' },
    key: 'spark.hadoop.fs.azure.always.use.https',
    want: 'storage authentication is keyless',
  },
  {
    title: 'the executor scheduler',
    conf: { 'spark.kubernetes.executor.scheduler.name': 'volcano' },
    key: 'spark.kubernetes.executor.scheduler.name',
    want: 'capacity policy',
  },
  {
    title: 'tmpfs scratch',
    conf: { 'spark.kubernetes.local.dirs.tmpfs': 'true' },
    key: 'spark.kubernetes.local.dirs.tmpfs',
    want: 'outside the namespace limits',
  },
  {
    title: 'any other Kubernetes key',
    conf: { 'spark.kubernetes.executor.deleteOnTermination': 'false' },
    key: 'spark.kubernetes.executor.deleteOnTermination',
    want: 'the sweeper relies on it',
  },
  {
    title: 'a Kubernetes key on no list',
    conf: { 'spark.kubernetes.driver.service.ipFamilies': 'IPv6' },
    key: 'spark.kubernetes.driver.service.ipFamilies',
    want: "Kubernetes settings are the platform's",
  },
  {
    title: 'a key on no list',
    conf: { 'spark.plugins': 'com.evil.Plugin' },
    key: 'spark.plugins',
    want: 'not on the allowlist (settings.confPolicy.allowedKeys can add it)',
  },
];

describe('every smuggling route is refused, with a reason', () => {
  it.each(SMUGGLING)('$title', ({ conf, key, want, ctx }) => {
    const result = check(conf, ctx);
    expect(result.problems.map((p) => p.path)).toContain(`conf[${JSON.stringify(key)}]`);
    expect(problemText(conf, key, ctx)).toContain(want);
    expect(result.conf).not.toHaveProperty(key);
  });

  it('the keys the dispatcher owns keep their reasons, naming the field to use', () => {
    expect(problemText({ 'spark.executor.memory': '64g' }, 'spark.executor.memory')).toContain('use executor.memory');
    expect(problemText({ 'spark.driver.cores': '8' }, 'spark.driver.cores')).toContain('use driver.cores');
    expect(problemText({ 'spark.executor.instances': '500' }, 'spark.executor.instances')).toContain('use executor.instances');
    expect(problemText({ 'spark.app.name': 'x' }, 'spark.app.name')).toContain('use the name field');
    expect(problemText({ 'spark.kubernetes.namespace': 'kube-system' }, 'spark.kubernetes.namespace')).toContain('use the namespace field');
    expect(problemText({ 'spark.kubernetes.container.image': 'evil' }, 'spark.kubernetes.container.image')).toContain('use sparkVersion');
    expect(
      problemText(
        { 'spark.kubernetes.authenticate.driver.serviceAccountName': 'admin' },
        'spark.kubernetes.authenticate.driver.serviceAccountName',
      ),
    ).toContain('driverServiceAccount');
    expect(problemText({ 'spark.kubernetes.driver.secretKeyRef.X': 'db:password' }, 'spark.kubernetes.driver.secretKeyRef.X')).toContain(
      'reading Secrets is not allowed',
    );
  });

  it('names the first refused JVM option and counts the others', () => {
    const text = problemText(
      { 'spark.driver.extraJavaOptions': '-XX:+UseG1GC -javaagent:/a.jar -Xmx9g -Dspark.x=1' },
      'spark.driver.extraJavaOptions',
    );
    expect(text).toContain('"-javaagent:/a.jar"');
    expect(text).toContain('and 2 more refused options');
  });

  it('a key that names a credential, or a value that is one, is refused whatever the key, without echoing it', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9abc.eyJzdWIiOiJzcGFyayJ9abcd.c2lnbmF0dXJl';
    const confs: Record<string, string>[] = [
      { 'spark.sql.catalog.lake.token': 'abc123' },
      { 'spark.sql.catalog.lake.header': jwt },
      { 'spark.executorEnv.UPSTREAM': jwt },
      { 'spark.driver.extraJavaOptions': `-Dmyapp.auth=${jwt}` },
    ];
    for (const conf of confs) {
      const result = check(conf);
      expect(result.problems).toHaveLength(1);
      expect(JSON.stringify(result.problems)).not.toContain(jwt);
      expect(JSON.stringify(result.problems)).not.toContain('abc123');
    }
  });

  it('an installation may refuse an allowlisted key', () => {
    const policy = { ...POLICY, deniedKeys: ['spark.eventLog.*'] };
    expect(problemText({ 'spark.eventLog.enabled': 'true' }, 'spark.eventLog.enabled', { policy })).toContain(
      'settings.confPolicy.deniedKeys',
    );
  });
});

describe('rules between keys', () => {
  it('dynamic allocation needs maxExecutors, within the namespace limit', () => {
    expect(problemText({ 'spark.dynamicAllocation.enabled': 'true' }, 'spark.dynamicAllocation.maxExecutors')).toContain(
      'without it dynamic allocation is unbounded',
    );
    const tight = { ...CTX.limits, maxExecutors: 4 };
    expect(
      problemText(
        { 'spark.dynamicAllocation.enabled': 'true', 'spark.dynamicAllocation.maxExecutors': '5' },
        'spark.dynamicAllocation.maxExecutors',
        { limits: tight },
      ),
    ).toContain('at most 4 (the limit for namespace spark-jobs)');
    expect(
      check({ 'spark.dynamicAllocation.enabled': 'true', 'spark.dynamicAllocation.maxExecutors': '4' }, { limits: tight }),
    ).toMatchObject({ dynamicAllocation: true, problems: [] });
    // Off, it is not required; only `true` turns it on.
    expect(check({ 'spark.dynamicAllocation.enabled': 'false' })).toMatchObject({ dynamicAllocation: false, problems: [] });
  });

  it('minExecutors and initialExecutors stay within maxExecutors', () => {
    const conf = {
      'spark.dynamicAllocation.enabled': 'true',
      'spark.dynamicAllocation.maxExecutors': '5',
      'spark.dynamicAllocation.minExecutors': '6',
      'spark.dynamicAllocation.initialExecutors': '7',
    };
    expect(problemText(conf, 'spark.dynamicAllocation.minExecutors')).toContain('at most 5 (spark.dynamicAllocation.maxExecutors)');
    expect(problemText(conf, 'spark.dynamicAllocation.initialExecutors')).toContain('at most 5');
  });

  it('a CPU limit is never below the request', () => {
    expect(problemText({ 'spark.kubernetes.driver.limit.cores': '500m' }, 'spark.kubernetes.driver.limit.cores')).toContain(
      'at least the CPU request, 1 (driver.cores)',
    );
    expect(problemText({ 'spark.kubernetes.executor.limit.cores': '1' }, 'spark.kubernetes.executor.limit.cores')).toContain(
      '2 (executor.cores)',
    );
    expect(
      problemText(
        { 'spark.kubernetes.executor.request.cores': '3', 'spark.kubernetes.executor.limit.cores': '2500m' },
        'spark.kubernetes.executor.limit.cores',
      ),
    ).toContain('3 (spark.kubernetes.executor.request.cores)');
    expect(check({ 'spark.kubernetes.executor.request.cores': '500m', 'spark.kubernetes.executor.limit.cores': '1' }).problems).toEqual([]);
  });

  it('the heartbeat stays below the network timeout', () => {
    expect(problemText({ 'spark.network.timeout': '10s' }, 'spark.network.timeout')).toContain(
      'more than spark.executor.heartbeatInterval',
    );
    expect(
      problemText({ 'spark.network.timeout': '2s', 'spark.executor.heartbeatInterval': '2000ms' }, 'spark.executor.heartbeatInterval'),
    ).toContain('less than spark.network.timeout (2s)');
    expect(check({ 'spark.network.timeout': '30s', 'spark.executor.heartbeatInterval': '5s' }).problems).toEqual([]);
  });

  it('reports every problem at once', () => {
    const result = check({
      'spark.master': 'local',
      'spark.task.cpus': '9',
      'spark.executorEnv.PATH': '/tmp',
      'spark.plugins': 'x',
      'spark.sql.ok': 'fine',
    });
    expect(result.problems.map((p) => p.path).sort()).toEqual([
      'conf["spark.executorEnv.PATH"]',
      'conf["spark.master"]',
      'conf["spark.plugins"]',
      'conf["spark.task.cpus"]',
    ]);
    expect(result.conf).toEqual({ 'spark.sql.ok': 'fine' });
  });
});

describe('JVM options, one by one', () => {
  it.each([
    '-XX:+UseG1GC',
    '-XX:+UseParallelGC',
    '-XX:MaxGCPauseMillis=200',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:G1HeapRegionSize=16m',
    '-XX:ParallelGCThreads=4',
    '-XX:ConcGCThreads=2',
    '-XX:+UseStringDeduplication',
    '-XX:+ExitOnOutOfMemoryError',
    '-XX:+HeapDumpOnOutOfMemoryError',
    '-XX:+PrintGCDetails',
    '-Xss4m',
    '-Xss512k',
    '-Dmyapp.mode=fast',
    '-Dio.netty.tryReflectionSetAccessible=true',
  ])('%s is allowed', (token) => {
    expect(javaOptionRefusal(token)).toBeUndefined();
  });

  it.each([
    '-XX:InitiatingHeapOccupancyPercent=101',
    '-XX:MaxRAMPercentage=90',
    '-XX:+UnlockDiagnosticVMOptions',
    '-XX:Flags=/tmp/.hotspotrc',
    '-Xms4g',
    '-Xmn1g',
    '-Xss',
    '-Dmyapp',
    '-Djava.security.manager=allow',
    '-Djavax.net.ssl.trustStore=/tmp/x',
    '-Djdk.attach.allowAttachSelf=true',
    '-Dsun.net.spi=x',
    '-Dcom.sun.management.jmxremote',
    '-Dhadoop.security.authentication=simple',
    '-Dazure.identity=x',
    '-Duser.home=/tmp',
    '-cp',
    '--add-opens=java.base/java.lang=ALL-UNNAMED',
    '-verbose:class',
  ])('%s is refused', (token) => {
    expect(javaOptionRefusal(token)).toBeDefined();
  });
});

describe('what an installation may add', () => {
  const withGpus: ConfPolicySettings = {
    ...POLICY,
    allowedKeys: [
      { key: 'spark.executor.resource.gpu.amount', value: 'integer', min: 0, max: 2 },
      { key: 'spark.myapp.*', value: 'text' },
    ],
  };

  it('allows its keys, with their rule', () => {
    expect(check({ 'spark.executor.resource.gpu.amount': '2', 'spark.myapp.mode': 'fast' }, { policy: withGpus }).problems).toEqual([]);
    expect(
      problemText({ 'spark.executor.resource.gpu.amount': '3' }, 'spark.executor.resource.gpu.amount', { policy: withGpus }),
    ).toContain('at most 2');
    // Other resource keys stay refused.
    expect(
      problemText({ 'spark.executor.resource.gpu.vendor': 'nvidia.com' }, 'spark.executor.resource.gpu.vendor', { policy: withGpus }),
    ).toContain('GPUs');
  });

  it('never re-allows a key the dispatcher owns, even if an entry reaches checkConf', () => {
    const sneaky: ConfPolicySettings = {
      ...POLICY,
      allowedKeys: [
        { key: 'spark.kubernetes.*', value: 'text' },
        { key: 'spark.master', value: 'text' },
      ],
    };
    expect(problemText({ 'spark.master': 'local' }, 'spark.master', { policy: sneaky })).toContain('the driver always runs in-cluster');
    expect(
      problemText(
        { 'spark.kubernetes.authenticate.driver.serviceAccountName': 'admin' },
        'spark.kubernetes.authenticate.driver.serviceAccountName',
        { policy: sneaky },
      ),
    ).toContain('driverServiceAccount');
  });

  it('never loosens a built-in rule', () => {
    const loose: ConfPolicySettings = { ...POLICY, allowedKeys: [{ key: 'spark.executorEnv.*', value: 'text' }] };
    expect(problemText({ 'spark.executorEnv.LD_PRELOAD': '/x.so' }, 'spark.executorEnv.LD_PRELOAD', { policy: loose })).toContain(
      'does not own',
    );
  });

  it.each([
    ['spark.master', 'spark.master'],
    ['spark.kubernetes.*', 'spark.kubernetes.namespace'],
    ['spark.kubernetes.authenticate.driver.*', 'spark.kubernetes.authenticate.*'],
    ['spark.kubernetes.driver.*', 'spark.kubernetes.driver.master'],
    ['spark.kubernetes.executor.secrets.db', 'spark.kubernetes.executor.secrets.*'],
    ['spark.hadoop.fs.azure.*', 'spark.hadoop.fs.azure.account.*'],
    ['spark.*', 'spark.master'],
    ['spark.kubernetes.operator.podTemplateRef', 'spark.kubernetes.*podTemplate*'],
  ])('an entry %s would re-allow %s: a settings error', (entry, owned) => {
    expect(extraEntryProblem(entry)).toContain(`would allow ${owned}`);
  });

  it.each([
    'spark.executor.resource.gpu.amount',
    'spark.executor.resource.*',
    'spark.kubernetes.node.selector.*',
    'spark.myapp.*',
    'spark.kubernetes.executor.node.selector.pool',
  ])('%s is a fine entry', (entry) => {
    expect(extraEntryProblem(entry)).toBeUndefined();
  });

  it('an entry for a key on the built-in allowlist is a settings error (its rule cannot change)', () => {
    expect(extraEntryProblem('spark.task.cpus')).toContain('covered by spark.task.cpus');
    expect(extraEntryProblem('spark.sql.catalog.*')).toContain('covered by spark.sql.*');
  });
});

describe('the lists themselves', () => {
  it('every owned pattern starts with a fixed spark.<word>. before any wildcard (so settings can tell what an entry covers)', () => {
    expect(
      REFUSED_KEYS.filter((r) => r.owned && !/^spark\.[A-Za-z]+\.?[^*]*/.test(r.pattern.split('*')[0]!)).map((r) => r.pattern),
    ).toEqual([]);
  });

  it('no allowlist entry is also an owned key', () => {
    const owned = REFUSED_KEYS.filter((r) => r.owned);
    expect(
      ALLOWLIST.filter((a) => owned.some((o) => extraEntryProblem(a.key)?.includes(`would allow ${o.pattern}`))).map((a) => a.key),
    ).toEqual([]);
  });

  it('the memory factors and sizes it accepts are read by render/memory.ts to the same numbers', () => {
    for (const value of ['0.1', '0.4', '.5', '1', '1.0', '0.999999999']) {
      expect(check({ 'spark.driver.memoryOverheadFactor': value }).problems).toEqual([]);
      expect(confFactor(value)).toBe(Number(value));
    }
    for (const value of ['384m', '1g', '2048k', '1G', '512mb']) {
      expect(check({ 'spark.driver.minMemoryOverhead': value }).problems).toEqual([]);
      expect(confMiB(value)).toBeGreaterThan(0);
    }
    // What memory.ts could not read, the policy refuses first.
    for (const value of ['00.5', '5e-1', '0x1p-1', ' 0.5'])
      expect(check({ 'spark.driver.memoryOverheadFactor': value }).problems).toHaveLength(1);
  });
});
