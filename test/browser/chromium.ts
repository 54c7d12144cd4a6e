import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

/** Debian's Chromium is installed by .ci/run; elsewhere a browser test says it cannot run rather than pass. */
export const chromiumAvailable = existsSync(chromiumPath);

/** Browser tests run where Chromium is; under CI its absence is a failure, not a skip. */
export const runBrowserTests = chromiumAvailable || process.env.CI === 'true';

/** Fails under CI when Chromium is missing; true when the browser tests can run here. */
export function requireChromium(): boolean {
  if (!chromiumAvailable && process.env.CI === 'true') {
    throw new Error(`Chromium is required under CI and missing at ${chromiumPath}.`);
  }
  return chromiumAvailable;
}

/**
 * Headless Chromium that trusts exactly one server certificate (by its public key), as a browser that trusts the
 * simulator's CA would; no certificate errors are ignored wholesale.
 */
export function launchChromium(trustedCertificatePem: string): Promise<Browser> {
  const spki = new X509Certificate(trustedCertificatePem).publicKey.export({ type: 'spki', format: 'der' });
  const pin = createHash('sha256').update(spki).digest('base64');
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--ignore-certificate-errors-spki-list=${pin}`,
    ],
  });
}
