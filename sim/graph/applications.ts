import type { SimApplication, SimKeyCredential } from '../directory.js';
import { verifyCertificateJwt } from '../entra/certificate-jwt.js';
import { json, type SimResponse } from '../http-kit.js';
import type { Caller } from './caller.js';
import { badRequest, forbidden, graphError, notFound } from './graph-error.js';
import { readApplicationObjects, roles } from './graph-permissions.js';
import { type GraphContext, type GraphRoute, graphRoute, readBody } from './graph-route.js';
import { parseEqFilter } from './odata.js';
import { notYetReplicated } from './replication-delay.js';

const manageApps = {
  application: ['Application.ReadWrite.All', 'Application.ReadWrite.OwnedBy'],
  delegated: ['Application.ReadWrite.All'],
  roles: [roles.applicationAdministrator, roles.cloudApplicationAdministrator],
};
/**
 * Adding an owner: Graph's table asks for Directory.Read.All beside the write permission
 * (https://learn.microsoft.com/graph/api/application-post-owners).
 */
const addOwners = {
  application: [
    ['Application.ReadWrite.OwnedBy', 'Directory.Read.All'],
    ['Application.ReadWrite.All', 'Directory.Read.All'],
    'Directory.ReadWrite.All',
  ],
  delegated: [['Application.ReadWrite.All', 'Directory.Read.All'], 'Directory.ReadWrite.All'],
  roles: manageApps.roles,
};
const maxLifetimeMs = 2 * 365.25 * 24 * 3600 * 1000;

/** The certificate itself (`key`) is returned only on `$select=keyCredentials` of one app (keyCredential docs). */
function renderKeyCredential(credential: SimKeyCredential, withKey: boolean) {
  return {
    keyId: credential.keyId,
    displayName: credential.displayName,
    type: credential.type,
    usage: credential.usage,
    customKeyIdentifier: credential.customKeyIdentifier,
    startDateTime: credential.startDateTime.toISOString(),
    endDateTime: credential.endDateTime.toISOString(),
    key: withKey ? credential.der.toString('base64') : null,
  };
}

export function renderApplication(app: SimApplication, options: { withKeys?: boolean } = {}) {
  return {
    id: app.id,
    appId: app.appId,
    uniqueName: app.uniqueName ?? null,
    displayName: app.displayName,
    signInAudience: app.signInAudience,
    createdDateTime: app.createdDateTime,
    requiredResourceAccess: app.requiredResourceAccess,
    web: { redirectUris: app.redirectUris },
    groupMembershipClaims: app.groupMembershipClaims ?? null,
    isFallbackPublicClient: app.publicClient ?? false,
    passwordCredentials: app.passwordCredentials.map(
      ({ keyId, displayName, hint, startDateTime, endDateTime }) => ({
        keyId,
        displayName,
        hint,
        startDateTime: startDateTime.toISOString(),
        endDateTime: endDateTime.toISOString(),
        secretText: null,
      }),
    ),
    keyCredentials: app.keyCredentials.map((credential) =>
      renderKeyCredential(credential, options.withKeys ?? false),
    ),
  };
}

/** Application.ReadWrite.OwnedBy reaches only apps whose owners include the caller's service principal. */
function mayManage(caller: Caller, app: SimApplication): boolean {
  const ownedOnly = caller.kind === 'app' && !caller.permissions.has('Application.ReadWrite.All');
  return !ownedOnly || app.ownerIds.includes(caller.objectId);
}

/**
 * An app holding only Application.ReadWrite.OwnedBy sees only the apps it owns: it "cannot update any apps that it
 * is not an owner of" (permissions reference); whether a list hides the others or is refused, Microsoft does not
 * say, so the simulator hides them and the connector handles both.
 */
function mayRead(caller: Caller, app: SimApplication): boolean {
  const readsAll = ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All'].some(
    (permission) => caller.permissions.has(permission),
  );
  return caller.kind !== 'app' || readsAll || app.ownerIds.includes(caller.objectId);
}

function target({ request, tenant, directory, caller }: GraphContext) {
  const app = directory.applicationByObjectId(tenant.id, request.params.id ?? '');
  if (!app) return notFound(request.params.id ?? '');
  return mayManage(caller, app) ? app : forbidden();
}

interface NewApplication {
  displayName?: string;
  signInAudience?: SimApplication['signInAudience'];
  requiredResourceAccess?: SimApplication['requiredResourceAccess'];
  web?: { redirectUris?: string[] };
  groupMembershipClaims?: SimApplication['groupMembershipClaims'];
  keyCredentials?: KeyCredentialInput[];
}

interface KeyCredentialInput {
  keyId?: string;
  displayName?: string;
  type?: string;
  usage?: string;
  key?: string | null;
}

