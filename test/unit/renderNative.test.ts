/**
 * The driver contract (shared/docs/spark-driver-contract.md), line by line, against what the
 * native backend renders. Section names below follow the contract's headings.
 */
import { shippedHadoop } from '../../src/settings/sparkReleases.js';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseJavaProperties } from '../../src/domain/render/javaProperties.js';
import type { Pod } from '../../src/domain/render/kubeObjects.js';
import { renderObjects } from '../../src/domain/render/render.js';
import { ownedBy, renderNative } from '../../src/domain/render/renderNative.js';
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import { BASE_SPEC, CLI_SOURCE, TENANT, resolved, settingsWith } from '../support/fixtures.js';

const props = (job = resolved()) => parseJavaProperties(renderNative(job).configMap.data['spark.properties']!);
const driverContainer = (pod: Pod) => pod.spec.containers[0]!;

describe('what spark-submit creates', () => {
  it('a driver Pod, then a ConfigMap with spark.properties, then a headless Service', () => {
    expect(renderObjects(resolved()).map((o) => o.kind)).toEqual(['Pod', 'ConfigMap', 'Service']);
  });

  it('ConfigMap and Service get one controller ownerReference to the created driver pod', () => {
    const { configMap, service, pod } = renderNative(resolved());
    const created = { metadata: { name: pod.metadata.name, uid: '4a1f-uid' } };
    for (const owned of [ownedBy(configMap, created), ownedBy(service, created)]) {
      expect(owned.metadata.ownerReferences).toEqual([
        { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: '4a1f-uid', controller: true },
      ]);
    }
  });

  it('refuses to own companions before the pod exists (no uid yet)', () => {
    const { configMap, pod } = renderNative(resolved());
    expect(() => ownedBy(configMap, pod)).toThrow(/no uid/);
  });

  it('an executor pod template is shipped in the conf ConfigMap and named in the conf', () => {
    const job = resolved();
    const { configMap, pod } = renderNative(job);
    expect(props(job)['spark.kubernetes.executor.podTemplateFile']).toBe('/opt/spark/pod-template/pod-spec-template.yml');
    expect(configMap.data['pod-spec-template.yml']).toBeDefined();
    const mount = driverContainer(pod).volumeMounts!.find((m) => m.mountPath === '/opt/spark/pod-template')!;
    const volume = pod.spec.volumes!.find((v) => v.name === mount.name)!;
    expect(volume.configMap).toEqual({
      name: configMap.metadata.name,
      items: [{ key: 'pod-spec-template.yml', path: 'pod-spec-template.yml', mode: 420 }],
    });
  });
});

describe('names', () => {
  it('derive from the job key, as Spark patterns', () => {
    const job = resolved({ jobKey: 'nightly/2026-11-23' });
    const { pod, configMap, service } = renderNative(job);
    const hex = job.names.keyHash;
    expect(job.names.appId).toMatch(/^spark-[0-9a-f]{32}$/);
    expect(pod.metadata.name).toBe(`wordcount-${hex}-driver`);
    expect(configMap.metadata.name).toBe(`spark-drv-${hex}-conf-map`);
    expect(configMap.immutable).toBe(true);
    expect(service.metadata.name).toBe(`wordcount-${hex}-driver-svc`);
    expect(props(job)['spark.kubernetes.executor.podNamePrefix']).toBe(`wordcount-${hex}`);
  });

  it('same key → same objects; no key → a key derived from the spec, stable across calls', () => {
    expect(renderObjects(resolved({ jobKey: 'k1' }))).toEqual(renderObjects(resolved({ jobKey: 'k1' })));
    expect(resolved().jobKey).toBe(resolved().jobKey);
    expect(resolved().jobKey).not.toBe(resolved({ args: ['x'] }).jobKey);
  });
});

