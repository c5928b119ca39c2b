/**
 * Item 7 ("Spark and Azure fidelity"): the operator backend launches exactly what the native one
 * does, through fields that reach the pods without the operator's mutating webhook, and refuses
 * what it cannot launch, naming the setting.
 *
 * Upstream followed, kubeflow/spark-operator at 38082f33 (after v2.5.2; the vendored CRD's commit):
 * - internal/controller/sparkapplication/submission.go: nameOption (`--name app.Name`),
 *   sparkConfOption (`--conf` per spec.sparkConf entry), dependenciesOption (`--py-files`),
 *   driverPodTemplateOption / executorPodTemplateOption (spec.*.template → pod template files that
 *   Spark applies), pythonVersionOption (spec.pythonVersion → spark.kubernetes.pyspark.pythonVersion,
 *   which Spark deprecated in 3.1);
 * - internal/webhook/sparkpod_defaulter.go, mutateSparkPod: the fields only the webhook applies;
 * - pkg/util/sparkapplication.go, GetLocalVolumes: only spark-local-dir-* volumes go through conf.
 */
import { describe, expect, it } from 'vitest';
import {
  CARRIED_BY_FIELDS,
  EXECUTOR_LABEL_PREFIX,
  operatorDriverTemplate,
  renderOperator,
} from '../../src/domain/render/renderOperator.js';
import { executorPodTemplate, renderNative } from '../../src/domain/render/renderNative.js';
import { sparkProperties } from '../../src/domain/render/sparkProperties.js';
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import { problemToString, type Problem } from '../../src/domain/spec/problem.js';
import type { ResolvedJob } from '../../src/domain/spec/resolveJob.js';
import { DEMO_SETTINGS } from '../../src/settings/defaultSettings.js';
import { parseSettings } from '../../src/settings/loadSettings.js';
import type { Settings, SettingsInput } from '../../src/settings/settingsSchema.js';
import { validateSparkApplication } from '../support/crdValidator.js';
import { runCli } from '../support/runCli.js';

// Rendered objects are plain JSON: index them freely in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const HOST = 'sparkdispatchdemo.dfs.core.windows.net';
const FULL = {
  name: 'Daily sales report',
  main: `abfss://jobs@${HOST}/sales/main.py`,
  pyFiles: ['local:///opt/app/helpers.py'],
  args: ['--date', '2024-06-01'],
  env: { REPORT_TZ: 'Europe/Paris' },
  labels: { team: 'sales' },
  conf: { 'spark.sql.shuffle.partitions': '64', 'spark.kubernetes.driver.limit.cores': '2' },
  driver: { cores: 1, memory: '2g' },
  executor: { cores: 2, memory: '4g', memoryOverhead: '1g', instances: 3 },
  deadlineSeconds: 5400,
  jobKey: 'sales-2024-06-01',
  backend: 'operator',
};
const ABFS_PY_FILE = `abfss://jobs@${HOST}/sales/lib.zip`;

function settingsWith(change: Partial<SettingsInput> = {}): Settings {
  const parsed = parseSettings({ ...structuredClone(DEMO_SETTINGS), ...change });
  if (!parsed.ok) throw new Error(parsed.problems.map(problemToString).join('\n'));
  return parsed.value;
}

function settingsProblems(change: Partial<SettingsInput>): string[] {
  const parsed = parseSettings({ ...structuredClone(DEMO_SETTINGS), ...change });
  return parsed.ok ? [] : parsed.problems.map(problemToString);
}

const prepare = (spec: Record<string, unknown>, settings: Settings = settingsWith()) =>
  prepareJob(spec, settings, { tenant: 'default', source: { kind: 'cli', ref: 'test' } });

function resolved(spec: Record<string, unknown> = FULL, settings?: Settings): ResolvedJob {
  const r = prepare(spec, settings);
  if (!r.ok) throw new Error(r.problems.map(problemToString).join('\n'));
  return r.value;
}

function refusal(spec: Record<string, unknown>, settings?: Settings): Problem[] {
  const r = prepare(spec, settings);
  expect(r.ok).toBe(false);
  return r.ok ? [] : [...r.problems];
}

