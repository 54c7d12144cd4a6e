import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { createTestCertificates } from '../sim/certificates.js';
import { Simulator } from '../sim/server.js';
import { generateTenant } from '../sim/tenant/generate-tenant.js';

/**
 * `npm run bench:sim`: can the simulator keep up with replication benchmarks? Generates a tenant of 100,000 users,
 * 10,000 groups and 500,000 memberships, then a client in another process follows the full users and groups delta
 * over HTTPS with a real MSAL token. Prints JSON lines, then a table.
 */
const sizes = {
  users: Number(process.env.BENCH_USERS ?? 100_000),
  groups: Number(process.env.BENCH_GROUPS ?? 10_000),
  membershipsPerUser: 5,
  voiceUsers: 0,
  directRoutingNumbers: 0,
  phoneSystemLicences: 0,
};

interface ClientResult {
  stream: string;
  objects: number;
  entries: number;
  pages: number;
  ms: number;
}

type ClientMessage = { starting: string } | { finished: string } | { results: ClientResult[] };

async function client(): Promise<void> {
  const { authority, tenantId, clientId, clientSecret, graphEndpoint } = JSON.parse(
    process.argv[3] as string,
  );
  const msal = new ConfidentialClientApplication({
    auth: {
      clientId,
      clientSecret,
      authority: `${authority}/${tenantId}`,
      knownAuthorities: [new URL(authority).host],
    },
  });
  const token = (await msal.acquireTokenByClientCredential({ scopes: [`${graphEndpoint}/.default`] }))
    ?.accessToken;
  const results: ClientResult[] = [];
  for (const [stream, first] of [
    [
      'users',
      `${graphEndpoint}/v1.0/users/delta?$select=displayName,userPrincipalName,mail,accountEnabled,usageLocation,assignedLicenses`,
    ],
    ['groups', `${graphEndpoint}/v1.0/groups/delta?$select=displayName,mail,members`],
  ] as const) {
    process.send?.({ starting: stream });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    let next: string | undefined = first;
    let pages = 0;
    let entries = 0;
    let objects = 0;
    while (next) {
      const response = await fetch(next, { headers: { authorization: `Bearer ${token}` } });
      if (response.status !== 200) throw new Error(`${stream}: HTTP ${response.status}`);
      const body = (await response.json()) as {
        value: { 'members@delta'?: unknown[] }[];
        '@odata.nextLink'?: string;
      };
      pages += 1;
      entries += body.value.length;
      for (const entry of body.value) objects += 1 + (entry['members@delta']?.length ?? 0);
      next = body['@odata.nextLink'];
    }
    results.push({ stream, objects, entries, pages, ms: performance.now() - started });
    process.send?.({ finished: stream });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  process.send?.({ results });
}

async function main(): Promise<void> {
  const certificates = await createTestCertificates();
  const dir = mkdtempSync(join(tmpdir(), 'sim-bench-'));
  const caPath = join(dir, 'ca.pem');
  writeFileSync(caPath, certificates.caCert);
  const simulator = await Simulator.start({ certificates });
  const operator = simulator.directory.addTenant({
    displayName: 'Operator',
    domain: 'operator.onmicrosoft.com',
  });

  const generationStarted = performance.now();
  const tenant = generateTenant(simulator.directory, {
    displayName: 'Large',
    domain: 'large.onmicrosoft.com',
    seed: 1,
    sizes,
  });
  const generationMs = performance.now() - generationStarted;
  let memberships = 0;
  for (const members of tenant.members.values()) memberships += members.size;

  const app = simulator.directory.addApplication({
    homeTenantId: operator.id,
    displayName: 'bench',
    signInAudience: 'AzureADMultipleOrgs',
  });
  const secret = simulator.directory.addPassword(app.appId);
  simulator.control.grantGraphPermissions(tenant.id, app.appId, ['User.Read.All', 'GroupMember.Read.All']);
  simulator.control.setThrottleBudget(Number.MAX_SAFE_INTEGER);

  const serverCpuMs = new Map<string, number>();
  let streamCpu = process.cpuUsage();
  const results = await new Promise<ClientResult[]>((resolve, reject) => {
    const child = fork(
      fileURLToPath(import.meta.url),
      [
        '--client',
        JSON.stringify({
          authority: simulator.authorityHost,
          tenantId: tenant.id,
          clientId: app.appId,
          clientSecret: secret.secretText,
          graphEndpoint: simulator.graphEndpoint,
        }),
      ],
      { env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath } },
    );
    child.on('message', (message: ClientMessage) => {
      if ('starting' in message) streamCpu = process.cpuUsage();
      if ('finished' in message) {
        const used = process.cpuUsage(streamCpu);
        serverCpuMs.set(message.finished, (used.user + used.system) / 1000);
      }
      if ('results' in message) resolve(message.results);
    });
    child.once('exit', (code) => (code ? reject(new Error(`client exited ${code}`)) : undefined));
  });
  await simulator.stop();
  rmSync(dir, { recursive: true, force: true });

  const lines = [
    {
      benchmark: 'sim.generate',
      users: tenant.users.size,
      groups: tenant.groups.size,
      memberships,
      ms: Math.round(generationMs),
    },
    ...results.map((result) => {
      const cpuMs = serverCpuMs.get(result.stream) ?? Number.NaN;
      return {
        benchmark: `sim.delta.${result.stream}`,
        objects: result.objects,
        entries: result.entries,
        pages: result.pages,
        wallMs: Math.round(result.ms),
        objectsPerSecond: Math.round((result.objects / result.ms) * 1000),
        serverCpuMs: Math.round(cpuMs),
        serverObjectsPerCpuSecond: Math.round((result.objects / cpuMs) * 1000),
      };
    }),
    { benchmark: 'sim.server.memory', rssMb: Math.round(process.memoryUsage().rss / 1024 / 1024) },
  ];
  for (const line of lines) console.log(JSON.stringify(line));
  console.log('');
  console.table(
    lines.map(({ benchmark, ...figures }) => ({
      benchmark,
      figures: Object.entries(figures)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    })),
  );
}

if (process.argv[2] === '--client') await client();
else await main();
