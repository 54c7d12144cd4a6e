import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageName = 'm365-tenant-connector';

/**
 * The folder holding the connector's package.json, found by walking up from a module's URL, so a path works the
 * same from source (tests) and from compiled output (dist/).
 */
export function projectRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (
      existsSync(candidate) &&
      (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === packageName
    ) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No ${packageName} package.json above ${moduleUrl}.`);
    dir = parent;
  }
}
