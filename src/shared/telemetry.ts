/**
 * Traces and metrics through the OpenTelemetry API. Without a registered provider every call is a
 * no-op; in Azure, `startAzureMonitor` registers Application Insights as the provider. Every span
 * and data point carries the job key (or the namespace), so one job can be followed across its
 * message, launch, sweep and ledger steps, together with the logs, which carry the same key.
 *
 * Metrics:
 *   spark_dispatch.jobs             counter   a job's step in the ledger (state: received, launched, rejected, deferred, queued, dead-lettered, swept, finished; namespace)
 *   spark_dispatch.launch.duration  histogram ms per launch (outcome, backend)
 *   spark_dispatch.sweep.cleared    counter   objects the sweeper cleared (reason, namespace)
 *   spark_dispatch.sweep.would_clear counter  observe mode: drivers the sweeper would have cleared, once per driver and reason when a ledger is configured (reason, namespace)
 */
import { metrics, SpanStatusCode, trace, type Attributes, type Counter, type Histogram, type MeterProvider } from '@opentelemetry/api';

const NAME = 'spark-dispatch';

interface Instruments {
  readonly provider: MeterProvider;
  readonly jobs: Counter;
  readonly launchDuration: Histogram;
  readonly cleared: Counter;
  readonly wouldClear: Counter;
}
let instruments: Instruments | undefined;

// The metrics API has no proxy provider: instruments made before a provider is registered stay
// no-ops. So they are (re)made whenever the global provider changes.
function get(): Instruments {
  const provider = metrics.getMeterProvider();
  if (instruments?.provider === provider) return instruments;
  const meter = provider.getMeter(NAME);
  instruments = {
    provider,
    jobs: meter.createCounter('spark_dispatch.jobs', { description: 'Job steps recorded in the ledger, by state' }),
    launchDuration: meter.createHistogram('spark_dispatch.launch.duration', {
      description: "Time to create a job's Kubernetes objects",
      unit: 'ms',
    }),
    cleared: meter.createCounter('spark_dispatch.sweep.cleared', { description: 'Objects cleared by the sweeper, by reason' }),
    wouldClear: meter.createCounter('spark_dispatch.sweep.would_clear', {
      description: 'Observe mode: what the sweeper would have cleared, by reason',
    }),
  };
  return instruments;
}

export const telemetry = {
  jobStep(state: string, namespace: string | undefined): void {
    get().jobs.add(1, { state, ...(namespace ? { namespace } : {}) });
  },
  launched(outcome: string, backend: string, durationMs: number): void {
    get().launchDuration.record(durationMs, { outcome, backend });
  },
  cleared(reason: string, namespace: string): void {
    get().cleared.add(1, { reason, namespace });
  },
  wouldClear(reason: string, namespace: string): void {
    get().wouldClear.add(1, { reason, namespace });
  },
  /** Runs `work` in a span; the span records an exception and fails when `work` throws. */
  async span<T>(name: string, attributes: Attributes, work: (setAttributes: (a: Attributes) => void) => Promise<T>): Promise<T> {
    return trace.getTracer(NAME).startActiveSpan(name, { attributes }, async (span) => {
      try {
        const result = await work((a) => span.setAttributes(a));
        span.setStatus({ code: SpanStatusCode.OK });
        return result;
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    });
  },
};

/** Attribute names, following OpenTelemetry's conventions where one exists. */
export const ATTR = {
  jobKey: 'spark_dispatch.job_key',
  namespace: 'k8s.namespace.name',
  pod: 'k8s.pod.name',
  backend: 'spark_dispatch.backend',
  outcome: 'spark_dispatch.outcome',
  messageId: 'messaging.message.id',
  deliveryCount: 'messaging.servicebus.message.delivery_count',
} as const;
