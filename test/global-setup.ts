import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startAzurite } from '../local/azurite.js';
import { createTestCertificates, type TestCertificates } from '../sim/certificates.js';

declare module 'vitest' {
  export interface ProvidedContext {
    storageConnectionString: string;
    certificates: TestCertificates;
  }
}

/**
 * Starts what the integration tests talk to, once for the whole run: Azurite on free ports, and a test CA that
 * every test process trusts (NODE_EXTRA_CA_CERTS reaches the forked workers) so each test file can run its own
 * simulator over real HTTPS.
 */
export default async function setup(project: TestProject) {
  const certificates = await createTestCertificates();
  const dir = mkdtempSync(join(tmpdir(), 'connector-test-ca-'));
  const caPath = join(dir, 'ca.pem');
  writeFileSync(caPath, certificates.caCert);
  process.env.NODE_EXTRA_CA_CERTS = caPath;

  const azurite = await startAzurite();
  project.provide('storageConnectionString', azurite.connectionString);
  project.provide('certificates', certificates);
  return async () => {
    await azurite.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
