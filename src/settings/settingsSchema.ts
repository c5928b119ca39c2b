/**
 * The one schema for spark-dispatch settings. Settings come from an optional JSON/YAML file and
 * from environment variables (see loadSettings); they are parsed once, at start-up, and a bad
 * setting stops start-up with every problem listed.
 */
import { z } from 'zod';
import { compileGlob } from '../domain/intake/glob.js';
import { DEFAULT_TOKEN_FILE } from '../domain/render/abfsAuth.js';
import { fillPlaceholders } from '../domain/intake/placeholders.js';
import { FILESYSTEM_NAME, STORAGE_ACCOUNT_NAME } from '../domain/spec/azureNames.js';
import { EXTRA_VALUE_KINDS, extraEntryProblem } from '../domain/spec/confPolicy.js';
import { BACKENDS, DNS1123_LABEL, keyedRecord } from '../domain/spec/jobSpec.js';
import { MEMORY_EXPECTED, isMemorySize, memoryToMiB } from '../domain/spec/quantity.js';
import { DEFAULT_GRACE, GRACE_KEYS, type GraceKey, type Graces } from '../domain/sweep/reasons.js';
import { SPARK_HADOOP, shippedHadoop } from './sparkReleases.js';
import { compareVersions, WORKLOAD_IDENTITY_MIN_HADOOP } from '../domain/render/abfsAuth.js';
import { OPERATOR_MIN_VERSION } from '../domain/spec/operatorBackend.js';
import { namespacePolicy } from '../domain/tenant/namespacePolicy.js';

const memory = z.string().refine(isMemorySize, MEMORY_EXPECTED);
const namespaceName = z.string().regex(DNS1123_LABEL, 'a Kubernetes namespace name (DNS-1123 label)');
// DNS-1123 subdomain: service accounts and priority classes.
const subdomain = z
  .string()
  .regex(/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'a Kubernetes object name (DNS-1123 subdomain)');
const guid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/, 'a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47');
const version3 = z.string().regex(/^[0-9]+\.[0-9]+\.[0-9]+$/, 'a version x.y.z');
const positiveInt = z.number().int('a whole number').min(1, 'at least 1');

const ACCOUNT_EXPECTED = 'a storage account name (3-24 lower-case letters and digits)';

/**
 * A container image pinned to a version: `registry/repo:tag` or `…@sha256:digest`. `:latest` and
 * untagged images are refused because "which Spark ran my job?" must have one answer.
 */
export const IMAGE_REF =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/;

export const ImageEntrySchema = z
  .strictObject({
    image: z
      .string()
      .regex(IMAGE_REF, 'an image pinned by tag or digest, such as myacr.azurecr.io/spark-py:3.5.3')
      .refine((v) => !v.endsWith(':latest'), 'a pinned tag, not :latest'),
    spark: version3.describe('Spark version inside the image (label spark-version)'),
    python: z
      .string()
      .regex(/^3\.[0-9]+$/, 'a Python version x.y such as 3.10')
      .describe('Python of driver and executors: they must match'),
    hadoop: version3.describe('Hadoop version the Spark release ships (checked against it): the recipe adds hadoop-azure at this version'),
    hadoopAzure: version3
      .optional()
      .describe(
        'hadoop-azure version the image was built with, when not its Hadoop (infra/images/Dockerfile, build-arg HADOOP_AZURE_VERSION): decides which ABFS token providers exist',
      ),
    imagePullPolicy: z.enum(['IfNotPresent', 'Always', 'Never']).default('IfNotPresent'),
    pythonPath: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]+$/, 'an absolute path')
      .optional()
      .describe('PYSPARK_PYTHON, when not the image default'),
  })
  .superRefine((entry, ctx) => {
    // `hadoop` is a fact of the Spark release, not a free claim: a wrong value (3.5 "with Hadoop
    // 3.4.1") would switch the workload-identity guard off for an image that cannot authenticate.
    const shipped = shippedHadoop(entry.spark);
    const known = Object.entries(SPARK_HADOOP)
      .map(([series, hadoop]) => `${series}.x ships ${hadoop}`)
      .join(', ');
    if (shipped === undefined) {
      ctx.addIssue({ code: 'custom', path: ['spark'], message: `a Spark release whose Hadoop spark-dispatch knows (${known})` });
    } else if (entry.hadoop !== shipped) {
      ctx.addIssue({
        code: 'custom',
        path: ['hadoop'],
        message: `${shipped}, the Hadoop Spark ${entry.spark} ships (an image rebuilt with another hadoop-azure says so in hadoopAzure: infra/images/Dockerfile, build-arg HADOOP_AZURE_VERSION)`,
      });
    }
  });

export const JobDefaultsSchema = z.strictObject({
  driver: z.strictObject({ cores: positiveInt, memory }).partial().prefault({}),
  executor: z
    .strictObject({ cores: positiveInt, memory, instances: z.number().int().min(0, 'at least 0') })
    .partial()
    .prefault({}),
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
  /** The identity drivers use when their tenant (or account) names none: the single-team form. */
  clientId: guid.optional(),
  // Where the token is mounted is the cluster's (its webhook's version), not the storage's.
  tokenFile: z
    .custom<undefined>(
      (v) => v === undefined,
      "nothing here: where the token is mounted depends on the cluster's webhook, so it is kubernetes.workloadIdentity.tokenFile",
    )
    .optional(),
});
const ManagedIdentitySchema = z.strictObject({
  mode: z.literal('managed-identity'),
  tenantId: guid.optional(),
  clientId: guid.optional(),
});
const NoAuthSchema = z.strictObject({ mode: z.literal('none') });

