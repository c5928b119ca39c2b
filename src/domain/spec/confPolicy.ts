/**
 * Which Spark conf a job may set: an allowlist. A denylist leaks, because Spark reads the same
 * intent through many keys (a `-Dspark.kubernetes.…` inside extraJavaOptions, LD_PRELOAD through
 * `spark.executorEnv.*`, a GPU request through `spark.executor.resource.*`); so a job may set only
 * the keys listed here, each with a value rule, and everything else is refused with a reason.
 *
 * Three lists, checked in this order for every key:
 * 1. REFUSED_KEYS marked `owned`: what the dispatcher writes itself or what decides where, as whom
 *    and with which image and secrets the driver runs. Never allowed, not even by settings.
 * 2. ALLOWLIST: the keys a job may set, with a value rule each. A few are parsed rather than
 *    passed: `spark.executorEnv.*` and `spark.kubernetes.driverEnv.*` follow the `env` field's
 *    rule, and `spark.{driver,executor}.extraJavaOptions` are checked option by option.
 *    `settings.confPolicy.allowedKeys` extends it (never for an owned key, never loosening a
 *    built-in rule).
 * 3. The other REFUSED_KEYS: refused with a reason that names the field or setting to use.
 *    A key on no list is refused as "not on the allowlist".
 * Keys that name a credential and values that are credentials are refused for every key: conf is
 * stored in a ConfigMap that anyone who can read the namespace can read.
 *
 * Value rules follow how Spark reads each key (ConfigBuilder in Spark's
 * core/src/main/scala/org/apache/spark/internal/config/package.scala and its siblings Kryo.scala,
 * Network.scala, Python.scala, UI.scala; resource-managers/kubernetes/core/.../deploy/k8s/Config.scala;
 * JavaUtils.timeStringAs / byteStringAs), but stricter wherever Spark is lenient in a way that
 * would make us and Spark read a value differently: Spark trims and ignores case in booleans and
 * reads a bare number as seconds for one key and milliseconds for the next.
 *
 * Pure: no I/O. resolveJob calls checkConf once per job.
 */
import { compareVersions } from '../render/abfsAuth.js';
import type { Limits } from '../../settings/settingsSchema.js';
import { FILESYSTEM_NAME, STORAGE_ACCOUNT_NAME, STORAGE_CLOUDS } from './azureNames.js';
import { envRefusal } from './envPolicy.js';
import { describeValue, formatPath, type Problem } from './problem.js';
import { MEMORY_EXPECTED, memoryToMiB } from './quantity.js';
import { namesACredential, secretKind } from './secrets.js';

export { secretKind } from './secrets.js';

// ── Context ─────────────────────────────────────────────────────────────────────────────────────

/** The value kinds an installation may give a key it adds (settings.confPolicy.allowedKeys). */
export const EXTRA_VALUE_KINDS = ['boolean', 'integer', 'number', 'size', 'duration', 'text'] as const;
export type ExtraValueKind = (typeof EXTRA_VALUE_KINDS)[number];

/** A key (or `prefix.*`) an installation adds to the allowlist. */
export interface ExtraAllowedKey {
  readonly key: string;
  readonly value: ExtraValueKind;
  readonly min?: number | undefined;
  readonly max?: number | undefined;
}

/** settings.confPolicy, as checkConf needs it. */
export interface ConfPolicySettings {
  readonly deniedKeys: readonly string[];
  readonly detectSecrets: boolean;
  readonly allowedKeys: readonly ExtraAllowedKey[];
}

export interface ConfContext {
  /** For messages only ("the limit for namespace x"). */
  readonly namespace?: string | undefined;
  readonly limits: Limits;
  readonly driverCores: number;
  readonly executorCores: number;
  readonly policy: ConfPolicySettings;
  /** The Spark version of the job's image (x.y.z): a key that version lacks is refused. Unknown: no key is. */
  readonly sparkVersion?: string | undefined;
}

export interface CheckedConf {
  /** The entries that passed, as given. */
  readonly conf: Record<string, string>;
  /** spark.dynamicAllocation.enabled is exactly `true`. */
  readonly dynamicAllocation: boolean;
  readonly problems: Problem[];
}

// ── Value rules ─────────────────────────────────────────────────────────────────────────────────

/** A bound that depends on the namespace or the job: named in the docs, shown by value in problems. */
interface Bound {
  /** How the docs name it: `limits.maxExecutors`. */
  readonly name: string;
  readonly of: (ctx: ConfContext) => number;
  /** Why it binds, in a problem: "the limit for namespace spark-jobs". */
  readonly because: (ctx: ConfContext) => string;
  /** The bound as the setting writes it (`32g`), when that is not the number itself. */
  readonly shown?: (ctx: ConfContext) => string;
}
type Limit = number | Bound;

const namespaceLimit = (key: keyof Limits, of: (ctx: ConfContext) => number): Bound => ({
  name: `limits.${key}`,
  of,
  because: (ctx) => `the limit for namespace ${ctx.namespace ?? '?'}`,
});
const MAX_EXECUTORS = namespaceLimit('maxExecutors', (ctx) => ctx.limits.maxExecutors);
const MAX_DRIVER_CORES = namespaceLimit('maxDriverCores', (ctx) => ctx.limits.maxDriverCores);
const MAX_EXECUTOR_CORES = namespaceLimit('maxExecutorCores', (ctx) => ctx.limits.maxExecutorCores);
const MAX_DRIVER_MEMORY: Bound = {
  ...namespaceLimit('maxDriverMemory', (ctx) => memoryToMiB(ctx.limits.maxDriverMemory) ?? 0),
  shown: (ctx) => ctx.limits.maxDriverMemory,
};
// A batch of executor pods larger than the executors a job may have asks for nothing more.
const BATCH_LIMIT: Bound = { ...MAX_EXECUTORS, of: (ctx) => Math.max(1, ctx.limits.maxExecutors) };
const EXECUTOR_CORES: Bound = { name: '`executor.cores`', of: (ctx) => ctx.executorCores, because: () => "this job's executor.cores" };

export type ValueRule =
  | { readonly kind: 'boolean' }
  | { readonly kind: 'integer'; readonly min?: Limit | undefined; readonly max?: Limit | undefined }
  | {
      readonly kind: 'number';
      readonly min?: number | undefined;
      readonly minExclusive?: boolean;
      readonly max?: number | undefined;
      readonly maxExclusive?: boolean;
    }
  /** A Spark size with a unit (`384m`); `noByteSuffix` for PySpark's own parser, which refuses `384mb`. */
  | { readonly kind: 'size'; readonly max?: Limit | undefined; readonly maxExclusive?: boolean; readonly noByteSuffix?: boolean }
  /** A Spark time string; `unit` is what Spark converts it to (truncating), when known. */
  | { readonly kind: 'duration'; readonly positive?: boolean; readonly unit?: 's' | 'ms' }
  /** A Kubernetes CPU quantity (`2`, `0.5`, `500m`). */
  | { readonly kind: 'cpu'; readonly max: Limit }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'text'; readonly format?: TextFormat | undefined }
  /** `prefix.<NAME>` is an environment variable: the `env` field's rule. */
  | { readonly kind: 'env' }
  /** JVM options, checked one by one (javaOptionRefusal). */
  | { readonly kind: 'javaOptions' };

interface TextFormat {
  readonly test: (value: string) => boolean;
  readonly expected: string;
}

interface ValueRefusal {
  readonly expected: string;
  readonly found?: string;
  readonly hint?: string;
}