describe('driver pod', () => {
  it("labels: Spark's four, the manager, the key hash, the tenant, and user labels", () => {
    const job = resolved({ labels: { team: 'analytics' } });
    expect(renderNative(job).pod.metadata.labels).toEqual({
      'spark-app-selector': job.names.appId,
      'spark-role': 'driver',
      'spark-app-name': 'wordcount',
      'spark-version': '4.0.1',
      'app.kubernetes.io/managed-by': 'spark-dispatch',
      'spark-dispatch.io/job-key-hash': job.names.keyHash,
      'spark-dispatch.io/tenant': 'default',
      'azure.workload.identity/use': 'true',
      team: 'analytics',
    });
  });

  it('annotations carry the job key, name, source and deadline', () => {
    const job = resolved({ jobKey: 'order #42: daily', deadlineSeconds: 900 });
    expect(renderNative(job).pod.metadata.annotations).toEqual({
      // Scoped by the tenant the request came from.
      'spark-dispatch.io/job-key': 'default/order #42: daily',
      'spark-dispatch.io/job-name': 'wordcount',
      'spark-dispatch.io/source': 'cli:test',
      'spark-dispatch.io/deadline-seconds': '900',
      'spark-dispatch.io/executors': 'static:2',
    });
  });

  it('restartPolicy Never, the namespace service account, the driver PriorityClass, the deadline', () => {
    const { spec } = renderNative(resolved({ deadlineSeconds: 1200 })).pod;
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.serviceAccountName).toBe('spark-driver');
    expect(spec.priorityClassName).toBe('spark-dispatch-driver');
    expect(spec.activeDeadlineSeconds).toBe(1200);
  });

  it('one container, the catalog image, no command, the driver args with the main script and app args', () => {
    const job = resolved({ args: ['--date', '2026-11-23'] });
    const { pod } = renderNative(job);
    expect(pod.spec.containers).toHaveLength(1);
    const c = driverContainer(pod);
    expect(c.name).toBe('spark-kubernetes-driver');
    expect(c.image).toBe('sparkdispatch.azurecr.io/spark-py:4.0.1-hadoop3.4.1');
    expect(c).not.toHaveProperty('command');
    expect(c.args).toEqual([
      'driver',
      '--properties-file',
      '/opt/spark/conf/spark.properties',
      '--class',
      'org.apache.spark.deploy.PythonRunner',
      'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/wordcount/main.py',
      '--date',
      '2026-11-23',
    ]);
  });

  it('env: the five Spark variables, the bind address from the downward API, user env after', () => {
    const job = resolved({ env: { ZETA: 'z', ALPHA: 'a' } });
    expect(driverContainer(renderNative(job).pod).env).toEqual([
      { name: 'SPARK_USER', value: 'spark' },
      { name: 'SPARK_APPLICATION_ID', value: job.names.appId },
      { name: 'SPARK_DRIVER_BIND_ADDRESS', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
      { name: 'SPARK_LOCAL_DIRS', value: '/var/data/spark-local-dir-1' },
      { name: 'SPARK_CONF_DIR', value: '/opt/spark/conf' },
      { name: 'ALPHA', value: 'a' },
      { name: 'ZETA', value: 'z' },
    ]);
  });

  it('PYSPARK_PYTHON and PYSPARK_DRIVER_PYTHON only when the catalog names a Python', () => {
    const plain = driverContainer(renderNative(resolved()).pod).env!.map((e) => e.name);
    expect(plain).not.toContain('PYSPARK_PYTHON');
    const images = {
      '4.0': { image: 'r.io/spark:4.0.1', spark: '4.0.1', python: '3.11', hadoop: '3.4.1', pythonPath: '/usr/bin/python3.11' },
    };
    const job = resolved({}, { images });
    const env = driverContainer(renderNative(job).pod).env!;
    expect(env).toContainEqual({ name: 'PYSPARK_PYTHON', value: '/usr/bin/python3.11' });
    expect(env).toContainEqual({ name: 'PYSPARK_DRIVER_PYTHON', value: '/usr/bin/python3.11' });
    expect(props(job)['spark.pyspark.python']).toBe('/usr/bin/python3.11');
  });

  it('ports: driver-rpc-port 7078, blockmanager 7079, spark-ui 4040, TCP', () => {
    expect(driverContainer(renderNative(resolved()).pod).ports).toEqual([
      { name: 'driver-rpc-port', containerPort: 7078, protocol: 'TCP' },
      { name: 'blockmanager', containerPort: 7079, protocol: 'TCP' },
      { name: 'spark-ui', containerPort: 4040, protocol: 'TCP' },
    ]);
  });

  it('memory: request = limit = memory + overhead (2g → 2867Mi); CPU request = cores, no CPU limit', () => {
    const c = driverContainer(renderNative(resolved({ driver: { cores: 2, memory: '2g' } })).pod);
    expect(c.resources).toEqual({ requests: { cpu: '2', memory: '2867Mi' }, limits: { memory: '2867Mi' } });
  });

  it('a CPU limit only when spark.kubernetes.driver.limit.cores is set', () => {
    const c = driverContainer(renderNative(resolved({ conf: { 'spark.kubernetes.driver.limit.cores': '1500m' } })).pod);
    expect(c.resources?.limits).toEqual({ memory: '2867Mi', cpu: '1500m' });
  });

  it('volumes: local dirs emptyDir at SPARK_LOCAL_DIRS, the conf ConfigMap at /opt/spark/conf (spark.properties, mode 420)', () => {
    const { pod, configMap } = renderNative(resolved());
    const mounts = Object.fromEntries(driverContainer(pod).volumeMounts!.map((m) => [m.mountPath, m.name]));
    const volumes = Object.fromEntries(pod.spec.volumes!.map((v) => [v.name, v]));
    expect(volumes[mounts['/var/data/spark-local-dir-1']!]?.emptyDir).toEqual({});
    expect(volumes[mounts['/opt/spark/conf']!]?.configMap).toEqual({
      name: configMap.metadata.name,
      items: [{ key: 'spark.properties', path: 'spark.properties', mode: 420 }],
    });
    // Writable /tmp (nss_wrapper's passwd entry) and work dir (py-files are copied there since 3.4).
    expect(volumes[mounts['/tmp']!]?.emptyDir).toEqual({});
    expect(volumes[mounts['/opt/spark/work-dir']!]?.emptyDir).toEqual({});
  });

  it('every mount has a volume and every volume is mounted', () => {
    const { pod } = renderNative(resolved());
    const mounted = new Set(driverContainer(pod).volumeMounts!.map((m) => m.name));
    expect(new Set(pod.spec.volumes!.map((v) => v.name))).toEqual(mounted);
  });
});

