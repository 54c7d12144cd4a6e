import { describe, expect, it } from 'vitest';
import { CoreRequestRefused } from '../../../src/lib/core-api/core-request-refused.js';
import { problemFor } from '../../../src/lib/core-api/problem-table.js';
import { CredentialProblem } from '../../../src/lib/identity/credential-problem.js';
import { TenantNotFound } from '../../../src/lib/tenants/tenant-errors.js';

describe('the API edge’s problem table', () => {
  it('turns a domain error into its problem document', () => {
    expect(problemFor(new TenantNotFound('t-1'))).toEqual({
      type: 'urn:m365-connector:problem:tenant_not_found',
      title: 'No such tenant.',
      status: 404,
      detail: 'The connector has no tenant t-1.',
    });
  });

  it('names each offending field of a refused request', () => {
    const fields = [{ pointer: '/body/services', detail: 'required' }];
    expect(problemFor(new CoreRequestRefused('invalid_request', 'Check body.', fields))).toMatchObject({
      status: 400,
      errors: fields,
    });
  });

  it('answers a bare 500 for anything else, saying nothing of it', () => {
    for (const error of [new Error('secret=abc'), new CredentialProblem('invalid_secret'), 'thrown']) {
      expect(problemFor(error)).toEqual({
        type: 'urn:m365-connector:problem:internal',
        title: 'The connector failed to handle the request.',
        status: 500,
      });
    }
  });
});
