/**
 * The one schema for spark-dispatch settings. Settings come from an optional JSON/YAML file and
 * from environment variables (see loadSettings); they are parsed once, at start-up, and a bad
 * setting stops start-up with every problem listed.
 */
import { z } from 'zod';
import { globToRegExp } from '../domain/intake/glob.js';
import { fillPlaceholders } from '../domain/intake/placeholders.js';
import { FILESYSTEM_NAME, STORAGE_ACCOUNT_NAME } from '../domain/spec/azureNames.js';
import { EXTRA_VALUE_KINDS, extraEntryProblem } from '../domain/spec/confPolicy.js';
import { BACKENDS, DNS1123_LABEL, keyedRecord } from '../domain/spec/jobSpec.js';
import { MEMORY_EXPECTED, isMemorySize, memoryToMiB } from '../domain/spec/quantity.js';

const memory = z.string().refine(isMemorySize, MEMORY_EXPECTED);
const namespaceName = z.string().regex(DNS1123_LABEL, 'a Kubernetes namespace name (DNS-1123 label)');
// DNS-1123 subdomain: service accounts and priority classes.
const subdomain = z
  .string()
  .regex(/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'a Kubernetes object name (DNS-1123 subdomain)');
const guid = z.string().regex(/^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/, 'a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47');
const version3 = z.string().regex(/^[0-9]+\.[0-9]+\.[0-9]+$/, 'a version x.y.z');
const positiveInt = z.number().int('a whole number').min(1, 'at least 1');

const ACCOUNT_EXPECTED = 'a storage account name (3-24 lower-case letters and digits)';

/**
 * A container image pinned to a version: `registry/repo:tag` or `…@sha256:digest`. `:latest` and
 * untagged images are refused because "which Spark ran my job?" must have one answer.
 */
export const IMAGE_REF = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/;

export const ImageEntrySchema = z.strictObject({
  image: z
    .string()
    .regex(IMAGE_REF, 'an image pinned by tag or digest, such as myacr.azurecr.io/spark-py:3.5.3')
    .refine((v) => !v.endsWith(':latest'), 'a pinned tag, not :latest'),
  spark: version3.describe('Spark version inside the image (label spark-version)'),
  python: z.string().regex(/^3\.[0-9]+$/, 'a Python version x.y such as 3.10').describe('Python of driver and executors: they must match'),
  hadoop: version3.describe('Hadoop version of the image: decides which ABFS token providers exist'),
  imagePullPolicy: z.enum(['IfNotPresent', 'Always', 'Never']).default('IfNotPresent'),
  pythonPath: z.string().regex(/^\/[A-Za-z0-9._/-]+$/, 'an absolute path').optional().describe('PYSPARK_PYTHON, when not the image default'),
});

export const JobDefaultsSchema = z.strictObject({
  driver: z.strictObject({ cores: positiveInt, memory }).partial().prefault({}),
  executor: z.strictObject({ cores: positiveInt, memory, instances: z.number().int().min(0, 'at least 0') }).partial().prefault({}),
  deadlineSeconds: positiveInt.optional(),
});

export const LimitsSchema = z.strictObject({
  maxDriverCores: positiveInt,
  maxDriverMemory: memory,
  maxExecutorCores: positiveInt,
  maxExecutorMemory: memory,
  maxExecutors: z.number().int().min(0, 'at least 0'),
  maxDeadlineSeconds: positiveInt,
});

export const NamespaceSettingsSchema = z.strictObject({
  driverServiceAccount: subdomain.default('spark-driver'),
  priorityClassName: subdomain.optional().describe('Overrides the driver PriorityClass for this namespace'),
  defaults: JobDefaultsSchema.partial().optional(),
  limits: LimitsSchema.partial().optional(),
  /** The namespace's cap on concurrent drivers: the driver ResourceQuota infra/ installs (and `cluster start`). */
  maxConcurrentDrivers: z.number().int().min(0, 'at least 0').max(100_000).optional(),
});

const WorkloadIdentitySchema = z.strictObject({
  mode: z.literal('workload-identity'),
  tenantId: guid,
  clientId: guid,
  // Webhook v1.6+ mounts the projected token here, not at Hadoop's default path.
  tokenFile: z.string().regex(/^\/[A-Za-z0-9._/-]+$/, 'an absolute path').default('/var/run/secrets/azure/wi/token/azure-identity-token'),
});
const ManagedIdentitySchema = z.strictObject({
  mode: z.literal('managed-identity'),
  tenantId: guid.optional(),
  clientId: guid.optional(),
});
const NoAuthSchema = z.strictObject({ mode: z.literal('none') });

