import type { HttpResponseInit } from '@azure/functions';
import type { OpenInvitation } from '../onboarding/onboarding-service.js';
import { directoryRoles } from '../validation/directory-roles.js';
import { permissionsNeeded } from '../validation/required-permissions.js';
import { rolesTable } from '../validation/roles-table.js';
import { html } from './html.js';
import { page } from './page-layout.js';

const stageText = {
  onboarding: 'Onboarding only',
  onboarding_and_day_two: 'Onboarding and every day after',
  onboarding_and_new_site: 'Onboarding, and again for a new site',
} as const;

export interface LandingInput {
  invitation: OpenInvitation;
  token: string;
  formToken: string;
  /** A refusal of the manual form to show, with the field it concerns. */
  error?: { message: string; field?: string };
  values?: { tenantId?: string; clientId?: string };
}

/** The roles table, filtered to the options of this invitation. */
function rolesFor(invitation: OpenInvitation) {
  const automatic = invitation.record.method !== 'manual';
  return rolesTable.filter((rule) => {
    if (rule.holder === 'signing_admin') return automatic;
    if (rule.role === 'domainNameAdministrator' || rule.role === 'userAdministrator')
      return invitation.record.automaticDns;
    return true;
  });
}

/** What the customer admin sees on opening the invitation: what will be made, what it needs, and the two paths. */
export function landingPage(input: LandingInput, status = 200): HttpResponseInit {
  const { invitation, token } = input;
  const method = invitation.record.method;
  const base = `/api/onboarding/${encodeURIComponent(token)}`;
  const automatic = html`<section><h2>Automatic: sign in with Microsoft</h2>
<p>Sign in as an administrator of your Microsoft 365 tenant. The connector then creates the app registration
<strong>Live Platform Connector</strong> with ${invitation.services.length === 1 ? 'a client secret' : `a client secret for each of the ${invitation.services.length} services`},
its Enterprise app, and (if you are a Privileged Role Administrator or Global Administrator) grants its permissions and roles.</p>
<p>You need <strong>${directoryRoles.applicationAdministrator.name}</strong> (or Cloud Application Administrator, or Global Administrator).</p>
<p><a class="button" href="${base}/sign-in">Sign in with Microsoft</a></p></section>`;
  const fieldError = (field: string) =>
    input.error?.field === field ? html`<span class="missing"> ${input.error.message}</span>` : '';
  const manual = html`<section><h2>Manual: I registered the app myself</h2>
<p>Register an app (single tenant) in your tenant, give it the roles and permissions below, grant admin consent, add a client secret, and enter:</p>
${input.error && !input.error.field ? html`<p class="error" role="alert">${input.error.message}</p>` : ''}
<form method="post" action="${base}/manual" autocomplete="off">
<input type="hidden" name="form" value="${input.formToken}">
<label for="tenantId">Directory (tenant) ID</label><input type="text" id="tenantId" name="tenantId" required value="${input.values?.tenantId ?? ''}">${fieldError('tenantId')}
<label for="clientId">Application (client) ID</label><input type="text" id="clientId" name="clientId" required value="${input.values?.clientId ?? ''}">${fieldError('clientId')}
<label for="clientSecret">Client secret value</label><input type="password" id="clientSecret" name="clientSecret" required>${fieldError('clientSecret')}
<p><button type="submit">Check and connect</button></p></form></section>`;
  const roles = rolesFor(invitation);
  const body = html`<h1>Connect ${invitation.customer.name} to the Live Platform</h1>
<p>Your service provider invites you to connect your Microsoft 365 tenant for Teams Direct Routing
(${invitation.services.map((service) => service.name).join(', ')}). The connection uses an app registration in your tenant,
so the daily work never depends on anyone's sign-in. Its secret is kept in Azure Key Vault, nowhere else.</p>
<h2>Roles</h2>
<table><thead><tr><th>Role</th><th>Held by</th><th>Why</th><th>When</th><th>Later</th></tr></thead><tbody>
${roles.map((rule) => html`<tr><td>${directoryRoles[rule.role].name}</td><td>${rule.holder === 'app' ? 'the app' : 'you, while signing in'}</td><td>${rule.purpose}</td><td>${stageText[rule.stage]}</td><td>${rule.rule}</td></tr>`)}
</tbody></table>
<p class="note">Teams Administrator, or Teams Telephony Administrator together with Skype for Business Administrator. Global Administrator would also work but is far more than needed.</p>
<h2>Microsoft Graph application permissions</h2>
<ul>${permissionsNeeded({ automaticDns: invitation.record.automaticDns, dnsNeededNow: true }).map((permission) => html`<li>${permission}</li>`)}</ul>
<div class="paths">${method !== 'manual' ? automatic : ''}${method !== 'automatic' ? manual : ''}</div>
<p class="note">This invitation is valid until ${invitation.record.expiresAt.replace('T', ' ').slice(0, 16)} UTC.</p>`;
  return page(status, `Connect ${invitation.customer.name}`, body);
}
