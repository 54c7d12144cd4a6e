import type { HttpResponseInit } from '@azure/functions';
import type { OffboardingPage } from '../offboarding/offboarding-progress.js';
import { html } from './html.js';
import { page } from './page-layout.js';

/**
 * The page a customer's admin opens after their service provider offboarded the tenant: what the connector removed,
 * what is left for the admin to remove, and how long Key Vault keeps the deleted secrets.
 */
export function offboardingPage(input: OffboardingPage): HttpResponseInit {
  const { offboarding } = input;
  const title = `${input.customer} is disconnected from the Live Platform`;
  if (offboarding.state !== 'done')
    return page(
      200,
      title,
      html`<h1>${input.customer} is being disconnected</h1>
<p>The connector is removing what it made in your tenant (${input.tenantId}). Open this page again in a few minutes
to see what is left for you to remove.</p>`,
    );
  return page(
    200,
    title,
    html`<h1>${title}</h1>
<p>Your service provider offboarded your tenant (${input.tenantId}). The connector keeps none of its credentials or
data; deleted secrets stay recoverable in your provider’s Key Vault for ${String(offboarding.vaultRetentionDays)} days,
then are gone.</p>
${
  offboarding.removed.length
    ? html`<h2>Removed by the connector</h2>
<ul>${offboarding.removed.map((item) => html`<li>${item}</li>`)}</ul>`
    : ''
}
<h2>Left for you to remove</h2>
<ul>${offboarding.leftToCustomer.map((item) => html`<li>${item}</li>`)}</ul>
<p>The app registration’s client ID is ${input.clientId}: in the Microsoft Entra admin center, <em>Roles &amp;
admins</em> shows its role assignments, <em>App registrations</em> the app itself.</p>`,
  );
}