export const StorageSettingsSchema = z.strictObject({
  accounts: keyedRecord(
    STORAGE_ACCOUNT_NAME,
    ACCOUNT_EXPECTED,
    z.strictObject({ filesystems: z.array(z.string().regex(FILESYSTEM_NAME, 'a filesystem name')).min(1, 'at least one filesystem') }),
  ).default({}),
  auth: z.discriminatedUnion('mode', [WorkloadIdentitySchema, ManagedIdentitySchema, NoAuthSchema]).prefault({ mode: 'none' }),
});

const absolutePath = z.string().regex(/^\/[^\0]*$/, 'an absolute path');
const httpUrl = (of: string) => z.url({ protocol: /^https?$/, error: `an http(s) URL of ${of}` });
const apiUrl = httpUrl('the Kubernetes API server');
const caFields = {
  caFile: absolutePath.optional().describe('PEM file of the API server CA'),
  caData: z.string().optional().describe('base64 PEM of the API server CA, as in a kubeconfig'),
  insecureSkipTlsVerify: z.boolean().default(false),
};

/**
 * How the dispatcher authenticates to the cluster:
 * - kubeconfig: a kubeconfig file (KUBECONFIG, ~/.kube/config, or `path`), any cluster;
 * - in-cluster: the pod's service account (the dispatcher runs inside the cluster);
 * - token: API URL + bearer token (OpenShift / ARO service-account token; `tokenFile` is re-read
 *   so rotated projected tokens keep working; `token` can come from a Key Vault reference);
 * - aks-entra: AKS with Entra ID + Azure RBAC: a token for the AKS server application from the
 *   Function's managed identity, refreshed before it expires.
 */
export const KubernetesAuthSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('kubeconfig'), path: z.string().min(1).optional(), context: z.string().min(1).optional() }),
  z.strictObject({ mode: z.literal('in-cluster') }),
  z
    .strictObject({ mode: z.literal('token'), apiUrl, token: z.string().min(1).optional(), tokenFile: absolutePath.optional(), ...caFields })
    .refine((a) => (a.token === undefined) !== (a.tokenFile === undefined), 'exactly one of token and tokenFile'),
  z.strictObject({
    mode: z.literal('aks-entra'),
    apiUrl,
    ...caFields,
    managedIdentityClientId: guid.optional().describe('user-assigned identity; default: the system-assigned one'),
    // The well-known application id of the AKS AAD server (Azure Kubernetes Service AAD Server).
    scope: z.string().default('6dae42f8-4368-4678-94ff-3960e28e3630/.default'),
  }),
]);

export const KubernetesSettingsSchema = z.strictObject({
  auth: KubernetesAuthSchema.prefault({ mode: 'kubeconfig' }),
  requestTimeoutMs: z.number().int().min(100, 'at least 100 ms').max(120_000, 'at most 120000 ms').default(10_000),
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(20).default(5),
      baseDelayMs: z.number().int().min(1).default(200),
      maxDelayMs: z.number().int().min(1).default(5_000),
      maxRetryAfterMs: z.number().int().min(0).default(30_000),
    })
    .prefault({}),
});
export type KubernetesSettings = z.infer<typeof KubernetesSettingsSchema>;
export type KubernetesAuth = z.infer<typeof KubernetesAuthSchema>;

const accountName = z.string().regex(STORAGE_ACCOUNT_NAME, ACCOUNT_EXPECTED);
const filesystemName = z.string().regex(FILESYSTEM_NAME, 'a filesystem (container) name');

/**
 * How to reach each storage account through the Blob API. Default: https://<account>.blob.core.windows.net
 * with the managed identity (no keys). A connection string per account is for local development
 * (Azurite) and for tests; it maps the account's name to that endpoint.
 */
export const BlobSettingsSchema = z.strictObject({
  accounts: keyedRecord(
    STORAGE_ACCOUNT_NAME,
    ACCOUNT_EXPECTED,
    z.strictObject({ connectionString: z.string().min(1).optional(), endpoint: httpUrl("the account's Blob endpoint").optional() }),
  ).default({}),
  managedIdentityClientId: guid.optional(),
});

