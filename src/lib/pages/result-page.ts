import type { HttpResponseInit } from '@azure/functions';
import type { TenantView } from '../tenants/tenant-record.js';
import type { RequirementReport, RoleReport, ValidationReport } from '../validation/validate-registration.js';
import { html, type SafeHtml } from './html.js';
import { page } from './page-layout.js';

const verdictText = {
  ready: 'Ready: the connection works and holds what it needs.',
  action_required: 'Action required: the connection works, but something is missing.',
  blocked: 'Blocked: the daily work cannot run until the missing roles or permissions are given.',
} as const;

function todoSection(report: ValidationReport): SafeHtml | '' {
  const todo = report.requirements.filter((requirement) => !requirement.satisfied && requirement.action);
  if (todo.length === 0) return '';
  return html`<h2>What to do</h2>
<ul>
${todo.map((requirement) => html`<li><strong>${requirement.description}:</strong> ${requirement.action}</li>`)}
</ul>`;
}

function requirementState(requirement: RequirementReport): string {
  if (requirement.satisfied)
    return `Satisfied${requirement.satisfiedBy ? ` by ${requirement.satisfiedBy}` : ''}`;
  return `Missing: ${[...requirement.missingRoles, ...requirement.missingPermissions].join(', ')}`;
}

function requirementsSection(report: ValidationReport): SafeHtml {
  const rows = report.requirements.map(
    (requirement) => html`<tr>
<td>${requirement.description}</td>
<td class="${requirement.satisfied ? 'ok' : 'missing'}">${requirementState(requirement)}</td>
</tr>`,
  );
  return html`<h2>Requirements</h2>
<table>
<thead><tr><th>Requirement</th><th>State</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

function heldText(role: RoleReport): string {
  if (role.held === null) return role.holder === 'app' ? 'unknown' : '—';
  return yesNo(role.held);
}

function rolesSection(report: ValidationReport): SafeHtml {
  const rows = report.roles.map(
    (role) => html`<tr>
<td>${role.name}${role.note ? html`<br><span class="note">${role.note}</span>` : ''}</td>
<td>${heldText(role)}</td>
<td>${yesNo(role.neededNow)}</td>
<td>${yesNo(role.removableNow)}</td>
</tr>`,
  );
  return html`<h2>Roles</h2>
<table>
<thead><tr><th>Role</th><th>Held</th><th>Needed now</th><th>May be removed now</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function permissionsSection(report: ValidationReport): SafeHtml {
  const { granted, missing } = report.permissions;
  return html`<h2>Permissions</h2>
<p>Granted: ${granted.join(', ') || 'none'}</p>
${missing.length ? html`<p class="missing">Missing: ${missing.join(', ')}</p>` : ''}`;
}

function warningsSection(report: ValidationReport): SafeHtml | '' {
  if (report.warnings.length === 0) return '';
  return html`<h2>Warnings</h2>
<ul>
${report.warnings.map((warning) => html`<li>${warning.message}</li>`)}
</ul>`;
}

/** The validation report for people: verdict, what to do, every requirement, role and permission, warnings. */
export function reportMarkup(report: ValidationReport): SafeHtml {
  return html`<p class="verdict ${report.verdict}">${verdictText[report.verdict]}</p>
${todoSection(report)}
${requirementsSection(report)}
${rolesSection(report)}
${permissionsSection(report)}
${warningsSection(report)}`;
}

/** The "Check again" button: a form posting the page's form token. */
export function checkAgainForm(checkAgain: { action: string; formToken: string }): SafeHtml {
  return html`<form method="post" action="${checkAgain.action}">
<input type="hidden" name="form" value="${checkAgain.formToken}">
<button type="submit">Check again</button>
</form>`;
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
  const { tenant, report } = input;
  const body = html`<h1>${tenant.customer.name}: connection ${report.verdict === 'ready' ? 'ready' : 'made, with steps left'}</h1>
<p>Tenant <code>${tenant.tenantId}</code>, app registration <code>${tenant.clientId}</code>.</p>
${input.nextSteps ?? ''}
${
  tenant.automaticDns && tenant.dnsWorkPending
    ? html`<p>Automatic DNS is under way: the connector adds your site’s sub-domain to your tenant and, once your
service provider has published its DNS records, a user on it with a Teams Phone licence. Domain Name Administrator and
User Administrator are needed until that is done; you may remove them afterwards.</p>`
    : ''
}
${reportMarkup(report)}
${input.checkAgain ? checkAgainForm(input.checkAgain) : ''}`;
  return page(200, `${tenant.customer.name}: connection`, body);
}
