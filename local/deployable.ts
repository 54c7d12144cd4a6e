import { execFile } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What a Function App is given: the compiled app, its host.json and package files, production dependencies only. */
export const deployedFiles = ['package.json', 'package-lock.json', 'host.json'];

/**
 * Stages a deployable copy of the app in `target`, as a Function App holds it: `dist/src`, the package files and
 * host.json, then `npm ci --omit=dev` (no dev dependency, no install script), as the platform's build does.
 */
export async function stageDeployable(projectRoot: string, target: string): Promise<void> {
  mkdirSync(join(target, 'dist'), { recursive: true });
  cpSync(join(projectRoot, 'dist', 'src'), join(target, 'dist', 'src'), { recursive: true });
  for (const file of deployedFiles) cpSync(join(projectRoot, file), join(target, file));
  await run(
    'npm',
    [
      'ci',
      '--omit=dev',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
    ],
    { cwd: target, env: { ...process.env, NODE_ENV: 'production' }, maxBuffer: 16 * 1024 * 1024 },
  );
}

/** Plain Node, in a staged app: imports every file `main` names, as the Functions worker does, and reports. */
const loadEveryFunctionFile = `
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
const { main } = JSON.parse(readFileSync('package.json', 'utf8'));
const pattern = resolve(main);
const dir = dirname(pattern);
const suffix = pattern.slice(dir.length + 1).replace('*', '');
const files = main.includes('*') ? readdirSync(dir).filter((name) => name.endsWith(suffix)).sort().map((name) => join(dir, name)) : [pattern];
const failed = [];
for (const file of files) {
  try { await import(pathToFileURL(file).href); } catch (error) { failed.push({ file: file.slice(dir.length + 1), message: String(error?.message ?? error) }); }
}
const registry = await import(pathToFileURL(resolve('dist/src/lib/hosting/function-registry.js')).href);
process.stdout.write(JSON.stringify({ files: files.length, failed, functions: registry.registeredFunctions().map((f) => f.name) }));
`;

export interface LoadReport {
  files: number;
  failed: { file: string; message: string }[];
  functions: string[];
}

/** Loads every function file of a staged app with plain `node` and only its own dependencies. */
export async function loadStagedFunctions(target: string): Promise<LoadReport> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', loadEveryFunctionFile], {
    cwd: target,
    env: { PATH: process.env.PATH ?? '' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as LoadReport;
}