export const LedgerSettingsSchema = z.strictObject({
  account: accountName.optional().describe('where the ledger lives; required by the Functions, optional for the CLI'),
  container: filesystemName.default('spark-dispatch-ledger'),
  maxPayloadBytes: z.number().int().min(1024).max(1024 * 1024).default(64 * 1024),
});

/** `{name}` placeholders a data-landing rule can use in its template's strings. */
export const RULE_PLACEHOLDERS = ['url', 'path', 'folder', 'folderUrl', 'file', 'filesystem', 'account', 'date', 'time', 'eventTime', 'rule'] as const;
export type RulePlaceholder = (typeof RULE_PLACEHOLDERS)[number];

// Names of landing rules and job templates.
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const nameExpected = (what: string) => `a ${what} name: lower-case letters, digits and -, at most 63`;

/**
 * A folder inside a filesystem as the rest of the code uses it: no leading `/`, a trailing `/`
 * unless it is '' (the whole filesystem). `jobs`, `/jobs` and `jobs/` all give `jobs/`. Settings
 * apply it when parsed, so `intake.scriptUploads[].prefix` and `intake.staging.prefix` already
 * have this form; it is idempotent.
 */
export function normalizeFolderPrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '');
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}
const folderPrefix = (fallback: string) =>
  z.string().default(fallback).transform(normalizeFolderPrefix).describe('a folder: jobs, jobs/ and /jobs/ all mean jobs/; "" is the whole filesystem');

export const LandingRuleSchema = z.strictObject({
  name: z.string().regex(NAME, nameExpected('rule')),
  account: accountName.optional().describe('default: any allowed account'),
  filesystem: filesystemName,
  /** Glob on the path inside the filesystem: `*` within a segment, `**` across segments, `?` one character. */
  path: z.string().min(1).max(1024),
  /** The job to start: a template name (see intake.templates). */
  template: z.string().min(1),
  /** Extra template parameters; values may use the placeholders. */
  parameters: z.record(z.string(), z.string()).default({}),
});

export const IntakeSettingsSchema = z.strictObject({
  /** Filesystems watched for the script-upload convention `<folder>/<job-name>/main.py`. */
  scriptUploads: z.array(z.strictObject({ account: accountName, filesystem: filesystemName, prefix: folderPrefix('') })).default([]),
  rules: z.array(LandingRuleSchema).default([]),
  /** Named job templates (job specs whose strings may contain `{placeholders}`), for messages and rules. */
  templates: keyedRecord(NAME, nameExpected('template'), z.record(z.string(), z.unknown())).default({}),
  /** Where inline scripts from job messages are staged, read back by the driver over abfss. */
  staging: z.strictObject({ account: accountName, filesystem: filesystemName, prefix: folderPrefix('inline/') }).optional(),
  maxInlineScriptBytes: z.number().int().min(1).max(1024 * 1024).default(192 * 1024),
  /** Deferred (cluster full) jobs come back as scheduled messages with a growing delay, up to a total wait. */
  deferral: z
    .strictObject({
      initialDelaySeconds: z.number().int().min(1).default(30),
      maxDelaySeconds: z.number().int().min(1).default(600),
      maxTotalWaitSeconds: z.number().int().min(1).default(6 * 3600),
    })
    .prefault({}),
});

export const ServiceBusSettingsSchema = z.strictObject({
  /** A connection string (local broker, or a namespace with keys), or a namespace host for managed identity. */
  connectionString: z.string().min(1).optional(),
  fullyQualifiedNamespace: z.string().regex(/^[a-z0-9.-]+$/i, 'a host name such as contoso.servicebus.windows.net').optional(),
  jobQueue: z.string().min(1).default('spark-jobs'),
  /** Topic for lifecycle events (launched, rejected, deferred, swept, finished); unset: not published. */
  eventsTopic: z.string().min(1).optional(),
  /** Must equal the queue's maxDeliveryCount: the last delivery records "dead-lettered" before failing. */
  maxDeliveryCount: z.number().int().min(1).max(2000).default(10),
});

const seconds = (fallback: number) => z.number().int().min(0, 'at least 0 seconds').default(fallback);

/**
 * When the sweeper clears a driver. The Apache Spark Kubernetes Operator's 300 s for driver and
 * executor start is the baseline; Pending gets longer because cluster autoscalers take minutes
 * to add a node.
 */