/** What the SparkApplication says for a native key carried by one of its own fields. */
function carried(key: string, app: Loose): string | undefined {
  const s = app.spec;
  const byKey: Record<string, () => unknown> = {
    'spark.submit.deployMode': () => s.mode,
    'spark.kubernetes.namespace': () => app.metadata.namespace,
    'spark.kubernetes.driver.pod.name': () => s.driver.podName,
    'spark.kubernetes.memoryOverheadFactor': () => s.memoryOverheadFactor,
    'spark.submit.pyFiles': () => s.deps?.pyFiles.join(','),
    'spark.kubernetes.container.image': () => s.image,
    'spark.kubernetes.container.image.pullPolicy': () => s.imagePullPolicy,
    'spark.kubernetes.authenticate.driver.serviceAccountName': () => s.driver.serviceAccount,
    // The operator writes spec.executor.template to a file of its own (podTemplateFile) and names
    // the container itself (common.Spark3DefaultExecutorContainerName, spark-kubernetes-executor).
    'spark.kubernetes.executor.podTemplateContainerName': () => s.executor.template.spec.containers[0].name,
    'spark.driver.cores': () => String(s.driver.cores),
    'spark.driver.memory': () => s.driver.memory,
    'spark.driver.memoryOverhead': () => s.driver.memoryOverhead,
    'spark.executor.cores': () => String(s.executor.cores),
    'spark.executor.memory': () => s.executor.memory,
    'spark.executor.memoryOverhead': () => s.executor.memoryOverhead,
    'spark.executor.instances': () => String(s.executor.instances),
  };
  const get = byKey[key];
  return get === undefined ? undefined : (get() as string | undefined);
}

/** Decided by the operator or by Spark on the submitting side, not by the SparkApplication. */
const DECIDED_UPSTREAM = ['spark.master', 'spark.app.name', 'spark.app.id', 'spark.kubernetes.submitInDriver', 'spark.driver.host'];

/** sparkpod_defaulter.go mutateSparkPod: SparkPodSpec fields that reach a pod only through the webhook. */
const WEBHOOK_ONLY_POD_FIELDS = [
  'env',
  'envFrom',
  'configMaps',
  'volumeMounts',
  'ports',
  'hostNetwork',
  'hostAliases',
  'initContainers',
  'sidecars',
  'dnsConfig',
  'priorityClassName',
  'schedulerName',
  'affinity',
  'tolerations',
  'memoryLimit',
  'gpu',
  'securityContext',
  'podSecurityContext',
  'terminationGracePeriodSeconds',
  'lifecycle',
  'shareProcessNamespace',
];
const WEBHOOK_ONLY_APP_FIELDS = ['volumes', 'sparkConfigMap', 'hadoopConfigMap', 'monitoring'];

