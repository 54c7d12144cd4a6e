import type { Cookie } from '@azure/functions';
import type { GraphClient } from '../../graph/graph-client.js';
import { CredentialProblem } from '../../identity/credential-problem.js';
import type { TenantView } from '../../tenants/tenant-record.js';
import { directoryRoles } from '../../validation/directory-roles.js';
import { checkSigningAdmin } from '../../validation/signing-admin.js';
import type { ValidationReport } from '../../validation/validate-registration.js';
import type { InvitationAccess, OpenInvitation } from '../invitation-access.js';
import { OnboardingRefused } from '../onboarding-errors.js';
import type { OnboardingRecord } from '../onboarding-record.js';
import type { SignInCookie, SignInStateRecord, SignInStates } from '../sign-in-state.js';
import type { TenantAdmission } from '../tenant-admission.js';
import type { AppRegistration } from './app-registration.js';
import type { ProvisioningSignIn, SignedInAdmin } from './provisioning-sign-in.js';
import { signedInAdminRoles } from './signed-in-admin-roles.js';

/** A sign-in that came back to the connector, its state accepted and used up. */
export interface ReturnedSignIn {
  record: SignInStateRecord;
  cookie: SignInCookie;
  code: string;
  ip?: string;
}

export interface AutomaticResult {
  tenant: TenantView;
  report: ValidationReport;
  clientId: string;
  /** When the admin could not grant permissions and roles: the admin-consent link for the new app, and its cookie. */
  consent?: { url: string; cookie: Cookie };
}

export interface AutomaticDeps {
  access: InvitationAccess;
  admission: TenantAdmission;
  record: OnboardingRecord;
  provisioning: ProvisioningSignIn;
  signInStates: SignInStates;
  registration: AppRegistration;
  graph: GraphClient;
}

/**
 * Automatic onboarding: the admin signs in with the provisioning app, and the connector registers the app in
 * their tenant. The steps run in one order that callers cannot change: the invitation and sign-in must match, the
 * tenant comes from the id_token, and the tenant must be admitted (the expected one, not connected yet) and the
 * admin able to create apps before anything is created. Every refusal is audited and creates nothing.
 */
export class AutomaticOnboarding {
  constructor(private readonly deps: AutomaticDeps) {}

  /** Where to send the admin to sign in, and the cookie that binds the round trip to this browser. */
  async begin(token: string): Promise<{ location: string; cookie: Cookie }> {
    const { provisioning, signInStates } = this.deps;
    const invitation = await this.deps.access.open(token);
    if (invitation.record.method === 'manual')
      throw new OnboardingRefused(
        'automatic_not_offered',
        'Your service provider asked you to register the app yourself: use the form on the invitation page.',
      );
    if (!provisioning.configured)
      throw new OnboardingRefused(
        'automatic_not_configured',
        'The service provider has not set up automatic registration. Use the manual path on the invitation page.',
      );
    const { verifier, challenge } = await provisioning.pkce();
    const { state, cookie } = await signInStates.begin({
      purpose: 'sign_in',
      invitationId: invitation.id,
      verifier,
      token,
    });
    const location = await provisioning.authorizeUrl({
      state,
      challenge,
      tenantHint: invitation.record.expectedTenant,
    });
    return { location, cookie };
  }

  /** Completes a returned sign-in: the registration, its validation, the tenant registered. */
  async complete(signIn: ReturnedSignIn): Promise<AutomaticResult> {
    const invitation = await this.deps.access.open(signIn.cookie.token);
    let tenantId: string | undefined;
    try {
      if (invitation.id !== signIn.record.invitationId)
        throw new OnboardingRefused('other_invitation', 'This sign-in belongs to another invitation.');
      const admin = await this.deps.provisioning.redeem(signIn.code, signIn.cookie.verifier);
      tenantId = admin.tenantId;
      await this.deps.admission.admit(invitation, admin.tenantId);
      return await this.register(invitation, admin, signIn);
    } catch (error) {
      if (error instanceof OnboardingRefused || error instanceof CredentialProblem)
        await this.deps.record.refused(invitation, { method: 'automatic', error, tenantId, ip: signIn.ip });
      throw error;
    }
  }

  private async register(
    invitation: OpenInvitation,
    admin: SignedInAdmin,
    signIn: ReturnedSignIn,
  ): Promise<AutomaticResult> {
    const abilities = checkSigningAdmin(await signedInAdminRoles(this.deps.graph, admin));
    if (!abilities.canCreateRegistration) {
      throw new OnboardingRefused(
        'admin_lacks_application_administrator',
        `Automatic registration needs ${directoryRoles.applicationAdministrator.name} (or Cloud Application Administrator, or Global Administrator). Nothing was created. If the role is eligible for you in Privileged Identity Management, activate it and sign in again; otherwise ask an admin who holds it to sign in, or register the app yourself.`,
      );
    }
    const outcome = await this.deps.registration.register(invitation, admin, abilities);
    const report = this.deps.record.validate(invitation, outcome.facts);
    const tenant = await this.deps.record.finish(invitation, {
      tenantId: admin.tenantId,
      clientId: outcome.clientId,
      servicePrincipalId: outcome.facts.servicePrincipalId,
      method: 'automatic',
      report,
      ip: signIn.ip,
    });
    const consent =
      report.verdict !== 'ready' && !abilities.canGrantAndAssign
        ? await this.consentRoundTrip(invitation, admin.tenantId, outcome.clientId, signIn.cookie.token)
        : undefined;
    return { tenant, report, clientId: outcome.clientId, ...(consent ? { consent } : {}) };
  }

  /** The admin-consent link for the new app, under its own state (the redirect's tenant is never trusted). */
  private async consentRoundTrip(
    invitation: OpenInvitation,
    tenantId: string,
    clientId: string,
    token: string,
  ) {
    const { state, cookie } = await this.deps.signInStates.begin({
      purpose: 'consent',
      invitationId: invitation.id,
      tenantId,
      verifier: '-',
      token,
    });
    return { url: this.deps.provisioning.adminConsentUrl(tenantId, clientId, state), cookie };
  }
}
