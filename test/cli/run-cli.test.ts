import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { directoryRoles } from '../../src/lib/validation/directory-roles.js';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { functionKey, newWebhookSecret } from '../support/connector-fixture.js';
import { until } from '../support/eventually.js';
import { onboardManually } from '../support/onboard-manually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector({ SBC_BASE_DOMAIN: 'sites.example.net', SBC_DNS_TARGET: '198.51.100.7' });
const emptyDir = mkdtempSync(join(tmpdir(), 'cli-'));

async function cli(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    env: {
      CONNECTOR_URL: `${connector.host.url}/api`,
      CONNECTOR_FUNCTION_KEY: functionKey,
      CONNECTOR_SIGNING_SECRET: connector.requestSecrets[0] as string,
      ...env,
    },
    cwd: emptyDir,
  });
  return { code, out, err };
}

const invite = [
  'invite',
  '--customer-ref',
  'C-42',
  '--customer-name',
  'Contoso',
  '--service',
  'dr-london=Direct Routing London',
  '--licence',
  'HostedPro',
];

describe('operator CLI', () => {
  it('creates an invitation and prints its link once', async () => {
    const { code, out } = await cli(invite);
    expect(code).toBe(0);
    expect(out).toMatch(/Invitation [0-9a-f-]{36} for Contoso \(C-42\)/);
    expect(out).toContain(`${connector.publicBaseUrl}/api/onboarding/`);
    expect(out).toMatch(/\/api\/onboarding\/[A-Za-z0-9_-]{43}\n/);
  });

  it('lists invitations as a table, and as JSON with --json', async () => {
    const created = JSON.parse((await cli(['--json', ...invite])).out);
    const table = await cli(['invitations']);
    expect(table.code).toBe(0);
    expect(table.out.split('\n')[0]).toMatch(
      /^ID\s+STATUS\s+CUSTOMER\s+SERVICES\s+LICENCE\s+CREATED\s+EXPIRES$/,
    );
    expect(table.out).toContain(created.id);
    const listed = JSON.parse((await cli(['--json', 'invitations', '--status', 'pending'])).out);
    expect(listed.map((invitation: { id: string }) => invitation.id)).toContain(created.id);
  });

  it('shows and revokes an invitation', async () => {
    const created = JSON.parse((await cli(['--json', ...invite])).out);
    expect((await cli(['invitation', created.id])).out).toMatch(/status\s+pending/);
    expect((await cli(['revoke', created.id])).out).toBe(`Invitation ${created.id} is revoked.\n`);
  });

  it('lists tenants, shows one with its validation, and validates it again', async () => {
    const tenantId = (connector.world.tenants[1] as { id: string }).id;
    await onboardManually(connector, tenantId);
    const list = await cli(['tenants']);
    expect(list.out.split('\n')[0]).toMatch(/^TENANT\s+STATUS\s+VERDICT\s+CUSTOMER\s+METHOD\s+VALIDATED$/);
    expect(list.out).toContain(tenantId);
    const one = await cli(['tenant', tenantId]);
    expect(one.out).toContain('Verdict: ready');
    expect(one.out).toContain(
      'ok   Daily replication of users, groups, members and Teams telephony settings\n',
    );
    expect(one.out).toContain("ok   The platform's Teams PowerShell");
    expect(one.out).toContain('(Teams Administrator)');
    const credentials = await cli(['credentials']);
    expect(credentials.out.split('\n')[0]).toMatch(
      /^EXPIRES\s+DAYS\s+TENANT\s+CUSTOMER\s+SERVICE\s+KIND\s+RENEWAL\s+ROTATION$/,
    );
    expect(credentials.out).toMatch(new RegExp(`\\s179\\s+${tenantId}\\s.*dr-london\\s+secret\\s+connector`));
    const reconnect = await cli(['reconnect', tenantId, '--method', 'manual']);
    expect(reconnect.code).toBe(0);
    expect(reconnect.out).toMatch(
      new RegExp(`^Reconnect link for ${tenantId} \\(until .+\\):\\n.+/api/onboarding/\\S+\\n$`),
    );
    const validated = await cli(['validate', tenantId]);
    expect(validated.code).toBe(0);
    expect(validated.out).toContain('Verdict: ready');
  });

  it('exits 2 when a command is done but needs a person, as --help says (credentials that no longer work)', async () => {
    const { tenantId, clientId } = await selfManagedTenant(connector, { quiet: true });
    connector.simulator.control.expireSecret(clientId);
    const validated = await cli(['validate', tenantId]);
    expect(validated.code, validated.err).toBe(2);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain(
      'Exit codes: 0 done; 1 failed or refused; 2 done, but it needs a person (a run holding removals, credentials that no longer work, roles or permissions missing).',
    );
  });

  it('replicates a tenant and follows its progress to the end', async () => {
    const tenantId = (connector.world.tenants[1] as { id: string }).id;
    const { code, out } = await cli(['replicate', tenantId, '--interval', '0.2']);
    expect(code).toBe(0);
    expect(out).toMatch(/^ {2}(queued|running|completed)\s+\w+\s+pages \d+/m);
    expect(out).toMatch(/Run od-[0-9A-Z]+ completed\. usersUpserted 26/);
    // What the core reads, for an operator looking into a 410 or a held run.
    const runs = await cli(['runs', tenantId, '--top', '1']);
    expect(runs.out).toMatch(/^Run od-[0-9A-Z]+ completed\. usersUpserted 26/);
    const changes = await cli(['changes', tenantId, '--top', '3']);
    expect(changes.code, changes.err).toBe(0);
    expect(changes.out).toMatch(/^SEQ\s+AT\s+OP\s+KIND\s+ID$/m);
    const cursor = /^Cursor: (\S+)$/m.exec(changes.out)?.[1] ?? '';
    expect(cursor).not.toBe('');
    const next = await cli(['changes', tenantId, '--top', '3', '--cursor', cursor]);
    const seqs = [...next.out.matchAll(/^(\S+)\s+\d{4}-\d{2}-\d{2}T/gm)].map((match) => match[1] ?? '');
    expect(seqs).toHaveLength(3);
    // The next page continues after the cursor: every change in it comes later in the feed.
    for (const seq of seqs) expect(seq > cursor).toBe(true);
    const snapshot = await cli(['snapshot', tenantId, '--kind', 'users', '--top', '2']);
    expect(snapshot.code, snapshot.err).toBe(0);
    expect(snapshot.out).toMatch(/^user\s+\S+$/m);
    expect(snapshot.out).toMatch(/^Next page: --page \S+$/m);
  });

  it("counts a tenant's replicated objects by kind", async () => {
    const tenantId = (connector.world.tenants[1] as { id: string }).id;
    const rows = (await connector.rows(tableNames.replica)).filter((row) =>
      String(row.partitionKey).startsWith(`${tenantId}|`),
    );
    const count = (kind: string) => rows.filter((row) => String(row.rowKey).startsWith(`${kind}|`)).length;
    const { code, out } = await cli(['replica', tenantId]);
    expect(code).toBe(0);
    expect(out).toMatch(/^KIND\s+OBJECTS$/m);
    expect(out).toMatch(new RegExp(`^users\\s+${count('user')}$`, 'm'));
    expect(out).toMatch(new RegExp(`^groups\\s+${count('group')}$`, 'm'));
    expect(out).toMatch(new RegExp(`^members\\s+${count('member')}$`, 'm'));
    expect(out).toMatch(new RegExp(`^numbers\\s+${count('number')}$`, 'm'));
    expect(out).toMatch(/As of feed position [0-9A-Z]{33}\./);
    expect(count('user')).toBe(26);
  });

  it('prints the fleet at a glance: tenants by status, today’s runs, the slowest, delivery, secrets ending soon', async () => {
    const tenantRowsNow = (await connector.rows(tableNames.tenants)).filter((row) => row.rowKey === 'tenant');
    const active = tenantRowsNow.filter((row) => row.status === 'active').length;
    const { code, out } = await cli(['status']);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^Tenants: ${tenantRowsNow.length} \\(.*active ${active}.*\\)\\.$`, 'm'));
    expect(out).toMatch(/^Runs today: .*completed [1-9]\d*.*; \d+ waiting on Graph throttling \(429\)\.$/m);
    expect(out).toMatch(/^TENANT\s+RUN\s+STATUS\s+SECONDS$/m);
    expect(out).toMatch(/^\S+\s+od-[0-9A-Z]+\s+completed\s+\d+$/m);
    expect(out).toMatch(/^Event delivery: on; \d+ pending/m);
    expect(out).toMatch(/^Secrets ending within 30 days: /m);
    const json = JSON.parse((await cli(['status', '--json', '--no-secrets'])).out);
    expect(json.tenants.total).toBe(tenantRowsNow.length);
    expect(json.tenants.byStatus.active).toBe(active);
    expect(json.runsToday.byStatus.completed).toBeGreaterThanOrEqual(1);
    expect(json.delivery.enabled).toBe(true);
    expect(json.secretsEndingSoon).toBeUndefined();
    expect(Object.keys(json.workflows).sort()).toEqual([
      'near-real-time',
      'offboarding',
      'rotation',
      'service',
      'site',
      'telephony',
    ]);
  });

  it('shows events and the delivery state', async () => {
    expect((await cli(['events'])).code).toBe(0);
    expect((await cli(['delivery'])).out).toBe(`Event delivery is on, to ${connector.standIn.eventsUrl}.\n`);
  });

  it('says clearly when the connector does not answer', async () => {
    const { code, err } = await cli(['invitations'], { CONNECTOR_URL: 'http://127.0.0.1:1/api' });
    expect(code).toBe(1);
    expect(err).toBe('The connector at http://127.0.0.1:1/api does not answer. Is it running (npm start)?\n');
  });

  it('says clearly when the connector refuses the signature', async () => {
    const { code, err } = await cli(['invitations'], { CONNECTOR_SIGNING_SECRET: newWebhookSecret() });
    expect(code).toBe(1);
    expect(err).toContain('The connector answered 401');
    expect(err).toContain('Check the signing secret');
  });

  it('relays the fields the connector refused', async () => {
    const { code, err } = await cli([
      'invite',
      '--customer-ref',
      'C-1',
      '--customer-name',
      'X',
      '--service',
      'dr london=London',
      '--licence',
      'HostedPro',
    ]);
    expect(code).toBe(1);
    expect(err).toContain('/body/services/0/id');
  });

  it('prints a service’s access tokens by expiry and audience, the tokens only with --reveal', async () => {
    const { tenantId } = await selfManagedTenant(connector, { quiet: true });
    const shown = await cli(['access-tokens', tenantId, 'dr-london']);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toMatch(
      /^graph: for \S+, until \S+Z \(\d+ min\)\nteams: for 48ac35b8-9aa8-4d74-927d-1f4a14a0b239, until /,
    );
    expect(shown.out).not.toMatch(/eyJ/);
    const json = await cli(['access-tokens', tenantId, 'dr-london', '--resource', 'teams', '--json']);
    expect(JSON.parse(json.out).tokens).toEqual([
      expect.not.objectContaining({ accessToken: expect.anything() }),
    ]);
    const revealed = await cli(['access-tokens', tenantId, 'dr-london', '--resource', 'graph', '--reveal']);
    expect(revealed.out.split('\n')[1]).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('turns near-real-time replication on and off, and the tenant shows it', async () => {
    const { tenantId } = await selfManagedTenant(connector, {
      quiet: true,
      permissions: [
        ...requiredPermissions.replication,
        ...requiredPermissions.selfRotation,
        'Group.Read.All',
      ],
    });
    const on = await cli(['near-real-time', tenantId, 'on']);
    expect(on.code, on.err).toBe(0);
    expect(on.out).toMatch(
      /^Near-real-time replication is on for \S+: Graph notifies changes of its users and groups\.\n {2}\/users {3}subscription \S+, until \S+Z \(renewed before it ends\)\n {2}\/groups {2}subscription /,
    );
    expect((await cli(['tenant', tenantId])).out).toMatch(
      /near-real-time\s+on: 0 notification\(s\), 0 run\(s\) started/,
    );
    const off = await cli(['near-real-time', tenantId, 'off']);
    expect(off.out).toBe(
      `Near-real-time replication is off for ${tenantId}: the daily run keeps it up to date.\n`,
    );
    const unclear = await cli(['near-real-time', tenantId, 'maybe']);
    expect(unclear.code).toBe(1);
    expect(unclear.err).toContain('Say on or off');
  });

  it('turns write-back on, assigns a number and a policy by name following each to its end, and lists the requests', async () => {
    const { tenantId } = await selfManagedTenant(connector, {
      quiet: true,
      permissions: [...requiredPermissions.replication, ...requiredPermissions.writeBack],
    });
    const on = await cli(['write-back', tenantId, 'on']);
    expect(on.code, on.err).toBe(0);
    expect(on.out).toBe(`Write-back is on for ${tenantId}.\n`);
    const sim = connector.simulator.directory.tenant(tenantId);
    const userId = [...sim.teamsConfigurations.keys()][0] as string;
    const number = [...sim.numberAssignments.values()].find((candidate) => !candidate.assignmentTargetId)
      ?.telephoneNumber as string;
    const assigned = await cli(['assign-number', tenantId, number, userId]);
    expect(assigned.code, assigned.err).toBe(0);
    expect(assigned.out).toMatch(
      new RegExp(
        `^Request cli-\\S+: number assign \\(\\${number}, user ${userId}\\), succeeded\\.\nNumber: assigned to ${userId}\nEnterprise Voice: on\nThe change feed shows it\\.\n$`,
      ),
    );
    const policy = await cli(['assign-policy', tenantId, userId, 'TeamsCallingPolicy', 'AllowCalling']);
    expect(policy.code, policy.err).toBe(0);
    expect(policy.out).toMatch(/TeamsCallingPolicy AllowCalling, user \S+\), succeeded\./);
    const refused = await cli(['unassign-number', tenantId, '+15550100123']);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(
      /failed\.\nFailed: Microsoft could not unassign \+15550100123: The telephone number \+15550100123 was not found in the tenant\./,
    );
    const listed = await cli(['requests', tenantId]);
    expect(listed.out.split('\n')[0]).toMatch(/^request\s+kind\s+action\s+subject\s+state\s+failure or now$/);
    expect(listed.out.split('\n').filter((line) => line.startsWith('cli-'))).toHaveLength(3);
  }, 60_000);

  it('adds a service to a tenant, rotates its secret and removes it again', async () => {
    const tenantId = (connector.world.tenants[0] as { id: string }).id;
    await onboardManually(connector, tenantId);
    const added = await cli([
      'add-service',
      tenantId,
      'dr-paris=Direct Routing Paris',
      '--licence',
      'HostedPro',
    ]);
    expect(added.code, added.err).toBe(0);
    expect(added.out).toMatch(
      new RegExp(
        `^Service dr-paris \\(Direct Routing Paris\\) is on tenant ${tenantId}; its secret expires \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}\\.\\n$`,
      ),
    );
    const shown = await cli(['tenant', tenantId]);
    expect(shown.out).toMatch(
      /secret of dr-paris\s+expires \d{4}-\d{2}-\d{2} \d{2}:\d{2} \(\d+ days\), renewed by the connector/,
    );
    // Where Key Vault holds it, never its value.
    expect(shown.out).toMatch(
      new RegExp(
        `in Key Vault\\s+tenant-${tenantId}-dr-paris version [0-9a-f]{32}, app key id [0-9a-f-]{36}`,
      ),
    );
    const rotating = await cli(['rotate', tenantId, 'dr-paris']);
    expect(rotating.out).toMatch(
      new RegExp(
        `^Rotation of dr-paris's secret started; follow it with: npm run cli -- tenant ${tenantId}\nIt ends \\(credentials\\.rotated\\) no earlier than \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z: the old secret stays until no instance can still hold it\\.\n$`,
      ),
    );
    expect((await cli(['rotate', tenantId, 'dr-paris'])).err).toContain('A rotation of service dr-paris');
    await until(
      async () => (await cli(['tenant', tenantId])).out,
      (out) => /rotation done/.test(out),
      40_000,
    );
    const removed = await cli(['remove-service', tenantId, 'dr-paris']);
    expect(removed.out).toBe(
      `Service dr-paris is removed from tenant ${tenantId} and its secret from Key Vault.\nIts password is removed from the app registration.\n`,
    );
    const refused = await cli(['add-service', tenantId, 'dr.x=X', '--licence', 'HostedPro']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('/body/id');
  }, 60_000);

  it('prints what a refused site request carries: the roles missing and the guidance link for the customer', async () => {
    const { tenantId } = await selfManagedTenant(connector, {
      permissions: [
        ...requiredPermissions.replication,
        ...requiredPermissions.selfRotation,
        'Organization.Read.All',
      ],
    });
    const refused = await cli(['add-site', tenantId, 'hq', 'NoRoles', '--usage-location', 'GB']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      `missingRoles: ${directoryRoles.domainNameAdministrator.name}, ${directoryRoles.userAdministrator.name}`,
    );
    expect(refused.err).toMatch(/guidanceUrl: https?:\/\/\S+\/api\/role-guidance\/[A-Za-z0-9_-]{43}/);
  }, 60_000);

  it('adds a site, shows the records to publish and verifies it', async () => {
    const { tenantId, servicePrincipalId } = await selfManagedTenant(connector, {
      permissions: [
        ...requiredPermissions.replication,
        ...requiredPermissions.selfRotation,
        ...requiredPermissions.automaticDns,
      ],
    });
    for (const role of [directoryRoles.domainNameAdministrator.id, directoryRoles.userAdministrator.id])
      connector.simulator.control.assignRole(tenantId, servicePrincipalId, role);
    const added = await cli(['add-site', tenantId, 'hq', 'Contoso', '--usage-location', 'GB']);
    expect(added.code, added.err).toBe(0);
    expect(added.out).toBe('Site hq: contoso.sites.example.net, requested.\n');
    const shown = await until(
      async () => (await cli(['site', tenantId, 'hq'])).out,
      (out) => out.includes('awaiting_dns'),
      30_000,
    );
    const txt = /contoso\.sites\.example\.net 3600 IN TXT (\S+) {3}\(verification\)/.exec(shown);
    expect(shown).toContain('contoso.sites.example.net 3600 IN A 198.51.100.7   (sbc)');
    connector.simulator.control.publishDnsTxt('contoso.sites.example.net', txt?.[1] ?? '');
    const verified = await cli(['verify-site', tenantId, 'hq']);
    // Verified now; the activation user follows once Entra's replicas know the domain is verified.
    expect(verified.out).toMatch(
      /^Site hq: contoso\.sites\.example\.net, (verified|user_created|activating|activated)\./,
    );
    const listed = await until(
      async () => (await cli(['sites', tenantId])).out,
      (out) => /hq\s+contoso\.sites\.example\.net\s+activat/.test(out),
      30_000,
    );
    expect(listed).toMatch(/hq\s+contoso\.sites\.example\.net\s+activat/);
    const refused = await cli(['add-site', tenantId, 'bad', 'two.labels', '--usage-location', 'GB']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('/body/label');
  }, 60_000);

  it('offboards a tenant, and reports its state when asked again', async () => {
    const { tenantId } = await selfManagedTenant(connector, { quiet: true });
    const first = await cli(['offboard', tenantId]);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(new RegExp(`^Offboarding of ${tenantId}: started \\(follow it with`));
    await until(
      async () => (await cli(['--json', 'tenant', tenantId])).out,
      (out) => out.includes('"status": "offboarded"'),
      30_000,
    );
    const again = await cli(['offboard', tenantId]);
    expect(again.out).toContain(`Offboarding of ${tenantId}: done`);
    expect(again.out).toContain('  removed: the password of service dr-london');
    expect(again.out).toMatch(/Page for the customer's admin: https?:\/\/\S+\/api\/offboarding\/\S+/);
    // The tenant's text view tells what went and what is left, not a verdict from before.
    const shown = await cli(['tenant', tenantId]);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toMatch(/offboarding\s+done/);
    expect(shown.out).toContain('removed: the password of service dr-london');
    expect(shown.out).toContain('left to the customer: ');
    expect(shown.out).not.toMatch(/Verdict/i);
  });

  it('refuses an unknown command also when --help comes with it (a typo must not pass as done)', async () => {
    const typo = await cli(['chagnes', '--help']);
    expect(typo.code).toBe(1);
    expect(typo.err).toContain("error: unknown command 'chagnes'");
    expect((await cli(['changes', '--help'])).out).toContain('Usage: connector changes [options] <tenantId>');
  });

  it('refuses a licence type it does not offer before calling', async () => {
    const { code, err } = await cli([...invite.slice(0, -1), 'HostedEssentials']);
    expect(code).not.toBe(0);
    expect(err).toContain('Allowed choices are HostedEssentialsPlus, HostedPro');
  });

  it('names what is missing when it cannot find the connector', async () => {
    let message = '';
    const code = await runCli(['invitations'], {
      out: () => undefined,
      err: (text) => {
        message += text;
      },
      env: {},
      cwd: emptyDir,
    });
    expect(code).toBe(1);
    expect(message).toContain(
      'Missing --url or CONNECTOR_URL, --key or CONNECTOR_FUNCTION_KEY, --secret or CONNECTOR_SIGNING_SECRET',
    );
  });
});
