import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/lib/project-root.js';
import { metricCatalogue } from '../../src/lib/telemetry/metric-catalogue.js';
import { logDimensions } from '../../src/lib/telemetry/structured-log.js';
import { tenantStatuses } from '../../src/lib/tenants/tenant-record.js';

const template = JSON.parse(readFileSync(join(projectRoot(import.meta.url), 'infra', 'main.json'), 'utf8'));
interface Resource {
  type: string;
  name: string;
  properties: Record<string, unknown>;
}
const resources = template.resources as Resource[];
const alertRules = resources.filter((resource) => resource.type === 'Microsoft.Insights/scheduledQueryRules');
const workbook = resources.find((resource) => resource.type === 'Microsoft.Insights/workbooks');
const workbookItems = (
  JSON.parse(String(workbook?.properties.serializedData)) as {
    items: { type: number; name: string; content: { query?: string } }[];
  }
).items;

const alertQueries = alertRules.flatMap((rule) =>
  ((rule.properties.criteria as { allOf: { query: string }[] }).allOf ?? []).map((condition) => ({
    where: rule.name,
    query: condition.query,
  })),
);
const workbookQueries = workbookItems
  .filter((item) => item.content.query)
  .map((item) => ({ where: `workbook ${item.name}`, query: item.content.query as string }));

const catalogue = Object.values(metricCatalogue) as {
  name: string;
  dimensions: readonly string[];
  values?: Record<string, readonly string[]>;
}[];
/** The values a dimension may take, where the code fixes them. */
function valuesOf(names: string[], dimension: string): string[] | undefined {
  if (dimension === 'status' && names.includes(metricCatalogue.tenants.name)) return [...tenantStatuses];
  const found = catalogue
    .filter((metric) => names.includes(metric.name))
    .flatMap((metric) => metric.values?.[dimension] ?? []);
  return found.length
    ? found.map((value) => (typeof value === 'boolean' ? (value ? 'True' : 'False') : value))
    : undefined;
}

/** What a query reads of the telemetry: metric names, dimensions, and the literal values it compares them with. */
function readsOf(query: string) {
  const names = [...query.matchAll(/name == "([^"]+)"/g)].map((match) => match[1] as string);
  const dimensions = [...query.matchAll(/customDimensions\.(\w+)/g)].map((match) => match[1] as string);
  const compared = [
    ...query.matchAll(/customDimensions\.(\w+)\)? (?:==|in) \(?((?:"[^"]*"(?:, )?)+)\)?/g),
  ].map((match) => ({
    dimension: match[1] as string,
    values: [...(match[2] ?? '').matchAll(/"([^"]*)"/g)].map((value) => value[1] as string),
  }));
  return { names, dimensions, compared, readsTraces: /\btraces\b/.test(query) };
}

function problems({ where, query }: { where: string; query: string }): string[] {
  const { names, dimensions, compared, readsTraces } = readsOf(query);
  const found: string[] = [];
  const known = catalogue.map((metric) => metric.name);
  for (const name of names) if (!known.includes(name)) found.push(`${where}: no metric ${name}`);
  const allowed = new Set([
    ...catalogue.filter((metric) => names.includes(metric.name)).flatMap((metric) => metric.dimensions),
    ...(readsTraces ? logDimensions : []),
  ]);
  for (const dimension of dimensions)
    if (!allowed.has(dimension)) found.push(`${where}: ${names.join(', ')} has no dimension ${dimension}`);
  for (const { dimension, values } of compared) {
    const written = valuesOf(names, dimension);
    if (dimension === 'outcome' && readsTraces && values.includes('waiting')) continue;
    if (!written) continue;
    for (const value of values)
      if (!written.includes(value)) found.push(`${where}: ${dimension} is never "${value}"`);
  }
  return found;
}

describe('the alert rules and the workbook read the telemetry the code writes', () => {
  it('has the six alert rules the operator needs, each to the action group, each saying what to do', () => {
    expect(alertRules.map((rule) => rule.name.replace(/^.*\{0\}-|', .*$/g, ''))).toEqual([
      'replication-failing',
      'credentials-invalid',
      'customer-secret-ending',
      'event-delivery',
      'poisoned-message',
      'key-vault-refused',
    ]);
    for (const rule of alertRules) {
      const actions = rule.properties.actions as {
        actionGroups: string[];
        customProperties: Record<string, string>;
      };
      expect(actions.actionGroups).toEqual(["[variables('actionGroupId')]"]);
      expect(actions.customProperties.operationsGuide).toMatch(/#[a-z-]+'\)\]$/);
      expect(String(rule.properties.description)).toMatch(/Operations guide: '[^']+'\.$/);
    }
  });

  it('names only metrics the code writes, their dimensions and the values they take', () => {
    const all = [...alertQueries, ...workbookQueries];
    expect(alertQueries).toHaveLength(6);
    expect(workbookQueries.length).toBeGreaterThanOrEqual(7);
    expect(all.flatMap(problems)).toEqual([]);
  });

  it('finds a query that reads a metric, a dimension or a value the code never writes (the check can fail)', () => {
    expect(
      problems({ where: 'x', query: 'customMetrics | where name == "connector.replication.run"' }),
    ).toEqual(['x: no metric connector.replication.run']);
    expect(
      problems({
        where: 'x',
        query:
          'customMetrics | where name == "connector.queue.poisoned" | summarize by tostring(customDimensions.tenantId)',
      }),
    ).toEqual(['x: connector.queue.poisoned has no dimension tenantId']);
    expect(
      problems({
        where: 'x',
        query:
          'customMetrics | where name == "connector.replication.runs" and tostring(customDimensions.outcome) in ("failed", "broken")',
      }),
    ).toEqual(['x: outcome is never "broken"']);
  });

  it('links each alert to a section the operations guide has', () => {
    const guide = readFileSync(join(projectRoot(import.meta.url), 'docs', 'operations.md'), 'utf8');
    const anchors = new Set(
      [...guide.matchAll(/^#+ (.+)$/gm)].map((match) =>
        (match[1] as string)
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const rule of alertRules) {
      const anchor = /#([a-z-]+)'\)\]$/.exec(
        (rule.properties.actions as { customProperties: Record<string, string> }).customProperties
          .operationsGuide ?? '',
      )?.[1];
      expect({ rule: rule.name, anchor, inGuide: anchors.has(anchor ?? '') }).toMatchObject({
        inGuide: true,
      });
    }
  });
});
