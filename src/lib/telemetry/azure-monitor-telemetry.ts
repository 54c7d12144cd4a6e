import { ManagedIdentityCredential } from '@azure/identity';
import {
  AzureMonitorLogExporter,
  AzureMonitorMetricExporter,
  AzureMonitorTraceExporter,
} from '@azure/monitor-opentelemetry-exporter';
import { instanceName } from '../hosting/instance-name.js';
import { startTelemetry, type TelemetryPipeline } from './telemetry-pipeline.js';

/**
 * The identity Application Insights takes telemetry from, when its authentication string asks for Entra
 * (`ClientId={id};Authorization=AAD`, the app setting the template writes; local keys are off).
 */
function ingestionCredential(authentication: string | undefined): ManagedIdentityCredential | undefined {
  if (!authentication || !/Authorization=AAD/i.test(authentication)) return undefined;
  const clientId = /ClientId=([^;]+)/i.exec(authentication)?.[1];
  return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
}

/**
 * In Azure (APPLICATIONINSIGHTS_CONNECTION_STRING set): the connector's spans, metrics and logs to Application
 * Insights through the Azure Monitor exporters, ingested with the app's managed identity. Otherwise nothing.
 */
export function startAzureMonitorTelemetry(
  env: NodeJS.ProcessEnv = process.env,
): TelemetryPipeline | undefined {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (!connectionString) return undefined;
  const credential = ingestionCredential(env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING);
  const options = { connectionString, ...(credential ? { credential } : {}) };
  return startTelemetry({
    spans: new AzureMonitorTraceExporter(options),
    metrics: new AzureMonitorMetricExporter(options),
    logs: new AzureMonitorLogExporter(options),
    metricIntervalMs: 60_000,
    instance: instanceName,
  });
}
