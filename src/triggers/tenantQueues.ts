/**
 * Which queues get a job-message trigger: read when the functions are registered, before settings
 * are parsed, so it is plain environment parsing.
 */

/** The tenants' queues, comma-separated (SPARK_DISPATCH_JOB_QUEUES); unset: the one queue SPARK_DISPATCH_JOB_QUEUE. */
export function tenantQueues(env: Readonly<Record<string, string | undefined>>): string[] {
  return [
    ...new Set(
      (env.SPARK_DISPATCH_JOB_QUEUES ?? '')
        .split(',')
        .map((q) => q.trim())
        .filter((q) => q !== ''),
    ),
  ];
}
