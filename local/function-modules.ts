import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The compiled function files the Functions host loads: package.json `main`, a path or a `dir/*.js` pattern.
 */
export function functionModules(projectRoot: string): string[] {
  const { main } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { main?: string };
  if (!main) throw new Error('package.json has no "main" naming the function files.');
  const pattern = resolve(projectRoot, main);
  if (!pattern.includes('*')) return [pattern];
  const dir = dirname(pattern);
  const file = pattern.slice(dir.length + 1);
  const match = /^\*(\.[a-z]+)$/.exec(file);
  if (!match || dir.includes('*'))
    throw new Error(`package.json "main" (${main}) must be a path or "dir/*.js".`);
  return readdirSync(dir)
    .filter((name) => name.endsWith(match[1] as string))
    .sort()
    .map((name) => join(dir, name));
}