const boundValue = (limit: Limit, ctx: ConfContext): number => (typeof limit === 'number' ? limit : limit.of(ctx));
const boundWhy = (limit: Limit | undefined, ctx: ConfContext): string =>
  limit === undefined || typeof limit === 'number' ? '' : ` (${limit.because(ctx)})`;

const INTEGER = /^-?[0-9]{1,10}$/;
const JAVA_INT_MAX = 2_147_483_647;
// Plain decimals only: Java's Double.parseDouble also takes `5e-1`, `0x1p-1` and `0.5d`. No
// leading zeros, so that every factor accepted here is one render/memory.ts confFactor reads.
const DECIMAL = /^((0|[1-9][0-9]{0,8})(\.[0-9]{1,9})?|\.[0-9]{1,9})$/;
const CPU_QUANTITY = /^([0-9]{1,6}m|[0-9]{1,4}(\.[0-9]{1,3})?)$/;
const DURATION = /^([0-9]{1,12})(us|ms|s|m|min|h|d)$/;
const MS_PER_UNIT: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

export const DURATION_EXPECTED = 'a duration such as 60s, 5min or 100ms (us, ms, s, m or min, h, d)';
export const CPU_EXPECTED = 'a CPU quantity such as 2, 0.5 or 500m';

/** Milliseconds of a Spark time string with a unit (`JavaUtils.timeStringAs`); undefined otherwise. */
export function durationMs(value: string): number | undefined {
  const match = DURATION.exec(value);
  return match ? Number(match[1]) * MS_PER_UNIT[match[2]!]! : undefined;
}

/** Millicores of a CPU quantity; undefined when it is not one. */
export function cpuMillis(value: string): number | undefined {
  if (!CPU_QUANTITY.test(value)) return undefined;
  return value.endsWith('m') ? Number(value.slice(0, -1)) : Math.round(Number(value) * 1000);
}

function describeRange(
  what: string,
  min: string | undefined,
  minExclusive: boolean,
  max: string | undefined,
  maxExclusive: boolean,
): string {
  const low = min === undefined ? undefined : minExclusive ? `greater than ${min}` : `at least ${min}`;
  const high = max === undefined ? undefined : maxExclusive ? `less than ${max}` : `at most ${max}`;
  return [what, [low, high].filter((x) => x !== undefined).join(' and ')].filter((x) => x !== '').join(' ');
}

/** Spark trims values and ignores case in booleans; we do not, so that we never read a value differently. */
function spacingHint(value: string): string | undefined {
  return value.trim() !== value ? 'write it without spaces around it: Spark trims them, spark-dispatch does not' : undefined;
}

function checkInteger(rule: Extract<ValueRule, { kind: 'integer' }>, value: string, ctx: ConfContext): ValueRefusal | undefined {
  const min = rule.min === undefined ? undefined : boundValue(rule.min, ctx);
  const max = rule.max === undefined ? undefined : boundValue(rule.max, ctx);
  const expected = `${describeRange('a whole number', min?.toString(), false, max?.toString(), false)}${boundWhy(rule.max, ctx) || boundWhy(rule.min, ctx)}`;
  if (!INTEGER.test(value)) return { expected, ...hintOf(spacingHint(value)) };
  const n = Number(value);
  // Spark reads intConf values as a Java int: past it, the driver fails at start.
  if (n > JAVA_INT_MAX || n < -JAVA_INT_MAX - 1) return { expected, hint: `Spark reads it as a 32-bit integer (at most ${JAVA_INT_MAX})` };
  if ((min !== undefined && n < min) || (max !== undefined && n > max)) return { expected };
  return undefined;
}

function checkNumber(rule: Extract<ValueRule, { kind: 'number' }>, value: string): ValueRefusal | undefined {
  const { min, max } = rule;
  const minExclusive = rule.minExclusive ?? false;
  const maxExclusive = rule.maxExclusive ?? false;
  const expected = describeRange('a number', min?.toString(), minExclusive, max?.toString(), maxExclusive);
  const negative = value.startsWith('-') && DECIMAL.test(value.slice(1));
  if (!DECIMAL.test(value) && !negative) return { expected, ...hintOf(spacingHint(value) ?? 'a plain decimal such as 0.25') };
  const n = Number(value);
  const tooLow = min !== undefined && (minExclusive ? n <= min : n < min);
  const tooHigh = max !== undefined && (maxExclusive ? n >= max : n > max);
  return tooLow || tooHigh ? { expected } : undefined;
}

function checkSize(rule: Extract<ValueRule, { kind: 'size' }>, value: string, ctx: ConfContext): ValueRefusal | undefined {
  const max = rule.max === undefined ? undefined : boundValue(rule.max, ctx);
  const base = rule.noByteSuffix ? 'a size such as 512m or 2g (k, m, g or t, without a trailing b: PySpark reads it)' : MEMORY_EXPECTED;
  const shown = rule.max !== undefined && typeof rule.max !== 'number' && rule.max.shown ? rule.max.shown(ctx) : `${max}m`;
  const expected = max === undefined ? base : `${base}, ${rule.maxExclusive ? 'less than' : 'at most'} ${shown}${boundWhy(rule.max, ctx)}`;
  const mib = rule.noByteSuffix && /b$/i.test(value) ? undefined : memoryToMiB(value);
  if (mib === undefined) {
    const bare = /^[0-9]+$/.test(value) ? 'a bare number is MiB for some keys and bytes for others: add a unit' : undefined;
    return { expected, ...hintOf(bare ?? spacingHint(value)) };
  }
  if (max !== undefined && (rule.maxExclusive ? mib >= max : mib > max)) return { expected };
  return undefined;
}

const UNIT_MS = { s: 1000, ms: 1 } as const;
const UNIT_NAME = { s: 'seconds', ms: 'milliseconds' } as const;

function checkDuration(rule: Extract<ValueRule, { kind: 'duration' }>, value: string): ValueRefusal | undefined {
  const whole = rule.unit ? `, in whole ${UNIT_NAME[rule.unit]}` : '';
  const expected = `${DURATION_EXPECTED}${whole}${rule.positive ? ', more than 0' : ''}`;
  const ms = durationMs(value);
  if (ms === undefined) {
    const bare = /^[0-9]+$/.test(value) ? 'a bare number is seconds for some keys and milliseconds for others: add a unit' : undefined;
    return { expected, ...hintOf(bare ?? spacingHint(value) ?? 'units are lower case, as in 60s') };
  }
  // Spark converts to the key's unit by truncating: 1500ms is 1 second to a seconds key, 0.5 s is 0.
  if (rule.unit && ms % UNIT_MS[rule.unit] !== 0)
    return { expected, hint: `Spark reads this key in whole ${UNIT_NAME[rule.unit]} and would cut ${value} short` };
  return rule.positive && ms <= 0 ? { expected } : undefined;
}

function checkCpu(rule: Extract<ValueRule, { kind: 'cpu' }>, value: string, ctx: ConfContext): ValueRefusal | undefined {
  const max = boundValue(rule.max, ctx);
  const expected = `${CPU_EXPECTED}, more than 0 and at most ${max}${boundWhy(rule.max, ctx)}`;
  const millis = cpuMillis(value);
  if (millis === undefined || millis <= 0 || millis > max * 1000)
    return { expected, ...hintOf(millis === undefined ? spacingHint(value) : undefined) };
  return undefined;
}

const hintOf = (hint: string | undefined): { hint?: string } => (hint ? { hint } : {});

/**
 * Why `value` does not satisfy `rule`, or undefined when it does. `rest` is what a `prefix.*`
 * entry matched after its prefix (the variable name of `spark.executorEnv.<NAME>`).
 */