/** A storage account a tenant owns: its filesystems, and optionally the identity its drivers use there. */
export const TenantAccountSchema = z.strictObject({
  filesystems: z.array(z.string().regex(FILESYSTEM_NAME, 'a filesystem name')).min(1, 'at least one filesystem'),
  clientId: guid.optional().describe("client id of the identity drivers use for this account; default: the tenant's clientId"),
});
const accountsRecord = () => keyedRecord(STORAGE_ACCOUNT_NAME, ACCOUNT_EXPECTED, TenantAccountSchema);

export const StorageSettingsSchema = z.strictObject({
  /** The single-team form: the accounts of the one tenant. With `tenants`, each tenant lists its own. */
  accounts: accountsRecord().default({}),
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
    .strictObject({
      mode: z.literal('token'),
      apiUrl,
      token: z.string().min(1).optional(),
      tokenFile: absolutePath.optional(),
      ...caFields,
    })
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

/**
 * How the cluster's pods find their workload-identity token (storage.auth.mode workload-identity).
 * The webhook mounts it where its version puts it and says where in AZURE_FEDERATED_TOKEN_FILE;
 * by default drivers read that variable (Hadoop expands it) and fall back to `tokenFile`.
 */
export const WorkloadIdentityClusterSchema = z.strictObject({
  tokenFile: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]+$/, 'an absolute path')
    .default(DEFAULT_TOKEN_FILE)
    .describe(
      'the projected token file when AZURE_FEDERATED_TOKEN_FILE is unset: webhook ≤ 1.5 and hadoop-azure default /var/run/secrets/azure/tokens/azure-identity-token, webhook ≥ 1.6 /var/run/secrets/azure/wi/token/azure-identity-token',
    ),
  fromWebhookEnv: z
    .boolean()
    .default(true)
    .describe(
      "read the path from the webhook's AZURE_FEDERATED_TOKEN_FILE (Hadoop expands it), tokenFile as the fallback; false: tokenFile alone",
    ),
});

