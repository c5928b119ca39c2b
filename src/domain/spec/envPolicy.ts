/**
 * The one rule for environment variables a job sets, wherever it sets them: the `env` field,
 * `spark.executorEnv.<NAME>` and `spark.kubernetes.driverEnv.<NAME>`. The variables the image
 * entrypoint, Spark, workload identity or the dynamic loader read decide what runs and as whom,
 * so a job must not set them by any route (LD_PRELOAD through executorEnv is the same attack as
 * LD_PRELOAD in env).
 */
import { secretKind } from './secrets.js';

/** What a variable name may be: POSIX portable names, bounded. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const ENV_NAME_EXPECTED = 'an environment variable name (letters, digits, _; not starting with a digit)';

// Variables the image entrypoint, Spark, the workload-identity webhook or the loader own.
export const RESERVED_ENV =
  /^(SPARK_|PYSPARK_|AZURE_|HADOOP_|JAVA_|NSS_WRAPPER_)|^(PATH|HOME|LD_PRELOAD|LD_LIBRARY_PATH|PYTHONPATH|PYTHONSTARTUP)$/;
export const RESERVED_ENV_EXPECTED = 'a variable that Spark, the image or workload identity does not own';

export interface EnvRefusal {
  readonly expected: string;
  /** What to show as found: the name, or `[redacted]` for a credential (never the value). */
  readonly found: string;
  readonly hint?: string;
}

/**
 * Why a job may not set variable `name` to `value`, or undefined when it may. `visibleIn` says
 * where a credential would leak (the pod spec, the conf ConfigMap), for the hint.
 */
export function envRefusal(name: string, value: string, detectSecrets: boolean, visibleIn: string): EnvRefusal | undefined {
  if (!ENV_NAME.test(name)) return { expected: ENV_NAME_EXPECTED, found: name };
  if (RESERVED_ENV.test(name)) return { expected: RESERVED_ENV_EXPECTED, found: name };
  const kind = detectSecrets ? secretKind(value) : undefined;
  if (kind) return { expected: 'a value that is not a credential', found: '[redacted]', hint: `it looks like ${kind}: ${visibleIn}` };
  return undefined;
}
