import { lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { type Zippable, zipSync } from 'fflate';

/** Every entry gets this time, so the same staged app always makes the same zip, byte for byte. */
const fixedTime = new Date('2000-01-01T00:00:00Z');

/** npm's own links to executables: a Function App runs none of them, and a zip cannot hold a symlink portably. */
const skippedDirectories = new Set([join('node_modules', '.bin')]);

/** Source maps and type declarations: nothing a Function App runs, and about half of the bytes every cold start reads. */
export const leftOutOfPackage = /\.(map|d\.ts|d\.mts|d\.cts)$/;

/**
 * Zips a staged app (see stageDeployable) as a Function App's zip deployment takes it: the files at the zip's
 * root, regular files only (no source map or type declaration), in a fixed order with a fixed time. Returns the size in bytes.
 */
export function zipStagedApp(stagedApp: string, zipFile: string): { bytes: number; files: number } {
  const entries: Zippable = {};
  let files = 0;
  const visit = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const inApp = relative(stagedApp, path);
      const stat = lstatSync(path);
      if (stat.isDirectory()) {
        if (!skippedDirectories.has(inApp)) visit(path);
      } else if (stat.isFile() && !leftOutOfPackage.test(name)) {
        entries[inApp.split(sep).join('/')] = [readFileSync(path), { mtime: fixedTime }];
        files += 1;
      }
    }
  };
  visit(stagedApp);
  const zip = zipSync(entries, { level: 6 });
  writeFileSync(zipFile, zip);
  return { bytes: zip.byteLength, files };
}