function checkValue(rule: ValueRule, value: string, rest: string, ctx: ConfContext): ValueRefusal | undefined {
  switch (rule.kind) {
    case 'boolean': {
      if (value === 'true' || value === 'false') return undefined;
      const meant = value.trim().toLowerCase();
      // " true" and "TRUE" are true to Spark: refusing them is the only way to read them as Spark does.
      const hint =
        meant === 'true' || meant === 'false'
          ? `write ${meant}: Spark would read ${JSON.stringify(value)} as ${meant} (it trims and ignores case), spark-dispatch does not`
          : undefined;
      return { expected: 'true or false', ...hintOf(hint) };
    }
    case 'integer':
      return checkInteger(rule, value, ctx);
    case 'number':
      return checkNumber(rule, value);
    case 'size':
      return checkSize(rule, value, ctx);
    case 'duration':
      return checkDuration(rule, value);
    case 'cpu':
      return checkCpu(rule, value, ctx);
    case 'enum':
      return rule.values.includes(value) ? undefined : { expected: `one of ${rule.values.join(', ')}`, ...hintOf(spacingHint(value)) };
    case 'text':
      return rule.format && !rule.format.test(value) ? { expected: rule.format.expected } : undefined;
    case 'env': {
      const refusal = envRefusal(rest, value, ctx.policy.detectSecrets, 'spark conf is stored in a ConfigMap; use workload identity');
      if (!refusal) return undefined;
      return {
        expected: refusal.expected,
        found: describeValue(refusal.found),
        ...hintOf(refusal.hint ?? 'the same rule as the env field'),
      };
    }
    case 'javaOptions':
      return checkJavaOptions(value);
  }
}

// ── abfss directories (spark.eventLog.dir) ──────────────────────────────────────────────────────

const DFS_HOSTS = STORAGE_CLOUDS.map((cloud) => `.dfs.${cloud}`);
const DIR_SEGMENT = /^[\p{L}\p{N}._\-~=+@,]{1,255}$/u;

