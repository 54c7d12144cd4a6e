import type { SimResponse } from '../http-kit.js';
import type { SimUser } from '../tenant/model.js';
import type { TenantState } from '../tenant/tenant-state.js';

export const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string,
  );

const roleNames: Record<string, string> = {
  '62e90394-69f5-4237-9190-012177145e10': 'Global Administrator',
  'e8611ab8-c189-46e8-94e1-60213ab1f814': 'Privileged Role Administrator',
  '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3': 'Application Administrator',
  '158c047a-c907-4556-b7ef-446551a6b5f7': 'Cloud Application Administrator',
  '69091246-20e8-4a56-aa4d-066075b2a7a8': 'Teams Administrator',
  'fe930be7-5e62-47db-91af-98c3a49a38b1': 'User Administrator',
  '8329153b-31d0-4727-b945-745eb3bc5f31': 'Domain Name Administrator',
};

/** The users a person may pick: those holding directory roles first, then the first others. */
function candidates(tenant: TenantState, limit: number): { user: SimUser; roles: string[] }[] {
  const withRoles = new Map<string, string[]>();
  for (const assignment of tenant.roleAssignments.values()) {
    if (!tenant.users.has(assignment.principalId)) continue;
    const names = withRoles.get(assignment.principalId) ?? [];
    names.push(roleNames[assignment.roleDefinitionId] ?? assignment.roleDefinitionId);
    withRoles.set(assignment.principalId, names);
  }
  const admins = [...withRoles].map(([id, roles]) => ({ user: tenant.users.get(id) as SimUser, roles }));
  const others: { user: SimUser; roles: string[] }[] = [];
  for (const id of tenant.userOrder) {
    if (admins.length + others.length >= limit) break;
    const user = tenant.users.get(id);
    if (user && !withRoles.has(id)) others.push({ user, roles: [] });
  }
  return [...admins, ...others];
}

/**
 * The simulated Microsoft sign-in and consent page: pick an account, then accept or cancel. The form posts
 * back with every original parameter, so a test can post it without a browser.
 */
export function signInPage(input: {
  title: string;
  appName: string;
  permissions: string[];
  tenants: TenantState[];
  hidden: Record<string, string>;
}): SimResponse {
  const accounts = input.tenants
    .flatMap((tenant) =>
      candidates(tenant, input.tenants.length > 1 ? 6 : 25).map(
        (
          { user, roles },
          index,
        ) => `<label class="account"><input type="radio" name="user" value="${escapeHtml(`${tenant.id}:${user.id}`)}"${index === 0 && input.tenants.length === 1 ? ' checked' : ''} required>
          <span><strong>${escapeHtml(user.displayName)}</strong> ${escapeHtml(user.userPrincipalName)}<br><small>${escapeHtml(tenant.displayName)}${roles.length ? ` · ${escapeHtml(roles.join(', '))}` : ''}</small></span></label>`,
      ),
    )
    .join('\n');
  const hidden = Object.entries(input.hidden)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  const permissions = input.permissions.map((permission) => `<li>${escapeHtml(permission)}</li>`).join('');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
.banner{background:#fff4ce;padding:.5rem .75rem;border-radius:4px;font-size:.9rem}
.account{display:flex;gap:.75rem;align-items:flex-start;padding:.5rem;border:1px solid #ddd;border-radius:4px;margin:.4rem 0}
button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}</style></head>
<body><p class="banner">Microsoft 365 simulator: no real account is involved.</p>
<h1>${escapeHtml(input.title)}</h1>
<p><strong>${escapeHtml(input.appName)}</strong> asks for:</p><ul>${permissions || '<li>Sign you in</li>'}</ul>
<form method="post">${hidden}
<fieldset><legend>Pick an account</legend>${accounts || '<p>This tenant has no users.</p>'}</fieldset>
<p><button type="submit" name="decision" value="accept">Accept</button>
<button type="submit" name="decision" value="decline" formnovalidate>Cancel</button></p>
</form></body></html>`;
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      // No form-action: Chromium applies it to the redirect that follows the post, which goes to the app.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      'cache-control': 'no-store',
    },
    body: html,
  };
}

export function errorPage(code: number, message: string): SimResponse {
  return {
    status: 400,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><h1>Sorry, but we're having trouble signing you in.</h1><p>AADSTS${code}: ${escapeHtml(message)}</p></body></html>`,
  };
}

export function redirect(location: string): SimResponse {
  return { status: 302, headers: { location, 'cache-control': 'no-store' } };
}