describe('spark.properties', () => {
  it('has every key the contract requires, with the right values', () => {
    const job = resolved({
      pyFiles: [
        'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/lib/a.zip',
        'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/lib/b.py',
      ],
    });
    const p = props(job);
    expect(p).toMatchObject({
      'spark.master': 'k8s://https://kubernetes.default.svc:443',
      'spark.submit.deployMode': 'cluster',
      'spark.app.name': 'wordcount',
      'spark.app.id': job.names.appId,
      'spark.kubernetes.namespace': 'spark-jobs',
      'spark.kubernetes.driver.pod.name': job.names.driverPod,
      'spark.kubernetes.submitInDriver': 'true',
      'spark.kubernetes.resource.type': 'python',
      'spark.kubernetes.memoryOverheadFactor': '0.4',
      'spark.driver.host': `${job.names.service}.spark-jobs.svc`,
      'spark.driver.port': '7078',
      'spark.driver.blockManager.port': '7079',
      'spark.submit.pyFiles':
        'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/lib/a.zip,abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/lib/b.py',
      'spark.kubernetes.container.image': 'sparkdispatch.azurecr.io/spark-py:4.0.1-hadoop3.4.1',
      'spark.kubernetes.authenticate.driver.serviceAccountName': 'spark-driver',
      'spark.kubernetes.executor.podNamePrefix': job.names.executorPrefix,
      'spark.driver.memory': '2g',
      'spark.driver.memoryOverhead': '819m',
    });
  });

  it('never sets spark.driver.bindAddress; no spark.submit.pyFiles without py-files', () => {
    const p = props();
    expect(p).not.toHaveProperty('spark.driver.bindAddress');
    expect(p).not.toHaveProperty('spark.submit.pyFiles');
  });

  it("keeps all user conf, and the user's memoryOverheadFactor instead of 0.4", () => {
    const p = props(
      resolved({
        conf: {
          'spark.sql.shuffle.partitions': '64',
          'spark.kubernetes.memoryOverheadFactor': '0.2',
          'spark.sql.warehouse.dir': 'abfss://x@y.dfs.core.windows.net/w',
        },
      }),
    );
    expect(p['spark.sql.shuffle.partitions']).toBe('64');
    expect(p['spark.sql.warehouse.dir']).toBe('abfss://x@y.dfs.core.windows.net/w');
    expect(p['spark.kubernetes.memoryOverheadFactor']).toBe('0.2');
  });

  it('survives hostile values: the file parses back to exactly the conf that was meant', () => {
    const conf = { 'spark.sql.custom.a': 'x=y:z #!\\ end', 'spark.sql.custom.b': ' leading space', 'spark.sql.custom.c': 'naïve ☃' };
    const p = props(resolved({ conf, name: 'weird = name: #1' }));
    expect(p).toMatchObject({ ...conf, 'spark.app.name': 'weird = name: #1' });
  });

  it('executors inherit the labels: manager, key hash, user labels, workload identity', () => {
    const job = resolved({ labels: { team: 'a' } });
    expect(props(job)).toMatchObject({
      'spark.kubernetes.executor.label.app.kubernetes.io/managed-by': 'spark-dispatch',
      'spark.kubernetes.executor.label.spark-dispatch.io/job-key-hash': job.names.keyHash,
      'spark.kubernetes.executor.label.team': 'a',
      'spark.kubernetes.executor.label.azure.workload.identity/use': 'true',
    });
  });
});

