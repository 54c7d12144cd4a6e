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
});
