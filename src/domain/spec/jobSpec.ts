/**
 * The job spec: what a user asks spark-dispatch to run. One zod schema is the single source of
 * truth; `schemas/job-spec.schema.json` is generated from it (`npm run schema`) and a test keeps
 * the two in sync. Policy (allowed namespaces, accounts, versions, limits, forbidden conf) is
 * checked later against settings by `resolveJob`, because it depends on who deploys us.
 */
import { z } from 'zod';
import { ENV_NAME, ENV_NAME_EXPECTED } from './envPolicy.js';
import { fail, ok, type Result } from './problem.js';
import { MEMORY_EXPECTED, isMemorySize } from './quantity.js';
import { expectedUri, isUriRefusal, parseScriptUri, type ScriptRole } from './storageUri.js';
import { TEXT_FAULT_MESSAGE, textFault } from './text.js';
import { problemsFromZod } from './zodProblems.js';

/** Text that may travel into pod specs, Spark conf and logs: bounded, no control or invisible characters. */
export const safeText = (max: number, min = 0) =>
  z
    .string()
    .min(min, min === 1 ? 'a non-empty string' : `at least ${min} characters`)
    .max(max, `at most ${max} characters`)
    .superRefine((value, ctx) => {
      const fault = textFault(value);
      if (fault) ctx.addIssue({ code: 'custom', message: TEXT_FAULT_MESSAGE[fault] });
    });

/**
 * A map whose keys must match `key`, optionally with at most `limit.maxEntries` entries. Keys are
 * checked after the values (zod would skip the value of a bad key), so that a key problem and its
 * value's problem are reported together. The one helper for checked-key maps: job specs and settings.
 */
export const keyedRecord = <V extends z.ZodType>(
  key: RegExp,
  keyExpected: string,
  value: V,
  limit?: { maxEntries: number; what: string },
) =>
  z.record(z.string(), value).superRefine(
    (record, ctx) => {
      const keys = Object.keys(record);
      if (limit !== undefined && keys.length > limit.maxEntries) {
        ctx.addIssue({
          code: 'custom',
          message: `at most ${limit.maxEntries} ${limit.what}`,
          params: { found: `${keys.length} ${limit.what}` },
        });
      }
      for (const k of keys) {
        if (!key.test(k))
          ctx.addIssue({ code: 'custom', path: [k], message: keyExpected, params: { found: `the key ${JSON.stringify(k)}` } });
      }
    },
    { when: (payload) => payload.value !== null && typeof payload.value === 'object' && !Array.isArray(payload.value) },
  );

const scriptUri = (role: ScriptRole) =>
  z
    .string()
    .superRefine((value, ctx) => {
      const parsed = parseScriptUri(value, role);
      if (isUriRefusal(parsed))
        ctx.addIssue({ code: 'custom', message: parsed.expected, params: parsed.hint ? { hint: parsed.hint } : {} });
    })
    .meta({ description: expectedUri(role) });

