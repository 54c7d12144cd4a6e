import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { describe, expect, inject, it } from 'vitest';
import { CredentialRotation } from '../../../src/lib/credentials/credential-rotation.js';
import type { RotationJob, RotationProgress } from '../../../src/lib/credentials/rotation-progress.js';
import type { DomainEvent } from '../../../src/lib/events/event-catalogue.js';
import type { Outbox } from '../../../src/lib/events/outbox.js';
import type { AppCredential } from '../../../src/lib/identity/app-credential.js';
import type { AppTokenProvider } from '../../../src/lib/identity/app-token-provider.js';
import { CredentialProblem } from '../../../src/lib/identity/credential-problem.js';
import type { KeyVaultAssertions } from '../../../src/lib/identity/key-vault-assertions.js';
import type { TenantCertificates } from '../../../src/lib/secrets/tenant-certificates.js';
import type { TenantCredential, TenantSecretStore } from '../../../src/lib/secrets/tenant-secret-store.js';
import { EntityTable } from '../../../src/lib/storage/entity-table.js';
import { MessageQueue } from '../../../src/lib/storage/message-queue.js';
import { type TenantTable, tenantRows } from '../../../src/lib/tenants/tenant-partition.js';
import type { TenantRegistry } from '../../../src/lib/tenants/tenant-registry.js';
import { ScriptedGraph } from '../../support/scripted-graph.js';

const cacheMs = 60_000;
const app = 'app-object-id';

/**
 * A rotation's step table on the workflow runner: Azurite for its row and queue, Graph as a script of the app's
 * passwords, a Key Vault of two slots per service in memory, and the clock in the test's hands.
 */
function rotationWith(options: { workingAfterMs?: number } = {}) {
  const name = randomUUID().replaceAll('-', '');
  const connection = inject('storageConnectionString');
  const table = new EntityTable(
    TableClient.fromConnectionString(connection, `rotation${name}`, { allowInsecureConnection: true }),
  ) as unknown as TenantTable;
  const tenantId = randomUUID();
  const events: DomainEvent[] = [];
  const passwords = [{ keyId: 'old', displayName: 'Live Platform service dr-london' }];
  const vault = new Map<string, TenantCredential>([
    [
      'current',
      {
        tenantId,
        serviceId: 'dr-london',
        clientId: 'client',
        secret: 'old-secret',
        keyId: 'old',
        expiresOn: new Date(),
      },
    ],
  ]);
  /** When each secret came to be: a new one works `workingAfterMs` later (Entra propagating it). */
  const madeAt = new Map<string, number>([['old-secret', 0]]);
  let clock = Date.parse('2026-12-07T10:00:00Z');
  const graph = new ScriptedGraph({
    'GET /applications': () => ({
      value: [{ id: app, passwordCredentials: [...passwords], keyCredentials: [] }],
    }),
    [`POST /applications/${app}/addPassword`]: (nth: number) => {
      const added = {
        keyId: `new-${nth}`,
        secretText: `new-secret-${nth}`,
        endDateTime: '2027-06-07T10:00:00Z',
      };
      passwords.push({ keyId: added.keyId, displayName: 'Live Platform service dr-london' });
      madeAt.set(added.secretText, clock);
      return added;
    },
    [`POST /applications/${app}/removePassword`]: (_nth: number, body: unknown) => {
      const { keyId } = body as { keyId: string };
      passwords.splice(
        passwords.findIndex((password) => password.keyId === keyId),
        1,
      );
      return {};
    },
  });
  const rotation = new CredentialRotation({
    queue: new MessageQueue<RotationJob>(new QueueClient(connection, `rotation-${name}`)),
    registry: {
      get: async () => ({
        entity: {
          partitionKey: tenantId,
          rowKey: 'tenant',
          status: 'active',
          services: '[{"id":"dr-london"}]',
        },
        etag: '*',
      }),
    } as unknown as TenantRegistry,
    tenants: table,
    outbox: {
      stage: (_transaction: unknown, staged: readonly DomainEvent[]) => {
        events.push(...staged);
        return [];
      },
      kick: async () => undefined,
    } as unknown as Outbox,
    secrets: {
      get: async (_tenant: string, _service: string, stage = 'current') => vault.get(stage),
      put: async (credential: TenantCredential, stage = 'current') => void vault.set(stage, credential),
      delete: async (_tenant: string, _service: string, stage = 'current') => void vault.delete(stage),
      forget: () => undefined,
    } as unknown as TenantSecretStore,
    certificates: {} as TenantCertificates,
    assertions: {} as KeyVaultAssertions,
    tokens: {
      token: async (credential: AppCredential) => {
        const made = madeAt.get(credential.secret ?? '');
        if (made === undefined || clock - made < (options.workingAfterMs ?? 0))
          throw new CredentialProblem('invalid_secret', '7000215');
        return {
          accessToken: 'token',
          expiresOn: new Date(clock + 3_600_000),
          roles: ['Application.ReadWrite.OwnedBy'],
        };
      },
    } as unknown as AppTokenProvider,
    graph,
    secretCacheMs: cacheMs,
  });
  const job = { tenantId, serviceId: 'dr-london' };
  const start = (changes: Partial<RotationProgress> = {}) =>
    table.insert({
      partitionKey: tenantId,
      rowKey: tenantRows.rotation('dr-london'),
      serviceId: 'dr-london',
      rotationId: 'r1',
      state: 'started',
      reason: 'requested',
      oldKeyId: 'old',
      startedAt: new Date(clock).toISOString(),
      updatedAt: new Date(clock).toISOString(),
      ...changes,
    } satisfies RotationProgress & { partitionKey: string; rowKey: string });
  const row = async () => (await table.get(tenantId, tenantRows.rotation('dr-london')))?.entity;
  /** Runs the rotation's message now, then at each wait's end, until it ends (or, at a wait's end, `until` says stop). */
  const run = async (until: (state?: string) => boolean = () => false) => {
    const waits: number[] = [];
    for (let runs = 0; runs < 200; runs += 1) {
      const result = await rotation.runner.work(job, { now: new Date(clock) });
      if (result.outcome !== 'waiting') return waits;
      waits.push(result.waitMs);
      clock += result.waitMs;
      if (until((await row())?.state)) return waits;
    }
    throw new Error('the rotation never ended');
  };
  /** A reconnect: the admin's own secret (working already) stored as the service's current one. */
  const reconnect = (secret: string, keyId: string) => {
    madeAt.set(secret, 0);
    vault.set('current', {
      tenantId,
      serviceId: 'dr-london',
      clientId: 'client',
      secret,
      keyId,
      expiresOn: new Date(),
    });
  };
  return { start, row, run, reconnect, events, passwords, vault, graph };
}

