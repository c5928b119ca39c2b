/**
 * The operator backend renders a SparkApplication that (a) the real CRD accepts (vendored schema,
 * strict field validation, and the pod templates checked with the CRD's own Kubernetes schemas), and
 * (c) carries the same intent as the native backend. (b) proves the CRD check is not vacuous: the
 * validator rejects what the API server would reject.
 *
 * Upstream followed: kubeflow/spark-operator at 38082f33 (after v2.5.2), the commit of the vendored
 * CRD: config/crd/bases/sparkoperator.k8s.io_sparkapplications.yaml (the schema),
 * internal/controller/sparkapplication/submission.go (how spec fields become spark-submit
 * arguments; pod templates from spec.driver.template / spec.executor.template) and
 * internal/webhook/sparkpod_defaulter.go (the fields only the mutating webhook applies).
 */
import { describe, expect, it } from 'vitest';
import type { ResolvedJob } from '../../src/domain/spec/resolveJob.js';
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import { renderNative, executorPodTemplate } from '../../src/domain/render/renderNative.js';
import { renderOperator, type SparkApplication } from '../../src/domain/render/renderOperator.js';
import { sparkProperties } from '../../src/domain/render/sparkProperties.js';
import { memoryToMiB, mebibytes } from '../../src/domain/spec/quantity.js';
import { DEMO_SETTINGS } from '../../src/settings/defaultSettings.js';
import { parseSettings } from '../../src/settings/loadSettings.js';
import type { Settings, SettingsInput } from '../../src/settings/settingsSchema.js';
import { validateSparkApplication } from '../support/crdValidator.js';

// Rendered objects are plain JSON: index them freely in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const ACCOUNT = 'sparkdispatchdemo';
const HOST = `${ACCOUNT}.dfs.core.windows.net`;
const WI_LABEL = 'azure.workload.identity/use';
const JOB_KEY_ANNOTATION = 'spark-dispatch.io/job-key';

type AuthMode = 'workload-identity' | 'managed-identity' | 'none';
const AUTH: Record<AuthMode, NonNullable<SettingsInput['storage']>['auth']> = {
  'workload-identity': DEMO_SETTINGS.storage!.auth,
  'managed-identity': { mode: 'managed-identity', clientId: '22222222-2222-2222-2222-222222222222' },
  none: { mode: 'none' },
};

function settingsFor(profile: 'aks' | 'openshift' = 'aks', auth: AuthMode = 'workload-identity'): Settings {
  const input: SettingsInput = {
    ...structuredClone(DEMO_SETTINGS),
    clusterProfile: profile,
    storage: { ...structuredClone(DEMO_SETTINGS.storage), auth: structuredClone(AUTH[auth]) },
  };
  const parsed = parseSettings(input);
  if (!parsed.ok) throw new Error(`settings refused: ${JSON.stringify(parsed.problems)}`);
  return parsed.value;
}

function prepare(spec: Record<string, unknown>, settings: Settings = settingsFor()): ResolvedJob {
  const result = prepareJob(spec, settings, { tenant: 'default', source: { kind: 'cli', ref: 'test' } });
  if (!result.ok) throw new Error(`job refused: ${JSON.stringify(result.problems)}`);
  return result.value;
}

const MINIMAL = { name: 'nightly', main: `abfss://jobs@${HOST}/etl/main.py` };

const FULL = {
  name: 'Daily sales report',
  main: `abfss://jobs@${HOST}/sales/main.py`,
  pyFiles: [`abfss://jobs@${HOST}/sales/lib.zip`, 'local:///opt/app/helpers.py'],
  args: ['--date', '2024-06-01', '--mode=full'],
  env: { REPORT_TZ: 'Europe/Paris', LOG_LEVEL: 'INFO' },
  labels: { team: 'sales', 'example.com/cost-center': 'cc-42' },
  conf: { 'spark.sql.shuffle.partitions': '64', 'spark.kubernetes.driver.limit.cores': '2' },
  driver: { cores: 1, memory: '2g' },
  executor: { cores: 2, memory: '4g', memoryOverhead: '1g', instances: 3 },
  jobKey: 'sales-2024-06-01',
};