/** RFC 1123 label, as Kubernetes requires for namespace names. */
export const DNS1123_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// Kubernetes label syntax (apimachinery validation.IsQualifiedName / IsValidLabelValue).
const LABEL_NAME = '([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)';
export const LABEL_KEY = new RegExp(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?${LABEL_NAME}$`);
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
// Spark ignores keys that do not start with "spark." (SparkSubmit warns "Ignoring non-Spark config property").
const CONF_KEY = /^spark\.[A-Za-z0-9._\-/]{1,250}$/;

const memory = z
  .string()
  .refine(isMemorySize, MEMORY_EXPECTED)
  .meta({ description: MEMORY_EXPECTED, examples: ['512m', '2g'] });

const cores = z.number().int('a whole number of cores').min(1, 'at least 1 core').max(256, 'at most 256 cores');

export const DriverSpecSchema = z
  .strictObject({
    cores: cores.optional().meta({ description: 'spark.driver.cores: the CPU request of the driver pod' }),
    memory: memory.optional().meta({ description: 'spark.driver.memory (JVM heap); the pod gets this plus the overhead' }),
    memoryOverhead: memory.optional().meta({ description: 'spark.driver.memoryOverhead; default max(0.4 × memory, 384m) for PySpark' }),
  })
  .meta({ description: 'Driver resources; unset fields take the namespace defaults' });

export const ExecutorSpecSchema = z
  .strictObject({
    cores: cores.optional(),
    memory: memory.optional(),
    memoryOverhead: memory.optional(),
    instances: z.number().int('a whole number').min(0, 'at least 0').max(10_000, 'at most 10000').optional(),
  })
  .meta({ description: 'Executor resources; unset fields take the namespace defaults' });

export const BACKENDS = ['native', 'operator'] as const;
export type Backend = (typeof BACKENDS)[number];

export const JobSpecSchema = z
  .strictObject({
    name: safeText(100, 1)
      .regex(/[\p{L}\p{N}]/u, 'a name with at least one letter or digit')
      .meta({ description: 'Application name (spark.app.name); Kubernetes names are derived from it' }),
    namespace: z
      .string()
      .regex(DNS1123_LABEL, 'a Kubernetes namespace name: lower-case letters, digits and -, at most 63')
      .optional()
      .meta({ description: 'Target namespace; must be allowed in settings. Default: settings.defaultNamespace' }),
    main: scriptUri('main'),
    pyFiles: z.array(scriptUri('pyFile')).max(64, 'at most 64 py-files').optional().meta({ description: 'spark.submit.pyFiles' }),
    args: z.array(safeText(4096)).max(256, 'at most 256 arguments').optional().meta({ description: 'Arguments passed to the main script' }),
    sparkVersion: z
      .string()
      .regex(/^[0-9]+(\.[0-9]+){1,2}$/, 'a Spark version from the image catalog, such as "3.5" or "4.0"')
      .optional()
      .meta({ description: 'A key of the image catalog (`spark-dispatch versions`). Default: settings.defaultSparkVersion' }),
    driver: DriverSpecSchema.optional(),
    executor: ExecutorSpecSchema.optional(),
    conf: keyedRecord(CONF_KEY, 'a Spark conf key starting with "spark."', safeText(4096), { maxEntries: 256, what: 'conf entries' })
      .optional()
      .meta({ description: 'Extra Spark conf: only keys on the conf allowlist, with values it accepts (README: Spark conf policy)' }),
    env: keyedRecord(ENV_NAME, ENV_NAME_EXPECTED, safeText(4096), { maxEntries: 128, what: 'variables' })
      .optional()
      .meta({ description: 'Environment variables of the driver container' }),
    labels: keyedRecord(
      LABEL_KEY,
      'a Kubernetes label key',
      z.string().regex(LABEL_VALUE, 'a Kubernetes label value (at most 63 letters, digits, - _ .)'),
      { maxEntries: 32, what: 'labels' },
    )
      .optional()
      .meta({ description: 'Labels for the driver and executor pods' }),
    deadlineSeconds: z
      .number()
      .int('a whole number of seconds')
      .min(60, 'at least 60 seconds')
      .max(30 * 24 * 3600, 'at most 30 days')
      .optional()
      .meta({ description: 'Wall-clock limit once the driver runs (activeDeadlineSeconds). Default: the namespace default' }),
    jobKey: safeText(512, 1).optional().meta({ description: 'Idempotency key: one driver per key. Default: a hash of the spec' }),
    backend: z.enum(BACKENDS).optional().meta({ description: 'native: create the driver pod directly; operator: a SparkApplication' }),
  })
  .meta({ title: 'spark-dispatch job spec', description: 'A PySpark job to run as a cluster-mode driver on Kubernetes' });

export type JobSpec = z.infer<typeof JobSpecSchema>;

export function parseJobSpec(input: unknown): Result<JobSpec> {
  const parsed = JobSpecSchema.safeParse(input);
  return parsed.success ? ok(parsed.data) : fail(problemsFromZod(parsed.error.issues, input, JobSpecSchema));
}

/** The JSON Schema of a job spec, for editors and for other tools that emit specs. */
export function jobSpecJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(JobSpecSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