describe('headless Service', () => {
  it('clusterIP None, selector = all driver labels, ports named as on the pod, spark-app-selector label', () => {
    const job = resolved({ labels: { team: 'x' } });
    const { service, pod } = renderNative(job);
    expect(service.spec.clusterIP).toBe('None');
    expect(service.spec.selector).toEqual(pod.metadata.labels);
    expect(service.spec.ports).toEqual([
      { name: 'driver-rpc-port', port: 7078, targetPort: 7078, protocol: 'TCP' },
      { name: 'blockmanager', port: 7079, targetPort: 7079, protocol: 'TCP' },
      { name: 'spark-ui', port: 4040, targetPort: 4040, protocol: 'TCP' },
    ]);
    expect(service.metadata.labels?.['spark-app-selector']).toBe(job.names.appId);
  });

  // Item "The driver Service lacks ipFamilyPolicy: SingleStack and ipFamilies: [IPv4] that Spark ≥ 3.4
  // always sets". Follows apache/spark
  // resource-managers/kubernetes/core/src/main/scala/org/apache/spark/deploy/k8s/features/DriverServiceFeatureStep.scala
  // (`.withIpFamilyPolicy(ipFamilyPolicy).withIpFamilies(ipFamilies)` between clusterIP and selector,
  // added in v3.4.0 by SPARK-39490, apache/spark#36887; read at a v4.0-line revision, scala.jdk
  // converters, and in a compiled v4.0 class) and k8s/Config.scala (spark.kubernetes.driver.service.ipFamilyPolicy
  // default "SingleStack", .ipFamilies default "IPv4", both .version("3.4.0")).
  it.each([
    ['4.0', '4.0.1'],
    ['3.5', '3.5.3'],
    ['3.4', '3.4.0'],
  ])('the driver Service lacks ipFamilyPolicy and ipFamilies: Spark %s (%s) renders SingleStack and [IPv4]', (version, spark) => {
    // Spark 3.x ships Hadoop 3.3.x; the image carries hadoop-azure 3.4.1 (infra/images/Dockerfile) for workload identity.
    const hadoop = shippedHadoop(spark)!;
    const images = {
      [version]: { image: `r.io/spark:${spark}`, spark, python: '3.10', hadoop, ...(hadoop < '3.4.1' ? { hadoopAzure: '3.4.1' } : {}) },
    };
    const { service } = renderNative(resolved({ sparkVersion: version }, { images, defaultSparkVersion: version }));
    expect(service.spec).toEqual({
      clusterIP: 'None',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
      selector: service.spec.selector,
      ports: service.spec.ports,
    });
    // Spark's order: clusterIP, ipFamilyPolicy, ipFamilies, selector, ports.
    expect(Object.keys(service.spec)).toEqual(['clusterIP', 'ipFamilyPolicy', 'ipFamilies', 'selector', 'ports']);
  });

  it('the driver Service lacks ipFamilyPolicy and ipFamilies: an image before Spark 3.4 leaves both to the API server, as its Spark did', () => {
    const images = { '3.3': { image: 'r.io/spark:3.3.4', spark: '3.3.4', python: '3.10', hadoop: '3.3.2', hadoopAzure: '3.4.1' } };
    const { service } = renderNative(resolved({ sparkVersion: '3.3' }, { images, defaultSparkVersion: '3.3' }));
    expect(service.spec).not.toHaveProperty('ipFamilyPolicy');
    expect(service.spec).not.toHaveProperty('ipFamilies');
  });

  it('jobs cannot change the IP families (the platform owns spark.kubernetes.*)', () => {
    for (const key of ['spark.kubernetes.driver.service.ipFamilyPolicy', 'spark.kubernetes.driver.service.ipFamilies']) {
      const result = prepareJob({ ...BASE_SPEC, conf: { [key]: 'IPv6' } }, settingsWith(), { tenant: TENANT, source: CLI_SOURCE });
      expect(result.ok).toBe(false);
    }
  });
});