export const SweeperSettingsSchema = z.strictObject({
  /** NCRONTAB (six fields, seconds first), as Azure Functions timers use. */
  schedule: z.string().regex(/^\S+( \S+){5}$/, 'a six-field NCRONTAB expression such as "0 */5 * * * *"').default('0 */5 * * * *'),
  pendingTimeoutSeconds: seconds(900),
  imagePullGraceSeconds: seconds(180),
  containerConfigGraceSeconds: seconds(180),
  creatingTimeoutSeconds: seconds(600),
  executorStartTimeoutSeconds: seconds(300),
  executorPendingTimeoutSeconds: seconds(900),
  deadlineGraceSeconds: seconds(60),
  succeededRetentionSeconds: seconds(3600),
  failedRetentionSeconds: seconds(24 * 3600),
  orphanGraceSeconds: seconds(300),
  maxDeletionsPerRun: z.number().int().min(0).default(50),
  logTailLines: z.number().int().min(1).max(100_000).default(500),
  logTailBytes: z.number().int().min(1024).max(4 * 1024 * 1024).default(64 * 1024),
});
export type SweeperSettings = z.infer<typeof SweeperSettingsSchema>;

export type BlobSettings = z.infer<typeof BlobSettingsSchema>;
export type LedgerSettings = z.infer<typeof LedgerSettingsSchema>;
export type IntakeSettings = z.infer<typeof IntakeSettingsSchema>;
export type LandingRule = z.infer<typeof LandingRuleSchema>;
export type ServiceBusSettings = z.infer<typeof ServiceBusSettingsSchema>;

export const CLUSTER_PROFILES = ['aks', 'openshift'] as const;
export type ClusterProfile = (typeof CLUSTER_PROFILES)[number];

export const DEFAULT_LIMITS: z.infer<typeof LimitsSchema> = {
  maxDriverCores: 8,
  maxDriverMemory: '32g',
  maxExecutorCores: 8,
  maxExecutorMemory: '64g',
  maxExecutors: 50,
  maxDeadlineSeconds: 7 * 24 * 3600,
};

type NamespaceSettings = z.output<typeof NamespaceSettingsSchema>;
type JobDefaults = z.output<typeof JobDefaultsSchema>;

/** What applies to jobs in one namespace: its limits and defaults merged with the global ones. */
export interface NamespacePolicy {
  /** The namespace's own settings; undefined when it is not among settings.namespaces. */
  readonly settings: NamespaceSettings | undefined;
  /** Each limit: the namespace's own, else the global one, else DEFAULT_LIMITS. */
  readonly limits: Limits;
  /** Each default: the namespace's own, else the global one, else none (the caller's fallback applies). */
  readonly defaults: JobDefaults;
}

/**
 * The one place that merges a namespace's limits and defaults with the global ones: settings
 * validation checks the result, job resolution enforces it and the namespace manifests size
 * their LimitRange from it. A field set to undefined counts as not set.
 */
export function namespacePolicy(settings: Pick<Settings, 'namespaces' | 'limits' | 'defaults'>, namespace: string | undefined): NamespacePolicy {
  // Own keys only: a namespace named "constructor" is not Object.prototype.constructor.
  const ns = namespace !== undefined && Object.hasOwn(settings.namespaces, namespace) ? settings.namespaces[namespace] : undefined;
  // (TypeScript does not see that Partial<Limits>[K] without undefined is Limits[K].)
  const limit = <K extends keyof Limits>(key: K): Limits[K] => (ns?.limits?.[key] ?? settings.limits[key] ?? DEFAULT_LIMITS[key]) as Limits[K];
  const own = ns?.defaults;
  const shared = settings.defaults;
  return {
    settings: ns,
    limits: {
      maxDriverCores: limit('maxDriverCores'),
      maxDriverMemory: limit('maxDriverMemory'),
      maxExecutorCores: limit('maxExecutorCores'),
      maxExecutorMemory: limit('maxExecutorMemory'),
      maxExecutors: limit('maxExecutors'),
      maxDeadlineSeconds: limit('maxDeadlineSeconds'),
    },
    defaults: {
      driver: { cores: own?.driver?.cores ?? shared.driver.cores, memory: own?.driver?.memory ?? shared.driver.memory },
      executor: {
        cores: own?.executor?.cores ?? shared.executor.cores,
        memory: own?.executor?.memory ?? shared.executor.memory,
        instances: own?.executor?.instances ?? shared.executor.instances,
      },
      deadlineSeconds: own?.deadlineSeconds ?? shared.deadlineSeconds,
    },
  };
}

