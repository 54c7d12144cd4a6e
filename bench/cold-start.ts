import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { loadStagedFunctions, stageDeployable } from '../local/deployable.js';
import { zipStagedApp } from '../local/function-app-package.js';
import { projectRoot } from '../src/lib/project-root.js';

/**
 * `npm run bench:cold-start`: what a Function App instance pays on a cold start before its first invocation, as the
 * worker does it: reading the deployed files and importing every file `package.json` `main` names. Staged with
 * production dependencies only, then measured twice: as staged (with source maps and type files, as the zip used
 * to carry them) and as the zip deploys it now (without). Each figure is the median of BENCH_COLD_RUNS (7) fresh
 * `node` processes, printed with its ratio to the floor measured in the same run: a `node` process that imports
 * nothing. Prints JSON lines, then a table.
 */
const run = promisify(execFile);
const runs = Number(process.env.BENCH_COLD_RUNS ?? 7);
const root = projectRoot(import.meta.url);

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function medianOf(work: () => Promise<unknown>): Promise<number> {
  const figures: number[] = [];
  for (let index = 0; index < runs; index += 1) figures.push(await timed(work));
  return median(figures);
}

function extract(zipFile: string, target: string): void {
  for (const [name, bytes] of Object.entries(unzipSync(readFileSync(zipFile)))) {
    const path = join(target, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }
}

const work = mkdtempSync(join(tmpdir(), 'cold-start-'));
try {
  const staged = join(work, 'staged');
  const deployed = join(work, 'deployed');
  await stageDeployable(root, staged);
  const zip = zipStagedApp(staged, join(work, 'app.zip'));
  extract(join(work, 'app.zip'), deployed);
  const report = await loadStagedFunctions(deployed);
  if (report.failed.length)
    throw new Error(`function files failed to load: ${JSON.stringify(report.failed)}`);

  const floor = await medianOf(() => run(process.execPath, ['-e', '']));
  const withMaps = await medianOf(() => loadStagedFunctions(staged));
  const asDeployed = await medianOf(() => loadStagedFunctions(deployed));
  const { stdout } = await run('du', ['-sb', staged, deployed]);
  const [stagedBytes, deployedBytes] = stdout
    .trim()
    .split('\n')
    .map((line) => Number(line.split('\t')[0]));
  const lines = [
    { figure: 'node process, nothing imported (floor)', ms: floor },
    { figure: 'every function file, staged with maps and type files', ms: withMaps, bytes: stagedBytes },
    {
      figure: 'every function file, as the zip deploys it',
      ms: asDeployed,
      bytes: deployedBytes,
      zipBytes: zip.bytes,
    },
  ];
  for (const line of lines)
    console.log(JSON.stringify({ ...line, ratioToFloor: Number((line.ms / floor).toFixed(2)) }));
  console.log(
    `\n${report.functions.length} functions in ${report.files} files; median of ${runs} fresh processes\n`,
  );
  for (const line of lines)
    console.log(
      `${line.figure.padEnd(56)} ${line.ms.toFixed(0).padStart(6)} ms  ${(line.ms / floor).toFixed(2).padStart(5)}x floor${line.bytes ? `  ${(line.bytes / 1024 / 1024).toFixed(1)} MiB on disk` : ''}`,
    );
} finally {
  rmSync(work, { recursive: true, force: true });
}
