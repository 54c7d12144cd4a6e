import type { HttpResponseInit } from '@azure/functions';
import type { TenantView } from '../tenants/tenant-record.js';
import type { ValidationReport } from '../validation/validate-registration.js';
import { html, type SafeHtml } from './html.js';
import { page } from './page-layout.js';

const verdictText = {
  ready: 'Ready: the connection works and holds what it needs.',
  action_required: 'Action required: the connection works, but something is missing.',
  blocked: 'Blocked: the daily work cannot run until the missing roles or permissions are given.',
} as const;

/** The validation report for people: verdict, what to do, every role and permission, warnings. */
export function reportMarkup(report: ValidationReport): SafeHtml {
  const todo = report.requirements.filter((requirement) => !requirement.satisfied && requirement.action);
  return html`<p class="verdict ${report.verdict}">${verdictText[report.verdict]}</p>
${todo.length ? html`<h2>What to do</h2><ul>${todo.map((requirement) => html`<li><strong>${requirement.description}:</strong> ${requirement.action}</li>`)}</ul>` : ''}
<h2>Requirements</h2>
<table><thead><tr><th>Requirement</th><th>State</th></tr></thead><tbody>
${report.requirements.map((requirement) => html`<tr><td>${requirement.description}</td><td class="${requirement.satisfied ? 'ok' : 'missing'}">${requirement.satisfied ? `Satisfied${requirement.satisfiedBy ? ` by ${requirement.satisfiedBy}` : ''}` : `Missing: ${[...requirement.missingRoles, ...requirement.missingPermissions].join(', ')}`}</td></tr>`)}
</tbody></table>
<h2>Roles</h2>
<table><thead><tr><th>Role</th><th>Held</th><th>Needed now</th><th>May be removed now</th></tr></thead><tbody>
${report.roles.map((role) => html`<tr><td>${role.name}${role.note ? html`<br><span class="note">${role.note}</span>` : ''}</td><td>${role.held === null ? (role.holder === 'app' ? 'unknown' : '—') : role.held ? 'yes' : 'no'}</td><td>${role.neededNow ? 'yes' : 'no'}</td><td>${role.removableNow ? 'yes' : 'no'}</td></tr>`)}
</tbody></table>
<h2>Permissions</h2>
<p>Granted: ${report.permissions.granted.join(', ') || 'none'}</p>
${report.permissions.missing.length ? html`<p class="missing">Missing: ${report.permissions.missing.join(', ')}</p>` : ''}
${report.warnings.length ? html`<h2>Warnings</h2><ul>${report.warnings.map((warning) => html`<li>${warning.message}</li>`)}</ul>` : ''}`;
}

export interface ResultInput {
  tenant: TenantView;
  report: ValidationReport;
  /** Where "check again" posts, while the invitation link is valid. */
  checkAgain?: { action: string; formToken: string };
  /** Extra steps for the admin, e.g. the admin-consent link for the new app. */
  nextSteps?: SafeHtml;
}

export function resultPage(input: ResultInput): HttpResponseInit {
  const body = html`<h1>${input.tenant.customer.name}: connection ${input.report.verdict === 'ready' ? 'ready' : 'made, with steps left'}</h1>
<p>Tenant <code>${input.tenant.tenantId}</code>, app registration <code>${input.tenant.clientId}</code>.</p>
${input.nextSteps ?? ''}
${reportMarkup(input.report)}
${input.checkAgain ? html`<form method="post" action="${input.checkAgain.action}"><input type="hidden" name="form" value="${input.checkAgain.formToken}"><button type="submit">Check again</button></form>` : ''}`;
  return page(200, `${input.tenant.customer.name}: connection`, body);
}