const render = (spec: Record<string, unknown>, settings?: Settings): { job: ResolvedJob; app: SparkApplication; s: Loose } => {
  const job = prepare(spec, settings);
  const app = renderOperator(job);
  return { job, app, s: app.spec as Loose };
};

describe('renderOperator: accepted by the SparkApplication CRD (v1beta2, strict field validation)', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['a minimal job', MINIMAL],
    ['a full job', FULL],
  ];
  for (const profile of ['aks', 'openshift'] as const) {
    for (const auth of ['workload-identity', 'managed-identity', 'none'] as const) {
      for (const [what, spec] of cases) {
        it(`${what}, profile ${profile}, storage auth ${auth}`, () => {
          const app = renderOperator(prepare(spec, settingsFor(profile, auth)));
          expect(validateSparkApplication(app)).toEqual([]);
        });
      }
    }
  }

  it('a job whose name is long and not a Kubernetes name', () => {
    const { app } = render({ ...MINIMAL, name: `Rapport quotidien — ventes élégantes ${'x'.repeat(60)}` });
    expect(validateSparkApplication(app)).toEqual([]);
    expect(app.metadata.name.length).toBeLessThanOrEqual(63);
  });

  it('a job that sets its own memory overhead factor', () => {
    const { app } = render({ ...MINIMAL, conf: { 'spark.kubernetes.memoryOverheadFactor': '0.2' } });
    expect(validateSparkApplication(app)).toEqual([]);
  });
});

