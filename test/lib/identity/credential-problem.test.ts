import { describe, expect, it } from 'vitest';
import { CredentialProblem, toCredentialProblem } from '../../../src/lib/identity/credential-problem.js';
import { IdentityUnavailable } from '../../../src/lib/identity/identity-unavailable.js';

describe('toCredentialProblem', () => {
  it.each([
    [{ name: 'ServerError', status: 400, errorNo: 7000215 }, 'invalid_secret'],
    [{ name: 'ServerError', status: 400, errorNo: '7000222' }, 'secret_expired'],
    [
      {
        name: 'ServerError',
        status: 400,
        errorCode: 'unauthorized_client',
        errorMessage: 'AADSTS700016: Application with identifier ...',
      },
      'app_not_found',
    ],
    [{ name: 'ServerError', status: 400, errorCode: 'invalid_client' }, 'invalid_secret'],
    // The description is never read: a number only there is no number.
    [
      {
        name: 'ServerError',
        status: 400,
        errorMessage: 'AADSTS7000222: The provided client secret keys are expired.',
      },
      'sign_in_failed',
    ],
    [{ name: 'ServerError', status: 400, errorNo: 700011 }, 'app_not_found'],
    [{ name: 'ServerError', status: 400, errorNo: 90002 }, 'tenant_not_found'],
    [{ name: 'ClientAuthError', errorCode: 'endpoints_resolution_error' }, 'tenant_not_found'],
    [{ name: 'ServerError', status: 400, errorNo: 65001 }, 'consent_missing'],
    [{ name: 'ServerError', status: 400, errorNo: 90094 }, 'consent_missing'],
    [{ name: 'ServerError', status: 400, errorNo: 53003 }, 'blocked_by_conditional_access'],
    [{ name: 'ServerError', status: 400, errorNo: 12345 }, 'sign_in_failed'],
  ])('maps %j to %s', (error, code) => {
    const problem = toCredentialProblem(error);
    expect(problem).toBeInstanceOf(CredentialProblem);
    expect(problem.code).toBe(code);
  });

  it.each([
    ['a 503', { name: 'ServerError', status: 503, errorCode: '' }],
    ['a 429', { name: 'ServerError', status: 429, errorCode: 'invalid_client' }],
    ['temporarily_unavailable', { name: 'ServerError', status: 400, errorCode: 'temporarily_unavailable' }],
    [
      'MSAL replaying a recent 5xx from its throttling cache (no status)',
      { name: 'ServerError', errorCode: '' },
    ],
    ['a network failure', { name: 'ClientAuthError', errorCode: 'network_error' }],
  ])('takes %s for Entra not answering, not for anybody’s credentials', (_, error) => {
    expect(() => toCredentialProblem(error)).toThrow(IdentityUnavailable);
  });

  it('rethrows what is not an Entra failure', () => {
    const failure = new TypeError('fetch failed');
    expect(() => toCredentialProblem(failure)).toThrow(failure);
  });
});
