import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { coreOperations } from '../src/lib/core-api/core-endpoint.js';
import { openApiDocument } from '../src/lib/core-api/openapi-document.js';
import { projectRoot } from '../src/lib/project-root.js';
import { functionModules } from './function-modules.js';

/** `npm run openapi`: writes docs/openapi.json from the registered core-facing functions. */
const root = projectRoot(import.meta.url);
const warn = console.warn;
console.warn = () => undefined; // @azure/functions' "test mode" notices
for (const file of functionModules(root)) await import(pathToFileURL(file).href);
console.warn = warn;
mkdirSync(join(root, 'docs'), { recursive: true });
writeFileSync(
  join(root, 'docs', 'openapi.json'),
  `${JSON.stringify(openApiDocument(coreOperations()), null, 2)}\n`,
);
console.log(`docs/openapi.json: ${coreOperations().length} operations`);
