import { describe, expect, it } from 'vitest';
import { CredentialProblem, toCredentialProblem } from '../../../src/lib/identity/credential-problem.js';

describe('toCredentialProblem', () => {
  it.each([
    [{ name: 'ServerError', errorNo: 7000215 }, 'invalid_secret'],
    [{ name: 'ServerError', errorNo: '7000222' }, 'secret_expired'],
    [
      {
        name: 'ServerError',
        errorCode: 'unauthorized_client',
        errorMessage: 'AADSTS700016: Application with identifier ...',
      },
      'app_not_found',
    ],
    [{ name: 'ServerError', errorCode: 'invalid_client' }, 'invalid_secret'],
    // The description is never read: a number only there is no number.
    [
      { name: 'ServerError', errorMessage: 'AADSTS7000222: The provided client secret keys are expired.' },
      'sign_in_failed',
    ],
    [{ name: 'ServerError', errorNo: 700011 }, 'app_not_found'],
    [{ name: 'ServerError', errorNo: 90002 }, 'tenant_not_found'],
    [{ name: 'ClientAuthError', errorCode: 'endpoints_resolution_error' }, 'tenant_not_found'],
    [{ name: 'ServerError', errorNo: 65001 }, 'consent_missing'],
    [{ name: 'ServerError', errorNo: 90094 }, 'consent_missing'],
    [{ name: 'ServerError', errorNo: 53003 }, 'blocked_by_conditional_access'],
    [{ name: 'ServerError', errorNo: 12345 }, 'sign_in_failed'],
  ])('maps %j to %s', (error, code) => {
    const problem = toCredentialProblem(error);
    expect(problem).toBeInstanceOf(CredentialProblem);
    expect(problem.code).toBe(code);
  });

  it('rethrows what is not an Entra failure', () => {
    const failure = new TypeError('fetch failed');
    expect(() => toCredentialProblem(failure)).toThrow(failure);
  });
});