describe('a rotation’s steps on the workflow runner (Graph scripted, the clock in the test’s hands)', () => {
  it('adds a password, stages and proves it, switches, keeps the old one for the cache’s term, then removes it', async () => {
    const r = rotationWith();
    await r.start();
    const waits = await r.run();
    expect(waits).toEqual([cacheMs + 10_000]);
    expect(await r.row()).toMatchObject({ state: 'done', newKeyId: 'new-1' });
    expect(r.passwords.map((password) => password.keyId)).toEqual(['new-1']);
    expect(r.vault.get('current')?.secret).toBe('new-secret-1');
    expect(r.vault.has('next')).toBe(false);
    expect(r.events.map((event) => event.type)).toEqual(['credentials.rotated']);
    expect(r.events[0]?.data).toMatchObject({ serviceId: 'dr-london', oldSecretRemoved: true });
  });

  it('tries the new secret every 15 s while Entra propagates it, and gives up after 30 minutes: the old one stays', async () => {
    const r = rotationWith({ workingAfterMs: 24 * 3_600_000 });
    await r.start();
    const waits = await r.run();
    expect(new Set(waits)).toEqual(new Set([15_000]));
    expect(waits.length).toBe(120);
    expect(await r.row()).toMatchObject({ state: 'failed', failure: 'the new secret never started to work' });
    expect(r.passwords.map((password) => password.keyId)).toEqual(['old']);
    expect(r.vault.get('current')?.secret).toBe('old-secret');
    expect(r.events.map((event) => event.type)).toEqual(['credentials.rotation_failed']);
  });

  it('stops before the switch when a reconnect replaced the secret meanwhile: its own password goes, nothing is rotated', async () => {
    const r = rotationWith({ workingAfterMs: 20_000 });
    await r.start();
    await r.run((state) => state === 'staged');
    r.reconnect('admins-secret', 'admins');
    await r.run();
    expect(await r.row()).toMatchObject({ state: 'failed' });
    expect((await r.row())?.failure).toContain('reconnected during the rotation');
    expect(r.passwords.map((password) => password.keyId)).toEqual(['old']);
    expect(r.vault.get('current')?.secret).toBe('admins-secret');
    expect(r.events.map((event) => event.type)).toEqual(['credentials.rotation_failed']);
  });

  it('goes on after a worker died between making its new secret current and recording the switch (not a reconnect)', async () => {
    // As the crash left it: the row says proven, Key Vault has the new secret current already.
    const r = rotationWith();
    // The rotation's own new secret, current already (the scripted app never added it: only the switch is left).
    r.reconnect('new-secret-1', 'new-1');
    await r.start({ state: 'proven', newKeyId: 'new-1', stagedAt: new Date().toISOString() });
    r.vault.set('next', { ...(r.vault.get('current') as TenantCredential) });
    await r.run();
    expect(await r.row()).toMatchObject({ state: 'done' });
    expect(r.events.map((event) => event.type)).toEqual(['credentials.rotated']);
  });
});
