import { describe, expect, it } from 'vitest';
import { passwordOfSecret } from '../../../src/lib/credentials/password-of-secret.js';
import type { OwnApp } from '../../../src/lib/credentials/self-managed-app.js';
import type { TenantCredential } from '../../../src/lib/secrets/tenant-secret-store.js';

const password = (keyId: string, hint: string, displayName: string) => ({
  keyId,
  hint,
  displayName,
  endDateTime: '2027-06-01T00:00:00Z',
});
const app = (...passwords: ReturnType<typeof password>[]) =>
  ({ id: 'app', passwordCredentials: passwords }) as OwnApp;
const secret = (value: string, keyId?: string) =>
  ({
    tenantId: 't',
    serviceId: 'dr-london',
    clientId: 'c',
    secret: value,
    expiresOn: new Date('2027-06-01T00:00:00Z'),
    ...(keyId ? { keyId } : {}),
  }) as TenantCredential;

const named = 'Live Platform service dr-london';

describe('passwordOfSecret: which of the app’s passwords a stored secret is', () => {
  it('after a manual reconnect takes the admin’s new password by its hint, not the old one by its name', () => {
    const found = passwordOfSecret(
      secret('xyz~new-secret'),
      app(password('old', 'abc', named), password('new', 'xyz', 'added by the admin')),
      'dr-london',
    );
    expect(found?.keyId).toBe('new');
  });

  it('takes the recorded key id first, but never a password whose hint differs from the secret', () => {
    const both = app(password('old', 'abc', named), password('new', 'xyz', 'other'));
    expect(passwordOfSecret(secret('xyz~s', 'new'), both, 'dr-london')?.keyId).toBe('new');
    expect(passwordOfSecret(secret('xyz~s', 'old'), both, 'dr-london')?.keyId).toBe('new');
    expect(passwordOfSecret(secret('qqq~s'), both, 'dr-london')).toBeUndefined();
  });

  it('takes the name only among passwords whose hint fits, when the hint alone cannot tell', () => {
    const twins = app(password('a', 'xyz', named), password('b', 'xyz', 'other'));
    expect(passwordOfSecret(secret('xyz~s'), twins, 'dr-london')?.keyId).toBe('a');
  });
});
