/** The public contract of the Kubernetes API server stand-in (integration tests, benchmark, demo code against it). */

export interface StandInOptions {
  /** Default 0: a random free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Created at start; 'default' (and the other namespaces of a fresh cluster) always exist. */
  namespaces?: string[];
  /**
   * ServiceAccounts created in each of `namespaces` and in every namespace createNamespace() makes
   * (the driver's, as the team bundle would): a pod must name an existing account, as on a real
   * server. Namespaces created through the API get only `default`. Default: none.
   */
  serviceAccounts?: string[];
  /** Seeds the fault RNG (deterministic tests). */
  seed?: number;
  /** Garbage collection runs asynchronously after a delete; default 0 (next macrotask). */
  gcDelayMs?: number;
  /**
   * How long the change history (what paginated lists and watches read at a revision) is kept
   * before compaction: kube-apiserver's --etcd-compaction-interval, default 5 minutes. A long
   * benchmark sets it shorter, so that the history of deleted objects does not count as the
   * dispatcher's memory.
   */
  compactionIntervalMs?: number;
}

export type FaultVerb = 'create' | 'get' | 'list' | 'patch' | 'update' | 'delete' | 'deletecollection' | '*';
export type FaultKind = '500' | '503' | '429' | 'reset' | 'timeout';

export interface FaultRule {
  /** Default '*'. */
  verb?: FaultVerb;
  /** Plural, e.g. 'pods' (also matches its subresources, e.g. 'pods/status'); default all. */
  resource?: string;
  /** 0..1 probability per matching request. */
  rate: number;
  /** Picked at random among these. */
  kinds: FaultKind[];
  /** For 429; default 1. */
  retryAfterSeconds?: number;
  /** Added to every matching request, even when no fault fires. */
  latencyMs?: number;
}

export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string };
}

export interface ContainerStatus {
  name: string;
  state?: ContainerState;
  lastState?: ContainerState;
  ready?: boolean;
  restartCount?: number;
  image?: string;
  imageID?: string;
  started?: boolean;
}

/** A partial V1PodStatus. */
export interface PodStatusPatch {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  conditions?: PodCondition[];
  containerStatuses?: ContainerStatus[];
  startTime?: string;
  reason?: string;
  message?: string;
  /** The node the scheduler binds the pod to (pods/binding sets spec.nodeName once); default standin-node when it leaves Pending. */
  nodeName?: string;
}

/** A core/v1 Event about a pod, as the scheduler, the kubelet or the cluster autoscaler records it. */
export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** Who reported it (source.component): default-scheduler, kubelet, cluster-autoscaler… */
  component: string;
  /** lastTimestamp (and firstTimestamp of a new event); default the cluster's now. */
  at?: string;
}

export interface StoredOwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface StoredMetadata {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: StoredOwnerReference[];
  finalizers?: string[];
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  generation?: number;
  [key: string]: unknown;
}

export interface KubeStoredObject {
  apiVersion: string;
  kind: string;
  metadata: StoredMetadata;
  [key: string]: unknown;
}

export interface StandInStats {
  /** By `${verb} ${resource}`, e.g. 'create pods', 'get pods/log'. */
  requests: Record<string, number>;
  faultsInjected: number;
  /** Per namespace: the highest number of pods ever counted by one quota at once. */
  maxConcurrentQuotaPods: Record<string, number>;
}

export interface StandIn {
  /** E.g. http://127.0.0.1:43121 */
  readonly url: string;
  /** A kubeconfig YAML pointing at url (cluster 'standin', user 'standin' with a token, context 'standin'). */
  kubeconfig(opts?: { namespace?: string; token?: string }): string;
  close(): Promise<void>;
  createNamespace(name: string): void;
  /** Replaces all rules; [] clears. */
  setFaults(rules: FaultRule[]): void;
  /** Merges into status (conditions by type, containerStatuses by name); throws if no such pod. */
  setPodStatus(namespace: string, name: string, status: PodStatusPatch): void;
  /** Sets the text GET .../pods/{name}/log serves, every line received now; throws if no such pod. */
  setPodLog(namespace: string, name: string, text: string): void;
  /** Adds lines to a pod's log, each received at its `at` (default now), as a running container writes them. */
  appendPodLog(namespace: string, name: string, lines: readonly { text: string; at?: string }[]): void;
  /**
   * Records an Event about a pod, as its reporter would: the same reason and message again bumps
   * count and lastTimestamp of the existing event (client-go's EventCorrelator), else a new one.
   */
  recordPodEvent(namespace: string, podName: string, event: PodEvent): void;
  /** A node's kubelet stops (false) or starts again (true) answering: pods/log of its pods fails meanwhile. */
  setNodeReachable(node: string, reachable: boolean): void;
  /** Lets the cluster's clock run ahead by `ms`: what the API server and the kubelet write from now on carries the later time. */
  advanceClock(ms: number): void;
  /** The cluster's current time. */
  now(): Date;
  /** Returns the executor pod names. */
  spawnExecutors(namespace: string, driverPodName: string, count: number, phase?: 'Pending' | 'Running'): string[];
  /**
   * Snapshot (deep copies) of stored objects, in etcd key order. `labelSelector` (the API's syntax)
   * filters before copying: only the matching objects are copied.
   */
  objects(resource: string, namespace?: string, options?: { labelSelector?: string }): KubeStoredObject[];
  /**
   * Deletes an object as a DELETE with propagationPolicy Background would (its dependents go to the
   * collector), from inside the process: no request counted, no fault or latency injected. For a
   * cluster's own doings in a benchmark (finished drivers cleared), not for the code under test.
   */
  deleteObject(resource: string, namespace: string, name: string): void;
  stats(): StandInStats;
  resetStats(): void;
}