export const KubernetesSettingsSchema = z.strictObject({
  auth: KubernetesAuthSchema.prefault({ mode: 'kubeconfig' }),
  workloadIdentity: WorkloadIdentityClusterSchema.prefault({}),
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
/** The storage SDK's retries of one call, when settings say nothing (blob.retry). */
export const STORAGE_RETRY_DEFAULTS = { maxTries: 4, retryDelayMs: 500, maxRetryDelayMs: 8_000, tryTimeoutMs: 60_000 } as const;

export const BlobSettingsSchema = z.strictObject({
  accounts: keyedRecord(
    STORAGE_ACCOUNT_NAME,
    ACCOUNT_EXPECTED,
    z.strictObject({ connectionString: z.string().min(1).optional(), endpoint: httpUrl("the account's Blob endpoint").optional() }),
  ).default({}),
  managedIdentityClientId: guid.optional(),
  /**
   * The storage SDK's own retries of one call: short, because an outage that outlasts them is the
   * job's retry (a scheduled message), not a handler held for minutes.
   */
  retry: z
    .strictObject({
      maxTries: z.number().int().min(1).max(10).default(STORAGE_RETRY_DEFAULTS.maxTries),
      retryDelayMs: z.number().int().min(1).default(STORAGE_RETRY_DEFAULTS.retryDelayMs),
      maxRetryDelayMs: z.number().int().min(1).default(STORAGE_RETRY_DEFAULTS.maxRetryDelayMs),
      tryTimeoutMs: z.number().int().min(100).default(STORAGE_RETRY_DEFAULTS.tryTimeoutMs),
    })
    .prefault({}),
});

export const LedgerSettingsSchema = z.strictObject({
  account: accountName.optional().describe('where the ledger lives; required by the Functions, optional for the CLI'),
  container: filesystemName.default('spark-dispatch-ledger'),
  maxPayloadBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024)
    .default(64 * 1024),
});

/** `{name}` placeholders a data-landing rule can use in its template's strings. */
export const RULE_PLACEHOLDERS = [
  'url',
  'path',
  'folder',
  'folderUrl',
  'file',
  'filesystem',
  'account',
  'date',
  'time',
  'eventTime',
  'rule',
] as const;
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
  z
    .string()
    .default(fallback)
    .transform(normalizeFolderPrefix)
    .describe('a folder: jobs, jobs/ and /jobs/ all mean jobs/; "" is the whole filesystem');

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

/** What a tenant starts jobs from: upload folders, landing rules, templates, and where its inline scripts are staged. */
const tenantIntakeFields = {
  /** Filesystems watched for the script-upload convention `<folder>/<job-name>/main.py`. */
  scriptUploads: z.array(z.strictObject({ account: accountName, filesystem: filesystemName, prefix: folderPrefix('') })).default([]),
  rules: z.array(LandingRuleSchema).default([]),
  /** Named job templates (job specs whose strings may contain `{placeholders}`), for messages and rules. */
  templates: keyedRecord(NAME, nameExpected('template'), z.record(z.string(), z.unknown())).default({}),
  /** Where inline scripts from job messages are staged, read back by the driver over abfss. */
  staging: z.strictObject({ account: accountName, filesystem: filesystemName, prefix: folderPrefix('inline/') }).optional(),
};
export const TenantIntakeSchema = z.strictObject(tenantIntakeFields);

/** The intake settings: the tenant-owned fields (the single-team form) and the installation-wide ones. */
export const IntakeSettingsSchema = z.strictObject({
  ...tenantIntakeFields,
  maxInlineScriptBytes: z
    .number()
    .int()
    .min(1)
    .max(1024 * 1024)
    .default(192 * 1024),
  /**
   * A job that met an outage (the API server, storage, the events topic) comes back as a scheduled
   * message with a growing delay instead of being redelivered at once, up to a total wait; then it
   * is dead-lettered with its key and reason. The total wait is the longest outage that costs no job.
   */
  retry: z
    .strictObject({
      initialDelaySeconds: z.number().int().min(1).default(5),
      maxDelaySeconds: z.number().int().min(1).default(120),
      maxTotalWaitSeconds: z.number().int().min(1).default(3600),
    })
    .prefault({}),
  /** Deferred (cluster full) jobs come back as scheduled messages with a growing delay, up to a total wait. */
  deferral: z
    .strictObject({
      initialDelaySeconds: z.number().int().min(1).default(30),
      maxDelaySeconds: z.number().int().min(1).default(600),
      maxTotalWaitSeconds: z
        .number()
        .int()
        .min(1)
        .default(6 * 3600),
    })
    .prefault({}),
  /**
   * A CopyBlob event whose copy is still pending (on a hierarchical-namespace account the event
   * fires when the copy starts, and none follows when it ends) is looked at again later, as a
   * scheduled message on the tenant's queue with a growing delay, up to a total wait counted from
   * the event; then the job is refused with the reason. Copy Blob itself gives up after 2 weeks.
   */
  copyWait: z
    .strictObject({
      initialDelaySeconds: z.number().int().min(1).default(30),
      maxDelaySeconds: z.number().int().min(1).default(600),
      maxTotalWaitSeconds: z
        .number()
        .int()
        .min(1)
        .max(14 * 24 * 3600, 'at most 14 days (Copy Blob times out after 2 weeks)')
        .default(24 * 3600),
    })
    .prefault({}),
});

export const ServiceBusSettingsSchema = z.strictObject({
  /** A connection string (local broker, or a namespace with keys), or a namespace host for managed identity. */
  connectionString: z.string().min(1).optional(),
  fullyQualifiedNamespace: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, 'a host name such as contoso.servicebus.windows.net')
    .optional(),
  jobQueue: z.string().min(1).default('spark-jobs'),
  /** Topic for lifecycle events (launched, rejected, deferred, swept, finished); unset: not published. */
  eventsTopic: z.string().min(1).optional(),
  /** Must equal the queue's maxDeliveryCount: the last delivery records "dead-lettered" before failing. */
  maxDeliveryCount: z.number().int().min(1).max(2000).default(10),
});

const seconds = (fallback: number) => z.number().int().min(0, 'at least 0 seconds').default(fallback);

/** Seconds, or "never" (null too: parsed settings say never as null, and parse again to the same). */
const graceValue = z.custom<number | 'never' | null>(
  (v) => v === 'never' || v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 0),
  'a number of seconds (0 or more), or "never"',
);

/**
 * The threshold names of earlier releases. Those whose meaning did not change still work and set
 * the graces they always decided; setting one and its replacement is refused (which one wins would
 * be a guess).
 */
const RENAMED: Readonly<Record<string, readonly GraceKey[]>> = {
  imagePullGraceSeconds: ['imagePullFailed'],
  containerConfigGraceSeconds: ['containerConfigError'],
  pendingTimeoutSeconds: ['unschedulable', 'pendingTooLong', 'submissionStuck'],
  creatingTimeoutSeconds: ['stuckCreating'],
  executorPendingTimeoutSeconds: ['executorsPending'],
  deadlineGraceSeconds: ['deadlineExceeded'],
  orphanGraceSeconds: ['orphanedCompanion'],
};

/** Names whose meaning changed: refused with what to set instead, never mapped silently. */
const REPLACED: Readonly<Record<string, string>> = {
  executorStartTimeoutSeconds:
    "no longer a setting: sweeper.grace.noExecutors replaces it and counts from the driver's last sign of life (its newest log line or heartbeat), not from its start, so a value chosen for the start would clear drivers that are still working (default 1800)",
};

/**
 * When and how the sweeper clears drivers. Each reason has a grace (`grace.<reason>`): how long
 * its evidence must hold before the driver is cleared; the evidence each reason needs is in
 * src/domain/sweep/classifyDriver.ts and the README. `mode: observe` clears nothing and records
 * what it would have cleared.
 */
