import type { HttpResponseInit } from '@azure/functions';
import type { OpenInvitation } from '../onboarding/invitation-access.js';
import { serviceSecretField } from '../onboarding/manual/manual-onboarding.js';
import { onboardingPath, onboardingRoutes } from '../onboarding/onboarding-urls.js';
import { registrationName } from '../onboarding/registration-names.js';
import { directoryRoles } from '../validation/directory-roles.js';
import { permissionsNeeded } from '../validation/required-permissions.js';
import { type RoleRule, rolesTable } from '../validation/roles-table.js';
import { html, type SafeHtml } from './html.js';
import { page } from './page-layout.js';

const stageText = {
  onboarding: 'Onboarding only',
  onboarding_and_day_two: 'Onboarding and every day after',
  onboarding_and_new_site: 'Onboarding, and again for a new site',
} as const;

type Field = 'tenantId' | 'clientId' | 'clientSecret';

export interface LandingInput {
  invitation: OpenInvitation;
  token: string;
  formToken: string;
  /** A refusal of the manual form to show, with the field it concerns. */
  error?: { message: string; field?: Field };
  values?: { tenantId?: string; clientId?: string };
  /** The cloud's Graph has the Teams telephony endpoints (their permissions are asked for only then). */
  teamsApis: boolean;
}

/** The roles table, filtered to the options of this invitation. */
function rolesFor(invitation: OpenInvitation): RoleRule[] {
  const automatic = invitation.record.method !== 'manual';
  return rolesTable.filter((rule) => {
    if (rule.holder === 'signing_admin') return automatic;
    if (rule.role === 'domainNameAdministrator' || rule.role === 'userAdministrator')
      return invitation.record.automaticDns;
    return true;
  });
}

function introSection(invitation: OpenInvitation): SafeHtml {
  if (invitation.reconnect)
    return html`<h1>Reconnect ${invitation.customer.name} to the Live Platform</h1>
<p>Your Microsoft 365 tenant's connection for Teams Direct Routing
(${invitation.services.map((service) => service.name).join(', ')}) needs new credentials: its client secret stopped
working or ends soon. Sign in again, or enter a new client secret of the app registration
${invitation.reconnect.clientId} (or the details of a new app registration) below. This link reconnects only the
tenant ${invitation.reconnect.tenantId}; the new secret is kept in Azure Key Vault, nowhere else.</p>`;
  return html`<h1>Connect ${invitation.customer.name} to the Live Platform</h1>
<p>Your service provider invites you to connect your Microsoft 365 tenant for Teams Direct Routing
(${invitation.services.map((service) => service.name).join(', ')}). The connection uses an app registration in your tenant,
so the daily work never depends on anyone's sign-in. Its secret is kept in Azure Key Vault, nowhere else.</p>`;
}

function rolesSection(invitation: OpenInvitation): SafeHtml {
  const rows = rolesFor(invitation).map(
    (rule) => html`<tr>
<td>${directoryRoles[rule.role].name}</td>
<td>${rule.holder === 'app' ? 'the app' : 'you, while signing in'}</td>
<td>${rule.purpose}</td>
<td>${stageText[rule.stage]}</td>
<td>${rule.rule}</td>
</tr>`,
  );
  return html`<h2>Roles</h2>
<table>
<thead><tr><th>Role</th><th>Held by</th><th>Why</th><th>When</th><th>Later</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p class="note">Teams Administrator, or Teams Telephony Administrator together with Skype for Business Administrator. Global Administrator would also work but is far more than needed.</p>`;
}

function permissionsSection(input: LandingInput): SafeHtml {
  const permissions = permissionsNeeded({
    automaticDns: input.invitation.record.automaticDns,
    dnsNeededNow: true,
    teamsApis: input.teamsApis,
    nearRealTime: input.invitation.record.nearRealTime ?? false,
    writeBack: input.invitation.record.writeBack ?? false,
  });
  return html`<h2>Microsoft Graph application permissions</h2>
<ul>
${permissions.map((permission) => html`<li>${permission}</li>`)}
</ul>`;
}

