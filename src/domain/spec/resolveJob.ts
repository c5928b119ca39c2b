/**
 * Decides everything about a job before anything is rendered: namespace, image, resources,
 * names and conf, checked against the installation's policy. A spec that parses can still be
 * refused here (a namespace that is not allowed, a version not in the catalog, a secret in conf),
 * and every such problem is reported at once with the field it concerns.
 */
import { abfsAuthConf, compareVersions, hadoopAzureOf, WORKLOAD_IDENTITY_MIN_HADOOP } from '../render/abfsAuth.js';
import { checkConf, secretKind } from './confPolicy.js';
import { envRefusal } from './envPolicy.js';
import type { Backend, JobSpec } from './jobSpec.js';
import { operatorBackendProblems } from './operatorBackend.js';
import { driverPodMemory, executorPodMemory, type PodMemory } from '../render/memory.js';
import { isReservedLabel, RESERVED_LABEL_PREFIXES } from '../render/naming.js';
import { contentHash, jobNames, scopedKey, type JobNames } from '../tenant/jobIdentity.js';
import { describeValue, fail, formatPath, ok, type Problem, type Result } from './problem.js';
import { memoryToMiB } from './quantity.js';
import { isUriRefusal, parseScriptUri } from './storageUri.js';
import type { ClusterProfile, ImageEntry, Settings, StorageAuth } from '../../settings/settingsSchema.js';
import { namespacePolicy } from '../tenant/namespacePolicy.js';
import { tenantById } from '../tenant/tenancy.js';

export type SourceKind = 'cli' | 'message' | 'script-upload' | 'data-landing' | 'api';

/** Where a job request came from: shown in annotations, logs and the ledger. */
export interface JobSource {
  readonly kind: SourceKind;
  /** A message id, a blob URL, a file name. */
  readonly ref: string;
}

export interface ResolvedJob {
  /** The tenant the request came from (its queue, its upload folder), never what the request says. */
  readonly tenant: string;
  /** `<tenant>/<job key>`: the key in the ledger, the annotations and every name's hash. */
  readonly jobKey: string;
  readonly names: JobNames;
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly priorityClassName: string;
  readonly backend: Backend;
  readonly profile: ClusterProfile;
  readonly sparkVersion: string;
  readonly image: ImageEntry;
  readonly main: string;
  readonly pyFiles: readonly string[];
  readonly args: readonly string[];
  readonly driver: {
    readonly cores: number;
    readonly memory: string;
    readonly pod: PodMemory;
    readonly limitCores?: string | undefined;
  };
  readonly executor: {
    readonly cores: number;
    readonly memory: string;
    readonly memoryOverhead?: string | undefined;
    /** Each executor pod's memory, as the image's Spark will size it. */
    readonly pod: PodMemory;
    /**
     * spark.executor.instances: at least 1 without dynamic allocation. With it, the spec's value
     * only (the initial number, at most spark.dynamicAllocation.maxExecutors), else undefined: a
     * namespace default would become a floor of the initial executors.
     */
    readonly instances: number | undefined;
    /** spark.dynamicAllocation.enabled is true: decided here, once; the executors annotation (both backends) reads it. */
    readonly dynamicAllocation: boolean;
  };
  readonly deadlineSeconds: number;
  /** The user's conf, after policy. */
  readonly conf: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** Hadoop settings for keyless ABFS access to the tenant's accounts, each with its identity, and no other. */
  readonly storageConf: Readonly<Record<string, string>>;
  readonly workloadIdentity: boolean;
  readonly sparkUser: string;
  readonly source: JobSource;
}

export interface ResolveOptions {
  /** Who is asking: decided by where the request came from, by the caller. */
  readonly tenant: string;
  readonly source: JobSource;
  /** Key to use when the spec has no jobKey (a Service Bus message id, a blob URL + eTag). */
  readonly fallbackJobKey?: string | undefined;
}

/** Spark's own defaults (spark.driver.memory, spark.executor.instances, …) when nothing is configured. */
const SPARK_DEFAULTS = {
  driverCores: 1,
  driverMemory: '1g',
  executorCores: 1,
  executorMemory: '1g',
  executorInstances: 2,
  deadlineSeconds: 24 * 3600,
};

