import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStagedFunctions } from '../../local/deployable.js';
import { projectRoot } from '../../src/lib/project-root.js';

const run = promisify(execFile);
const root = projectRoot(import.meta.url);
const scratch = mkdtempSync(join(tmpdir(), 'package-test-'));
const zipFile = join(scratch, 'function-app.zip');
const unpacked = join(scratch, 'unpacked');
let entries: string[] = [];
let printed = '';

const makePackage = async (out: string) =>
  (await run(process.execPath, ['dist/local/package-app.js', '--out', out], { cwd: root })).stdout;

beforeAll(async () => {
  printed = await makePackage(zipFile);
  const files = unzipSync(readFileSync(zipFile));
  entries = Object.keys(files);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(unpacked, name)), { recursive: true });
    writeFileSync(join(unpacked, name), content);
  }
}, 180_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const packagesIn = (names: string[]) =>
  new Set(
    names
      .filter((name) => name.startsWith('node_modules/'))
      .map((name) =>
        name
          .split('/')
          .slice(1, name.startsWith('node_modules/@') ? 3 : 2)
          .join('/'),
      ),
  );

describe('npm run package: the zip a Function App deploys', () => {
  it('holds the compiled app, host.json and the package files at its root, and prints its size', () => {
    const top = new Set(entries.map((name) => name.split('/')[0]));
    expect([...top].sort()).toEqual([
      'dist',
      'host.json',
      'node_modules',
      'package-lock.json',
      'package.json',
    ]);
    const compiled = new Set(
      entries.filter((name) => name.startsWith('dist/')).map((name) => name.split('/')[1]),
    );
    expect([...compiled]).toEqual(['src']);
    expect(entries).toContain('dist/src/functions/health.js');
    const size = readFileSync(zipFile).byteLength;
    expect(printed).toMatch(/: \d+ files, \d+\.\d MiB\n$/);
    console.log(`function-app.zip: ${(size / 1024 / 1024).toFixed(1)} MiB, ${entries.length} files`);
    expect(size).toBeLessThan(12 * 1024 * 1024);
  });

  it('leaves out source maps and type declarations', () => {
    expect(entries.filter((name) => /\.(map|d\.[mc]?ts)$/.test(name))).toEqual([]);
    expect(entries).toContain('node_modules/@azure/functions/package.json');
  });

  it('holds every production dependency and no dev dependency', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const packed = packagesIn(entries);
    for (const name of Object.keys(manifest.dependencies)) expect(packed.has(name), name).toBe(true);
    for (const name of Object.keys(manifest.devDependencies)) expect(packed.has(name), name).toBe(false);
    expect(entries.some((name) => name.startsWith('node_modules/.bin/'))).toBe(false);
  });

  it('imports every function file that main names, unpacked, with plain node and only the packaged dependencies', async () => {
    const report = await loadStagedFunctions(unpacked);
    expect(report.failed).toEqual([]);
    const functionFiles = entries.filter((name) => /^dist\/src\/functions\/[^/]+\.js$/.test(name));
    expect(functionFiles.length).toBeGreaterThan(20);
    expect(report.files).toBe(functionFiles.length);
    expect(report.functions.length).toBeGreaterThanOrEqual(functionFiles.length);
    expect(report.functions).toContain('onboarding-sign-in-callback');
  }, 60_000);

  it('is the same zip, byte for byte, when made again from the same build', async () => {
    const again = join(scratch, 'again.zip');
    await makePackage(again);
    expect(readFileSync(again).equals(readFileSync(zipFile))).toBe(true);
  }, 180_000);
});
