import {
  type Attributes,
  type Counter,
  type Gauge,
  type Histogram,
  type Meter,
  metrics,
} from '@opentelemetry/api';
import { version } from '../version.js';
import {
  type MetricDimension,
  type MetricKey,
  type MetricValues,
  metricCatalogue,
} from './metric-catalogue.js';

type Dimensions = Partial<Record<MetricDimension, string>>;
type Instrument = Counter | Histogram | Gauge;

/** The meter's name: the scope every metric of the connector is written under. */
export const telemetryScope = 'm365-tenant-connector';

let meter: Meter | undefined;
let instruments = new Map<MetricKey, Instrument>();

/**
 * The instrument for a catalogue entry. The global meter provider has no stand-in (unlike the tracer's): a meter
 * taken before the provider was registered writes nowhere, so the meter is taken again when the provider changes.
 */
function instrument(key: MetricKey): Instrument {
  const current = metrics.getMeter(telemetryScope, version);
  if (current !== meter) {
    meter = current;
    instruments = new Map();
  }
  const found = instruments.get(key);
  if (found) return found;
  const { name, kind, unit, description } = metricCatalogue[key];
  const options = { unit, description };
  const made =
    kind === 'counter'
      ? current.createCounter(name, options)
      : kind === 'histogram'
        ? current.createHistogram(name, options)
        : current.createGauge(name, options);
  instruments.set(key, made);
  return made;
}

function record(key: MetricKey, value: number, dimensions: Dimensions): void {
  const attributes = dimensions as Attributes;
  const made = instrument(key);
  if ('add' in made) made.add(value, attributes);
  else made.record(value, attributes);
}

/** What the connector counts and measures, by the catalogue's names (metric-catalogue.ts). */
export const connectorMetrics = {
  replicationRunEnded(run: {
    tenantId: string;
    outcome: MetricValues<'replicationRuns', 'outcome'>;
    trigger: string;
    durationSeconds?: number;
    changes?: { upserted: number; deleted: number; transactions: number };
  }): void {
    const { tenantId, outcome, trigger, changes } = run;
    record('replicationRuns', 1, { tenantId, outcome, trigger });
    if (run.durationSeconds !== undefined)
      record('replicationRunDuration', run.durationSeconds, { tenantId, outcome, trigger });
    if (!changes) return;
    if (changes.upserted > 0)
      record('replicationObjectsChanged', changes.upserted, { tenantId, change: 'upserted' });
    if (changes.deleted > 0)
      record('replicationObjectsChanged', changes.deleted, { tenantId, change: 'deleted' });
    if (changes.transactions > 0) record('storageTransactions', changes.transactions, { tenantId });
  },
  graphAnswered(tenantId: string, status: number): void {
    const statusClass = status === 0 ? 'network' : `${Math.floor(status / 100)}xx`;
    record('graphRequests', 1, { tenantId, statusClass, throttled: status === 429 ? 'true' : 'false' });
  },
  eventDelivery(
    tenantId: string,
    outcome: MetricValues<'eventDeliveries', 'outcome'>,
    lagSeconds?: number,
  ): void {
    record('eventDeliveries', 1, { tenantId, outcome });
    if (lagSeconds !== undefined) record('eventDeliveryLag', lagSeconds, { tenantId });
  },
  messagePoisoned(queue: string): void {
    record('poisonedMessages', 1, { queue });
  },
  keyVaultFailed(reason: MetricValues<'keyVaultFailures', 'reason'>, status: number | undefined): void {
    record('keyVaultFailures', 1, { reason, status: String(status ?? 'none') });
  },
  credentialDaysLeft(
    tenantId: string,
    serviceId: string,
    renewer: 'connector' | 'customer',
    days: number,
  ): void {
    record('credentialDaysLeft', Math.floor(days * 10) / 10, { tenantId, serviceId, renewer });
  },
  tenantsByStatus(counts: Record<string, number>): void {
    for (const [status, count] of Object.entries(counts)) record('tenants', count, { status });
  },
  workflowsByState(workflow: string, counts: Record<string, number>): void {
    for (const [state, count] of Object.entries(counts)) record('workflows', count, { workflow, state });
  },
};