function automaticSection(input: LandingInput): SafeHtml {
  const count = input.invitation.services.length;
  return html`<section>
<h2>Automatic: sign in with Microsoft</h2>
<p>Sign in as an administrator of your Microsoft 365 tenant. The connector then creates the app registration
<strong>${registrationName}</strong> with ${count === 1 ? 'a client secret' : `a client secret for each of the ${count} services`},
its Enterprise app, and (if you are a Privileged Role Administrator or Global Administrator) grants its permissions and roles.</p>
<p>You need <strong>${directoryRoles.applicationAdministrator.name}</strong> (or Cloud Application Administrator, or Global Administrator).</p>
<p><a class="button" href="${onboardingPath(onboardingRoutes.signIn, input.token)}">Sign in with Microsoft</a></p>
</section>`;
}

function manualField(input: LandingInput, field: Field, label: string, type: 'text' | 'password'): SafeHtml {
  const problem =
    input.error?.field === field ? html`<span class="missing"> ${input.error.message}</span>` : '';
  // A secret is never sent back to the browser.
  const value =
    type === 'password' ? '' : html` value="${input.values?.[field as 'tenantId' | 'clientId'] ?? ''}"`;
  return html`<label for="${field}">${label}</label>
<input type="${type}" id="${field}" name="${field}" required${value}>${problem}`;
}

function secretLabel(input: LandingInput): string {
  const [first, ...others] = input.invitation.services;
  return others.length > 0 && first ? `Client secret value for ${first.name}` : 'Client secret value';
}

/** With several services, a secret for each further one (left empty, it shares the first's: not recommended). */
function serviceSecretFields(input: LandingInput): SafeHtml {
  const others = input.invitation.services.slice(1);
  if (others.length === 0) return html``;
  return html`<p class="note">Each service should have a client secret of its own, so one can be rotated or removed
without touching the others. Leave a field empty to use the first secret for that service too.</p>
${others.map((service) => {
  const field = serviceSecretField(service.id);
  return html`<label for="${field}">Client secret value for ${service.name}</label>
<input type="password" id="${field}" name="${field}">`;
})}`;
}

function manualSection(input: LandingInput): SafeHtml {
  const formError =
    input.error && !input.error.field ? html`<p class="error" role="alert">${input.error.message}</p>` : '';
  return html`<section>
<h2>Manual: I registered the app myself</h2>
<p>Register an app (single tenant) in your tenant, give it the roles and permissions below, grant admin consent, add a client secret, and enter:</p>
<p class="note">So the connector can renew the app's secrets before they end, make the app an owner of itself:
Application.ReadWrite.OwnedBy changes only the apps it owns. With Microsoft Graph PowerShell:
<code>New-MgApplicationOwnerByRef -ApplicationId &lt;the app's object ID&gt; -OdataId
https://graph.microsoft.com/v1.0/directoryObjects/&lt;its enterprise application's object ID&gt;</code>. Without it,
you renew the secrets yourself; the check below says which applies.</p>
${formError}
<form method="post" action="${onboardingPath(onboardingRoutes.manual, input.token)}" autocomplete="off">
<input type="hidden" name="form" value="${input.formToken}">
${manualField(input, 'tenantId', 'Directory (tenant) ID', 'text')}
${manualField(input, 'clientId', 'Application (client) ID', 'text')}
${manualField(input, 'clientSecret', secretLabel(input), 'password')}
${serviceSecretFields(input)}
<p><button type="submit">Check and connect</button></p>
</form>
</section>`;
}

/** What the customer admin sees on opening the invitation: what will be made, what it needs, and the two paths. */
export function landingPage(input: LandingInput, status = 200): HttpResponseInit {
  const { invitation } = input;
  const method = invitation.record.method;
  const body = html`${introSection(invitation)}
${rolesSection(invitation)}
${permissionsSection(input)}
<div class="paths">
${method !== 'manual' ? automaticSection(input) : ''}
${method !== 'automatic' ? manualSection(input) : ''}
</div>
<p class="note">This invitation is valid until ${invitation.record.expiresAt.replace('T', ' ').slice(0, 16)} UTC.</p>`;
  return page(status, `Connect ${invitation.customer.name}`, body);
}