/**
 * Key credentials as sent (a PATCH replaces the whole collection, so existing ones must be sent back with their
 * `key`); a message for the first one Entra would refuse.
 */
function keyCredentialsFrom(
  context: GraphContext,
  app: SimApplication,
  inputs: KeyCredentialInput[],
): SimKeyCredential[] | SimResponse {
  const made: SimKeyCredential[] = [];
  for (const input of inputs) {
    if (input.type !== 'AsymmetricX509Cert' || input.usage !== 'Verify')
      return badRequest('Key credential type AsymmetricX509Cert requires usage Verify.');
    if (!input.key) return badRequest('Key credential key is required.');
    let credential: SimKeyCredential;
    try {
      // An entry the app has keeps its key id; a new one gets an id of Entra's own, whatever the client proposed
      // (Microsoft does not say it keeps a proposed one, so the simulator takes the stricter reading).
      const known = app.keyCredentials.some((existing) => existing.keyId === input.keyId);
      credential = context.directory.keyCredential(app, {
        der: Buffer.from(input.key, 'base64'),
        displayName: input.displayName,
        keyId: known ? input.keyId : undefined,
      });
    } catch {
      return badRequest('Key credential key is not a valid certificate.');
    }
    const policyDays = context.tenant.policies.maxCertificateLifetimeDays;
    const isNew = !app.keyCredentials.some((existing) => existing.keyId === credential.keyId);
    const lifetime = credential.endDateTime.getTime() - credential.startDateTime.getTime();
    if (isNew && policyDays !== undefined && lifetime > policyDays * 24 * 3600 * 1000) {
      // The asymmetricKeyLifetime restriction; its refusal is assumed to read as the password one does.
      const message = `Credential lifetime exceeds the max value allowed as per assigned policy '${context.tenant.id}'.`;
      return graphError(400, 'CredentialInvalidLifetimeAsPerAppPolicy', message);
    }
    made.push(credential);
  }
  return made;
}

/** An update of the properties the simulator keeps (others are accepted and ignored). */
function applyChanges(app: SimApplication, body: NewApplication): void {
  if (body.displayName) app.displayName = body.displayName;
  if (body.signInAudience) app.signInAudience = body.signInAudience;
  if (body.requiredResourceAccess) app.requiredResourceAccess = body.requiredResourceAccess;
  if (body.web?.redirectUris) app.redirectUris = body.web.redirectUris;
  if (body.groupMembershipClaims) app.groupMembershipClaims = body.groupMembershipClaims;
}

