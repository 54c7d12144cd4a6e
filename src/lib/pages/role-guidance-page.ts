import type { HttpResponseInit } from '@azure/functions';
import type { MissingForSites } from '../sites/site-roles.js';
import type { RolePurpose } from '../storage/customer-links.js';
import { html } from './html.js';
import { page } from './page-layout.js';

export interface RoleGuidance {
  tenantId: string;
  clientId: string;
  customer: string;
  purpose: RolePurpose;
  missing: MissingForSites;
}

/** What the page says, for each thing the roles are for. */
const wording = {
  sites: {
    done: 'Everything a site needs is in place',
    doneText:
      'now holds what adding a site with its own sub-domain needs. Tell your service provider: they can add the site now. Once every site is active, these roles can be removed again; the connector’s validation report will say so.',
    title: 'Roles for a new site of',
    intro:
      'Your service provider is adding a site with its own sub-domain. The connector creates the sub-domain and a user with a Teams Phone licence on it, for which the app registration it uses in your tenant needs more than it holds.',
    rolesKept: 'They are needed only while a site is being set up.',
  },
  teams_powershell: {
    done: 'The Teams role is in place',
    doneText:
      'now holds what your service provider’s Teams PowerShell needs. Tell your service provider: they can manage your Teams telephony now.',
    title: 'A Teams role for the telephony management of',
    intro:
      'Your service provider manages your Teams telephony (voice routes, PSTN usages, voice routing policies, dial plans, numbers) with Microsoft’s Teams PowerShell, signed in as the app registration it uses in your tenant, with no user. Microsoft lets an app do that only while it holds a Teams role.',
    rolesKept: 'Keep them assigned: the platform uses them every day.',
  },
  write_back: {
    done: 'The write-back permissions are in place',
    doneText:
      'now holds what assigning numbers and Teams policies needs. Tell your service provider: they can assign numbers and policies now.',
    title: 'Permissions to assign numbers and Teams policies for',
    intro:
      'Your service provider assigns your Direct Routing numbers and Teams policies (voice routing, calling, dial plans) through the connector, with no user session. Microsoft Graph lets the app registration do that only with the permissions below.',
    rolesKept: 'Keep them assigned while your service provider manages numbers and policies.',
  },
} as const;

/**
 * The page a customer's admin opens when a new site, or the platform's Teams PowerShell, needs roles the app
 * registration lacks: what to assign, where, and a Check again button that reads the tenant afresh. Once nothing is
 * missing it says so.
 */
export function roleGuidancePage(guidance: RoleGuidance, action: string): HttpResponseInit {
  const { missing } = guidance;
  const words = wording[guidance.purpose];
  if (missing.roles.length === 0 && missing.permissions.length === 0)
    return page(
      200,
      words.done,
      html`<h1>${words.done}</h1>
<p>The app registration (client ID ${guidance.clientId}) ${words.doneText}</p>`,
    );
  const body = html`<h1>${words.title} ${guidance.customer}</h1>
<p>${words.intro}</p>
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
app registration above. ${words.rolesKept}</p>`
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
  return page(200, `${words.title} ${guidance.customer}`, body);
}