export const SweeperSettingsSchema = z
  .strictObject({
    /** NCRONTAB (six fields, seconds first), as Azure Functions timers use. */
    schedule: z
      .string()
      .regex(/^\S+( \S+){5}$/, 'a six-field NCRONTAB expression such as "0 */5 * * * *"')
      .default('0 */5 * * * *'),
    mode: z
      .enum(['delete', 'observe'])
      .default('delete')
      .describe('delete: clear what the evidence condemns; observe: clear nothing, record what would have been cleared'),
    grace: z
      .strictObject(
        Object.fromEntries(GRACE_KEYS.map((key) => [key, graceValue.optional()])) as Record<GraceKey, z.ZodOptional<typeof graceValue>>,
      )
      .prefault({}),
    succeededRetentionSeconds: seconds(3600),
    failedRetentionSeconds: seconds(24 * 3600),
    maxDeletionsPerRun: z.number().int().min(0).default(50),
    /** Drivers whose log or events are read per run; the rest of the suspects wait for the next run. */
    maxEvidenceReadsPerRun: z.number().int().min(1, 'at least 1: without evidence no suspect is ever judged').default(100),
    /** The reconciler: a launched job whose driver is missing this long, with no finish recorded, is lost. */
    lostGraceSeconds: seconds(600),
    /** The reconciler: a request with no step this long never came back (longer than any retry or deferral step, and than a Service Bus outage you plan for). */
    staleRequestSeconds: seconds(2 * 3600),
    /** The reconciler looks at this many open records per run, oldest first. */
    maxReconciledPerRun: z.number().int().min(0).default(500),
    logTailLines: z.number().int().min(1).max(100_000).default(500),
    logTailBytes: z
      .number()
      .int()
      .min(1024)
      .max(4 * 1024 * 1024)
      .default(64 * 1024),
    ...Object.fromEntries(Object.keys(RENAMED).map((name) => [name, z.number().int().min(0, 'at least 0 seconds').optional()])),
    // Refused where it is written, with the other field problems.
    ...Object.fromEntries(Object.entries(REPLACED).map(([name, why]) => [name, z.custom<never>(() => false, why).optional()])),
  })
  .transform((s, ctx) => {
    const written = s as Readonly<Record<string, unknown>>;
    const grace = Object.fromEntries(GRACE_KEYS.map((key) => [key, DEFAULT_GRACE[key]])) as Record<GraceKey, number | 'never'>;
    for (const [old, keys] of Object.entries(RENAMED)) {
      const value = written[old];
      if (typeof value !== 'number') continue;
      for (const key of keys) grace[key] = value;
      const both = keys.filter((key) => s.grace[key] !== undefined);
      if (both.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: [old],
          message: `either ${old} (the earlier name) or ${both.map((k) => `grace.${k}`).join(' and ')}, not both`,
        });
      }
    }
    for (const key of GRACE_KEYS) {
      const value = s.grace[key];
      if (value !== undefined) grace[key] = value ?? 'never';
    }
    return {
      schedule: s.schedule,
      mode: s.mode,
      grace: Object.fromEntries(GRACE_KEYS.map((key) => [key, grace[key] === 'never' ? null : grace[key]])) as Graces,
      succeededRetentionSeconds: s.succeededRetentionSeconds,
      failedRetentionSeconds: s.failedRetentionSeconds,
      maxDeletionsPerRun: s.maxDeletionsPerRun,
      maxEvidenceReadsPerRun: s.maxEvidenceReadsPerRun,
      lostGraceSeconds: s.lostGraceSeconds,
      staleRequestSeconds: s.staleRequestSeconds,
      maxReconciledPerRun: s.maxReconciledPerRun,
      logTailLines: s.logTailLines,
      logTailBytes: s.logTailBytes,
    };
  });
export type SweeperSettings = z.output<typeof SweeperSettingsSchema>;

export type BlobSettings = z.infer<typeof BlobSettingsSchema>;
export type LedgerSettings = z.infer<typeof LedgerSettingsSchema>;
export type IntakeSettings = z.infer<typeof IntakeSettingsSchema>;
export type LandingRule = z.infer<typeof LandingRuleSchema>;
export type ServiceBusSettings = z.infer<typeof ServiceBusSettingsSchema>;

export const CLUSTER_PROFILES = ['aks', 'openshift'] as const;
export type ClusterProfile = (typeof CLUSTER_PROFILES)[number];

export type NamespaceSettings = z.output<typeof NamespaceSettingsSchema>;
export type JobDefaults = z.output<typeof JobDefaultsSchema>;

/**
 * A tenant's id: how it is named in settings, ledger keys (`<tenant>/<jobKey>`), the
 * `spark-dispatch.io/tenant` label and its default queue name. At most 32 characters.
 */
export const TENANT_ID = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;
const TENANT_ID_EXPECTED = 'a tenant id: lower-case letters, digits and -, at most 32, starting and ending with a letter or digit';
/** The tenant of the single-team form (namespaces, storage.accounts and intake at the top level). */
export const SINGLE_TENANT = 'default';

// Service Bus entity names: letters, digits, periods, hyphens and underscores, starting and ending with a letter or digit.
const queueName = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,258}[A-Za-z0-9])?$/, 'a Service Bus queue name (letters, digits, . - _)');

/**
 * One team: what it owns (namespaces, storage filesystems and the identity its drivers use there),
 * where its requests come from (its job queue, its upload folders and landing rules) and its
 * templates and limits. Nothing a request says can move it into another tenant's namespaces or storage.
 */
