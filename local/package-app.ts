import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { projectRoot } from '../src/lib/project-root.js';
import { stageDeployable } from './deployable.js';
import { zipStagedApp } from './function-app-package.js';

/**
 * `npm run package [-- --out FILE]`: the zip a Function App deploys (`az functionapp deployment source config-zip`):
 * the compiled app, host.json, the package files and production dependencies only.
 */
const root = projectRoot(import.meta.url);
const outIndex = process.argv.indexOf('--out');
const zipFile = resolve(
  outIndex > 0 ? (process.argv[outIndex + 1] ?? '') : join(root, 'dist', 'function-app.zip'),
);
const staging = mkdtempSync(join(tmpdir(), 'function-app-'));
try {
  await stageDeployable(root, staging);
  const { bytes, files } = zipStagedApp(staging, zipFile);
  console.log(`${relative(process.cwd(), zipFile)}: ${files} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
} finally {
  rmSync(staging, { recursive: true, force: true });
}
