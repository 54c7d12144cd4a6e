import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/** A test CA and a loopback server certificate it signed. Never trusted outside local runs and tests. */
export interface TestCertificates {
  caCert: string;
  cert: string;
  key: string;
}

export async function createTestCertificates(): Promise<TestCertificates> {
  const notAfterDate = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'M365 Simulator Test CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { caCert: ca.cert, cert: server.cert, key: server.private };
}

/**
 * Reuses the certificates kept in `dir` (so a browser or NODE_EXTRA_CA_CERTS can keep trusting the same CA
 * between runs), or creates and keeps new ones. Returns them with the CA file's path.
 */
export async function loadOrCreateCertificates(
  dir: string,
): Promise<TestCertificates & { caCertPath: string }> {
  const paths = {
    caCert: join(dir, 'ca.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
  };
  if (!Object.values(paths).every((path) => existsSync(path))) {
    const created = await createTestCertificates();
    mkdirSync(dir, { recursive: true });
    writeFileSync(paths.caCert, created.caCert);
    writeFileSync(paths.cert, created.cert);
    writeFileSync(paths.key, created.key, { mode: 0o600 });
  }
  return {
    caCert: readFileSync(paths.caCert, 'utf8'),
    cert: readFileSync(paths.cert, 'utf8'),
    key: readFileSync(paths.key, 'utf8'),
    caCertPath: paths.caCert,
  };
}