export const TenantSchema = z.strictObject({
  queue: queueName
    .optional()
    .describe('the Service Bus queue its job messages arrive on (only this team may send to it); default <serviceBus.jobQueue>-<tenant>'),
  clientId: guid.optional().describe('client id of the identity its drivers use for storage (workload or managed identity)'),
  namespaces: keyedRecord(DNS1123_LABEL, 'a Kubernetes namespace name (DNS-1123 label)', NamespaceSettingsSchema).refine(
    (r) => Object.keys(r).length > 0,
    'at least one namespace',
  ),
  defaultNamespace: namespaceName.optional(),
  storage: accountsRecord().default({}),
  intake: TenantIntakeSchema.prefault({}),
  limits: LimitsSchema.partial().default({}),
  defaults: JobDefaultsSchema.partial().optional(),
});
export type Tenant = z.output<typeof TenantSchema> & { readonly queue: string };
export type TenantIntake = z.output<typeof TenantIntakeSchema>;
export type TenantAccount = z.output<typeof TenantAccountSchema>;

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
      if (!bounded)
        ctx.addIssue({
          code: 'custom',
          path: [side],
          message: `no ${side}: it bounds integer and number values only (this entry's value is ${entry.value})`,
        });
      else if (entry.value === 'integer' && !Number.isInteger(bound))
        ctx.addIssue({ code: 'custom', path: [side], message: 'a whole number, as the values it bounds' });
    }
    if (entry.min !== undefined && entry.max !== undefined && entry.min > entry.max)
      ctx.addIssue({ code: 'custom', path: ['max'], message: `at least min (${entry.min})` });
  });

