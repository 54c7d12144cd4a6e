import { describe, expect, it } from 'vitest';
import {
  adminConsentRedirectUri,
  invitationUrl,
  onboardingPath,
  onboardingRoutes,
  signInRedirectUri,
} from '../../../src/lib/onboarding/onboarding-urls.js';

describe('the onboarding URL space', () => {
  it('makes links from the same templates the functions are routed by', () => {
    expect(onboardingPath(onboardingRoutes.check, 'abc')).toBe('/api/onboarding/abc/check');
    expect(onboardingPath(onboardingRoutes.landing, 'a/b')).toBe('/api/onboarding/a%2Fb');
    expect(invitationUrl('https://connector.example', 't0k')).toBe(
      'https://connector.example/api/onboarding/t0k',
    );
  });

  it('gives the redirect URIs registered with Microsoft', () => {
    expect(signInRedirectUri('https://c.example')).toBe('https://c.example/api/callback/sign-in');
    expect(adminConsentRedirectUri('https://c.example')).toBe('https://c.example/api/callback/consent');
  });

  it('refuses a route that needs a token without one', () => {
    expect(() => onboardingPath(onboardingRoutes.manual)).toThrow(RangeError);
  });
});