describe('the CRD validator rejects what the API server would', () => {
  const valid = () => structuredClone(renderOperator(prepare(FULL))) as Loose;

  it('starts from a valid object', () => {
    expect(validateSparkApplication(valid())).toEqual([]);
  });

  it('a misspelled field (which pruning would otherwise drop silently)', () => {
    const app = valid();
    app.spec.driver.coresx = 2;
    expect(validateSparkApplication(app)).toEqual(['/spec/driver: unknown field "coresx" (not in the CRD schema)']);
  });

  it('a misspelled field deep in a Kubernetes type', () => {
    const app = valid();
    app.spec.executor.template.spec.securityContext.runAsUsr = 185;
    expect(validateSparkApplication(app)).toEqual([
      '/spec/executor/template/spec/securityContext: unknown field "runAsUsr" (not in the CRD schema)',
    ]);
  });

  it('a misspelled or unchecked field in a pod template (the CRD keeps templates schemaless)', () => {
    const app = valid();
    app.spec.driver.template.spec.containers[0].volumeMount = [];
    app.spec.driver.template.spec.hostNetwork = true;
    expect(validateSparkApplication(app)).toEqual([
      '/spec/driver/template/spec: unknown field "hostNetwork" (not in the CRD schema)',
      '/spec/driver/template/spec/containers/0: unknown field "volumeMount" (not in the CRD schema)',
    ]);
  });

  it('a value outside an enum', () => {
    const app = valid();
    app.spec.type = 'Ruby';
    const errors = validateSparkApplication(app);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\/spec\/type: "Ruby" is not one of "Java", "Python", "Scala", "R"$/);
  });

  it('a missing required field', () => {
    const app = valid();
    delete app.spec.driver;
    expect(validateSparkApplication(app)).toEqual(['/spec: missing required field "driver"']);
  });

  it('a wrong type', () => {
    const app = valid();
    app.spec.driver.cores = '1';
    app.spec.driver.memory = 2048;
    expect(validateSparkApplication(app)).toEqual([
      '/spec/driver/cores: must be integer (found "1")',
      '/spec/driver/memory: must be string (found 2048)',
    ]);
  });

  it('int-or-string fields take an integer or a string, and a string must be a quantity', () => {
    const app = valid();
    // The renderer sets no spec.volumes (its volumes travel in the pod templates); a user's would look so.
    app.spec.volumes = [{ name: 'a' }, { name: 'b' }];
    app.spec.volumes[0].emptyDir = { sizeLimit: '1Gi' };
    app.spec.volumes[1].emptyDir = { sizeLimit: 1073741824 };
    expect(validateSparkApplication(app)).toEqual([]);
    app.spec.volumes[0].emptyDir = { sizeLimit: 'lots' };
    app.spec.volumes[1].emptyDir = { sizeLimit: true };
    const errors = validateSparkApplication(app);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^\/spec\/volumes\/0\/emptyDir\/sizeLimit: must match pattern/);
    expect(errors[1]).toBe('/spec/volumes/1/emptyDir/sizeLimit: must match a schema in anyOf');
  });

  it('metadata the API server refuses, and names the operator refuses', () => {
    const app = valid();
    app.metadata.name = 'Not_A_Name';
    expect(validateSparkApplication(app)).toEqual([
      '/metadata/name: "Not_A_Name" must be a DNS-1123 subdomain (lower-case letters, digits, "-" and ".", at most 253 characters)',
      '/metadata/name: "Not_A_Name" must be a DNS-1035 label (at most 63 lower-case letters, digits and "-", starting with a letter) for the Spark Operator',
    ]);
    app.metadata.name = 'a'.repeat(64);
    expect(validateSparkApplication(app)).toEqual([expect.stringMatching(/^\/metadata\/name: "a{64}" must be a DNS-1035 label/)]);
    app.metadata.name = 'ok-name';
    app.metadata.labels['bad key'] = 'x';
    expect(validateSparkApplication(app)).toEqual([expect.stringMatching(/^\/metadata\/labels: label key "bad key" must be/)]);
  });

  it('undefined fields vanish as on the wire; null does not', () => {
    const app = valid();
    app.spec.driver.coreLimit = undefined;
    expect(validateSparkApplication(app)).toEqual([]);
    app.spec.driver.coreLimit = null;
    expect(validateSparkApplication(app)).toEqual(['/spec/driver/coreLimit: must be string (found null)']);
  });
});