/** `abfss://<filesystem>@<account>.dfs.core.windows.net/<path>`, a directory Hadoop's ABFS driver resolves. */
function isAbfssDirectory(value: string): boolean {
  const match = /^abfss:\/\/([^@/]+)@([^/]+?)(\/.*)?$/.exec(value);
  if (!match) return false;
  const [, filesystem, host, path] = match;
  const suffix = DFS_HOSTS.find((s) => host!.endsWith(s));
  if (!suffix || !FILESYSTEM_NAME.test(filesystem!) || !STORAGE_ACCOUNT_NAME.test(host!.slice(0, -suffix.length))) return false;
  const segments = (path ?? '').replace(/^\//, '').replace(/\/$/, '');
  return segments === '' || segments.split('/').every((s) => DIR_SEGMENT.test(s) && s !== '.' && s !== '..');
}

const ABFSS_DIRECTORY: TextFormat = {
  test: isAbfssDirectory,
  expected: 'an abfss:// directory URI: abfss://<filesystem>@<account>.dfs.core.windows.net/<path>',
};

// ── JVM options (spark.{driver,executor}.extraJavaOptions) ──────────────────────────────────────

/**
 * `-XX:` flags a job may give the driver or executor JVM: garbage collection and diagnostics,
 * nothing that changes what the JVM loads or how much memory it may take.
 */
export const JAVA_XX_FLAGS: readonly { readonly flag: string; readonly value?: RegExp; readonly shows?: string }[] = [
  { flag: '+UseG1GC' },
  { flag: '+UseParallelGC' },
  { flag: '+UseStringDeduplication' },
  { flag: 'MaxGCPauseMillis=', value: /^[1-9][0-9]{0,5}$/, shows: 'milliseconds' },
  { flag: 'InitiatingHeapOccupancyPercent=', value: /^([0-9]|[1-9][0-9]|100)$/, shows: '0-100' },
  { flag: 'G1HeapRegionSize=', value: /^[1-9][0-9]{0,2}[mM]$/, shows: 'a size such as 16m' },
  { flag: 'ParallelGCThreads=', value: /^[1-9][0-9]{0,2}$/, shows: 'threads' },
  { flag: 'ConcGCThreads=', value: /^[1-9][0-9]{0,2}$/, shows: 'threads' },
  { flag: '+ExitOnOutOfMemoryError' },
  { flag: '+HeapDumpOnOutOfMemoryError' },
  { flag: '+PrintGCDetails' },
];

/**
 * System properties a job may not set with `-D`: Spark reads `-Dspark.*` as conf (around this
 * policy), the JVM and its libraries read the others as security, logging, Hadoop and storage
 * configuration. Compared without case: `-DSpark.x` is refused as well.
 */
export const JAVA_PROPERTY_PREFIXES_REFUSED = [
  'spark.',
  'java.',
  'javax.',
  'jdk.',
  'sun.',
  'com.sun.',
  'log4j',
  'hadoop.',
  'fs.azure',
  'azure.',
  'user.',
] as const;

const JAVA_OPTIONS_EXPECTED = 'JVM options from the allowlist: -XX: garbage-collection flags, -Xss<size>, -D<name>=<value>';
const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

/** Why one JVM option is refused, or undefined when it is allowed. */
export function javaOptionRefusal(token: string): string | undefined {
  if (token.startsWith('-XX:')) {
    const flag = token.slice(4);
    const allowed = JAVA_XX_FLAGS.find((f) =>
      f.value ? flag.startsWith(f.flag) && f.value.test(flag.slice(f.flag.length)) : flag === f.flag,
    );
    return allowed
      ? undefined
      : `only these -XX: flags: ${JAVA_XX_FLAGS.map((f) => `-XX:${f.flag}${f.value ? `<${f.shows}>` : ''}`).join(', ')}`;
  }
  if (/^-Xss[1-9][0-9]{0,6}[kKmM]$/.test(token)) return undefined;
  if (token.startsWith('-D')) {
    const eq = token.indexOf('=');
    const name = eq < 0 ? token.slice(2) : token.slice(2, eq);
    if (eq < 0 || !PROPERTY_NAME.test(name)) return 'a system property is written -D<name>=<value>, the name in letters, digits, _ . and -';
    const prefix = JAVA_PROPERTY_PREFIXES_REFUSED.find((p) => name.toLowerCase().startsWith(p));
    if (prefix === 'spark.') return 'Spark reads -Dspark.* system properties as conf, around this policy: set the conf key itself';
    if (prefix)
      return `properties starting with ${prefix} configure the JVM, logging, Hadoop or storage access, which belong to the image and the platform`;
    return undefined;
  }
  if (/^-Xm[xsn]/.test(token)) return 'the heap is sized from driver.memory and executor.memory';
  if (/^-(javaagent|agentlib|agentpath)[:=]?/.test(token)) return 'agents run code inside the JVM from outside the image';
  if (/^-(Xbootclasspath|cp$|classpath$|-class-path|-module-path|p$|-add-|-patch-module)/.test(token))
    return 'the class path comes from the image';
  if (token.startsWith('@')) return 'argument files are read from the pod, where this check cannot see them';
  return 'not an allowed JVM option';
}

function checkJavaOptions(value: string): ValueRefusal | undefined {
  // Spark splits these with Utils.splitCommandString, which honours quotes and backslashes; without
  // them, splitting on white space gives exactly what the JVM gets.
  if (/["'\\]/.test(value)) {
    return {
      expected: `${JAVA_OPTIONS_EXPECTED}, without quotes or backslashes`,
      hint: 'write each option as one word: spark-dispatch checks options one by one and cannot split quoted ones as the JVM launcher does',
    };
  }
  const refused = value
    .split(/\s+/)
    .filter((token) => token !== '')
    .flatMap((token) => {
      const reason = javaOptionRefusal(token);
      return reason ? [{ token, reason }] : [];
    });
  const first = refused[0];
  if (!first) return undefined;
  const more = refused.length > 1 ? ` (and ${refused.length - 1} more refused option${refused.length > 2 ? 's' : ''})` : '';
  return { expected: JAVA_OPTIONS_EXPECTED, found: describeValue(first.token), hint: `${first.reason}${more}` };
}

// ── The allowlist ───────────────────────────────────────────────────────────────────────────────

export interface AllowedKey {
  /** An exact key, or a prefix ending in `.*`. */
  readonly key: string;
  readonly rule: ValueRule;
  /** One line for the docs: what it does, and why a job may set it. */
  readonly why: string;
  /** The first Spark version that has the key, and what older versions do instead: refused for older images. */
  readonly since?: { readonly version: string; readonly before: string };
}

const bool = { kind: 'boolean' } as const;
// Durations by the unit Spark's timeConf converts them to (package.scala, Network.scala, k8s Config.scala).
const milliseconds = { kind: 'duration', unit: 'ms' } as const;
const positiveMilliseconds = { kind: 'duration', unit: 'ms', positive: true } as const;
const seconds = { kind: 'duration', unit: 's' } as const;
const positiveSeconds = { kind: 'duration', unit: 's', positive: true } as const;
const atLeastOne = { kind: 'integer', min: 1 } as const;
const fraction = (key: string, why: string, maxExclusive = false): AllowedKey => ({
  key,
  rule: { kind: 'number', min: 0, minExclusive: true, max: 1, maxExclusive },
  why,
});

/**
 * The built-in allowlist. Each key is real in Spark 3.5 and 4.0; the comments name where Spark
 * defines it (paths relative to the Spark source tree).
 */
export const ALLOWLIST: readonly AllowedKey[] = [
  // Spark SQL: planning and execution inside the job's own pods (sql/catalyst/.../SQLConf.scala).
  {
    key: 'spark.sql.*',
    rule: { kind: 'text' },
    why: "Spark SQL settings (shuffle partitions, adaptive execution, …): they change how queries run inside the job's own pods; credential-like keys and values are refused as everywhere",
  },

  // Scheduling and fault tolerance (core/.../internal/config/package.scala; spark.default.parallelism
  // in docs/configuration.md, read by the scheduler backends).
  { key: 'spark.default.parallelism', rule: atLeastOne, why: 'default number of partitions of RDD operations' },
  {
    key: 'spark.task.cpus',
    rule: { kind: 'integer', min: 1, max: EXECUTOR_CORES },
    why: 'cores per task; more than the executor has would leave every task unschedulable (ExecutorAllocationManager refuses it)',
  },
  { key: 'spark.task.maxFailures', rule: atLeastOne, why: 'attempts of a task before the job fails' },
  { key: 'spark.stage.maxConsecutiveAttempts', rule: atLeastOne, why: 'attempts of a stage before it is aborted' },
  { key: 'spark.scheduler.mode', rule: { kind: 'enum', values: ['FIFO', 'FAIR'] }, why: 'scheduling between jobs inside the application' },
  { key: 'spark.locality.wait', rule: milliseconds, why: 'how long to wait for a data-local slot (0s turns it off)' },
  { key: 'spark.speculation', rule: bool, why: 're-launch slow tasks' },
  { key: 'spark.speculation.interval', rule: positiveMilliseconds, why: 'how often to look for tasks to speculate' },
  {
    key: 'spark.speculation.multiplier',
    rule: { kind: 'number', min: 0, minExclusive: true },
    why: 'how many times slower than the median a task must be',
  },
  {
    key: 'spark.speculation.quantile',
    rule: { kind: 'number', min: 0, minExclusive: true, max: 1 },
    why: 'fraction of tasks that must finish before speculation starts',
  },
  { key: 'spark.speculation.minTaskRuntime', rule: milliseconds, why: 'minimum run time before a task is speculated' },
  { key: 'spark.speculation.task.duration.threshold', rule: milliseconds, why: 'speculate tasks running longer than this' },
  { key: 'spark.speculation.efficiency.enabled', rule: bool, why: 'speculate only inefficient tasks (Spark 3.4+)' },
  fraction('spark.speculation.efficiency.processRateMultiplier', 'speculation: multiplier of the average processing rate (Spark 3.4+)'),
  {
    key: 'spark.speculation.efficiency.longRunTaskFactor',
    rule: { kind: 'number', min: 1 },
    why: 'speculation: tasks this many times over the threshold are speculated anyway (Spark 3.4+)',
  },

  // Dynamic allocation (package.scala; the checks are ExecutorAllocationManager.validateSettings').
  // maxExecutors is required when it is on, or the job could take the namespace's every executor.
  {
    key: 'spark.dynamicAllocation.enabled',
    rule: bool,
    why: 'scale executors with the load; requires spark.dynamicAllocation.maxExecutors',
  },
  {
    key: 'spark.dynamicAllocation.maxExecutors',
    rule: { kind: 'integer', min: 1, max: MAX_EXECUTORS },
    why: "upper bound of executors; required with dynamic allocation, within the namespace's limit",
  },
  {
    key: 'spark.dynamicAllocation.minExecutors',
    rule: { kind: 'integer', min: 0, max: MAX_EXECUTORS },
    why: 'lower bound of executors; at most maxExecutors',
  },
  {
    key: 'spark.dynamicAllocation.initialExecutors',
    rule: { kind: 'integer', min: 0, max: MAX_EXECUTORS },
    why: 'executors at start; at most maxExecutors',
  },
  { key: 'spark.dynamicAllocation.executorIdleTimeout', rule: seconds, why: 'remove an executor idle this long' },
  { key: 'spark.dynamicAllocation.cachedExecutorIdleTimeout', rule: seconds, why: 'remove an executor holding cached data idle this long' },
  { key: 'spark.dynamicAllocation.schedulerBacklogTimeout', rule: positiveSeconds, why: 'ask for executors after tasks wait this long' },
  {
    key: 'spark.dynamicAllocation.sustainedSchedulerBacklogTimeout',
    rule: positiveSeconds,
    why: 'keep asking at this interval while tasks wait',
  },
  {
    key: 'spark.dynamicAllocation.shuffleTracking.enabled',
    rule: bool,
    why: 'keep executors holding shuffle data (Kubernetes has no external shuffle service); set to true with dynamic allocation unless given, and false only with shuffle-block decommissioning',
  },
  {
    key: 'spark.dynamicAllocation.shuffleTracking.timeout',
    rule: milliseconds,
    why: 'release executors holding shuffle data after this long',
  },
  fraction('spark.dynamicAllocation.executorAllocationRatio', 'fraction of the executors that full parallelism would need'),

  // Pod memory and CPU: these size the pods, so they are bounded like the structured fields.
  // Factors: package.scala (driver, executor: > 0) and k8s Config.scala (kubernetes: >= 0 and < 1).
  fraction('spark.driver.memoryOverheadFactor', 'driver memory overhead as a fraction of driver.memory (the pod gets memory + overhead)'),
  fraction('spark.executor.memoryOverheadFactor', 'executor memory overhead as a fraction of executor.memory'),
  fraction('spark.kubernetes.memoryOverheadFactor', 'both factors at once (older name); Spark refuses 1', true),
  // package.scala: DRIVER_MIN_MEMORY_OVERHEAD, .version("4.0.0"); Spark 3.5 has ResourceProfile.MEMORY_OVERHEAD_MIN_MIB.
  {
    key: 'spark.driver.minMemoryOverhead',
    rule: { kind: 'size', max: MAX_DRIVER_MEMORY },
    why: 'floor of the driver overhead',
    since: { version: '4.0.0', before: 'the driver overhead floor is a fixed 384 MiB' },
  },
  {
    key: 'spark.kubernetes.driver.limit.cores',
    rule: { kind: 'cpu', max: MAX_DRIVER_CORES },
    why: 'CPU limit of the driver pod; at least driver.cores (Kubernetes refuses a limit below the request)',
  },
  {
    key: 'spark.kubernetes.executor.limit.cores',
    rule: { kind: 'cpu', max: MAX_EXECUTOR_CORES },
    why: 'CPU limit of each executor pod; at least its request',
  },
  {
    key: 'spark.kubernetes.executor.request.cores',
    rule: { kind: 'cpu', max: MAX_EXECUTOR_CORES },
    why: 'CPU request of each executor pod, when it should differ from executor.cores',
  },
  {
    key: 'spark.kubernetes.allocation.batch.size',
    rule: { kind: 'integer', min: 1, max: BATCH_LIMIT },
    why: 'executor pods requested at once',
  },
  { key: 'spark.kubernetes.allocation.batch.delay', rule: positiveMilliseconds, why: 'wait between batches of executor pods' },
  {
    key: 'spark.memory.fraction',
    rule: { kind: 'number', min: 0, minExclusive: true, max: 1, maxExclusive: true },
    why: 'share of the heap for execution and storage',
  },
  {
    key: 'spark.memory.storageFraction',
    rule: { kind: 'number', min: 0, max: 1, maxExclusive: true },
    why: 'share of that memory immune to eviction',
  },

  // Serialization, network, shuffle (package.scala, Kryo.scala, Network.scala).
  {
    key: 'spark.serializer',
    rule: { kind: 'enum', values: ['org.apache.spark.serializer.KryoSerializer', 'org.apache.spark.serializer.JavaSerializer'] },
    why: 'JVM serializer (Kryo or Java)',
  },
  // KryoSerializer refuses buffers of 2048m and more.
  { key: 'spark.kryoserializer.buffer', rule: { kind: 'size', max: 2048, maxExclusive: true }, why: 'initial Kryo buffer' },
  { key: 'spark.kryoserializer.buffer.max', rule: { kind: 'size', max: 2048, maxExclusive: true }, why: 'largest Kryo buffer' },
  {
    key: 'spark.network.timeout',
    rule: positiveSeconds,
    why: 'default network timeout; must exceed spark.executor.heartbeatInterval (SparkConf.validateSettings)',
  },
  {
    key: 'spark.executor.heartbeatInterval',
    rule: positiveMilliseconds,
    why: 'executor heartbeats to the driver; less than spark.network.timeout',
  },
  { key: 'spark.shuffle.compress', rule: bool, why: 'compress shuffle output' },
  { key: 'spark.shuffle.spill.compress', rule: bool, why: 'compress data spilled during shuffles' },

  // Python workers (core/.../internal/config/Python.scala; spark.python.worker.memory in
  // docs/configuration.md, parsed by pyspark's _parse_memory, which takes no trailing b).
  { key: 'spark.python.worker.reuse', rule: bool, why: 'reuse Python worker processes' },
  {
    key: 'spark.python.worker.memory',
    rule: { kind: 'size', noByteSuffix: true },
    why: 'memory of a Python worker before it spills during aggregation',
  },

  // Event log and UI (package.scala, UI.scala).
  { key: 'spark.eventLog.enabled', rule: bool, why: 'write an event log for the history server' },
  {
    key: 'spark.eventLog.dir',
    rule: { kind: 'text', format: ABFSS_DIRECTORY },
    why: 'where the event log goes: an abfss:// directory (the driver reaches storage with its workload identity)',
  },
  { key: 'spark.eventLog.compress', rule: bool, why: 'compress the event log' },
  { key: 'spark.ui.enabled', rule: bool, why: 'run the driver UI (port 4040 on the driver Service)' },
  { key: 'spark.ui.showConsoleProgress', rule: bool, why: 'progress bars in the driver log' },

  // Decommissioning (package.scala).
  { key: 'spark.decommission.enabled', rule: bool, why: 'shut executors down gracefully' },
  { key: 'spark.storage.decommission.enabled', rule: bool, why: 'migrate blocks off decommissioning executors' },
  { key: 'spark.storage.decommission.shuffleBlocks.enabled', rule: bool, why: 'migrate shuffle blocks' },
  { key: 'spark.storage.decommission.rddBlocks.enabled', rule: bool, why: 'migrate cached RDD blocks' },
  { key: 'spark.storage.decommission.fallbackStorage.cleanUp', rule: bool, why: 'clean the fallback storage at shutdown' },

  // Hadoop output (docs/cloud-integration.md recommends both for object stores).
  {
    key: 'spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version',
    rule: { kind: 'enum', values: ['1', '2'] },
    why: 'file output committer algorithm',
  },
  { key: 'spark.hadoop.parquet.enable.summary-metadata', rule: bool, why: 'write Parquet summary files' },

  // Parsed rather than passed: the same rules as the structured fields.
  { key: 'spark.executorEnv.*', rule: { kind: 'env' }, why: 'executor environment variables: the same rules as the env field' },
  {
    key: 'spark.kubernetes.driverEnv.*',
    rule: { kind: 'env' },
    why: 'driver environment variables (operator backend): the same rules as the env field',
  },
  { key: 'spark.driver.extraJavaOptions', rule: { kind: 'javaOptions' }, why: 'driver JVM options, checked one by one (below)' },
  { key: 'spark.executor.extraJavaOptions', rule: { kind: 'javaOptions' }, why: 'executor JVM options, checked one by one (below)' },
];

// ── Refused keys ────────────────────────────────────────────────────────────────────────────────

export interface RefusedKey {
  /** Key pattern: `*` matches any run of characters. */
  readonly pattern: string;
  readonly reason: string;
  /** Set by the dispatcher or decides identity, image or secrets: settings can never allow it. */
  readonly owned?: true;
}

const OWNED = 'set by spark-dispatch';
const IMAGES = 'use sparkVersion: images come from the version catalog';
const IDENTITY = 'service accounts and credentials are set per namespace in settings (namespaces.<ns>.driverServiceAccount)';
const SECRET_MOUNTS = 'mounting Secrets is not allowed: use workload identity';
const SECRET_REFS = 'reading Secrets is not allowed: use workload identity';
const POD_SECURITY = `${OWNED}: pod security comes from the cluster profile (settings.clusterProfile)`;
const STORAGE_AUTH = 'storage authentication is keyless and set by spark-dispatch (workload or managed identity)';
const CONF_LEAK = 'credentials in spark conf leak through the conf ConfigMap';
const PYTHON = 'Python comes from the image catalog: driver and executors must match';
const POD_MEMORY = 'it adds memory to the pods outside driver.memory and executor.memory, so outside the namespace limits';
const GPU = 'GPUs and other custom resources are not allowed unless the installation allows them (settings.confPolicy.allowedKeys)';
const PLATFORM =
  "Kubernetes settings are the platform's: spark-dispatch renders the pods (resources come from the driver and executor fields, identity and pod security from settings)";

export const REFUSED_KEYS: readonly RefusedKey[] = [
  // Owned: checked first, for every job, whatever settings say. Every pattern starts with a
  // literal `spark.<word>.` before any `*`, so settings can tell whether an entry would cover it.
  { pattern: 'spark.master', reason: `${OWNED}: the driver always runs in-cluster`, owned: true },
  { pattern: 'spark.submit.deployMode', reason: `${OWNED}: always cluster`, owned: true },
  { pattern: 'spark.driver.host', reason: `${OWNED}: the driver's headless Service`, owned: true },
  { pattern: 'spark.driver.bindAddress', reason: 'Spark refuses it in Kubernetes; the image entrypoint binds the pod IP', owned: true },
  { pattern: 'spark.driver.port', reason: `${OWNED}: 7078, as on the driver Service`, owned: true },
  { pattern: 'spark.driver.blockManager.port', reason: `${OWNED}: 7079, as on the driver Service`, owned: true },
  { pattern: 'spark.blockManager.port', reason: `${OWNED}: 7079, which the namespace's NetworkPolicy opens`, owned: true },
  { pattern: 'spark.app.name', reason: 'use the name field', owned: true },
  { pattern: 'spark.app.id', reason: `${OWNED}: derived from the job key`, owned: true },
  { pattern: 'spark.submit.pyFiles', reason: 'use the pyFiles field', owned: true },
  { pattern: 'spark.kubernetes.namespace', reason: 'use the namespace field', owned: true },
  { pattern: 'spark.kubernetes.driver.master', reason: OWNED, owned: true },
  { pattern: 'spark.kubernetes.driver.pod.name', reason: `${OWNED}: derived from the job key`, owned: true },
  { pattern: 'spark.kubernetes.executor.podNamePrefix', reason: `${OWNED}: derived from the job key`, owned: true },
  { pattern: 'spark.kubernetes.submitInDriver', reason: OWNED, owned: true },
  { pattern: 'spark.kubernetes.resource.type', reason: `${OWNED}: python`, owned: true },
  { pattern: 'spark.kubernetes.container.image*', reason: IMAGES, owned: true },
  { pattern: 'spark.kubernetes.driver.container.image*', reason: IMAGES, owned: true },
  { pattern: 'spark.kubernetes.executor.container.image*', reason: IMAGES, owned: true },
  { pattern: 'spark.kubernetes.authenticate.*', reason: IDENTITY, owned: true },
  { pattern: 'spark.kubernetes.driver.podTemplateFile', reason: POD_SECURITY, owned: true },
  { pattern: 'spark.kubernetes.executor.podTemplateFile', reason: POD_SECURITY, owned: true },
  { pattern: 'spark.kubernetes.driver.podTemplateContainerName', reason: OWNED, owned: true },
  { pattern: 'spark.kubernetes.executor.podTemplateContainerName', reason: OWNED, owned: true },
  { pattern: 'spark.kubernetes.*podTemplate*', reason: POD_SECURITY, owned: true },
  { pattern: 'spark.kubernetes.driver.secrets.*', reason: SECRET_MOUNTS, owned: true },
  { pattern: 'spark.kubernetes.executor.secrets.*', reason: SECRET_MOUNTS, owned: true },
  { pattern: 'spark.kubernetes.driver.secretKeyRef.*', reason: SECRET_REFS, owned: true },
  { pattern: 'spark.kubernetes.executor.secretKeyRef.*', reason: SECRET_REFS, owned: true },
  { pattern: 'spark.kubernetes.driver.volumes.hostPath.*', reason: 'hostPath volumes break restricted pod security', owned: true },
  { pattern: 'spark.kubernetes.executor.volumes.hostPath.*', reason: 'hostPath volumes break restricted pod security', owned: true },
  // The driver's Role and admission policy let it create executor pods itself, not StatefulSets or Deployments.
  {
    pattern: 'spark.kubernetes.allocation.pods.allocator',
    reason: 'the driver creates its executor pods directly; its Role grants no StatefulSets or Deployments',
    owned: true,
  },
  // The admission policy lets a driver create only objects its own pod owns.
  {
    pattern: 'spark.kubernetes.driver.ownPersistentVolumeClaim',
    reason: 'on-demand PVCs must be owned by the driver pod (the namespace admission policy refuses others)',
    owned: true,
  },
  { pattern: 'spark.kubernetes.driver.label.*', reason: 'use the labels field', owned: true },
  { pattern: 'spark.kubernetes.executor.label.*', reason: 'use the labels field (it labels executors too)', owned: true },
  { pattern: 'spark.kubernetes.driver.annotation.*', reason: 'driver annotations are set by spark-dispatch', owned: true },
  { pattern: 'spark.kubernetes.driver.request.cores', reason: 'use driver.cores', owned: true },
  { pattern: 'spark.driver.cores', reason: 'use driver.cores', owned: true },
  { pattern: 'spark.driver.memory', reason: 'use driver.memory', owned: true },
  { pattern: 'spark.driver.memoryOverhead', reason: 'use driver.memoryOverhead', owned: true },
  { pattern: 'spark.executor.cores', reason: 'use executor.cores', owned: true },
  { pattern: 'spark.executor.memory', reason: 'use executor.memory', owned: true },
  { pattern: 'spark.executor.memoryOverhead', reason: 'use executor.memoryOverhead', owned: true },
  { pattern: 'spark.executor.instances', reason: 'use executor.instances', owned: true },
  { pattern: 'spark.pyspark.python', reason: PYTHON, owned: true },
  { pattern: 'spark.pyspark.driver.python', reason: PYTHON, owned: true },
  { pattern: 'spark.hadoop.fs.azure.account.*', reason: STORAGE_AUTH, owned: true },
  {
    pattern: 'spark.hadoop.fs.azure.sas.*',
    reason: 'SAS tokens in spark conf leak through the conf ConfigMap; use workload identity',
    owned: true,
  },
  { pattern: 'spark.hadoop.fs.s3a.*.key', reason: CONF_LEAK, owned: true },
  { pattern: 'spark.hadoop.fs.s3a.access.key', reason: CONF_LEAK, owned: true },
  { pattern: 'spark.hadoop.fs.s3a.secret.key', reason: CONF_LEAK, owned: true },

  // Refused with a reason; an installation may allow some of them (a GPU pool, say).
  {
    pattern: 'spark.*.extraClassPath',
    reason: "the class path comes from the image: extra entries load code from outside it and can shadow Spark's own classes",
  },
  { pattern: 'spark.*.extraLibraryPath', reason: 'native libraries come from the image: an extra library path loads code from outside it' },
  {
    pattern: 'spark.*.defaultJavaOptions',
    reason: 'use spark.driver.extraJavaOptions or spark.executor.extraJavaOptions, which are checked option by option',
  },
  { pattern: 'spark.*.resource.*', reason: GPU },
  { pattern: 'spark.executor.pyspark.memory', reason: POD_MEMORY },
  { pattern: 'spark.memory.offHeap.*', reason: POD_MEMORY },
  { pattern: 'spark.jars*', reason: 'JVM dependencies come from the image; Python dependencies use the pyFiles field' },
  { pattern: 'spark.files', reason: 'use the pyFiles field, or read files over abfss://' },
  { pattern: 'spark.archives', reason: 'use the pyFiles field (.zip), or read files over abfss://' },
  { pattern: 'spark.hadoop.fs.azure.*', reason: STORAGE_AUTH },
  {
    pattern: 'spark.kubernetes.node.selector.*',
    reason: "node placement is the platform's (node pools and taints are set up with the cluster)",
  },
  {
    pattern: 'spark.kubernetes.*.node.selector.*',
    reason: "node placement is the platform's (node pools and taints are set up with the cluster)",
  },
  {
    pattern: 'spark.kubernetes.*.volumes.*',
    reason: "volumes are the platform's: spark-dispatch mounts the scratch space; read and write data over abfss://",
  },
  {
    pattern: 'spark.kubernetes.*annotation*',
    reason: 'annotations are set by spark-dispatch (workload identity, job key); use the labels field for your own metadata',
  },
  {
    pattern: 'spark.kubernetes.*scheduler*',
    reason: 'the scheduler is part of the capacity policy (settings.driverPriorityClassName and the namespace quota)',
  },
  { pattern: 'spark.kubernetes.*featureSteps', reason: 'pod feature steps rewrite the pod spec after spark-dispatch renders it' },
  { pattern: 'spark.kubernetes.executor.deleteOnTermination', reason: 'executors are deleted with their driver; the sweeper relies on it' },
  { pattern: 'spark.kubernetes.local.dirs.tmpfs', reason: `memory-backed scratch space: ${POD_MEMORY}` },
  {
    pattern: 'spark.kubernetes.hadoop.*',
    reason: "Hadoop configuration comes from the image and the dispatcher's keyless storage settings",
  },
  {
    pattern: 'spark.kubernetes.kerberos.*',
    reason: 'Kerberos is not used: storage authentication is keyless (workload or managed identity)',
  },
  { pattern: 'spark.kubernetes.file.upload.path', reason: 'use the main and pyFiles fields (abfss:// URIs)' },
  { pattern: 'spark.kubernetes.*', reason: PLATFORM },
];

// ── Matching ────────────────────────────────────────────────────────────────────────────────────

const escapeRegex = (s: string): string => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');

/**
 * A key pattern (`*` matches anything) as a RegExp, compiled once per pattern: every conf key of
 * every launch is checked against ~130 built-in patterns and the installation's own.
 */
const compiled = new Map<string, RegExp>();
function patternRegex(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (!regex) {
    regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
    compiled.set(pattern, regex);
  }
  return regex;
}

export function matchesPattern(key: string, pattern: string): boolean {
  return patternRegex(pattern).test(key);
}

/** What a `prefix.*` entry matched after its prefix; '' for an exact key. */
const restAfter = (key: string, entryKey: string): string => (entryKey.endsWith('.*') ? key.slice(entryKey.length - 1) : '');

export function ownedKey(key: string): RefusedKey | undefined {
  return REFUSED_KEYS.find((r) => r.owned && matchesPattern(key, r.pattern));
}

export function builtInEntry(key: string): AllowedKey | undefined {
  return ALLOWLIST.find((a) => matchesPattern(key, a.key));
}

/** An installation's entry as a value rule. */
export function extraRule(entry: ExtraAllowedKey): ValueRule {
  switch (entry.value) {
    case 'integer':
      return { kind: 'integer', min: entry.min, max: entry.max };
    case 'number':
      return { kind: 'number', min: entry.min, max: entry.max };
    case 'boolean':
    case 'size':
    case 'duration':
    case 'text':
      return { kind: entry.value };
  }
}

/**
 * Why no job may set `key`, whatever its value: the dispatcher owns it, the installation denies
 * it, or its name says its value is a credential. Checked before anything else.
 */
function alwaysRefused(key: string, policy: ConfPolicySettings): string | undefined {
  const owned = ownedKey(key);
  if (owned) return owned.reason;
  if (policy.deniedKeys.some((p) => matchesPattern(key, p))) return 'denied by this installation (settings.confPolicy.deniedKeys)';
  if (namesACredential(key)) return 'the key names a credential; secrets must not be in spark conf (it is stored in a ConfigMap)';
  return undefined;
}

type Verdict = { readonly allowed: AllowedKey; readonly rest: string } | { readonly refused: string };

/** The rule `key` is allowed with (built-in first, then the installation's), or why it is refused. */
function allowance(key: string, policy: ConfPolicySettings): Verdict {
  const builtIn = builtInEntry(key);
  if (builtIn) return { allowed: builtIn, rest: restAfter(key, builtIn.key) };
  const extra = policy.allowedKeys.find((e) => matchesPattern(key, e.key));
  if (extra)
    return { allowed: { key: extra.key, rule: extraRule(extra), why: 'allowed by this installation' }, rest: restAfter(key, extra.key) };
  const refused = REFUSED_KEYS.find((r) => matchesPattern(key, r.pattern));
  return { refused: refused?.reason ?? 'not on the allowlist (settings.confPolicy.allowedKeys can add it)' };
}

// ── checkConf ───────────────────────────────────────────────────────────────────────────────────

const KEY_EXPECTED = 'a conf key that jobs may set';
const DA = 'spark.dynamicAllocation';

/**
 * The job's conf against the policy: every key on the allowlist with a valid value, no
 * credentials, and the cross-key rules (dynamic allocation bounded, limits not below requests,
 * heartbeats within the network timeout). Every problem at once, each at `conf["<key>"]`.
 */
export function checkConf(conf: Readonly<Record<string, string>>, ctx: ConfContext): CheckedConf {
  const problems: Problem[] = [];
  const accepted: Record<string, string> = {};
  const refuse = (key: string, expected: string, found: string, hint?: string) =>
    problems.push({ path: formatPath(['conf', key]), expected, found, ...(hint ? { hint } : {}) });

  for (const [key, value] of Object.entries(conf)) {
    // A credential is named before "not on the allowlist": fixing the key alone would not do.
    const never = alwaysRefused(key, ctx.policy);
    const secret = ctx.policy.detectSecrets ? secretKind(value) : undefined;
    const verdict = never === undefined && secret === undefined ? allowance(key, ctx.policy) : undefined;
    if (never !== undefined) refuse(key, KEY_EXPECTED, describeValue(key), never);
    else if (secret !== undefined)
      refuse(
        key,
        'a value that is not a credential',
        describeValue('[redacted]'),
        `it looks like ${secret}: spark conf is stored in a ConfigMap; use workload identity`,
      );
    else if (verdict && 'refused' in verdict) refuse(key, KEY_EXPECTED, describeValue(key), verdict.refused);
    else if (verdict && missingFrom(verdict.allowed, ctx)) {
      const since = verdict.allowed.since!;
      refuse(
        key,
        `a conf key that Spark ${ctx.sparkVersion} has`,
        describeValue(key),
        `${key} exists from Spark ${since.version}; this job's image runs Spark ${ctx.sparkVersion}, which ignores it (${since.before})`,
      );
    } else if (verdict) {
      const refusal = checkValue(verdict.allowed.rule, value, verdict.rest, ctx);
      if (refusal) refuse(key, refusal.expected, refusal.found ?? describeValue(value), refusal.hint);
      else accepted[key] = value;
    }
  }

  const refusedKeys = new Set(problems.map((p) => p.path));
  const unrefused = (key: string) => !refusedKeys.has(formatPath(['conf', key]));
  for (const p of crossKeyProblems(accepted, conf, ctx)) {
    if (!unrefused(p.key)) continue;
    refuse(p.key, p.expected, p.found, p.hint);
    delete accepted[p.key];
  }

  return { conf: accepted, dynamicAllocation: accepted[`${DA}.enabled`] === 'true', problems };
}

/** The key is newer than the job's Spark, which would ignore it while we read it. */
function missingFrom(entry: AllowedKey, ctx: ConfContext): boolean {
  return entry.since !== undefined && ctx.sparkVersion !== undefined && compareVersions(ctx.sparkVersion, entry.since.version) < 0;
}

interface CrossKeyProblem {
  readonly key: string;
  readonly expected: string;
  readonly found: string;
  readonly hint?: string;
}

/** Rules between keys, judged on the values that passed their own rule. */
function crossKeyProblems(
  accepted: Readonly<Record<string, string>>,
  given: Readonly<Record<string, string>>,
  ctx: ConfContext,
): CrossKeyProblem[] {
  const out: CrossKeyProblem[] = [];
  const int = (key: string) => (accepted[key] === undefined ? undefined : Number(accepted[key]));

  // Dynamic allocation without an upper bound could take every executor the namespace allows.
  const max = int(`${DA}.maxExecutors`);
  if (accepted[`${DA}.enabled`] === 'true' && given[`${DA}.maxExecutors`] === undefined) {
    out.push({
      key: `${DA}.maxExecutors`,
      expected: `a whole number up to ${ctx.limits.maxExecutors}: without it dynamic allocation is unbounded`,
      found: describeValue(undefined),
    });
  }
  for (const key of [`${DA}.minExecutors`, `${DA}.initialExecutors`]) {
    const n = int(key);
    if (n !== undefined && max !== undefined && n > max)
      out.push({ key, expected: `at most ${max} (${DA}.maxExecutors)`, found: describeValue(accepted[key]) });
  }
  // Kubernetes has no external shuffle service: ExecutorAllocationManager.validateSettings refuses
  // dynamic allocation without shuffle tracking unless shuffle blocks migrate on decommission.
  const tracking = `${DA}.shuffleTracking.enabled`;
  const migrates =
    accepted['spark.decommission.enabled'] === 'true' && accepted['spark.storage.decommission.shuffleBlocks.enabled'] === 'true';
  if (accepted[`${DA}.enabled`] === 'true' && accepted[tracking] === 'false' && !migrates) {
    out.push({
      key: tracking,
      expected: 'true (or unset: spark-dispatch sets it) with dynamic allocation',
      found: describeValue(accepted[tracking]),
      hint: 'Kubernetes has no external shuffle service, and Spark refuses dynamic allocation without shuffle tracking unless spark.decommission.enabled and spark.storage.decommission.shuffleBlocks.enabled are true',
    });
  }

  // Kubernetes refuses a pod whose CPU limit is below its request.
  const limitAtLeast = (key: string, requestMillis: number, request: string) => {
    const limit = accepted[key] === undefined ? undefined : cpuMillis(accepted[key]!);
    if (limit !== undefined && limit < requestMillis)
      out.push({
        key,
        expected: `at least the CPU request, ${request}`,
        found: describeValue(accepted[key]),
        hint: 'Kubernetes refuses a pod whose CPU limit is below its request',
      });
  };
  limitAtLeast('spark.kubernetes.driver.limit.cores', ctx.driverCores * 1000, `${ctx.driverCores} (driver.cores)`);
  const executorRequest = accepted['spark.kubernetes.executor.request.cores'];
  limitAtLeast(
    'spark.kubernetes.executor.limit.cores',
    executorRequest === undefined ? ctx.executorCores * 1000 : cpuMillis(executorRequest)!,
    executorRequest === undefined
      ? `${ctx.executorCores} (executor.cores)`
      : `${executorRequest} (spark.kubernetes.executor.request.cores)`,
  );

  // SparkConf.validateSettings: spark.network.timeout must exceed the heartbeat.
  const timeout = accepted['spark.network.timeout'];
  const heartbeat = accepted['spark.executor.heartbeatInterval'];
  if (timeout !== undefined || heartbeat !== undefined) {
    const timeoutMs = durationMs(timeout ?? '120s')!;
    const heartbeatMs = durationMs(heartbeat ?? '10s')!;
    if (timeoutMs <= heartbeatMs) {
      const key = heartbeat !== undefined ? 'spark.executor.heartbeatInterval' : 'spark.network.timeout';
      const expected =
        heartbeat !== undefined
          ? `less than spark.network.timeout (${timeout ?? '120s, the default'})`
          : `more than spark.executor.heartbeatInterval (10s, the default)`;
      out.push({ key, expected, found: describeValue(accepted[key]), hint: 'Spark refuses to start otherwise' });
    }
  }
  return out;
}

// ── Settings ────────────────────────────────────────────────────────────────────────────────────

/**
 * Why an installation's allowlist entry is not acceptable, or undefined: it would cover keys the
 * dispatcher owns (owned keys stay refused whatever settings say, so such an entry is a mistake),
 * or it names a key that is on the built-in allowlist already (whose rule settings cannot change).
 */
export function extraEntryProblem(entryKey: string): string | undefined {
  const prefix = entryKey.endsWith('.*') ? entryKey.slice(0, -1) : undefined;
  // A prefix entry covers an owned pattern when the pattern's fixed start lies under the prefix,
  // or when it lies inside an owned family (`spark.kubernetes.authenticate.*`).
  const covers = (pattern: string): boolean => {
    if (prefix === undefined) return matchesPattern(entryKey, pattern);
    const fixed = pattern.split('*')[0]!;
    return fixed.startsWith(prefix) || (pattern === `${fixed}*` && prefix.startsWith(fixed));
  };
  const owned = REFUSED_KEYS.find((r) => r.owned && covers(r.pattern));
  if (owned) return `a key spark-dispatch does not own: ${entryKey} would allow ${owned.pattern} (${owned.reason})`;
  const builtIn = ALLOWLIST.find((a) =>
    prefix === undefined ? matchesPattern(entryKey, a.key) : a.key.endsWith('.*') && prefix.startsWith(a.key.slice(0, -1)),
  );
  if (builtIn)
    return `a key not on the built-in allowlist: ${entryKey} is covered by ${builtIn.key} (${describeRule(builtIn.rule)}), whose rule settings cannot change`;
  return undefined;
}

// ── Docs ────────────────────────────────────────────────────────────────────────────────────────

const limitName = (limit: Limit): string =>
  typeof limit === 'number' ? String(limit) : limit.name.startsWith('`') ? limit.name : `\`${limit.name}\``;

/** A value rule in a few words, for the README table and for settings errors. */
export function describeRule(rule: ValueRule): string {
  switch (rule.kind) {
    case 'boolean':
      return '`true` or `false`';
    case 'integer': {
      const min = rule.min === undefined ? undefined : limitName(rule.min);
      const max = rule.max === undefined ? undefined : limitName(rule.max);
      if (max === undefined) return min === undefined ? 'integer' : `integer ≥ ${min}`;
      return min === undefined ? `integer ≤ ${max}` : `integer ${min}–${max}`;
    }
    case 'number': {
      const low = rule.min === undefined ? '' : `${rule.minExclusive ? '>' : '≥'} ${rule.min}`;
      const high = rule.max === undefined ? '' : `${rule.maxExclusive ? '<' : '≤'} ${rule.max}`;
      return `number ${[low, high].filter((x) => x).join(', ')}`.trim();
    }
    case 'size': {
      const unit = rule.noByteSuffix ? ' (no trailing `b`)' : '';
      const max =
        rule.max === undefined
          ? ''
          : ` ${rule.maxExclusive ? '<' : '≤'} ${typeof rule.max === 'number' ? `${rule.max}m` : limitName(rule.max)}`;
      return `size (\`512m\`)${unit}${max}`;
    }
    case 'duration': {
      const shape =
        rule.unit === 's'
          ? 'duration in whole seconds (`60s`, `5min`)'
          : rule.unit === 'ms'
            ? 'duration in whole milliseconds (`100ms`, `60s`)'
            : 'duration (`60s`, `5min`, `100ms`)';
      return rule.positive ? `${shape}, more than 0` : shape;
    }
    case 'cpu':
      return `CPU (\`2\`, \`0.5\`, \`500m\`) ≤ ${limitName(rule.max)}`;
    case 'enum':
      return rule.values.map((v) => `\`${v}\``).join(' or ');
    case 'text':
      return rule.format ? 'an `abfss://` directory' : 'text';
    case 'env':
      return 'as the `env` field';
    case 'javaOptions':
      return 'JVM options (see below)';
  }
}
