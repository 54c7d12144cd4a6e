import { RestError } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { checkHealth, classifyProbeError } from '../../../src/lib/health/check-health.js';

describe('checkHealth', () => {
  it('is healthy only when every probe succeeds', async () => {
    const report = await checkHealth({ a: async () => 1, b: async () => 2 }, '1.2.3');
    expect(report).toMatchObject({ status: 'healthy', version: '1.2.3', checks: { a: { reachable: true } } });
    const failing = await checkHealth(
      { a: async () => 1, b: async () => Promise.reject(new Error('x')) },
      '1',
    );
    expect(failing.status).toBe('unhealthy');
    expect(failing.checks.b).toMatchObject({ reachable: false, problem: 'error' });
  });

  it('gives up on a probe that hangs, after the timeout', async () => {
    const report = await checkHealth({ slow: () => new Promise(() => undefined) }, '1', 50);
    expect(report.checks.slow).toMatchObject({ reachable: false, problem: 'timeout' });
  });

  it('says that a refusal may be a role assignment still applying, and nothing for other problems', async () => {
    const report = await checkHealth(
      {
        vault: async () => Promise.reject(new RestError('no', { statusCode: 403 })),
        other: async () => Promise.reject(new Error('x')),
      },
      '1',
    );
    expect(report.checks.vault?.hint).toContain('Role assignments take a few minutes');
    expect(report.checks.other?.hint).toBeUndefined();
  });

  it.each([
    [new RestError('no', { statusCode: 401 }), 'unauthorized'],
    [new RestError('no', { statusCode: 403 }), 'forbidden'],
    [new RestError('down', { code: 'ECONNREFUSED' }), 'unreachable'],
    [Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), 'unreachable'],
    [Object.assign(new Error('bad'), { name: 'AuthenticationError' }), 'credential_failed'],
    [Object.assign(new Error('none'), { name: 'CredentialUnavailableError' }), 'credential_failed'],
    [new Error('something else'), 'error'],
  ])('classifies %s as %s', (error, problem) => {
    expect(classifyProbeError(error)).toBe(problem);
  });
});
