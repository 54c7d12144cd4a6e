import type { HttpResponseInit } from '@azure/functions';
import type { MissingForSites } from '../sites/site-roles.js';
import { html } from './html.js';
import { page } from './page-layout.js';

export interface RoleGuidance {
  tenantId: string;
  clientId: string;
  customer: string;
  missing: MissingForSites;
}

/**
 * The page a customer's admin opens when a new site needs roles the app registration lacks: what to assign, where,
 * and a Check again button that reads the tenant afresh. Once nothing is missing it says so.
 */
export function roleGuidancePage(guidance: RoleGuidance, action: string): HttpResponseInit {
  const { missing } = guidance;
  if (missing.roles.length === 0 && missing.permissions.length === 0)
    return page(
      200,
      'Everything a site needs is in place',
      html`<h1>Everything a site needs is in place</h1>
<p>The app registration (client ID ${guidance.clientId}) now holds what adding a site with its own sub-domain needs.
Tell your service provider: they can add the site now. Once every site is active, these roles can be removed again;
the connector’s validation report will say so.</p>`,
    );
  const body = html`<h1>Roles for a new site of ${guidance.customer}</h1>
<p>Your service provider is adding a site with its own sub-domain. The connector creates the sub-domain and a user
with a Teams Phone licence on it, for which the app registration it uses in your tenant needs more than it holds.</p>
<table><tbody>
<tr><th>Tenant</th><td>${guidance.tenantId}</td></tr>
<tr><th>App registration (client ID)</th><td>${guidance.clientId}</td></tr>
</tbody></table>
${
  missing.roles.length && missing.permissions.length
    ? html`<p><strong>Either way works</strong>: assign the directory roles, or grant the Graph permissions below
(Microsoft accepts either for each step). The roles can be removed again once the site is active; the permissions
stay with the app.</p>`
    : ''
}
${
  missing.roles.length
    ? html`<h2>${missing.permissions.length ? 'Either assign' : 'Assign'} these directory roles to the app</h2>
<ul>${missing.roles.map((role) => html`<li>${role}</li>`)}</ul>
<p>In the Microsoft Entra admin center: <em>Roles &amp; admins</em>, the role, <em>Add assignments</em>, then the
app registration above. They are needed only while a site is being set up.</p>`
    : ''
}
${
  missing.permissions.length
    ? html`<h2>${missing.roles.length ? 'Or grant' : 'Grant'} these Microsoft Graph application permissions</h2>
<ul>${missing.permissions.map((permission) => html`<li>${permission}</li>`)}</ul>
<p>In <em>App registrations</em>, the app above, <em>API permissions</em>: add each as an application permission of
Microsoft Graph, then <em>Grant admin consent</em>.</p>`
    : ''
}
<form method="get" action="${action}"><p><button type="submit">Check again</button></p></form>`;
  return page(200, `Roles for a new site of ${guidance.customer}`, body);
}
