/**
 * What the kubelet and a running Spark driver do to pods, for tests and the demo:
 *  - setPodStatus: a kubelet status update (pods/status), merging conditions by type and
 *    container statuses by name; a pod leaving Pending is bound to a node first (the scheduler's
 *    pods/binding sets spec.nodeName) and gets a startTime, hostIP and podIP as the kubelet reports them,
 *  - spawnExecutors: the executor pods a driver creates (Spark's ExecutorPodsAllocator with
 *    BasicExecutorFeatureStep): named `<spark.kubernetes.executor.podNamePrefix>-exec-<id>`, labelled
 *    spark-role=executor, spark-exec-id, spark-app-selector and the spark.kubernetes.executor.label.*
 *    labels of the driver's conf, owned by the driver pod (controller: true). They go through the full
 *    create path (admission, quota): a ResourceQuota refuses them as it refuses Spark's own creates,
 *  - recordPodEvent: the Events the scheduler, the kubelet and the cluster autoscaler write about a pod.
 */
import type { KubeApi } from './kubeApi.js';
import { arrayAt, isRecord, recordAt, stringAt, stringMap, type JsonRecord } from './jsonValues.js';
import { resourceTypeByPlural, type ResourceType } from './resourceTypes.js';
import { ApiError } from './statusObjects.js';
import type { ContainerStatus, KubeStoredObject, PodEvent, PodStatusPatch } from './standInTypes.js';

function podsType(): ResourceType {
  const type = resourceTypeByPlural('pods');
  if (!type) throw new Error('stand-in bug: no pods type');
  return type;
}

const NODE_NAME = 'standin-node';
const HOST_IP = '10.0.0.10';
let nextPodIp = 2;

function withTimes(state: unknown, now: string): unknown {
  if (!isRecord(state)) return state;
  const out = structuredClone(state);
  const running = recordAt(out, 'running');
  if (running) running.startedAt ??= now;
  const terminated = recordAt(out, 'terminated');
  if (terminated) {
    terminated.finishedAt ??= now;
    terminated.startedAt ??= now;
    terminated.exitCode ??= 0;
  }
  return out;
}

export function setPodStatus(api: KubeApi, namespace: string, name: string, patch: PodStatusPatch): KubeStoredObject {
  const pod = api.store.peek('pods', namespace, name);
  if (!pod) throw new Error(`pods "${name}" not found in namespace "${namespace}"`);
  const next = structuredClone(pod);
  const status: JsonRecord = isRecord(next.status) ? next.status : {};
  next.status = status;
  const now = api.now();

  if (patch.phase !== undefined) status.phase = patch.phase;
  if (patch.reason !== undefined) status.reason = patch.reason;
  if (patch.message !== undefined) status.message = patch.message;
  if (patch.startTime !== undefined) status.startTime = patch.startTime;

  if (patch.conditions) {
    const conditions = (arrayAt(status, 'conditions') ?? []).filter(isRecord);
    for (const condition of patch.conditions) {
      const index = conditions.findIndex((c) => c.type === condition.type);
      const previous = index >= 0 ? conditions[index] : undefined;
      const merged: JsonRecord = { lastProbeTime: null, ...(previous ?? {}), ...structuredClone(condition) };
      if (!condition.lastTransitionTime && previous?.status !== condition.status) merged.lastTransitionTime = now;
      if (index >= 0) conditions[index] = merged;
      else conditions.push(merged);
    }
    status.conditions = conditions;
  }

  if (patch.containerStatuses) {
    const statuses = (arrayAt(status, 'containerStatuses') ?? []).filter(isRecord);
    const specContainers = (arrayAt(next, 'spec', 'containers') ?? []).filter(isRecord);
    for (const cs of patch.containerStatuses) {
      const index = statuses.findIndex((s) => s.name === cs.name);
      const image =
        stringAt(
          specContainers.find((c) => c.name === cs.name),
          'image',
        ) ?? '';
      const base: JsonRecord =
        index >= 0 ? (statuses[index] ?? {}) : { name: cs.name, image, imageID: '', ready: false, restartCount: 0, started: false };
      const merged: JsonRecord = { ...base, ...structuredClone(cs as ContainerStatus) };
      if (cs.state) {
        merged.state = withTimes(cs.state, now);
        if (cs.ready === undefined) merged.ready = Boolean(cs.state.running);
        if (cs.started === undefined) merged.started = Boolean(cs.state.running);
      }
      if (index >= 0) statuses[index] = merged;
      else statuses.push(merged);
    }
    status.containerStatuses = statuses;
  }

  const phase = status.phase;
  const spec = isRecord(next.spec) ? next.spec : {};
  if (patch.nodeName !== undefined && !spec.nodeName) spec.nodeName = patch.nodeName;
  if (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') {
    if (!spec.nodeName) spec.nodeName = NODE_NAME;
    status.startTime ??= now;
    status.hostIP ??= HOST_IP;
    if (status.podIP === undefined) {
      const ip = `10.244.${Math.floor(nextPodIp / 250) % 250}.${(nextPodIp % 250) + 2}`;
      nextPodIp++;
      status.podIP = ip;
      status.podIPs = [{ ip }];
    }
  }
  return api.writeInternal(podsType(), next);
}

