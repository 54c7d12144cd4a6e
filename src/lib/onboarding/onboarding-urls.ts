/**
 * The onboarding URL space, in one place: the function routes (below /api) and the links pages and redirects use
 * are both made from these templates. The Functions host takes the first route, in function-name order, whose
 * template matches, so no path of one route may fit another's template: Microsoft's redirects have a first
 * segment of their own rather than sitting beside `onboarding/{token}`.
 */
export const onboardingRoutes = {
  /** The invitation link: its landing page (and, once completed, the connection's report). */
  landing: 'onboarding/{token}',
  /** Starts the admin's Microsoft sign-in (automatic registration). */
  signIn: 'onboarding/{token}/sign-in',
  /** "Check again": validates the connection anew. */
  check: 'onboarding/{token}/check',
  /** The manual path's form post. */
  manual: 'onboarding/{token}/manual',
  /** Microsoft's redirect after the admin's sign-in (the provisioning app's redirect URI). */
  signInCallback: 'callback/sign-in',
  /** Microsoft's redirect after admin consent for the new app (the new app's redirect URI). */
  adminConsentCallback: 'callback/consent',
  /** A customer's admin gives a new service of an onboarded tenant its secret. */
  serviceSecret: 'service-secrets/{token}',
  /** A customer's admin sees which roles a new site needs, and checks again once they are assigned. */
  roleGuidance: 'role-guidance/{token}',
  /** A customer's admin sees what an offboarding removed and what is left to them. */
  offboarding: 'offboarding/{token}',
} as const;

type Route = (typeof onboardingRoutes)[keyof typeof onboardingRoutes];

/** The path (from the host's root) of a route, with the invitation token filled in where it takes one. */
export function onboardingPath(route: Route, token?: string): string {
  if (route.includes('{token}') && token === undefined) throw new RangeError(`${route} needs a token`);
  return `/api/${route.replace('{token}', encodeURIComponent(token ?? ''))}`;
}

/** The link a customer's admin receives to give a new service its secret. */
export const serviceSecretUrl = (publicBaseUrl: string, token: string) =>
  `${publicBaseUrl}${onboardingPath(onboardingRoutes.serviceSecret, token)}`;

/** The link a customer's admin receives to see the roles a site needs. */
export const roleGuidanceUrl = (publicBaseUrl: string, token: string) =>
  `${publicBaseUrl}${onboardingPath(onboardingRoutes.roleGuidance, token)}`;

/** The link a customer's admin receives to what an offboarding left to them. */
export const offboardingUrl = (publicBaseUrl: string, token: string) =>
  `${publicBaseUrl}${onboardingPath(onboardingRoutes.offboarding, token)}`;

/** The invitation link as the customer's admin receives it. */
export const invitationUrl = (publicBaseUrl: string, token: string) =>
  `${publicBaseUrl}${onboardingPath(onboardingRoutes.landing, token)}`;

/** The provisioning app's redirect URI: where Microsoft returns the signed-in admin. */
export const signInRedirectUri = (publicBaseUrl: string) =>
  `${publicBaseUrl}${onboardingPath(onboardingRoutes.signInCallback)}`;

/** The new app's redirect URI: where Microsoft returns after admin consent. */
export const adminConsentRedirectUri = (publicBaseUrl: string) =>
  `${publicBaseUrl}${onboardingPath(onboardingRoutes.adminConsentCallback)}`;
