import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(import.meta.dirname, '..', '..', 'src');
const files = (readdirSync(src, { recursive: true }) as string[])
  .filter((name) => name.endsWith('.ts'))
  .map((name) => join(src, name));

/** What each file imports of the project, and whether only its types (erased when compiled). */
const imports = new Map(
  files.map((file) => {
    const text = readFileSync(file, 'utf8');
    const found = [...text.matchAll(/^(import|export)\s+(type\s+)?([^;]*?)\s*from\s+'(\.[^']+)'/gms)].map(
      (match) => {
        const names = match[3]?.match(/^\{([^}]*)\}$/s)?.[1];
        const typeOnly =
          Boolean(match[2]) ||
          names
            ?.split(',')
            .map((name) => name.trim())
            .filter(Boolean)
            .every((name) => name.startsWith('type '));
        return { target: resolve(dirname(file), (match[4] ?? '').replace(/\.js$/, '.ts')), typeOnly };
      },
    );
    return [file, found];
  }),
);

describe('the import graph of src/', () => {
  it('reads the imports (the scan works)', () => {
    expect(files.length).toBeGreaterThan(150);
    expect([...imports.values()].flat().length).toBeGreaterThan(500);
  });

  it('imports nothing outside src/ (a Function App loads only what main names and its production dependencies)', () => {
    const outside = [...imports].flatMap(([file, found]) =>
      found
        .filter(({ target, typeOnly }) => !typeOnly && !target.startsWith(src))
        .map(({ target }) => `${relative(src, file)} → ${relative(src, target)}`),
    );
    expect(outside).toEqual([]);
  });

  it('has no import circle through a runtime import (module load order would decide what is undefined)', () => {
    const runtime = new Map(
      [...imports].map(([file, found]) => [
        file,
        found.filter(({ typeOnly }) => !typeOnly).map(({ target }) => target),
      ]),
    );
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(src, f)).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const target of runtime.get(file) ?? []) if (runtime.has(target)) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of runtime.keys()) visit(file, []);
    expect(circles).toEqual([]);
  });

  it('imports from a higher floor of src/lib at most 8 times (each named on failure)', () => {
    const lib = join(src, 'lib');
    /**
     * The floors of src/lib, lower first: a module may import its own floor and those below. Presentation (pages,
     * the onboarding's browser answers) and what probes the whole wiring (health) sit on top.
     */
    const floors: [string, number][] = [
      ...[
        'errors',
        'security',
        'config',
        'http',
        'storage',
        'hosting',
        'telemetry',
        'version.ts',
        'project-root.ts',
      ].map((name): [string, number] => [name, 0]),
      ...['identity', 'graph', 'secrets', 'audit'].map((name): [string, number] => [name, 1]),
      ...['tenants', 'events', 'workflows', 'validation', 'invitations'].map((name): [string, number] => [
        name,
        2,
      ]),
      ...[
        'onboarding',
        'credentials',
        'services',
        'sites',
        'replication',
        'offboarding',
        'housekeeping',
        'core-api',
        'access-tokens',
        'near-real-time',
        'telephony',
      ].map((name): [string, number] => [name, 3]),
      ...['pages', 'onboarding/browser'].map((name): [string, number] => [name, 4]),
      ...['health', 'dependencies.ts'].map((name): [string, number] => [name, 5]),
    ];
    const floorOf = (file: string) => {
      const path = relative(lib, file);
      const match = floors
        .filter(([name]) => path === name || path.startsWith(`${name}/`))
        .sort(([a], [b]) => b.length - a.length)[0];
      return match?.[1];
    };
    const upward = [...imports].flatMap(([file, found]) => {
      const from = floorOf(file);
      if (from === undefined) return [];
      return found
        .filter(({ target }) => (floorOf(target) ?? -1) > from)
        .map(({ target }) => `${relative(lib, file)} → ${relative(lib, target)}`);
    });
    const unplaced = files.filter((file) => file.startsWith(lib) && floorOf(file) === undefined);
    expect(unplaced, 'every folder of src/lib has a floor').toEqual([]);
    expect(upward.length, upward.join('\n')).toBeLessThanOrEqual(8);
  });
});
