import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const methods = ['get', 'post', 'put', 'patch', 'delete'];

describe('the README’s table of core endpoints', () => {
  it('names every operation of the OpenAPI document, and none it does not have', () => {
    const document = JSON.parse(readFileSync(join(root, 'docs', 'openapi.json'), 'utf8')) as {
      servers: { url: string }[];
      paths: Record<string, Record<string, unknown>>;
    };
    const base = document.servers[0]?.url ?? '';
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => methods.includes(method))
        .map((method) => `${method.toUpperCase()} ${base}${path}`),
    );
    expect(operations.length).toBeGreaterThan(20);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const listed = [...readme.matchAll(/^ {2}\| `((?:GET|POST|PUT|PATCH|DELETE) \/api\/[^`]+)` \|/gm)].map(
      (match) => match[1] ?? '',
    );
    expect(listed.sort()).toEqual(operations.sort());
  });
});