export const ConfPolicySchema = z.strictObject({
  /** Extra keys to refuse: `*` is a wildcard. */
  deniedKeys: z.array(z.string().regex(/^spark\.[A-Za-z0-9._\-/*]+$/, 'a Spark conf key, * as a wildcard')).default([]),
  detectSecrets: z.boolean().default(true),
  /** Keys added to the built-in allowlist; never the keys spark-dispatch owns. */
  allowedKeys: z.array(AllowedConfKeySchema).default([]),
});

/**
 * The Kubeflow Spark Operator, for the operator backend. The dispatcher cannot see the operator, so
 * the installation says what it runs, and operator-backend jobs that could not work there are
 * refused with the reason (src/domain/spec/operatorBackend.ts).
 */
export const OperatorSettingsSchema = z.strictObject({
  version: version3.describe(
    `Kubeflow Spark Operator release in the cluster: ${OPERATOR_MIN_VERSION} or later (pod security travels in spec.driver.template and spec.executor.template)`,
  ),
  submitterReadsAbfss: z
    .boolean()
    .default(false)
    .describe(
      "The operator's own spark-submit, in the operator pod, can read the tenants' abfss:// filesystems: it resolves py-files before the driver exists",
    ),
  submitterHadoopAzure: version3
    .optional()
    .describe("hadoop-azure version in the operator's image (the stock image has none); required with submitterReadsAbfss"),
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

const SettingsObjectSchema = z.strictObject({
  clusterProfile: z.enum(CLUSTER_PROFILES).default('aks').describe('Decides the pod security context (see the driver contract)'),
  /** The teams this installation serves. Without it, namespaces, storage.accounts and intake describe one team ("default"). */
  tenants: keyedRecord(TENANT_ID, TENANT_ID_EXPECTED, TenantSchema).optional(),
  namespaces: keyedRecord(DNS1123_LABEL, 'a Kubernetes namespace name (DNS-1123 label)', NamespaceSettingsSchema)
    .refine((r) => Object.keys(r).length > 0, 'at least one allowed namespace')
    .optional(),
  defaultNamespace: namespaceName.optional(),
  storage: StorageSettingsSchema.prefault({}),
  images: keyedRecord(/^[0-9]+\.[0-9]+(\.[0-9]+)?$/, 'a version key such as "3.5"', ImageEntrySchema).prefault(() =>
    structuredClone(DEFAULT_IMAGES),
  ),
  defaultSparkVersion: z.string().default('4.0'),
  defaultBackend: z.enum(BACKENDS).default('native'),
  operator: OperatorSettingsSchema.optional().describe(
    'The Spark Operator the operator backend submits to; without it, operator-backend jobs are refused',
  ),
  driverPriorityClassName: subdomain
    .default('spark-dispatch-driver')
    .describe('PriorityClass of driver pods; the ResourceQuota that caps drivers is scoped to it'),
  sparkUser: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a user name')
    .default('spark'),
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
type Path = readonly (string | number)[];

/** The settings as the rest of the code sees them: every team under `tenants`, nothing tenant-owned at the top. */
export type Settings = Omit<SettingsObject, 'tenants' | 'namespaces' | 'defaultNamespace' | 'storage' | 'intake'> & {
  readonly tenants: Readonly<Record<string, Tenant>>;
  readonly storage: { readonly auth: SettingsObject['storage']['auth'] };
  readonly intake: Pick<SettingsObject['intake'], 'maxInlineScriptBytes' | 'deferral' | 'retry' | 'copyWait'>;
};

interface TenantAt {
  readonly id: string;
  readonly tenant: Tenant;
  /** Where its settings were written, for problems: ['tenants', id], or [] for the single-team form. */
  readonly at: Path;
}

/**
 * Both forms become `tenants`. The single-team form (namespaces, storage.accounts, intake at the
 * top level) is the tenant "default", whose queue is serviceBus.jobQueue and whose identity is
 * storage.auth.clientId; the two forms cannot be mixed.
 */
function tenantsOf(s: SettingsObject, ctx: Ctx): TenantAt[] {
  const single = {
    namespaces: s.namespaces !== undefined,
    defaultNamespace: s.defaultNamespace !== undefined,
    'storage.accounts': Object.keys(s.storage.accounts).length > 0,
    'intake.scriptUploads': s.intake.scriptUploads.length > 0,
    'intake.rules': s.intake.rules.length > 0,
    'intake.templates': Object.keys(s.intake.templates).length > 0,
    'intake.staging': s.intake.staging !== undefined,
  };
  const written = Object.entries(single)
    .filter(([, set]) => set)
    .map(([name]) => name);
  if (s.tenants !== undefined) {
    for (const name of written) {
      ctx.addIssue({
        code: 'custom',
        path: name.split('.'),
        message: `nothing here when tenants are set: move it under tenants.<tenant> (${Object.keys(s.tenants).join(', ')})`,
      });
    }
    return Object.entries(s.tenants).map(([id, tenant]) => ({
      id,
      tenant: { ...tenant, queue: tenant.queue ?? `${s.serviceBus.jobQueue}-${id}` },
      at: ['tenants', id],
    }));
  }
  if (s.namespaces === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['tenants'],
      message:
        'the teams this installation serves (tenants.<tenant>.namespaces, storage, intake), or, for one team, namespaces at the top level',
    });
    return [];
  }
  const { scriptUploads, rules, templates, staging } = s.intake;
  const auth = s.storage.auth;
  const clientId = auth.mode === 'none' ? undefined : auth.clientId;
  const tenant: Tenant = {
    queue: s.serviceBus.jobQueue,
    ...(clientId !== undefined ? { clientId } : {}),
    namespaces: s.namespaces,
    ...(s.defaultNamespace !== undefined ? { defaultNamespace: s.defaultNamespace } : {}),
    storage: s.storage.accounts,
    intake: { scriptUploads, rules, templates, ...(staging ? { staging } : {}) },
    limits: {},
  };
  return [{ id: SINGLE_TENANT, tenant, at: [] }];
}

/** Each namespace's defaults within its limits (both as namespacePolicy merges them), reported where the default is written. */
function checkDefaultsWithinLimits(s: Settings, tenants: readonly TenantAt[], global: SettingsObject, ctx: Ctx): void {
  const LIMITED: readonly {
    field: readonly string[];
    limit: keyof Limits;
    read: (d: Partial<JobDefaults> | undefined) => number | string | undefined;
  }[] = [
    { field: ['driver', 'cores'], limit: 'maxDriverCores', read: (d) => d?.driver?.cores },
    { field: ['driver', 'memory'], limit: 'maxDriverMemory', read: (d) => d?.driver?.memory },
    { field: ['executor', 'cores'], limit: 'maxExecutorCores', read: (d) => d?.executor?.cores },
    { field: ['executor', 'memory'], limit: 'maxExecutorMemory', read: (d) => d?.executor?.memory },
    { field: ['executor', 'instances'], limit: 'maxExecutors', read: (d) => d?.executor?.instances },
    { field: ['deadlineSeconds'], limit: 'maxDeadlineSeconds', read: (d) => d?.deadlineSeconds },
  ];
  // Memory sizes compare in MiB; both sides were checked to be sizes by the schema.
  const size = (v: number | string): number => (typeof v === 'number' ? v : (memoryToMiB(v) ?? 0));
  for (const { id, tenant, at } of tenants) {
    for (const name of Object.keys(tenant.namespaces)) {
      const { settings: ns, defaults, limits } = namespacePolicy(s, name);
      for (const { field, limit: key, read } of LIMITED) {
        const value = read(defaults);
        if (value === undefined) continue;
        const limit = limits[key];
        if (size(value) <= size(limit)) continue;
        // Where the default and the limit were set: the merge is namespacePolicy's, only the names are told here.
        const where =
          read(ns?.defaults) !== undefined
            ? [...at, 'namespaces', name, 'defaults']
            : read(tenant.defaults) !== undefined
              ? [...at, 'defaults']
              : ['defaults'];
        const nsLimit = [...at, 'namespaces', name, 'limits', key].join('.');
        const limitName =
          ns?.limits?.[key] !== undefined
            ? `the limit ${nsLimit}`
            : tenant.limits[key] !== undefined
              ? `the limit ${[...at, 'limits', key].join('.')}`
              : global.limits[key] !== undefined
                ? `the limit limits.${key}`
                : `the built-in limit ${key} (raise it with limits.${key} or ${nsLimit})`;
        const own = where.length > 1 && where[where.length - 2] === name;
        ctx.addIssue({
          code: 'custom',
          path: [...where, ...field],
          message: `at most ${String(limit)}${own ? '' : ` in namespace ${name}${at.length > 0 ? ` of tenant ${id}` : ''}`}, ${limitName}`,
        });
      }
    }
  }
}

const GLOB_EXPECTED =
  'a glob on the path inside the filesystem: * within a folder, ** across folders, ? one character, [a-z] one of a class';

/**
 * What would otherwise only show per event: globs that do not compile or can never match,
 * templates that do not exist, placeholders nothing provides, and folders outside the tenant's own
 * storage (an upload folder, rule or staging area in another team's filesystem is refused).
 */
function checkIntake({ tenant, at }: TenantAt, ctx: Ctx): void {
  const accounts = tenant.storage;
  const accountNames = Object.keys(accounts);
  const accountsAt = [...at, at.length > 0 ? 'storage' : 'storage.accounts'].join('.');
  const issue = (path: (string | number)[], message: string, params?: { found?: string; hint?: string }) =>
    ctx.addIssue({ code: 'custom', path: [...at, 'intake', ...path], message, ...(params ? { params } : {}) });
  const oneOfAccounts = (why: string) =>
    accountNames.length > 0
      ? `one of the accounts in ${accountsAt} (${accountNames.join(', ')}): ${why}`
      : `an account in ${accountsAt}, which lists none: ${why}`;

  /** Where scripts are read from: resolveJob refuses a main.py outside the tenant's accounts and filesystems. */
  const checkScriptLocation = (
    path: (string | number)[],
    where: { account: string; filesystem: string },
    accountWhy: string,
    filesystemWhy: string,
  ) => {
    const account = Object.hasOwn(accounts, where.account) ? accounts[where.account] : undefined;
    if (account === undefined) issue([...path, 'account'], oneOfAccounts(accountWhy));
    else if (!account.filesystems.includes(where.filesystem)) {
      issue(
        [...path, 'filesystem'],
        `one of the filesystems allowed for ${where.account} in ${accountsAt} (${account.filesystems.join(', ')}): ${filesystemWhy}`,
      );
    }
  };
  tenant.intake.scriptUploads.forEach((upload, i) =>
    checkScriptLocation(['scriptUploads', i], upload, 'events from other accounts are ignored', 'an uploaded main.py elsewhere is refused'),
  );
  if (tenant.intake.staging !== undefined) {
    const refused = 'an inline script staged elsewhere is refused';
    checkScriptLocation(['staging'], tenant.intake.staging, refused, refused);
  }

  const builtIns = Object.fromEntries(RULE_PLACEHOLDERS.map((name) => [name, '']));
  const braces = (names: readonly string[]) => names.map((n) => `{${n}}`).join(', ');
  const templates = tenant.intake.templates;
  const templateNames = Object.keys(templates);
  const templatesAt = [...at, 'intake', 'templates'].join('.');
  tenant.intake.rules.forEach((rule, i) => {
    if (rule.account !== undefined && !Object.hasOwn(accounts, rule.account)) {
      issue(['rules', i, 'account'], oneOfAccounts('events from other accounts are ignored'));
    } else if (rule.account === undefined && accountNames.length === 0) {
      issue(['rules', i, 'account'], `an account to watch: without one the rule watches the accounts in ${accountsAt}, which lists none`);
    } else if (rule.account === undefined && !accountNames.some((a) => accounts[a]!.filesystems.includes(rule.filesystem))) {
      issue(
        ['rules', i, 'filesystem'],
        `a filesystem of ${accountsAt}: without an account the rule watches ${rule.filesystem} in each of them, and none has it`,
      );
    }

    if (rule.path.startsWith('/') || rule.path.endsWith('/')) {
      issue(['rules', i, 'path'], `${GLOB_EXPECTED}, without a leading or trailing / (event paths have neither)`);
    } else {
      try {
        compileGlob(rule.path);
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

    if (!Object.hasOwn(templates, rule.template)) {
      issue(
        ['rules', i, 'template'],
        templateNames.length > 0 ? `one of ${templatesAt} (${templateNames.join(', ')})` : `a template in ${templatesAt}, which has none`,
      );
      return;
    }
    const provided = { ...builtIns, ...Object.fromEntries(Object.keys(rule.parameters).map((name) => [name, ''])) };
    const unknown = fillPlaceholders(templates[rule.template], provided).unknown;
    if (unknown.length > 0) {
      const own = Object.keys(rule.parameters);
      issue(
        ['rules', i, 'template'],
        `a template whose placeholders the event (${braces(RULE_PLACEHOLDERS)}) or the rule's parameters (${own.length > 0 ? braces(own) : 'none'}) provide`,
        {
          found: `${JSON.stringify(rule.template)}, which uses ${braces(unknown)}`,
          hint: `add ${unknown.join(', ')} to ${[...at, 'intake', 'rules'].join('.')}[${i}].parameters`,
        },
      );
    }
  });
}

/**
 * What keeps teams apart: no namespace, filesystem, queue or storage identity belongs to two
 * tenants, and the ledger is in no tenant's filesystem (its drivers could rewrite it). Each team's
 * drivers need an identity of their own for storage, or they could read each other's data.
 */
function checkBoundaries(tenants: readonly TenantAt[], s: SettingsObject, ctx: Ctx): void {
  const claim = <K>(seen: Map<K, string>, key: K, id: string, path: Path, what: string) => {
    const other = seen.get(key);
    if (other !== undefined && other !== id)
      ctx.addIssue({ code: 'custom', path: [...path], message: `${what} of one tenant only: it is also tenant ${other}'s` });
    else seen.set(key, id);
  };
  const namespaces = new Map<string, string>();
  const filesystems = new Map<string, string>();
  const queues = new Map<string, string>();
  const identities = new Map<string, string>();
  const auth = s.storage.auth;
  for (const { id, tenant, at } of tenants) {
    for (const ns of Object.keys(tenant.namespaces)) claim(namespaces, ns, id, [...at, 'namespaces', ns], 'a namespace');
    if (tenant.defaultNamespace !== undefined && !Object.hasOwn(tenant.namespaces, tenant.defaultNamespace)) {
      ctx.addIssue({
        code: 'custom',
        path: [...at, 'defaultNamespace'],
        message: `one of the namespaces (${Object.keys(tenant.namespaces).join(', ')})`,
      });
    }
    claim(queues, tenant.queue, id, at.length > 0 ? [...at, 'queue'] : ['serviceBus', 'jobQueue'], 'a job queue');
    for (const [account, { filesystems: names, clientId }] of Object.entries(tenant.storage)) {
      const accountAt = [...at, ...(at.length > 0 ? ['storage'] : ['storage', 'accounts']), account];
      names.forEach((fs, i) =>
        claim(filesystems, `${account}/${fs}`, id, [...accountAt, 'filesystems', i], `a filesystem (${account}/${fs})`),
      );
      if (s.ledger.account === account && names.includes(s.ledger.container)) {
        ctx.addIssue({
          code: 'custom',
          path: [...accountAt, 'filesystems', names.indexOf(s.ledger.container)],
          message: `a filesystem other than the ledger's (ledger.container ${s.ledger.container}): the tenant's drivers could rewrite the ledger`,
        });
      }
      const identity = clientId ?? tenant.clientId;
      if (auth.mode !== 'none' && identity !== undefined)
        claim(
          identities,
          identity,
          id,
          clientId !== undefined ? [...accountAt, 'clientId'] : [...at, 'clientId'],
          'a storage identity (client id)',
        );
      if (auth.mode === 'workload-identity' && identity === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: at.length > 0 ? [...at, 'clientId'] : ['storage', 'auth', 'clientId'],
          message: `the client id of the identity ${at.length > 0 ? `tenant ${id}'s` : 'the'} drivers use for ${account} (workload identity needs one per tenant)`,
        });
      }
    }
  }
}

/**
 * The operator's requirements, at start-up: a release with pod templates (older ones drop
 * spec.driver.template, and pods would start without the restricted security context), and a
 * submitter that can really read abfss when the settings say so.
 */
function checkOperator(s: SettingsObject, ctx: Ctx): void {
  const op = s.operator;
  if (op === undefined) {
    if (s.defaultBackend === 'operator') {
      ctx.addIssue({
        code: 'custom',
        path: ['operator'],
        message: `the Spark Operator the operator backend submits to ({ version: ${OPERATOR_MIN_VERSION} or later }), since defaultBackend is operator`,
      });
    }
    return;
  }
  if (compareVersions(op.version, OPERATOR_MIN_VERSION) < 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['operator', 'version'],
      message: `${OPERATOR_MIN_VERSION} or later (older Spark Operators have no spec.driver.template, and the pods would start without the restricted security context)`,
    });
  }
  if (op.submitterReadsAbfss && op.submitterHadoopAzure === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['operator', 'submitterHadoopAzure'],
      message: "the hadoop-azure version in the operator's image, since submitterReadsAbfss is true (the stock operator image has none)",
    });
  }
  if (
    op.submitterReadsAbfss &&
    op.submitterHadoopAzure !== undefined &&
    s.storage.auth.mode === 'workload-identity' &&
    compareVersions(op.submitterHadoopAzure, WORKLOAD_IDENTITY_MIN_HADOOP) < 0
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['operator', 'submitterHadoopAzure'],
      message: `${WORKLOAD_IDENTITY_MIN_HADOOP} or later with workload identity (WorkloadIdentityTokenProvider)`,
    });
  }
}