/** java.util.Properties.load, for the simple files spark-dispatch writes (escapes and continuations). */
export function parseJavaProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    // leading white space is dropped, on continuation lines too
    const line = raw.replace(/^\s+/, '');
    if (pending === '' && (line.startsWith('#') || line.startsWith('!') || line === '')) continue;
    const backslashes = /\\*$/.exec(line)?.[0].length ?? 0;
    if (backslashes % 2 === 1) {
      pending += line.slice(0, -1);
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  if (pending !== '') logical.push(pending);
  const unescape = (s: string) =>
    s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
      if (e.startsWith('u') && e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
      return e === 't' ? '\t' : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 'f' ? '\f' : e;
    });
  for (const line of logical) {
    let i = 0;
    let key = '';
    while (i < line.length) {
      const c = line[i] ?? '';
      if (c === '\\') {
        key += line.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
      key += c;
      i++;
    }
    let rest = line.slice(i).replace(/^[ \t\f]*/, '');
    if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1).replace(/^[ \t\f]*/, '');
    out[unescape(key)] = unescape(rest);
  }
  return out;
}

/** The driver's Spark conf, read from the ConfigMaps its volumes mount (the spark.properties file). */
function driverConf(api: KubeApi, driver: KubeStoredObject): Record<string, string> {
  const conf: Record<string, string> = {};
  for (const volume of arrayAt(driver, 'spec', 'volumes') ?? []) {
    const cmName = stringAt(volume, 'configMap', 'name');
    if (!cmName) continue;
    const cm = api.store.peek('configmaps', driver.metadata.namespace, cmName);
    for (const [key, value] of Object.entries(stringMap(recordAt(cm, 'data')))) {
      if (key.endsWith('.properties')) Object.assign(conf, parseJavaProperties(value));
    }
  }
  return conf;
}

/** A JVM memory size as Spark reads it (JavaUtils.byteStringAs with MiB as the default unit), in MiB. */
function sparkMiB(value: string | undefined, fallbackMiB: number): number {
  const match = /^\s*(\d+)\s*([kmgtp]?)b?\s*$/i.exec(value ?? '');
  if (!match) return fallbackMiB;
  const n = Number(match[1]);
  const unit = (match[2] ?? '').toLowerCase();
  const factor: Record<string, number> = { k: 1 / 1024, '': 1, m: 1, g: 1024, t: 1024 ** 2, p: 1024 ** 3 };
  return Math.ceil(n * (factor[unit] ?? 1));
}

/**
 * The executor container's resources as Spark's BasicExecutorFeatureStep sets them: memory request =
 * limit = spark.executor.memory + overhead (spark.executor.memoryOverhead, else the larger of
 * factor × memory and 384 MiB, the factor spark.executor.memoryOverheadFactor, else
 * spark.kubernetes.memoryOverheadFactor, else 0.1); CPU request spark.kubernetes.executor.request.cores,
 * else spark.executor.cores (1); a CPU limit only with spark.kubernetes.executor.limit.cores.
 */
function executorResources(conf: Readonly<Record<string, string>>): JsonRecord {
  const memory = sparkMiB(conf['spark.executor.memory'], 1024);
  const factor = Number(conf['spark.executor.memoryOverheadFactor'] ?? conf['spark.kubernetes.memoryOverheadFactor'] ?? '0.1');
  const overhead =
    conf['spark.executor.memoryOverhead'] !== undefined
      ? sparkMiB(conf['spark.executor.memoryOverhead'], 384)
      : Math.max(Math.floor((Number.isFinite(factor) ? factor : 0.1) * memory), 384);
  const cpu = conf['spark.kubernetes.executor.request.cores'] ?? conf['spark.executor.cores'] ?? '1';
  const limitCores = conf['spark.kubernetes.executor.limit.cores'];
  return {
    requests: { cpu, memory: `${memory + overhead}Mi` },
    limits: { memory: `${memory + overhead}Mi`, ...(limitCores !== undefined ? { cpu: limitCores } : {}) },
  };
}

/**
 * Records an Event about a pod as its reporter does (client-go's EventCorrelator): the same source,
 * reason and message again bumps count and lastTimestamp of the event already stored, else a new
 * event named <pod>.<hex> is created.
 */
