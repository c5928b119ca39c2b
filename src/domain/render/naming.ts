/**
 * Kubernetes labels and annotations for a job, and the sanitizers its names go through. The names
 * themselves, like every other part of a job's identity, come from its key (domain/jobIdentity).
 */

export const MANAGER = 'spark-dispatch';

/** The label on the objects a namespace needs before jobs can run there (manifests, quota, PriorityClass). */
export const PART_OF = { 'app.kubernetes.io/part-of': MANAGER } as const;

export const LABELS = {
  /** Spark's own labels (Spark's Constants.scala): drivers, executors and the Service select on them. */
  appSelector: 'spark-app-selector',
  role: 'spark-role',
  appName: 'spark-app-name',
  version: 'spark-version',
  managedBy: 'app.kubernetes.io/managed-by',
  /** The job key is free text; labels hold its hash, annotations the key itself. */
  jobKeyHash: 'spark-dispatch.io/job-key-hash',
  /** The tenant that asked for the job: the team's policies (quota, admission, network) may select on it. */
  tenant: 'spark-dispatch.io/tenant',
  workloadIdentity: 'azure.workload.identity/use',
} as const;

export const ANNOTATIONS = {
  /** `<tenant>/<job key>`: the sweeper takes the tenant from the namespace, and ignores a key of another tenant. */
  jobKey: 'spark-dispatch.io/job-key',
  source: 'spark-dispatch.io/source',
  jobName: 'spark-dispatch.io/job-name',
  /** The job's deadline, for the sweeper (on the SparkApplication too; both backends' driver pods also carry activeDeadlineSeconds). */
  deadlineSeconds: 'spark-dispatch.io/deadline-seconds',
  /** `static:<n>` or `dynamic`: lets the sweeper tell "SparkContext never started" from "scaled to zero". */
  executors: 'spark-dispatch.io/executors',
  /**
   * Optional: an RFC 3339 time something that knows the job is alive writes on the driver pod (an
   * orchestrator, an operator with patch rights; not the driver's own service account, which the
   * admission policy keeps to its executors). The sweeper counts it as a sign of life.
   */
  heartbeat: 'spark-dispatch.io/heartbeat',
} as const;

/** Label keys a user may not set: they decide selection, ownership and identity. */
export const RESERVED_LABEL_PREFIXES = [
  'spark-',
  'spark-dispatch.io/',
  'app.kubernetes.io/managed-by',
  'azure.workload.identity/',
  'kubernetes.io/',
  'k8s.io/',
] as const;

/** On everything a launch creates: spark-dispatch manages it (the sweeper lists by this) and which job it belongs to. */
export function ownershipLabels(job: { readonly names: { readonly keyHash: string }; readonly tenant: string }): Record<string, string> {
  return { [LABELS.managedBy]: MANAGER, [LABELS.jobKeyHash]: job.names.keyHash, [LABELS.tenant]: job.tenant };
}

export function isReservedLabel(key: string): boolean {
  const lower = key.toLowerCase();
  return RESERVED_LABEL_PREFIXES.some((p) => lower === p || lower.startsWith(p) || lower.includes(`.${p}`));
}

/** Kubernetes' limit on a label value (and a DNS-1123 label); Spark's KUBERNETES_DNS_LABEL_NAME_MAX_LENGTH. */
const LABEL_VALUE_MAX = 63;

/**
 * The `spark-app-name` label exactly as Spark computes it from spark.app.name
 * (KubernetesConf.getAppNameLabel, the same from Spark 3.3.0, SPARK-36566 and SPARK-38630, through
 * 3.5 and 4.0): `trim` (Java's: characters up to U+0020), lower case (Locale.ROOT), anything but
 * [a-z0-9-] becomes `-`, runs of `-` collapse, the first 63 characters are kept, and then one `-`
 * is stripped from each end. The driver must carry what Spark gives its executors, so no accent
 * folding and no leading letter here: `Été 2024` → `t-2024`, `2024 report` → `2024-report`,
 * `売上` → `` (an empty label value is valid). Kubernetes accepts every result: [a-z0-9-] only,
 * at most 63, never `-` at an end (runs collapsed before the strip leave at most one).
 */
export function sparkAppNameLabel(appName: string): string {
  const label = appName
    .replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]/gu, '-')
    .replace(/-+/g, '-')
    .slice(0, LABEL_VALUE_MAX);
  return label.replace(/^-/, '').replace(/-$/, '');
}

/**
 * Object names (pod, Service, executor prefix), where Kubernetes' name rules bind and the names are
 * ours (spark.kubernetes.driver.pod.name and spark.kubernetes.executor.podNamePrefix are set, so
 * Spark's getResourceNamePrefix is never used): lower case, anything but [a-z0-9-] becomes `-`,
 * runs of `-` collapse, as Spark does. We also fold accents (é → e) so that unicode names stay
 * readable, strip `-` at the ends (DNS-1123), and make sure the result starts with a letter
 * (DNS-1035, required of Service names): `2024-report` → `x2024-report`. Not for labels: the
 * spark-app-name label is Spark's (sparkAppNameLabel).
 */
export function sanitizeName(name: string, max: number): string {
  let out = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  if (out === '') out = 'spark';
  if (!/^[a-z]/.test(out)) out = `x${out}`;
  return out.slice(0, max).replace(/-+$/, '');
}