/**
 * A key an installation adds to the conf allowlist (see confPolicy.ts): an exact key or a prefix
 * `spark.foo.*`, and the rule its values follow. min and max bound integers and numbers.
 */
export const AllowedConfKeySchema = z
  .strictObject({
    key: z.string().regex(/^spark(\.[A-Za-z0-9_\-/]+)+(\.\*)?$/, 'a Spark conf key, or a prefix ending in .* (spark.foo.*)'),
    value: z.enum(EXTRA_VALUE_KINDS).default('text'),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .superRefine((entry, ctx) => {
    // Only now is the key known to be well formed: say what it would re-allow, naming the entry.
    const problem = /^spark(\.[A-Za-z0-9_\-/]+)+(\.\*)?$/.test(entry.key) ? extraEntryProblem(entry.key) : undefined;
    if (problem) ctx.addIssue({ code: 'custom', path: ['key'], message: problem, params: { found: JSON.stringify(entry.key) } });
    const bounded = entry.value === 'integer' || entry.value === 'number';
    for (const side of ['min', 'max'] as const) {
      const bound = entry[side];
      if (bound === undefined) continue;
      if (!bounded) ctx.addIssue({ code: 'custom', path: [side], message: `no ${side}: it bounds integer and number values only (this entry's value is ${entry.value})` });
      else if (entry.value === 'integer' && !Number.isInteger(bound)) ctx.addIssue({ code: 'custom', path: [side], message: 'a whole number, as the values it bounds' });
    }
    if (entry.min !== undefined && entry.max !== undefined && entry.min > entry.max) ctx.addIssue({ code: 'custom', path: ['max'], message: `at least min (${entry.min})` });
  });

export const ConfPolicySchema = z.strictObject({
  /** Extra keys to refuse: `*` is a wildcard. */
  deniedKeys: z.array(z.string().regex(/^spark\.[A-Za-z0-9._\-/*]+$/, 'a Spark conf key, * as a wildcard')).default([]),
  detectSecrets: z.boolean().default(true),
  /** Keys added to the built-in allowlist; never the keys spark-dispatch owns. */
  allowedKeys: z.array(AllowedConfKeySchema).default([]),
});

/**
 * The version catalog shipped as a default. The official apache/spark images do not carry
 * hadoop-azure, so these names point at images built from `infra/images/Dockerfile`
 * (official image + hadoop-azure at the image's Hadoop version); replace the registry with yours.
 */
export const DEFAULT_IMAGES: Record<string, z.input<typeof ImageEntrySchema>> = {
  '3.5': { image: 'sparkdispatch.azurecr.io/spark-py:3.5.3-hadoop3.3.4', spark: '3.5.3', python: '3.10', hadoop: '3.3.4' },
  '4.0': { image: 'sparkdispatch.azurecr.io/spark-py:4.0.1-hadoop3.4.1', spark: '4.0.1', python: '3.10', hadoop: '3.4.1' },
};

const SettingsObjectSchema = z
  .strictObject({
    clusterProfile: z.enum(CLUSTER_PROFILES).default('aks').describe('Decides the pod security context (see the driver contract)'),
    namespaces: keyedRecord(DNS1123_LABEL, 'a Kubernetes namespace name (DNS-1123 label)', NamespaceSettingsSchema).refine(
      (r) => Object.keys(r).length > 0,
      'at least one allowed namespace',
    ),
    defaultNamespace: namespaceName.optional(),
    storage: StorageSettingsSchema.prefault({}),
    images: keyedRecord(/^[0-9]+\.[0-9]+(\.[0-9]+)?$/, 'a version key such as "3.5"', ImageEntrySchema)
      .prefault(() => structuredClone(DEFAULT_IMAGES)),
    defaultSparkVersion: z.string().default('4.0'),
    defaultBackend: z.enum(BACKENDS).default('native'),
    driverPriorityClassName: subdomain.default('spark-dispatch-driver').describe('PriorityClass of driver pods; the ResourceQuota that caps drivers is scoped to it'),
    sparkUser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a user name').default('spark'),
    defaults: JobDefaultsSchema.prefault({}),
    limits: LimitsSchema.partial().default({}),
    kubernetes: KubernetesSettingsSchema.prefault({}),
    blob: BlobSettingsSchema.prefault({}),
    ledger: LedgerSettingsSchema.prefault({}),
    intake: IntakeSettingsSchema.prefault({}),
    serviceBus: ServiceBusSettingsSchema.prefault({}),
    sweeper: SweeperSettingsSchema.prefault({}),
    confPolicy: ConfPolicySchema.prefault({}),
  });

type SettingsObject = z.output<typeof SettingsObjectSchema>;
type Ctx = z.RefinementCtx;

type DefaultsOf = Partial<z.output<typeof JobDefaultsSchema>> | undefined;

/** Each job default and the limit it must stay within. */
const LIMITED_DEFAULTS: readonly { field: readonly string[]; limit: keyof Limits; read: (d: DefaultsOf) => number | string | undefined }[] = [
  { field: ['driver', 'cores'], limit: 'maxDriverCores', read: (d) => d?.driver?.cores },
  { field: ['driver', 'memory'], limit: 'maxDriverMemory', read: (d) => d?.driver?.memory },
  { field: ['executor', 'cores'], limit: 'maxExecutorCores', read: (d) => d?.executor?.cores },
  { field: ['executor', 'memory'], limit: 'maxExecutorMemory', read: (d) => d?.executor?.memory },
  { field: ['executor', 'instances'], limit: 'maxExecutors', read: (d) => d?.executor?.instances },
  { field: ['deadlineSeconds'], limit: 'maxDeadlineSeconds', read: (d) => d?.deadlineSeconds },
];

/**
 * Each namespace's defaults within its limits (both as namespacePolicy merges them). A problem is
 * reported on the setting that holds the default, and names the limit's setting and its value as
 * written, in its own unit ("4g", not MiB).
 */
function checkDefaultsWithinLimits(s: SettingsObject, ctx: Ctx): void {
  // Memory sizes compare in MiB; both sides were checked to be sizes by the schema.
  const size = (v: number | string): number => (typeof v === 'number' ? v : (memoryToMiB(v) ?? 0));
  for (const name of Object.keys(s.namespaces)) {
    const { settings: ns, defaults, limits } = namespacePolicy(s, name);
    for (const { field, limit: key, read } of LIMITED_DEFAULTS) {
      const value = read(defaults);
      if (value === undefined) continue;
      const limit = limits[key];
      if (size(value) <= size(limit)) continue;
      // Where the default and the limit were set: the merge is namespacePolicy's, only the names are told here.
      const own = read(ns?.defaults) !== undefined;
      const limitName =
        ns?.limits?.[key] !== undefined
          ? `the limit namespaces.${name}.limits.${key}`
          : s.limits[key] !== undefined
            ? `the limit limits.${key}`
            : `the built-in limit ${key} (raise it with limits.${key} or namespaces.${name}.limits.${key})`;
      ctx.addIssue({
        code: 'custom',
        path: own ? ['namespaces', name, 'defaults', ...field] : ['defaults', ...field],
        message: `at most ${String(limit)}${own ? '' : ` in namespace ${name}`}, ${limitName}`,
      });
    }
  }
}

const GLOB_EXPECTED = 'a glob on the path inside the filesystem: * within a folder, ** across folders, ? one character, [a-z] one of a class';

/**
 * What would otherwise only show per event: globs that do not compile or can never match,
 * templates that do not exist, placeholders nothing provides, and accounts or filesystems the
 * intake could never act on (events from accounts not in storage.accounts are ignored; a script
 * outside the allowed filesystems is refused).
 */
function checkIntake(s: SettingsObject, ctx: Ctx): void {
  const accounts = s.storage.accounts;
  const accountNames = Object.keys(accounts);
  const issue = (path: (string | number)[], message: string, params?: { found?: string; hint?: string }) =>
    ctx.addIssue({ code: 'custom', path: ['intake', ...path], message, ...(params ? { params } : {}) });
  const oneOfAccounts = (why: string) =>
    accountNames.length > 0 ? `one of the accounts in storage.accounts (${accountNames.join(', ')}): ${why}` : `an account in storage.accounts, which lists none: ${why}`;

  /** Where scripts are read from: resolveJob refuses a main.py outside the allowed accounts and filesystems. */
  const checkScriptLocation = (path: (string | number)[], at: { account: string; filesystem: string }, accountWhy: string, filesystemWhy: string) => {
    const account = Object.hasOwn(accounts, at.account) ? accounts[at.account] : undefined;
    if (account === undefined) issue([...path, 'account'], oneOfAccounts(accountWhy));
    else if (!account.filesystems.includes(at.filesystem)) {
      issue([...path, 'filesystem'], `one of the filesystems allowed for ${at.account} in storage.accounts (${account.filesystems.join(', ')}): ${filesystemWhy}`);
    }
  };
  s.intake.scriptUploads.forEach((upload, i) =>
    checkScriptLocation(['scriptUploads', i], upload, 'events from other accounts are ignored', 'an uploaded main.py elsewhere is refused'),
  );
  if (s.intake.staging !== undefined) {
    const refused = 'an inline script staged elsewhere is refused';
    checkScriptLocation(['staging'], s.intake.staging, refused, refused);
  }

  const builtIns = Object.fromEntries(RULE_PLACEHOLDERS.map((name) => [name, '']));
  const braces = (names: readonly string[]) => names.map((n) => `{${n}}`).join(', ');
  const templateNames = Object.keys(s.intake.templates);
  s.intake.rules.forEach((rule, i) => {
    if (rule.account !== undefined && !Object.hasOwn(accounts, rule.account)) {
      issue(['rules', i, 'account'], oneOfAccounts('events from other accounts are ignored'));
    } else if (rule.account === undefined && accountNames.length === 0) {
      issue(['rules', i, 'account'], 'an account to watch: without one the rule watches the accounts in storage.accounts, which lists none');
    }

    if (rule.path.startsWith('/') || rule.path.endsWith('/')) {
      issue(['rules', i, 'path'], `${GLOB_EXPECTED}, without a leading or trailing / (event paths have neither)`);
    } else {
      try {
        globToRegExp(rule.path);
      } catch (error) {
        issue(['rules', i, 'path'], GLOB_EXPECTED, { hint: error instanceof Error ? error.message : String(error) });
      }
    }

    for (const [name, value] of Object.entries(rule.parameters)) {
      const unknown = fillPlaceholders(value, builtIns).unknown;
      if (unknown.length > 0) {
        issue(['rules', i, 'parameters', name], `only the placeholders ${braces(RULE_PLACEHOLDERS)} ({{ and }} for literal braces)`, {
          found: `${JSON.stringify(value)}, which uses ${braces(unknown)}`,
        });
      }
    }

    if (!Object.hasOwn(s.intake.templates, rule.template)) {
      issue(['rules', i, 'template'], templateNames.length > 0 ? `one of intake.templates (${templateNames.join(', ')})` : 'a template in intake.templates, which has none');
      return;
    }
    const provided = { ...builtIns, ...Object.fromEntries(Object.keys(rule.parameters).map((name) => [name, ''])) };
    const unknown = fillPlaceholders(s.intake.templates[rule.template], provided).unknown;
    if (unknown.length > 0) {
      const own = Object.keys(rule.parameters);
      issue(
        ['rules', i, 'template'],
        `a template whose placeholders the event (${braces(RULE_PLACEHOLDERS)}) or the rule's parameters (${own.length > 0 ? braces(own) : 'none'}) provide`,
        { found: `${JSON.stringify(rule.template)}, which uses ${braces(unknown)}`, hint: `add ${unknown.join(', ')} to intake.rules[${i}].parameters` },
      );
    }
  });
}

export const SettingsSchema = SettingsObjectSchema.superRefine((s, ctx) => {
  // Runs once every field is valid on its own; lists every problem across fields at once.
  if (!Object.hasOwn(s.images, s.defaultSparkVersion)) {
    ctx.addIssue({ code: 'custom', path: ['defaultSparkVersion'], message: `a key of images (${Object.keys(s.images).join(', ')})` });
  }
  if (s.defaultNamespace !== undefined && !Object.hasOwn(s.namespaces, s.defaultNamespace)) {
    ctx.addIssue({ code: 'custom', path: ['defaultNamespace'], message: `one of the namespaces (${Object.keys(s.namespaces).join(', ')})` });
  }
  checkDefaultsWithinLimits(s, ctx);
  checkIntake(s, ctx);
});

export type Settings = z.infer<typeof SettingsSchema>;
export type SettingsInput = z.input<typeof SettingsSchema>;
export type ImageEntry = z.infer<typeof ImageEntrySchema>;
export type Limits = z.infer<typeof LimitsSchema>;
export type StorageAuth = Settings['storage']['auth'];
