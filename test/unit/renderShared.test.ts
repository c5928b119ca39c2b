/**
 * What both backends share, decided in one place: the ownership labels, the scratch volumes, the
 * user's environment, the conf handed to Spark as it is, and dynamic allocation. Each is checked
 * on the native objects and the SparkApplication alike.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { SCRATCH_MOUNTS, SCRATCH_VOLUMES, VOLUMES, WORK_DIR } from '../../src/domain/render/driverLayout.js';
import type { Pod } from '../../src/domain/render/kubeObjects.js';
import { ANNOTATIONS, LABELS, MANAGER, ownershipLabels } from '../../src/domain/render/naming.js';
import { executorPodTemplate, renderNative, userEnv } from '../../src/domain/render/renderNative.js';
import { renderOperator } from '../../src/domain/render/renderOperator.js';
import { executorLabels, jobSparkConf, sparkProperties } from '../../src/domain/render/sparkProperties.js';
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import { annotatedDeadlineSeconds, type PodView } from '../../src/domain/sweep/podView.js';
import { BASE_SPEC, CLI_SOURCE, TENANT, resolved, settingsWith } from '../support/fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered specs, read loosely
type Loose = Record<string, any>;

const PYTHON_IMAGE = {
  images: {
    '4.0': {
      image: 'example.azurecr.io/spark-py:4.0.1',
      spark: '4.0.1',
      python: '3.11',
      hadoop: '3.4.1',
      pythonPath: '/usr/bin/python3.11',
    },
  },
};

describe('ownership labels', () => {
  const job = resolved({ labels: { team: 'a' } });
  const own = { [LABELS.managedBy]: MANAGER, [LABELS.jobKeyHash]: job.names.keyHash, [LABELS.tenant]: 'default' };

  it('are the manager, the job key hash and the tenant', () => {
    expect(ownershipLabels(job)).toEqual(own);
  });

  it('every object of both backends carries them, and the executors too', () => {
    const { pod, configMap, service } = renderNative(job);
    const app = renderOperator(job);
    for (const labels of [
      pod.metadata.labels,
      configMap.metadata.labels,
      service.metadata.labels,
      app.metadata.labels,
      executorLabels(job),
      (app.spec as Loose).driver.labels,
    ]) {
      expect(labels).toMatchObject(own);
    }
    expect(app.metadata.labels).toEqual(own);
    expect(configMap.metadata.labels).toEqual({ [LABELS.appSelector]: job.names.appId, ...own });
  });
});

describe('scratch volumes', () => {
  const job = resolved();
  const scratch = [
    { name: VOLUMES.tmp, emptyDir: {} },
    { name: VOLUMES.workDir, emptyDir: {} },
  ];
  const mounts = [
    { name: VOLUMES.tmp, mountPath: '/tmp' },
    { name: VOLUMES.workDir, mountPath: WORK_DIR },
  ];

  it('/tmp and the work dir, as emptyDirs', () => {
    expect(SCRATCH_VOLUMES).toEqual(scratch);
    expect(SCRATCH_MOUNTS).toEqual(mounts);
  });

  it('the driver, the executor template and both SparkApplication roles mount them', () => {
    const { pod, configMap } = renderNative(job);
    expect(pod.spec.volumes).toEqual(expect.arrayContaining(scratch));
    expect(pod.spec.containers[0]!.volumeMounts).toEqual(expect.arrayContaining(mounts));
    const template = parseYaml(configMap.data['pod-spec-template.yml']!) as Pod;
    expect(template.spec.volumes).toEqual(scratch);
    expect(template.spec.containers[0]!.volumeMounts).toEqual(mounts);
    expect(executorPodTemplate(job).spec.volumes).toEqual(scratch);
    // The SparkApplication: in the pod templates of both roles (not spec.volumes, which only the operator's webhook applies).
    const spec = renderOperator(job).spec as Loose;
    for (const role of ['driver', 'executor']) {
      expect(spec[role].template.spec.volumes).toEqual(scratch);
      expect(spec[role].template.spec.containers[0].volumeMounts).toEqual(mounts);
    }
  });

  it('are shared read-only: a rendered object cannot change the next one', () => {
    expect(Object.isFrozen(SCRATCH_VOLUMES) && SCRATCH_VOLUMES.every((v) => Object.isFrozen(v) && Object.isFrozen(v.emptyDir))).toBe(true);
    expect(Object.isFrozen(SCRATCH_MOUNTS) && SCRATCH_MOUNTS.every((m) => Object.isFrozen(m))).toBe(true);
    const first = renderOperator(job).spec as Loose;
    expect(() => {
      first.driver.template.spec.volumes[0].emptyDir.sizeLimit = '1Gi';
    }).toThrow(TypeError);
    expect((renderOperator(job).spec as Loose).driver.template.spec.volumes).toEqual(scratch);
  });
});

describe("the user's environment", () => {
  it('sorted by name, the same on the native driver and the SparkApplication driver', () => {
    const job = resolved({ env: { ZED: '1', ALPHA: 'two', MIDDLE: '' } });
    const sorted = [
      { name: 'ALPHA', value: 'two' },
      { name: 'MIDDLE', value: '' },
      { name: 'ZED', value: '1' },
    ];
    expect(userEnv(job)).toEqual(sorted);
    const env = renderNative(job).pod.spec.containers[0]!.env!;
    expect(env.slice(-3)).toEqual(sorted);
    expect((renderOperator(job).spec as Loose).driver.template.spec.containers[0].env).toEqual(sorted);
  });

  it('no user env: none on the SparkApplication', () => {
    expect(userEnv(resolved())).toEqual([]);
    expect((renderOperator(resolved()).spec as Loose).driver.template.spec.containers[0].env).toBeUndefined();
  });
});

describe('the conf handed to Spark as it is', () => {
  it("the user's conf, the ABFS settings and the image's Python, in both backends", () => {
    const job = resolved({ conf: { 'spark.sql.shuffle.partitions': '64' } }, PYTHON_IMAGE);
    const conf = jobSparkConf(job);
    expect(conf).toMatchObject({
      'spark.sql.shuffle.partitions': '64',
      ...job.storageConf,
      'spark.pyspark.python': '/usr/bin/python3.11',
      'spark.pyspark.driver.python': '/usr/bin/python3.11',
    });
    expect(Object.keys(job.storageConf).length).toBeGreaterThan(0);
    expect(sparkProperties(job)).toMatchObject(conf);
    // The SparkApplication also carries the rest of the native properties (see operatorParity.test.ts).
    expect((renderOperator(job).spec as Loose).sparkConf).toMatchObject(conf);
  });

  it('no Python keys when the catalog names no Python', () => {
    const conf = jobSparkConf(resolved());
    expect(conf['spark.pyspark.python']).toBeUndefined();
    expect(conf['spark.pyspark.driver.python']).toBeUndefined();
  });

  it('a new object each call', () => {
    const job = resolved();
    expect(jobSparkConf(job)).not.toBe(jobSparkConf(job));
  });
});

describe('dynamic allocation, decided once', () => {
  it.each([
    ['true', true],
    ['false', false],
    [undefined, false],
  ] as const)('spark.dynamicAllocation.enabled=%s → %s, and the executors annotation of both backends follows', (enabled, dynamic) => {
    const conf = enabled === undefined ? {} : { 'spark.dynamicAllocation.enabled': enabled, 'spark.dynamicAllocation.maxExecutors': '4' };
    const job = resolved({ conf, executor: { instances: 3 } });
    expect(job.executor.dynamicAllocation).toBe(dynamic);
    const annotation = dynamic ? 'dynamic' : 'static:3';
    expect(renderNative(job).pod.metadata.annotations![ANNOTATIONS.executors]).toBe(annotation);
    expect(renderOperator(job).metadata.annotations![ANNOTATIONS.executors]).toBe(annotation);
  });

  // Spark reads TRUE and " true" as true; a job that spells it so is refused rather than read
  // differently by the annotation (static) and by Spark (dynamic).
  it.each(['TRUE', ' true', 'True'])('spark.dynamicAllocation.enabled=%j is refused, not read as false', (enabled) => {
    const result = prepareJob(
      { ...BASE_SPEC, conf: { 'spark.dynamicAllocation.enabled': enabled, 'spark.dynamicAllocation.maxExecutors': '4' } },
      settingsWith(),
      { tenant: TENANT, source: CLI_SOURCE },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      expect.objectContaining({
        path: 'conf["spark.dynamicAllocation.enabled"]',
        expected: 'true or false',
        hint: expect.stringContaining('write true'),
      }),
    ]);
  });
});

describe('the deadline annotation, as the sweeper reads it: only the digits the renderers write', () => {
  const meta = (value: string | undefined): PodView['metadata'] => ({
    name: 'x',
    annotations: value === undefined ? {} : { [ANNOTATIONS.deadlineSeconds]: value },
  });
  it.each([
    ['7200', 7200],
    ['1.5', undefined],
    [' 3600', undefined],
    ['0x10', undefined],
    ['1e3', undefined],
    ['0', undefined],
    ['-5', undefined],
    ['', undefined],
    ['one hour', undefined],
    ['Infinity', undefined],
    [undefined, undefined],
  ] as const)('%j → %s', (value, seconds) => {
    expect(annotatedDeadlineSeconds(meta(value))).toBe(seconds);
  });

  it('what the renderers write reads back', () => {
    const job = resolved({ deadlineSeconds: 5400 });
    expect(annotatedDeadlineSeconds(renderNative(job).pod.metadata)).toBe(5400);
    expect(annotatedDeadlineSeconds(renderOperator(job).metadata)).toBe(5400);
  });
});

// Item "`executor.instances: 0` renders a driver that dies at once (spark-submit inside the driver
// refuses it on 3.5 and 4.x): refuse it, or render dynamic allocation correctly". Follows apache/spark
// core/src/main/scala/org/apache/spark/deploy/SparkSubmitArguments.scala (validateSubmitArguments:
// `if (!dynamicAllocationEnabled && numExecutors != null && Try(numExecutors.toInt).getOrElse(-1) <= 0)
// error("Number of executors must be a positive number")`, numExecutors from spark.executor.instances,
// SPARK-24241, since v2.4.0 and in the 3.5 and 4.0 lines), core/.../util/Utils.scala
// (getDynamicAllocationInitialExecutors: the max of minExecutors, initialExecutors and
// spark.executor.instances; v4.0 line), core/.../scheduler/cluster/SchedulerBackendUtils.scala
// (getInitialTargetExecutorNumber: `require(initial >= min && initial <= max)`),
// core/.../ExecutorAllocationManager.scala (validateSettings: no shuffle service → shuffle tracking or
// shuffle-block decommissioning, else "Dynamic allocation of executors requires one of the following
// conditions"; v3.5/4.0 lines) and core/.../internal/config/package.scala (v4.0:
// spark.dynamicAllocation.shuffleTracking.enabled default true, minExecutors 0, initialExecutors
// falls back to minExecutors).
describe('executor.instances: 0 renders a driver that dies at once: refused, or dynamic allocation rendered', () => {
  const DA = { 'spark.dynamicAllocation.enabled': 'true', 'spark.dynamicAllocation.maxExecutors': '4' };
  const attempt = (spec: Record<string, unknown>, settings: unknown = {}) =>
    prepareJob({ ...BASE_SPEC, ...spec }, settingsWith(settings), { tenant: TENANT, source: CLI_SOURCE });

  it('without dynamic allocation, 0 is refused at executor.instances with the hint to turn it on', () => {
    const result = attempt({ executor: { instances: 0 } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      {
        path: 'executor.instances',
        expected: 'at least 1 executor without dynamic allocation',
        found: '0 (number)',
        hint: expect.stringMatching(
          /refuses spark\.executor\.instances=0 \("Number of executors must be a positive number"\) unless dynamic allocation is on: .*spark\.dynamicAllocation\.enabled: "true" and spark\.dynamicAllocation\.maxExecutors/,
        ),
      },
    ]);
  });

  it('a namespace default of 0 is refused the same way, and the hint says where the 0 came from', () => {
    const result = attempt({}, { namespaces: { 'spark-jobs': { defaults: { executor: { instances: 0 } } } } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      expect.objectContaining({ path: 'executor.instances', hint: expect.stringContaining('the default of namespace spark-jobs is 0') }),
    ]);
    // With dynamic allocation the default is not used, so the job runs.
    expect(attempt({ conf: DA }, { namespaces: { 'spark-jobs': { defaults: { executor: { instances: 0 } } } } }).ok).toBe(true);
  });

  it('with dynamic allocation, 0 starts no executor: spark.executor.instances=0, shuffle tracking on, in both backends', () => {
    const job = resolved({ executor: { instances: 0 }, conf: DA });
    const props = sparkProperties(job);
    expect(props).toMatchObject({
      'spark.executor.instances': '0',
      'spark.dynamicAllocation.enabled': 'true',
      'spark.dynamicAllocation.maxExecutors': '4',
      'spark.dynamicAllocation.shuffleTracking.enabled': 'true',
    });
    expect((renderOperator(job).spec as Loose).sparkConf).toMatchObject({ 'spark.dynamicAllocation.shuffleTracking.enabled': 'true' });
    expect(renderNative(job).pod.metadata.annotations![ANNOTATIONS.executors]).toBe('dynamic');
  });

  it('with dynamic allocation and no executor.instances in the spec, none is rendered: no default becomes a floor of the initial executors', () => {
    const job = resolved({ conf: { ...DA, 'spark.dynamicAllocation.maxExecutors': '1' } });
    expect(job.executor.instances).toBeUndefined();
    expect(sparkProperties(job)).not.toHaveProperty('spark.executor.instances');
    expect((renderOperator(job).spec as Loose).executor.instances).toBeUndefined();
  });

  it('with dynamic allocation, executor.instances above maxExecutors is refused (Spark would refuse the initial number)', () => {
    const result = attempt({ executor: { instances: 5 }, conf: DA });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      expect.objectContaining({
        path: 'executor.instances',
        expected: 'at most 4 (spark.dynamicAllocation.maxExecutors)',
        found: '5 (number)',
      }),
    ]);
  });

  it('shuffle tracking off with dynamic allocation is refused unless shuffle blocks migrate on decommission', () => {
    const off = { ...DA, 'spark.dynamicAllocation.shuffleTracking.enabled': 'false' };
    const result = attempt({ conf: off });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      expect.objectContaining({
        path: 'conf["spark.dynamicAllocation.shuffleTracking.enabled"]',
        hint: expect.stringContaining('no external shuffle service'),
      }),
    ]);
    const migrating = resolved({
      conf: { ...off, 'spark.decommission.enabled': 'true', 'spark.storage.decommission.shuffleBlocks.enabled': 'true' },
    });
    expect(sparkProperties(migrating)['spark.dynamicAllocation.shuffleTracking.enabled']).toBe('false');
    // Without dynamic allocation the key is the job's business.
    expect(attempt({ conf: { 'spark.dynamicAllocation.shuffleTracking.enabled': 'false' } }).ok).toBe(true);
  });

  it('without dynamic allocation nothing of it is rendered', () => {
    const props = sparkProperties(resolved({ executor: { instances: 3 } }));
    expect(props['spark.executor.instances']).toBe('3');
    expect(Object.keys(props).filter((k) => k.startsWith('spark.dynamicAllocation.'))).toEqual([]);
  });
});
