/**
 * Sends the dispatcher's traces and metrics to Application Insights when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set (the Bicep sets it on the Function App). Loaded
 * lazily: the exporter is large, and a cold start without it should not pay for it.
 */
let started = false;

export async function startAzureMonitor(env: Readonly<Record<string, string | undefined>>): Promise<boolean> {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (started || !connectionString) return started;
  const { useAzureMonitor } = await import('@azure/monitor-opentelemetry');
  useAzureMonitor({ azureMonitorExporterOptions: { connectionString } });
  started = true;
  return true;
}