export const SettingsSchema = SettingsObjectSchema.transform((s, ctx): Settings => {
  // Runs once every field is valid on its own; lists every problem across fields at once.
  const tenants = tenantsOf(s, ctx);
  const { tenants: _t, namespaces: _n, defaultNamespace: _d, storage, intake, ...rest } = s;
  const settings: Settings = {
    ...rest,
    tenants: Object.fromEntries(tenants.map(({ id, tenant }) => [id, tenant])),
    storage: { auth: storage.auth },
    intake: {
      maxInlineScriptBytes: intake.maxInlineScriptBytes,
      deferral: intake.deferral,
      retry: intake.retry,
      copyWait: intake.copyWait,
    },
  };
  if (!Object.hasOwn(s.images, s.defaultSparkVersion)) {
    ctx.addIssue({ code: 'custom', path: ['defaultSparkVersion'], message: `a key of images (${Object.keys(s.images).join(', ')})` });
  }
  checkOperator(s, ctx);
  checkBoundaries(tenants, s, ctx);
  checkDefaultsWithinLimits(settings, tenants, s, ctx);
  for (const tenant of tenants) checkIntake(tenant, ctx);
  return settings;
});

export type SettingsInput = z.input<typeof SettingsSchema>;
export type ImageEntry = z.infer<typeof ImageEntrySchema>;
export type Limits = z.infer<typeof LimitsSchema>;
export type StorageAuth = Settings['storage']['auth'];
export type OperatorSettings = z.infer<typeof OperatorSettingsSchema>;
