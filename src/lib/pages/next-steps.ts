import { registrationName } from '../onboarding/registration-names.js';
import type { ValidationReport } from '../validation/validate-registration.js';
import { html, type SafeHtml } from './html.js';

/** What an admin without Privileged Role Administrator must still do: consent, and the roles to assign. */
export function nextStepsMarkup(input: {
  consentUrl: string;
  clientId: string;
  report: ValidationReport;
}): SafeHtml {
  // The consent grants every permission the app asks for; a role is left to assign only where no permission
  // could stand in for it (the platform's Teams PowerShell).
  const missingRoles = [
    ...new Set(
      input.report.requirements.flatMap((requirement) =>
        requirement.missingPermissions.length === 0 ? requirement.missingRoles : [],
      ),
    ),
  ];
  const assignRoles = missingRoles.length
    ? html`<li>Assign ${missingRoles.join(' and ')} to the app <strong>${registrationName}</strong> (Microsoft Entra admin center → Roles and administrators).</li>`
    : '';
  return html`<section>
<h2>Next steps</h2>
<p>The app registration <strong>${registrationName}</strong> (<code>${input.clientId}</code>) exists, but you cannot grant its
permissions or assign its roles: that needs a Privileged Role Administrator or a Global Administrator. Ask one to:</p>
<ol>
<li><a href="${input.consentUrl}">Grant admin consent for the app</a> (this link signs them in and comes back here).</li>
${assignRoles}
<li>Then press <strong>Check again</strong> below.</li>
</ol>
</section>`;
}
