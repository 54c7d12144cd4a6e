import type { HttpResponseInit } from '@azure/functions';
import type { ServiceView } from '../services/service-schema.js';
import type { ServiceLinkView } from '../services/tenant-services.js';
import { html } from './html.js';
import { page } from './page-layout.js';

/**
 * The page a customer's admin opens to give a new service its client secret: what it is for, where to make the
 * secret, one field. Tenant and app are known, so only the secret is asked for; it is never shown back.
 */
export function serviceSecretPage(
  input: { link: ServiceLinkView; action: string; formToken: string; error?: string },
  status = 200,
): HttpResponseInit {
  const { link } = input;
  const body = html`<h1>A new service for ${link.customer}</h1>
<p>Your service provider is adding the Direct Routing service <strong>${link.serviceName}</strong> (${link.serviceId}).
It needs a client secret of its own on the app registration the connector uses in your tenant.</p>
<table><tbody>
<tr><th>Tenant</th><td>${link.tenantId}</td></tr>
<tr><th>App registration (client ID)</th><td>${link.clientId}</td></tr>
<tr><th>This link works until</th><td>${link.expiresAt.replace('T', ' ').slice(0, 16)} UTC</td></tr>
</tbody></table>
<ol>
<li>In the Microsoft Entra admin center, open <em>App registrations</em>, the app with the client ID above, then
<em>Certificates &amp; secrets</em>.</li>
<li>Choose <em>New client secret</em> and copy its <strong>Value</strong> (not its Secret ID).</li>
<li>Paste it here. The connector checks it with Microsoft before it keeps it, and keeps it only in Azure Key Vault.</li>
</ol>
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
<form method="post" action="${input.action}">
<input type="hidden" name="form" value="${input.formToken}">
<label for="clientSecret">Client secret value</label>
<input type="password" id="clientSecret" name="clientSecret" autocomplete="off" required>
<p><button type="submit">Add the secret</button></p>
</form>`;
  return page(status, `A new service for ${link.customer}`, body);
}

export function serviceSecretDonePage(view: ServiceView): HttpResponseInit {
  return page(
    200,
    'The service is connected',
    html`<h1>The service is connected</h1>
<p>The secret for <strong>${view.service.name}</strong> (${view.service.id}) works and is kept in Azure Key Vault.
Your service provider has been told. You can close this page.</p>`,
  );
}