export function resolveJob(spec: JobSpec, settings: Settings, options: ResolveOptions): Result<ResolvedJob> {
  const problems: Problem[] = [];
  const refuse = (path: (string | number)[], expected: string, found: unknown, hint?: string) =>
    problems.push({ path: formatPath(path), expected, found: describeValue(found), ...(hint ? { hint } : {}) });

  // The tenant, and the namespace it owns that the job runs in.
  const team = tenantById(settings, options.tenant);
  if (!team)
    return fail([
      {
        path: '(tenant)',
        expected: `a tenant of this installation (${Object.keys(settings.tenants).join(', ')})`,
        found: describeValue(options.tenant),
      },
    ]);
  const own = Object.keys(team.tenant.namespaces);
  const namespace = spec.namespace ?? team.tenant.defaultNamespace ?? (own.length === 1 ? own[0] : undefined);
  const policy = namespacePolicy(settings, namespace);
  const { limits, defaults } = policy;
  const nsSettings = policy.tenant === team.id ? policy.settings : undefined;
  const namespaces = `one of the allowed namespaces of tenant ${team.id} (${own.join(', ')})`;
  if (namespace === undefined) refuse(['namespace'], namespaces, undefined);
  else if (!nsSettings)
    refuse(['namespace'], namespaces, namespace, policy.tenant !== undefined ? 'that namespace belongs to another tenant' : undefined);

  // Version catalog: a job names a Spark version, never an image.
  const sparkVersion = spec.sparkVersion ?? settings.defaultSparkVersion;
  const image = settings.images[sparkVersion];
  if (!image)
    refuse(
      ['sparkVersion'],
      `a version from the catalog (${Object.keys(settings.images).join(', ')})`,
      sparkVersion,
      'see `spark-dispatch versions`',
    );

  // Script locations: only the tenant's own accounts and filesystems.
  const accounts = team.tenant.storage;
  const hosts = new Map(Object.keys(accounts).map((a) => [`${a}.dfs.core.windows.net`, a]));
  const checkLocation = (uri: string, path: (string | number)[], role: 'main' | 'pyFile') => {
    const parsed = parseScriptUri(uri, role);
    if (isUriRefusal(parsed) || parsed.scheme !== 'abfss') return;
    const account = Object.hasOwn(accounts, parsed.account) ? accounts[parsed.account] : undefined;
    if (!account)
      refuse(
        path,
        `a storage account allowed in settings for tenant ${team.id} (${Object.keys(accounts).join(', ') || 'none configured'})`,
        parsed.account,
      );
    else if (!account.filesystems.includes(parsed.filesystem))
      refuse(path, `a filesystem allowed for ${parsed.account} (${account.filesystems.join(', ')})`, parsed.filesystem);
    else hosts.set(parsed.host, parsed.account);
  };
  checkLocation(spec.main, ['main'], 'main');
  (spec.pyFiles ?? []).forEach((uri, i) => checkLocation(uri, ['pyFiles', i], 'pyFile'));

  const auth: StorageAuth = settings.storage.auth;
  // The catalog's hadoop is checked against its Spark release at settings parse; an image rebuilt
  // with another hadoop-azure says so in hadoopAzure, and that is the version that counts here.
  if (image && auth.mode === 'workload-identity' && compareVersions(hadoopAzureOf(image), WORKLOAD_IDENTITY_MIN_HADOOP) < 0) {
    const has = image.hadoopAzure === undefined ? `ships Hadoop ${image.hadoop}` : `has hadoop-azure ${image.hadoopAzure}`;
    refuse(
      ['sparkVersion'],
      `a version whose image has hadoop-azure ${WORKLOAD_IDENTITY_MIN_HADOOP} or later (needed for workload identity on ABFS)`,
      sparkVersion,
      `the ${sparkVersion} image ${has}, which has no WorkloadIdentityTokenProvider; use a newer sparkVersion or an image rebuilt with hadoop-azure ${WORKLOAD_IDENTITY_MIN_HADOOP}+ (images["${sparkVersion}"].hadoopAzure)`,
    );
  }

  // Resources within the namespace limits.
  const driverCores = spec.driver?.cores ?? defaults.driver.cores ?? SPARK_DEFAULTS.driverCores;
  const driverMemory = spec.driver?.memory ?? defaults.driver.memory ?? SPARK_DEFAULTS.driverMemory;
  const executorCores = spec.executor?.cores ?? defaults.executor.cores ?? SPARK_DEFAULTS.executorCores;
  const executorMemory = spec.executor?.memory ?? defaults.executor.memory ?? SPARK_DEFAULTS.executorMemory;
  const instances = spec.executor?.instances ?? defaults.executor.instances ?? SPARK_DEFAULTS.executorInstances;
  const deadlineSeconds =
    spec.deadlineSeconds ?? defaults.deadlineSeconds ?? Math.min(SPARK_DEFAULTS.deadlineSeconds, limits.maxDeadlineSeconds);
  const atMost = (path: string[], value: number, max: number, shown: string | number, maxShown: string | number) => {
    if (value > max) refuse(path, `at most ${maxShown} (the limit for namespace ${namespace ?? '?'})`, shown);
  };
  const mib = (v: string) => memoryToMiB(v) ?? 0;
  atMost(['driver', 'cores'], driverCores, limits.maxDriverCores, driverCores, limits.maxDriverCores);
  atMost(['driver', 'memory'], mib(driverMemory), mib(limits.maxDriverMemory), driverMemory, limits.maxDriverMemory);
  atMost(['executor', 'cores'], executorCores, limits.maxExecutorCores, executorCores, limits.maxExecutorCores);
  atMost(['executor', 'memory'], mib(executorMemory), mib(limits.maxExecutorMemory), executorMemory, limits.maxExecutorMemory);
  atMost(['executor', 'instances'], instances, limits.maxExecutors, instances, limits.maxExecutors);
  atMost(['deadlineSeconds'], deadlineSeconds, limits.maxDeadlineSeconds, deadlineSeconds, limits.maxDeadlineSeconds);

  // Conf: only keys on the allowlist, with values Spark and we read alike (see confPolicy.ts).
  // Keys the image's Spark lacks are refused, so that Spark and the pod sizes below read the same conf.
  const checked = checkConf(spec.conf ?? {}, {
    namespace,
    limits,
    driverCores,
    executorCores,
    policy: settings.confPolicy,
    sparkVersion: image?.spark,
  });
  problems.push(...checked.problems);
  const { conf, dynamicAllocation } = checked;
  const instancesProblem = executorInstancesProblem(spec.executor?.instances, instances, dynamicAllocation, conf, namespace);
  // One problem per field: over the namespace limit is already said.
  if (instancesProblem && !problems.some((p) => p.path === formatPath(['executor', 'instances']))) {
    refuse(['executor', 'instances'], instancesProblem.expected, instancesProblem.found, instancesProblem.hint);
  }

  // Environment, arguments and labels: no secrets, nothing that belongs to Spark or identity.
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(spec.env ?? {})) {
    const refusal = envRefusal(key, value, settings.confPolicy.detectSecrets, 'pod specs are readable by anyone who can list pods');
    if (refusal) refuse(['env', key], refusal.expected, refusal.found, refusal.hint);
    else env[key] = value;
  }
  (spec.args ?? []).forEach((arg, i) => {
    const kind = settings.confPolicy.detectSecrets ? secretKind(arg) : undefined;
    if (kind)
      refuse(
        ['args', i],
        'an argument that is not a credential',
        '[redacted]',
        `it looks like ${kind}: arguments are visible in the pod spec`,
      );
  });
  for (const key of Object.keys(spec.labels ?? {})) {
    if (isReservedLabel(key))
      refuse(['labels', key], `a label key outside ${RESERVED_LABEL_PREFIXES.map((p) => (p.endsWith('-') ? `${p}*` : p)).join(', ')}`, key);
  }

  // The operator backend: refused where the cluster's Spark Operator could not run the job as rendered.
  const backend = spec.backend ?? settings.defaultBackend;
  if (backend === 'operator') problems.push(...operatorBackendProblems({ pyFiles: spec.pyFiles ?? [] }, settings));

  if (problems.length > 0 || !image || namespace === undefined || !nsSettings) return fail(problems);

  const jobKey = scopedKey(team.id, requestJobKey(spec, options.fallbackJobKey, namespace, sparkVersion));
  // Pod memory is a function of the image's Spark version (memory.ts).
  const explicit = (size: string | undefined) => (size === undefined ? undefined : mib(size));
  const driverPod = driverPodMemory(image.spark, {
    memoryMiB: mib(driverMemory),
    explicitOverheadMiB: explicit(spec.driver?.memoryOverhead),
    conf,
  });
  const executorPod = executorPodMemory(image.spark, {
    memoryMiB: mib(executorMemory),
    explicitOverheadMiB: explicit(spec.executor?.memoryOverhead),
    conf,
  });

  return ok({
    tenant: team.id,
    jobKey,
    names: jobNames(spec.name, jobKey),
    name: spec.name,
    namespace,
    serviceAccount: nsSettings.driverServiceAccount,
    priorityClassName: nsSettings.priorityClassName ?? settings.driverPriorityClassName,
    backend,
    profile: settings.clusterProfile,
    sparkVersion,
    image,
    main: spec.main,
    pyFiles: spec.pyFiles ?? [],
    args: spec.args ?? [],
    driver: { cores: driverCores, memory: driverMemory, pod: driverPod, limitCores: conf['spark.kubernetes.driver.limit.cores'] },
    executor: {
      cores: executorCores,
      memory: executorMemory,
      memoryOverhead: spec.executor?.memoryOverhead,
      pod: executorPod,
      instances: dynamicAllocation ? spec.executor?.instances : instances,
      dynamicAllocation,
    },
    deadlineSeconds,
    conf,
    env,
    labels: spec.labels ?? {},
    storageConf: abfsAuthConf(
      auth,
      [...hosts].map(([host, account]) => ({ host, clientId: accounts[account]?.clientId ?? team.tenant.clientId })),
      settings.kubernetes.workloadIdentity,
    ),
    workloadIdentity: auth.mode === 'workload-identity',
    sparkUser: settings.sparkUser,
    source: options.source,
  });
}