describe('pod security per cluster profile', () => {
  const restrictedContainer = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  };

  it("aks: runAsUser, runAsGroup and fsGroup 185 (the image's named user), restricted container", () => {
    const { pod } = renderNative(resolved({}, { clusterProfile: 'aks' }));
    expect(pod.spec.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 185,
      runAsGroup: 185,
      fsGroup: 185,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(driverContainer(pod).securityContext).toEqual(restrictedContainer);
  });

  it('openshift: no UID, GID or fsGroup (restricted-v2 assigns them), restricted container', () => {
    const { pod } = renderNative(resolved({}, { clusterProfile: 'openshift' }));
    expect(pod.spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(driverContainer(pod).securityContext).toEqual(restrictedContainer);
  });

  it.each(['aks', 'openshift'] as const)(
    '%s: executors get the same security through the template, and no driver PriorityClass',
    (profile) => {
      const { configMap, pod } = renderNative(resolved({}, { clusterProfile: profile }));
      const template = parseYaml(configMap.data['pod-spec-template.yml']!) as Pod;
      expect(template.spec.securityContext).toEqual(pod.spec.securityContext);
      expect(template.spec.containers[0]!.name).toBe('spark-kubernetes-executor');
      expect(template.spec.containers[0]!.securityContext).toEqual(restrictedContainer);
      expect(template.spec.priorityClassName).toBeUndefined();
      const tmp = template.spec.containers[0]!.volumeMounts!.find((m) => m.mountPath === '/tmp')!;
      expect(template.spec.volumes!.find((v) => v.name === tmp.name)?.emptyDir).toEqual({});
    },
  );

  it('the template file is the same text for every job of a profile (written once), and differs between profiles', () => {
    const file = (jobKey: string, clusterProfile: 'aks' | 'openshift') =>
      renderNative(resolved({ jobKey, args: [jobKey] }, { clusterProfile })).configMap.data['pod-spec-template.yml']!;
    expect(file('job-a', 'aks')).toBe(file('job-b', 'aks'));
    expect(file('job-a', 'openshift')).toBe(file('job-b', 'openshift'));
    expect(file('job-a', 'aks')).not.toBe(file('job-a', 'openshift'));
    // Spark ignores the template's name for executor pods: nothing job-specific is in the file.
    expect(file('job-a', 'aks')).not.toContain(resolved({ jobKey: 'job-a' }).names.prefix);
    expect((parseYaml(file('job-a', 'aks')) as Pod).metadata.name).toBe('spark-executor-template');
  });
});

describe('files over abfss and keyless auth', () => {
  const host = 'sparkdispatchdemo.dfs.core.windows.net';

  it('workload identity: per-account OAuth with WorkloadIdentityTokenProvider, tenant, client and the webhook token path', () => {
    expect(props()).toMatchObject({
      [`spark.hadoop.fs.azure.account.auth.type.${host}`]: 'OAuth',
      [`spark.hadoop.fs.azure.account.oauth.provider.type.${host}`]: 'org.apache.hadoop.fs.azurebfs.oauth2.WorkloadIdentityTokenProvider',
      [`spark.hadoop.fs.azure.account.oauth2.msi.tenant.${host}`]: '00000000-0000-0000-0000-000000000000',
      [`spark.hadoop.fs.azure.account.oauth2.client.id.${host}`]: '11111111-1111-1111-1111-111111111111',
      [`spark.hadoop.fs.azure.account.oauth2.token.file.${host}`]:
        '${env.AZURE_FEDERATED_TOKEN_FILE:-/var/run/secrets/azure/tokens/azure-identity-token}',
    });
  });

  it('configures every allowed account, each scoped by its host', () => {
    const p = props(resolved({}, { storage: { accounts: { otherlake: { filesystems: ['raw'] } } } }));
    expect(p['spark.hadoop.fs.azure.account.auth.type.otherlake.dfs.core.windows.net']).toBe('OAuth');
    expect(p[`spark.hadoop.fs.azure.account.auth.type.${host}`]).toBe('OAuth');
  });

  it('managed identity: MsiTokenProvider, no token file, no workload-identity label', () => {
    const job = resolved({}, { storage: { auth: { mode: 'managed-identity', clientId: '22222222-2222-2222-2222-222222222222' } } });
    const p = props(job);
    expect(p[`spark.hadoop.fs.azure.account.oauth.provider.type.${host}`]).toBe('org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider');
    expect(p[`spark.hadoop.fs.azure.account.oauth2.client.id.${host}`]).toBe('22222222-2222-2222-2222-222222222222');
    expect(Object.keys(p).some((k) => k.includes('token.file'))).toBe(false);
    expect(renderNative(job).pod.metadata.labels).not.toHaveProperty('azure.workload.identity/use');
    expect(Object.keys(p).some((k) => k.includes('workload.identity'))).toBe(false);
  });

  it('auth mode none writes no ABFS settings at all', () => {
    const settings = settingsWith();
    const job = prepareJob(
      BASE_SPEC,
      { ...settings, storage: { ...settings.storage, auth: { mode: 'none' } } },
      { tenant: TENANT, source: CLI_SOURCE },
    );
    expect(job.ok).toBe(true);
    if (!job.ok) return;
    expect(Object.keys(props(job.value)).filter((k) => k.startsWith('spark.hadoop.fs.azure'))).toEqual([]);
    expect(renderNative(job.value).pod.metadata.labels).not.toHaveProperty('azure.workload.identity/use');
  });

  it('no key, SAS or secret ever appears in the rendered objects', () => {
    const text = JSON.stringify(renderObjects(resolved()));
    expect(text).not.toMatch(/account\.key|sas\.token|client\.secret|AccountKey=/i);
  });
});

describe('Spark versions', () => {
  it('the spark-version label and image come from the catalog entry the job names', () => {
    const images = {
      '3.5': { image: 'r.io/spark:3.5.3-h341', spark: '3.5.3', python: '3.10', hadoop: '3.3.4', hadoopAzure: '3.4.1' },
      '4.0': { image: 'r.io/spark:4.0.1', spark: '4.0.1', python: '3.10', hadoop: '3.4.1' },
    };
    const { pod } = renderNative(resolved({ sparkVersion: '3.5' }, { images }));
    expect(pod.metadata.labels?.['spark-version']).toBe('3.5.3');
    expect(driverContainer(pod).image).toBe('r.io/spark:3.5.3-h341');
  });
});
