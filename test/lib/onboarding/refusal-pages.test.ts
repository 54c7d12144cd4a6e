import { describe, expect, it } from 'vitest';
import { refusalPage } from '../../../src/lib/onboarding/browser/refusal-pages.js';

describe('the browser edge’s refusal table', () => {
  it.each([
    ['state_other_browser', 400, 'Please start again'],
    ['invitation_unknown', 404, 'This invitation cannot be used'],
    ['invitation_expired', 410, 'This invitation cannot be used'],
    ['tenant_already_connected', 409, 'The app was not registered'],
    ['admin_lacks_application_administrator', 403, 'The app was not registered'],
    ['invalid_secret', 400, 'Sign-in failed'],
    ['return_too_long', 414, 'Please start again'],
  ])('shows %s as %i “%s”', (code, status, title) => {
    expect(refusalPage(code)).toMatchObject({ status, title });
  });

  it('names the manual form’s field a refusal concerns', () => {
    expect(refusalPage('app_not_found')?.field).toBe('clientId');
    expect(refusalPage('unexpected_tenant')?.field).toBe('tenantId');
    expect(refusalPage('consent_missing')?.field).toBeUndefined();
  });

  it('has no page for a failure of ours', () => {
    expect(refusalPage('etag_mismatch')).toBeUndefined();
    expect(refusalPage(undefined)).toBeUndefined();
  });
});