/**
 * What Spark does with spark.executor.instances (3.5 and 4.0):
 * - Without dynamic allocation, the driver's own spark-submit refuses anything below 1
 *   (SparkSubmitArguments.validateSubmitArguments: "Number of executors must be a positive
 *   number" unless spark.dynamicAllocation.enabled is true, SPARK-24241), so the driver dies at once.
 * - With it, the initial number of executors is the largest of minExecutors, initialExecutors and
 *   spark.executor.instances (Utils.getDynamicAllocationInitialExecutors), and the scheduler
 *   backend refuses one above maxExecutors (SchedulerBackendUtils.getInitialTargetExecutorNumber).
 */
function executorInstancesProblem(
  given: number | undefined,
  resolved: number,
  dynamicAllocation: boolean,
  conf: Readonly<Record<string, string>>,
  namespace: string | undefined,
): { expected: string; found: number; hint: string } | undefined {
  if (!dynamicAllocation) {
    if (resolved >= 1) return undefined;
    const source = given === undefined ? `the default of namespace ${namespace ?? '?'} is 0; ` : '';
    return {
      expected: 'at least 1 executor without dynamic allocation',
      found: resolved,
      hint: `${source}Spark's spark-submit in the driver refuses spark.executor.instances=0 ("Number of executors must be a positive number") unless dynamic allocation is on: to start with no executors and scale with the load, set conf spark.dynamicAllocation.enabled: "true" and spark.dynamicAllocation.maxExecutors`,
    };
  }
  const max = conf['spark.dynamicAllocation.maxExecutors'];
  if (given === undefined || max === undefined || given <= Number(max)) return undefined;
  return {
    expected: `at most ${max} (spark.dynamicAllocation.maxExecutors)`,
    found: given,
    hint: 'with dynamic allocation executor.instances is the initial number of executors, and Spark refuses to start with more than spark.dynamicAllocation.maxExecutors',
  };
}

/**
 * The job key a request asks for, before its tenant is put in front: the spec's jobKey, else the
 * caller's (a message id, an upload's URL and eTag), else, from the CLI, a hash of the spec, so
 * the same spec submitted twice is one job.
 */
export function requestJobKey(spec: JobSpec, fallback: string | undefined, namespace?: string, sparkVersion?: string): string {
  const { jobKey: _ignored, ...specWithoutKey } = spec;
  return spec.jobKey ?? fallback ?? `spec-${contentHash({ ...specWithoutKey, namespace, sparkVersion }).slice(0, 32)}`;
}