describe('item 7: the operator backend launches what the native backend does, or refuses', () => {
  for (const profile of ['aks', 'openshift'] as const) {
    for (const auth of ['workload-identity', 'managed-identity', 'none'] as const) {
      it(`accepted by the CRD with strict field validation, templates included (profile ${profile}, auth ${auth})`, () => {
        const storage =
          auth === 'workload-identity'
            ? DEMO_SETTINGS.storage
            : {
                ...structuredClone(DEMO_SETTINGS.storage),
                auth: auth === 'none' ? { mode: 'none' as const } : { mode: 'managed-identity' as const },
              };
        const job = resolved(FULL, settingsWith({ clusterProfile: profile, storage }));
        expect(validateSparkApplication(renderOperator(job))).toEqual([]);
      });
    }
  }

  it('every native spark.properties key reaches the SparkApplication: in sparkConf with the same value, or through the field CARRIED_BY_FIELDS names', () => {
    for (const spec of [FULL, { name: 'nightly', main: `abfss://jobs@${HOST}/etl/main.py`, backend: 'operator' }]) {
      const job = resolved(spec);
      const app = renderOperator(job) as Loose;
      const props = sparkProperties(job);
      for (const [key, value] of Object.entries(props)) {
        if (key.startsWith(EXECUTOR_LABEL_PREFIX))
          expect(app.spec.executor.labels[key.slice(EXECUTOR_LABEL_PREFIX.length)], key).toBe(value);
        else if (DECIDED_UPSTREAM.includes(key)) expect(app.spec.sparkConf, key).not.toHaveProperty([key]);
        else if (Object.hasOwn(CARRIED_BY_FIELDS, key)) {
          expect(app.spec.sparkConf, key).not.toHaveProperty([key]);
          if (key !== 'spark.kubernetes.executor.podTemplateFile') expect(carried(key, app), key).toBe(value);
          else expect(app.spec.executor.template, key).toBeDefined();
        } else expect(app.spec.sparkConf[key], key).toBe(value);
      }
      // Nothing else in sparkConf but SPARK_USER, which the native backend sets on the container.
      const extra = Object.keys(app.spec.sparkConf).filter((k) => !Object.hasOwn(props, k));
      expect(extra).toEqual(['spark.kubernetes.driverEnv.SPARK_USER']);
      expect(app.spec.sparkConf['spark.kubernetes.driverEnv.SPARK_USER']).toBe(
        renderNative(job).pod.spec.containers[0]!.env?.find((e) => e.name === 'SPARK_USER')?.value,
      );
    }
    // Every key CARRIED_BY_FIELDS names is one the native backend writes for the full job (no stale entries).
    const full = sparkProperties(resolved());
    for (const key of Object.keys(CARRIED_BY_FIELDS)) expect(full, key).toHaveProperty([key]);
  });

  it("the ports the namespace's NetworkPolicy opens: executors' block manager on 7079 and the executor pod names, as natively", () => {
    const job = resolved();
    const conf = (renderOperator(job).spec as Loose).sparkConf;
    const props = sparkProperties(job);
    for (const key of [
      'spark.driver.port',
      'spark.driver.blockManager.port',
      'spark.blockManager.port',
      'spark.kubernetes.executor.podNamePrefix',
    ]) {
      expect(conf[key], key).toBe(props[key]);
    }
    expect(conf['spark.blockManager.port']).toBe('7079');
  });

  it('pod security, the driver PriorityClass, the deadline, env and scratch volumes travel in Spark pod templates; no field relies on the webhook', () => {
    for (const profile of ['aks', 'openshift'] as const) {
      const job = resolved(FULL, settingsWith({ clusterProfile: profile }));
      const s = renderOperator(job).spec as Loose;
      for (const role of ['driver', 'executor'] as const) {
        for (const field of WEBHOOK_ONLY_POD_FIELDS) expect(s[role], `${role}.${field}`).not.toHaveProperty([field]);
      }
      for (const field of WEBHOOK_ONLY_APP_FIELDS) expect(s, field).not.toHaveProperty([field]);

      const native = renderNative(job).pod;
      const nativeDriver = native.spec.containers[0]!;
      const driver = s.driver.template.spec;
      expect(driver).toEqual(operatorDriverTemplate(job).spec);
      expect(driver.securityContext).toEqual(native.spec.securityContext);
      expect(driver.priorityClassName).toBe(native.spec.priorityClassName);
      expect(driver.activeDeadlineSeconds).toBe(native.spec.activeDeadlineSeconds);
      expect(driver.activeDeadlineSeconds).toBe(FULL.deadlineSeconds);
      expect(driver.containers).toHaveLength(1);
      // The operator names the driver container spark-kubernetes-driver (common.SparkDriverContainerName).
      expect(driver.containers[0].name).toBe(nativeDriver.name);
      expect(driver.containers[0].securityContext).toEqual(nativeDriver.securityContext);
      for (const e of driver.containers[0].env) expect(nativeDriver.env).toContainEqual(e);
      for (const m of driver.containers[0].volumeMounts) expect(nativeDriver.volumeMounts).toContainEqual(m);
      for (const v of driver.volumes) expect(native.spec.volumes).toContainEqual(v);
      // Executors: the very spec of the native executor pod template.
      expect(s.executor.template.spec).toEqual(executorPodTemplate(job).spec);
    }
  });

  it('no deprecated field: no pythonVersion (spark.kubernetes.pyspark.pythonVersion, deprecated since Spark 3.1)', () => {
    const s = renderOperator(resolved()).spec as Loose;
    expect(s).not.toHaveProperty('pythonVersion');
    expect(s.sparkConf).not.toHaveProperty(['spark.kubernetes.pyspark.pythonVersion']);
  });

  it("the app name is the SparkApplication's name (the operator's --name), unique per job key; sparkConf sets no spark.app.name it would override", () => {
    const today = resolved({ ...FULL, name: 'daily-sales', jobKey: 'daily-sales/2026-11-22' });
    const tomorrow = resolved({ ...FULL, name: 'daily-sales', jobKey: 'daily-sales/2026-11-23' });
    const [a, b] = [renderOperator(today), renderOperator(tomorrow)];
    expect(a.metadata.name).not.toBe(b.metadata.name);
    expect(a.metadata.name).toBe(today.names.prefix);
    expect(a.metadata.name).toMatch(/^daily-sales-[0-9a-f]{16}$/);
    expect((a.spec as Loose).sparkConf).not.toHaveProperty(['spark.app.name']);
    // The native backend's spark.app.name is the job's name itself: the one difference left.
    expect(sparkProperties(today)['spark.app.name']).toBe('daily-sales');
    expect(CARRIED_BY_FIELDS['spark.app.name']).toMatch(/--name <metadata\.name>/);
  });

  it('abfss py-files are refused, naming settings.operator.submitterReadsAbfss; local py-files and an abfss main file are not', () => {
    const problems = refusal({ ...FULL, pyFiles: ['local:///opt/app/helpers.py', ABFS_PY_FILE] });
    expect(problems.map((p) => p.path)).toEqual(['pyFiles[1]']);
    expect(problemToString(problems[0]!)).toMatch(
      /resolves py-files in the operator pod, and settings\.operator\.submitterReadsAbfss is false/,
    );
    expect(prepare(FULL).ok).toBe(true);
    // The same job on the native backend: its driver reads abfss itself.
    expect(prepare({ ...FULL, pyFiles: [ABFS_PY_FILE], backend: 'native' }).ok).toBe(true);
  });

  it('an operator whose submitter reads abfss (hadoop-azure in its image) takes abfss py-files', () => {
    const settings = settingsWith({ operator: { version: '2.5.2', submitterReadsAbfss: true, submitterHadoopAzure: '3.4.1' } });
    const job = resolved({ ...FULL, pyFiles: [ABFS_PY_FILE] }, settings);
    expect((renderOperator(job).spec as Loose).deps.pyFiles).toEqual([ABFS_PY_FILE]);
  });

  it('without settings.operator, operator-backend jobs are refused, naming it', () => {
    const { operator: _none, ...withoutOperator } = structuredClone(DEMO_SETTINGS);
    const parsed = parseSettings(withoutOperator);
    if (!parsed.ok) throw new Error('demo settings without operator must parse');
    const problems = refusal(FULL, parsed.value);
    expect(problems.map((p) => p.path)).toEqual(['backend']);
    expect(problemToString(problems[0]!)).toMatch(/settings\.operator names the Spark Operator in the cluster \(2\.1\.0 or later\)/);
    expect(prepare({ ...FULL, backend: 'native' }, parsed.value).ok).toBe(true);
  });

  it.each([
    [
      { operator: { version: '2.0.3' } },
      /settings\.operator\.version: expected 2\.1\.0 or later \(older Spark Operators have no spec\.driver\.template.*\), found "2\.0\.3"/,
    ],
    [
      { operator: { version: '2.5.2', submitterReadsAbfss: true } },
      /settings\.operator\.submitterHadoopAzure: .*since submitterReadsAbfss is true/,
    ],
    [
      { operator: { version: '2.5.2', submitterReadsAbfss: true, submitterHadoopAzure: '3.3.4' } },
      /settings\.operator\.submitterHadoopAzure: .*3\.4\.1 or later with workload identity/,
    ],
    [{ operator: undefined, defaultBackend: 'operator' as const }, /settings\.operator: .*since defaultBackend is operator/],
  ])('settings that cannot work are refused at start-up: %j', (change, message) => {
    const problems = settingsProblems(change);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('render --backend operator applies the same refusals to a native job', async () => {
    const r = await runCli(['render', 'examples/daily-sales/spec.json', '--backend', 'operator']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('pyFiles[0]');
    expect(r.stderr).toContain('settings.operator.submitterReadsAbfss is false');
  });
});
