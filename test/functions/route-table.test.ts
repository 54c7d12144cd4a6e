import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpFunctionOptions } from '@azure/functions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RouteTable } from '../../local/host/route-table.js';
import { registeredFunctions } from '../../src/lib/hosting/function-registry.js';

/** A path built from a route template: each parameter filled with a value no template has as a literal. */
function pathOf(template: string): string {
  return `/${template
    .split('/')
    .filter(Boolean)
    .map((segment, index) => (segment.startsWith('{') ? `p${index}Zq7` : segment))
    .join('/')}`;
}

let table: RouteTable;
let http: { name: string; options: HttpFunctionOptions }[];

beforeAll(async () => {
  const dir = join(import.meta.dirname, '..', '..', 'src', 'functions');
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) await import(join(dir, file));
  http = registeredFunctions().flatMap((definition) => (definition.kind === 'http' ? [definition] : []));
  table = new RouteTable(http);
});

describe('the registered HTTP functions under the Functions host routing rules', () => {
  it('are all registered with routes and methods', () => {
    expect(http.length).toBeGreaterThan(30);
    for (const { name, options } of http) {
      expect(options.route, name).toBeTruthy();
      expect(options.methods?.length, name).toBeGreaterThan(0);
    }
  });

  it('reach every function by a path built from its own template, for each of its methods, in the host order', () => {
    const misrouted = http.flatMap(({ name, options }) =>
      (options.methods ?? []).flatMap((method) => {
        const path = pathOf(options.route ?? name);
        const reached = table.resolve(method, path)?.route.name;
        return reached === name ? [] : [`${method} ${path} → ${reached ?? 'nothing'} (wanted ${name})`];
      }),
    );
    expect(misrouted).toEqual([]);
  });

  it('reach every function in any other order too, so no route depends on function names', () => {
    const reversed = new RouteTable(http.map(({ name, options }) => ({ name: `~${invert(name)}`, options })));
    const misrouted = http.flatMap(({ name, options }) =>
      (options.methods ?? []).flatMap((method) => {
        const path = pathOf(options.route ?? name);
        const reached = reversed.resolve(method, path)?.route.name;
        return reached === `~${invert(name)}` ? [] : [`${method} ${path} → ${reached ?? 'nothing'}`];
      }),
    );
    expect(misrouted).toEqual([]);
  });
});

/** A name whose order is the reverse of the original's (each letter mirrored in a–z). */
function invert(name: string): string {
  return [...name.toLowerCase()]
    .map((c) => (c >= 'a' && c <= 'z' ? String.fromCharCode(219 - c.charCodeAt(0)) : c))
    .join('');
}