/** `/applications(uniqueName='…')`: the upsertable alternate key (https://learn.microsoft.com/graph/api/application-upsert). */
const byUniqueName = /^\/applications\(uniqueName=(?:'|%27)(?<name>(?:[^'%]|''|%(?!27))*)(?:'|%27)\)\/?$/i;

const findByUniqueName = ({ request, tenant, directory }: GraphContext) => {
  const name = (request.params.name ?? '').replaceAll("''", "'");
  return [...directory.applications.values()].find(
    (candidate) => candidate.homeTenantId === tenant.id && candidate.uniqueName === name,
  );
};

const proofAudience = '00000002-0000-0000-c000-000000000000';

/**
 * addKey and removeKey need a proof of possession: a JWT signed by one of the app's current certificates, `aud`
 * `00000002-0000-0000-c000-000000000000`, `iss` the app's object id, valid now and for at most 10 minutes
 * (https://learn.microsoft.com/graph/application-rollkey-prooftoken). An app without a valid certificate cannot
 * use them. The error's wording is not documented.
 */
function proofRefusal(app: SimApplication, proof: string | undefined) {
  const now = Math.floor(Date.now() / 1000);
  const current = app.keyCredentials.filter((credential) => credential.endDateTime.getTime() > Date.now());
  if (current.length === 0)
    return badRequest('The application has no valid certificate to prove possession of: update it instead.');
  const verified = verifyCertificateJwt(proof ?? '', current);
  if (typeof verified === 'string')
    return badRequest(`Proof of possession is not valid (${verified.replace('_', ' ')}).`);
  // Microsoft's sample signs with X509SigningCredentials, whose header names the key: kid, the SHA-1 thumbprint.
  if (verified.header.kid !== verified.credential.customKeyIdentifier)
    return badRequest('Proof of possession is not valid (kid).');
  const { aud, iss, nbf, exp } = verified.payload;
  if (aud !== proofAudience || iss !== app.id)
    return badRequest('Proof of possession has the wrong audience or issuer.');
  if (typeof nbf !== 'number' || typeof exp !== 'number' || nbf > now + 60 || exp <= now || exp - nbf > 600)
    return badRequest('Proof of possession is expired or valid for longer than 10 minutes.');
  return undefined;
}

export function applicationRoutes(): GraphRoute[] {
  return [
    {
      method: 'PATCH',
      pattern: byUniqueName,
      requirement: manageApps,
      handler: (context) => {
        const { request, tenant, directory, caller } = context;
        const body = readBody<NewApplication>(request) ?? {};
        const prefer = String(request.headers.prefer ?? '');
        const upsert = /create-if-missing/i.test(prefer);
        // Microsoft's upsert page makes displayName required in an upsert's body, whether it creates or updates.
        if (upsert && !body.displayName) return badRequest("Property 'displayName' is required.");
        const existing = findByUniqueName(context);
        if (existing) {
          if (!mayManage(caller, existing)) return forbidden();
          applyChanges(existing, body);
          return { status: 204 };
        }
        if (!upsert) return notFound(request.params.name ?? '');
        if (!body.displayName) return badRequest("Property 'displayName' is required.");
        const app = directory.addApplication({
          homeTenantId: tenant.id,
          displayName: body.displayName,
          signInAudience: body.signInAudience ?? 'AzureADMyOrg',
          requiredResourceAccess: body.requiredResourceAccess ?? [],
          redirectUris: body.web?.redirectUris ?? [],
          withServicePrincipal: false,
          uniqueName: (request.params.name ?? '').replaceAll("''", "'"),
        });
        applyChanges(app, body);
        if (caller.kind === 'user') app.ownerIds.push(caller.objectId);
        return json(201, renderApplication(app));
      },
    },
    {
      method: 'GET',
      pattern: byUniqueName,
      requirement: readApplicationObjects,
      handler: (context) => {
        const app = findByUniqueName(context);
        return app ? json(200, renderApplication(app)) : notFound(context.request.params.name ?? '');
      },
    },
    graphRoute('POST', '/applications', manageApps, ({ request, tenant, directory, caller }) => {
      const body = readBody<NewApplication>(request);
      if (!body?.displayName) return badRequest("Property 'displayName' is required.");
      const app = directory.addApplication({
        homeTenantId: tenant.id,
        displayName: body.displayName,
        signInAudience: body.signInAudience ?? 'AzureADMyOrg',
        requiredResourceAccess: body.requiredResourceAccess ?? [],
        redirectUris: body.web?.redirectUris ?? [],
        withServicePrincipal: false,
      });
      applyChanges(app, body);
      if (caller.kind === 'user') app.ownerIds.push(caller.objectId);
      return json(201, renderApplication(app));
    }),
    graphRoute('GET', '/applications', readApplicationObjects, ({ request, tenant, directory, caller }) => {
      const filter = parseEqFilter(request);
      if (filter === 'invalid' || (filter && Object.keys(filter).some((name) => name !== 'appId'))) {
        return badRequest('Unsupported or invalid query filter clause specified.');
      }
      const value = [...directory.applications.values()]
        .filter((app) => app.homeTenantId === tenant.id && (!filter?.appId || app.appId === filter.appId))
        .filter((app) => mayRead(caller, app))
        .map((app) => renderApplication(app));
      return json(200, { value });
    }),
    graphRoute('GET', '/applications/:id', readApplicationObjects, (context) => {
      const app = target(context);
      if ('status' in app) return app;
      const select = context.request.url.searchParams.get('$select') ?? '';
      return json(200, renderApplication(app, { withKeys: /(^|,)keyCredentials(,|$)/.test(select) }));
    }),
    graphRoute('PATCH', '/applications/:id', manageApps, (context) => {
      const app = target(context);
      if ('status' in app) return app;
      const body = readBody<NewApplication>(context.request);
      if (!body) return badRequest('The request body is not valid JSON.');
      if (body.keyCredentials) {
        const keys = keyCredentialsFrom(context, app, body.keyCredentials);
        if (!Array.isArray(keys)) return keys;
        app.keyCredentials = keys;
      }
      applyChanges(app, body);
      return { status: 204 };
    }),
    graphRoute('POST', '/applications/:id/addKey', manageApps, (context) => {
      const app = target(context);
      if ('status' in app) return app;
      const body = readBody<{ keyCredential?: KeyCredentialInput; proof?: string }>(context.request) ?? {};
      const refused = proofRefusal(app, body.proof);
      if (refused) return refused;
      const keys = keyCredentialsFrom(context, app, body.keyCredential ? [body.keyCredential] : []);
      if (!Array.isArray(keys)) return keys;
      if (!keys[0]) return badRequest("Property 'keyCredential' is required.");
      app.keyCredentials.push(keys[0]);
      return json(200, renderKeyCredential(keys[0], false));
    }),
    graphRoute('POST', '/applications/:id/removeKey', manageApps, (context) => {
      const app = target(context);
      if ('status' in app) return app;
      const body = readBody<{ keyId?: string; proof?: string }>(context.request) ?? {};
      const refused = proofRefusal(app, body.proof);
      if (refused) return refused;
      const index = app.keyCredentials.findIndex((credential) => credential.keyId === body.keyId);
      if (index < 0) return notFound(body.keyId ?? '');
      app.keyCredentials.splice(index, 1);
      return { status: 204 };
    }),
    graphRoute('DELETE', '/applications/:id', manageApps, (context) => {
      const app = target(context);
      if ('status' in app) return app;
      context.directory.applications.delete(app.appId);
      const principal = context.tenant.servicePrincipalByAppId(app.appId);
      if (principal) context.tenant.servicePrincipals.delete(principal.id);
      return { status: 204 };
    }),
    graphRoute('POST', '/applications/:id/addPassword', manageApps, (context) => {
      const app = target(context);
      if ('status' in app) return app;
      const body =
        readBody<{ passwordCredential?: { displayName?: string; endDateTime?: string } }>(context.request) ??
        {};
      const requested = body.passwordCredential?.endDateTime;
      const end = requested ? new Date(requested) : new Date(Date.now() + maxLifetimeMs);
      if (Number.isNaN(end.getTime()) || end.getTime() <= Date.now())
        return badRequest('Invalid value specified for property endDateTime.');
      if (context.tenant.policies.passwordsForbidden) {
        // The message is what Entra is reported to answer; the code is not documented.
        const message = `Credential type not allowed as per assigned policy '${context.tenant.id}'.`;
        return graphError(400, 'CredentialTypeNotAllowedAsPerAppPolicy', message);
      }
      const policyDays = context.tenant.policies.maxSecretLifetimeDays;
      if (policyDays !== undefined && end.getTime() - Date.now() > policyDays * 24 * 3600 * 1000) {
        const message = `Credential lifetime exceeds the max value allowed as per assigned policy '${context.tenant.id}'.`;
        return graphError(400, 'CredentialInvalidLifetimeAsPerAppPolicy', message, {}, [
          { code: 'InvalidKeyEndDate', message, target: 'EndDate' },
        ]);
      }
      const credential = context.directory.addPassword(app.appId, {
        displayName: body.passwordCredential?.displayName ?? '',
        endDateTime: end,
      });
      return json(200, {
        customKeyIdentifier: null,
        displayName: credential.displayName,
        endDateTime: credential.endDateTime.toISOString(),
        hint: credential.hint,
        keyId: credential.keyId,
        secretText: credential.secretText,
        startDateTime: credential.startDateTime.toISOString(),
      });
    }),
    graphRoute('POST', '/applications/:id/removePassword', manageApps, (context) => {
      const app = target(context);
      if ('status' in app) return app;
      const keyId = readBody<{ keyId?: string }>(context.request)?.keyId;
      const index = app.passwordCredentials.findIndex((credential) => credential.keyId === keyId);
      if (index < 0) return notFound(keyId ?? '');
      app.passwordCredentials.splice(index, 1);
      return { status: 204 };
    }),
    graphRoute('POST', '/applications/:id/owners/$ref', addOwners, (context) => {
      const app = target(context);
      if ('status' in app) return app;
      const reference = readBody<{ '@odata.id'?: string }>(context.request)?.['@odata.id'] ?? '';
      const ownerId = /\/directoryObjects\/([^/]+)$/.exec(reference)?.[1];
      const { tenant } = context;
      if (!ownerId || !(tenant.users.has(ownerId) || tenant.servicePrincipals.has(ownerId))) {
        return badRequest(`Invalid object identifier '${reference}'.`);
      }
      const lagging = notYetReplicated(tenant, ownerId, context.config, 'not_found');
      if (lagging) return lagging;
      if (app.ownerIds.includes(ownerId)) {
        return badRequest(
          "One or more added object references already exist for the following modified properties: 'owners'.",
        );
      }
      app.ownerIds.push(ownerId);
      return { status: 204 };
    }),
    graphRoute('GET', '/applications/:id/owners', readApplicationObjects, (context) => {
      const app = context.directory.applicationByObjectId(context.tenant.id, context.request.params.id ?? '');
      if (!app || !mayRead(context.caller, app)) return notFound(context.request.params.id ?? '');
      const value = app.ownerIds.map((id) =>
        context.tenant.users.has(id)
          ? { '@odata.type': '#microsoft.graph.user', id }
          : { '@odata.type': '#microsoft.graph.servicePrincipal', id },
      );
      return json(200, { value });
    }),
  ];
}