describe('renderOperator: the same intent as the native backend', () => {
  it('image, main file, py-files and arguments', () => {
    const { job, s } = render(FULL);
    const pod = renderNative(job).pod;
    const container = pod.spec.containers[0]!;
    expect(s.type).toBe('Python');
    expect(s.mode).toBe('cluster');
    expect(s.image).toBe(job.image.image);
    expect(s.image).toBe(container.image);
    expect(s.imagePullPolicy).toBe(container.imagePullPolicy);
    expect(s.sparkVersion).toBe(job.image.spark);
    expect(s.mainApplicationFile).toBe(FULL.main);
    expect(s.deps.pyFiles).toEqual(FULL.pyFiles);
    expect(s.deps.pyFiles.join(',')).toBe(sparkProperties(job)['spark.submit.pyFiles']);
    expect(s.arguments).toEqual(FULL.args);
    // Native: `driver … --class org.apache.spark.deploy.PythonRunner <main> <args…>`.
    const args = container.args ?? [];
    const mainAt = args.indexOf(FULL.main);
    expect(mainAt).toBeGreaterThan(0);
    expect(args.slice(mainAt + 1)).toEqual(s.arguments);
  });

  it('a minimal job has no deps and no arguments', () => {
    const { s } = render(MINIMAL);
    expect(s.deps).toBeUndefined();
    expect(s.arguments).toBeUndefined();
  });

  it('driver resources: memory 2g with overhead 819m, as the native pod is sized', () => {
    const { job, s } = render(FULL);
    expect(s.driver.cores).toBe(1);
    expect(s.driver.memory).toBe('2g');
    expect(s.driver.memoryOverhead).toBe('819m');
    const resources = renderNative(job).pod.spec.containers[0]!.resources!;
    expect(resources.requests?.memory).toBe(mebibytes(memoryToMiB(s.driver.memory)! + memoryToMiB(s.driver.memoryOverhead)!));
    expect(resources.requests?.cpu).toBe(String(s.driver.cores));
    expect(s.driver.coreLimit).toBe('2');
    expect(resources.limits?.cpu).toBe('2');
    expect(render(MINIMAL).s.driver.coreLimit).toBeUndefined();
  });

  it('executor resources, as the native spark properties', () => {
    const { job, s } = render(FULL);
    const props = sparkProperties(job);
    expect(s.executor.cores).toBe(2);
    expect(s.executor.memory).toBe('4g');
    expect(s.executor.memoryOverhead).toBe('1g');
    expect(s.executor.instances).toBe(3);
    expect(props['spark.executor.cores']).toBe(String(s.executor.cores));
    expect(props['spark.executor.memory']).toBe(s.executor.memory);
    expect(props['spark.executor.memoryOverhead']).toBe(s.executor.memoryOverhead);
    expect(props['spark.executor.instances']).toBe(String(s.executor.instances));
    expect(render(MINIMAL).s.executor.memoryOverhead).toBeUndefined();
  });

  it('driver pod name, service account, priority class (driver only) and restart policy', () => {
    const { job, s } = render(FULL);
    const pod = renderNative(job).pod;
    expect(s.driver.podName).toBe(job.names.driverPod);
    expect(s.driver.podName).toBe(pod.metadata.name);
    expect(s.driver.serviceAccount).toBe(job.serviceAccount);
    expect(s.driver.serviceAccount).toBe(pod.spec.serviceAccountName);
    expect(s.driver.template.spec.priorityClassName).toBe('spark-dispatch-driver');
    expect(s.driver.template.spec.priorityClassName).toBe(pod.spec.priorityClassName);
    // The driver quota counts pods of the driver PriorityClass: executors must not use it.
    expect(s.executor).not.toHaveProperty('priorityClassName');
    expect(s.executor.template.spec).not.toHaveProperty('priorityClassName');
    expect(executorPodTemplate(job).spec).not.toHaveProperty('priorityClassName');
    expect(s.restartPolicy).toEqual({ type: 'Never' });
    expect(pod.spec.restartPolicy).toBe('Never');
  });

  it('environment and user labels', () => {
    const { job, s } = render(FULL);
    const env = s.driver.template.spec.containers[0].env;
    expect(env).toEqual([
      { name: 'LOG_LEVEL', value: 'INFO' },
      { name: 'REPORT_TZ', value: 'Europe/Paris' },
    ]);
    const nativeEnv = renderNative(job).pod.spec.containers[0]!.env ?? [];
    for (const e of env) expect(nativeEnv).toContainEqual(e);
    for (const role of ['driver', 'executor'] as const) expect(s[role].labels).toMatchObject(FULL.labels);
    expect(render(MINIMAL).s.driver.template.spec.containers[0].env).toBeUndefined();
  });

  for (const auth of ['workload-identity', 'managed-identity', 'none'] as const) {
    it(`storage auth ${auth}: identity label and ABFS conf`, () => {
      const { job, s } = render(FULL, settingsFor('aks', auth));
      const props = sparkProperties(job);
      for (const role of ['driver', 'executor'] as const) {
        if (auth === 'workload-identity') expect(s[role].labels[WI_LABEL]).toBe('true');
        else expect(s[role].labels).not.toHaveProperty(WI_LABEL);
      }
      if (auth === 'workload-identity') expect(renderNative(job).pod.metadata.labels?.[WI_LABEL]).toBe('true');
      const authType = `spark.hadoop.fs.azure.account.auth.type.${HOST}`;
      if (auth === 'none') {
        expect(Object.keys(s.sparkConf).filter((k) => k.startsWith('spark.hadoop.fs.azure.'))).toEqual([]);
      } else {
        expect(s.sparkConf[authType]).toBe('OAuth');
        // Every ABFS setting of the native properties, with the same value.
        const abfs = Object.entries(props).filter(([k]) => k.startsWith('spark.hadoop.fs.azure.'));
        expect(abfs.length).toBeGreaterThan(1);
        for (const [k, v] of abfs) expect(s.sparkConf[k]).toBe(v);
      }
    });
  }

  it('user conf reaches sparkConf as in the native properties', () => {
    const { job, s } = render(FULL);
    const props = sparkProperties(job);
    for (const [k, v] of Object.entries(FULL.conf)) {
      expect(s.sparkConf[k]).toBe(v);
      expect(props[k]).toBe(v);
    }
  });

  for (const profile of ['aks', 'openshift'] as const) {
    it(`pod security for profile ${profile}, on driver and executor`, () => {
      const { job, s } = render(FULL, settingsFor(profile));
      const native = renderNative(job).pod;
      const template = executorPodTemplate(job);
      expect(s.driver.template.spec.securityContext).toEqual(native.spec.securityContext);
      expect(s.executor.template.spec.securityContext).toEqual(template.spec.securityContext);
      expect(s.driver.template.spec.containers[0].securityContext).toEqual(native.spec.containers[0]!.securityContext);
      expect(s.executor.template.spec.containers[0].securityContext).toEqual(template.spec.containers[0]!.securityContext);
      for (const role of ['driver', 'executor'] as const) {
        const pod = s[role].template.spec.securityContext;
        expect(pod.runAsNonRoot).toBe(true);
        expect(pod.seccompProfile).toEqual({ type: 'RuntimeDefault' });
        if (profile === 'aks') expect(pod).toMatchObject({ runAsUser: 185, runAsGroup: 185, fsGroup: 185 });
        else {
          expect(pod).not.toHaveProperty('runAsUser');
          expect(pod).not.toHaveProperty('runAsGroup');
          expect(pod).not.toHaveProperty('fsGroup');
        }
        expect(s[role].template.spec.containers[0].securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          runAsNonRoot: true,
        });
      }
    });
  }

  it('the job key annotation, as on the native pod', () => {
    const { job, app, s } = render(FULL);
    // The key everywhere is the tenant's: <tenant>/<jobKey>.
    expect(job.jobKey).toBe(`default/${FULL.jobKey}`);
    expect(app.metadata.annotations?.[JOB_KEY_ANNOTATION]).toBe(job.jobKey);
    expect(s.driver.annotations[JOB_KEY_ANNOTATION]).toBe(job.jobKey);
    expect(renderNative(job).pod.metadata.annotations?.[JOB_KEY_ANNOTATION]).toBe(job.jobKey);
    expect(app.metadata.namespace).toBe(job.namespace);
  });

  it('memoryOverheadFactor: 0.4 (PySpark) by default, as the native properties', () => {
    const { job, s } = render(MINIMAL);
    expect(s.memoryOverheadFactor).toBe('0.4');
    expect(sparkProperties(job)['spark.kubernetes.memoryOverheadFactor']).toBe('0.4');
  });

  it("memoryOverheadFactor: the user's spark.kubernetes.memoryOverheadFactor, not duplicated in sparkConf", () => {
    const { job, s } = render({ ...MINIMAL, conf: { 'spark.kubernetes.memoryOverheadFactor': '0.2' } });
    expect(s.memoryOverheadFactor).toBe('0.2');
    expect(s.sparkConf?.['spark.kubernetes.memoryOverheadFactor']).toBeUndefined();
    expect(sparkProperties(job)['spark.kubernetes.memoryOverheadFactor']).toBe('0.2');
    // The driver overhead follows the factor: trunc(0.2 × 2048) = 409, above the 384 minimum.
    expect(s.driver.memoryOverhead).toBe('409m');
  });
});