export function recordPodEvent(api: KubeApi, namespace: string, podName: string, event: PodEvent): void {
  const pod = api.store.peek('pods', namespace, podName);
  if (!pod) throw new Error(`pods "${podName}" not found in namespace "${namespace}"`);
  const at = event.at ?? api.now();
  const type = resourceTypeByPlural('events');
  if (!type) throw new Error('stand-in bug: no events type');
  const same = api.store
    .peekAll('events', namespace)
    .find(
      (e) =>
        stringAt(e, 'involvedObject', 'uid') === pod.metadata.uid &&
        e.reason === event.reason &&
        e.message === event.message &&
        stringAt(e, 'source', 'component') === event.component,
    );
  if (same) {
    api.writeInternal(type, { ...structuredClone(same), count: (typeof same.count === 'number' ? same.count : 1) + 1, lastTimestamp: at });
    return;
  }
  const body = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${podName}.${(nextEventId++).toString(16).padStart(16, '0')}`, namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: podName, namespace, uid: pod.metadata.uid },
    type: event.type,
    reason: event.reason,
    message: event.message,
    source: { component: event.component },
    reportingComponent: event.component,
    count: 1,
    firstTimestamp: at,
    lastTimestamp: at,
  };
  api.create({ type, namespace, query: new URLSearchParams() }, body);
}
let nextEventId = 0x17f0_0000_0000;

const COPIED_DRIVER_LABELS = ['spark-app-selector', 'spark-app-name', 'app.kubernetes.io/managed-by'];
const EXECUTOR_LABEL_PREFIX = 'spark.kubernetes.executor.label.';

export function spawnExecutors(
  api: KubeApi,
  namespace: string,
  driverPodName: string,
  count: number,
  phase: 'Pending' | 'Running' = 'Running',
): string[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`executor count must be a non-negative integer, not ${count}`);
  const driver = api.store.peek('pods', namespace, driverPodName);
  if (!driver) throw new Error(`pods "${driverPodName}" not found in namespace "${namespace}"`);
  const conf = driverConf(api, driver);
  const prefix = conf['spark.kubernetes.executor.podNamePrefix'] ?? driverPodName.replace(/-driver$/, '');
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-exec-(\\d+)$`);
  let lastId = 0;
  for (const pod of api.store.peekAll('pods', namespace)) {
    const match = pattern.exec(pod.metadata.name);
    if (match) lastId = Math.max(lastId, Number(match[1]));
  }
  const driverLabels = stringMap(driver.metadata.labels);
  const confLabels: Record<string, string> = {};
  for (const [key, value] of Object.entries(conf))
    if (key.startsWith(EXECUTOR_LABEL_PREFIX)) confLabels[key.slice(EXECUTOR_LABEL_PREFIX.length)] = value;
  const image =
    conf['spark.kubernetes.container.image'] ?? stringAt((arrayAt(driver, 'spec', 'containers') ?? [])[0], 'image') ?? 'spark:stand-in';
  const serviceAccount = conf['spark.kubernetes.authenticate.executor.serviceAccountName'];

  const names: string[] = [];
  for (let n = 1; n <= count; n++) {
    const id = lastId + n;
    const name = `${prefix}-exec-${id}`;
    const labels: Record<string, string> = { ...confLabels };
    for (const key of COPIED_DRIVER_LABELS) if (driverLabels[key] !== undefined) labels[key] = driverLabels[key] ?? '';
    Object.assign(labels, { 'spark-role': 'executor', 'spark-exec-id': String(id), 'spark-exec-resourceprofile-id': '0' });
    const body = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        labels,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: driverPodName, uid: driver.metadata.uid, controller: true }],
      },
      spec: {
        restartPolicy: 'Never',
        hostname: name,
        ...(serviceAccount ? { serviceAccountName: serviceAccount } : {}),
        containers: [
          {
            name: 'spark-kubernetes-executor',
            image,
            args: ['executor'],
            ports: [{ name: 'blockmanager', containerPort: 7079, protocol: 'TCP' }],
            resources: executorResources(conf),
          },
        ],
      },
    };
    try {
      api.create({ type: podsType(), namespace, query: new URLSearchParams() }, body);
    } catch (error) {
      if (error instanceof ApiError) throw new Error(`executor ${name}: ${error.message}`);
      throw error;
    }
    names.push(name);
    if (phase === 'Running') {
      setPodStatus(api, namespace, name, {
        phase: 'Running',
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Initialized', status: 'True' },
          { type: 'ContainersReady', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
        containerStatuses: [{ name: 'spark-kubernetes-executor', state: { running: {} } }],
      });
    }
  }
  return names;
}
