import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/lib/project-root.js';

const root = projectRoot(import.meta.url);
const json = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8'));

describe('Node.js: what the tests run on is what Azure runs', () => {
  const template = json('infra/main.json');
  const site = template.resources.find(
    (resource: { type: string }) => resource.type === 'Microsoft.Web/sites',
  );
  const deployed: string = site.properties.functionAppConfig.runtime.version;

  it('runs the tests on the major version the template deploys (the npm package node, a dev dependency)', () => {
    expect(deployed).toBe('22');
    expect(process.versions.node.split('.')[0]).toBe(deployed);
    expect(json('package.json').devDependencies.node).toMatch(new RegExp(`^${deployed}\\.`));
  });

  it('asks for that version in engines', () => {
    expect(json('package.json').engines.node).toBe(`>=${deployed}.0.0`);
  });
});
