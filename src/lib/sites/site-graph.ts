import { randomBytes } from 'node:crypto';
import { isDirectoryReplicationLag } from '../graph/directory-replication.js';
import { type GraphClient, GraphError } from '../graph/graph-client.js';

/**
 * The Microsoft Graph calls of a site's steps, each safe to repeat after a crash: what a step finds done already
 * it takes as done. https://learn.microsoft.com/graph/api/resources/domain,
 * https://learn.microsoft.com/graph/api/user-post-users, https://learn.microsoft.com/graph/api/user-assignlicense
 */

/** The Teams Phone service plan (MCOEV), which Direct Routing needs on the activation user. */
export const teamsPhonePlanId = '4828c8ec-dc2e-4779-b502-87ac9ce28ab7';
/** Microsoft Teams Phone Standard, the cheapest SKU carrying it: preferred when it has a free seat. */
const teamsPhoneStandardSkuId = 'e43b5b99-8dfb-405f-9987-dc307f34bcbd';

export interface GraphDomain {
  id: string;
  isVerified: boolean;
}

/** A refusal that no retry mends: the site fails with `reason`. */
export class SiteStepRefused extends Error {
  constructor(
    readonly reason: string,
    /** Graph's 403: the token may predate the grant that allows it, so a fresh one is worth one try. */
    readonly forbidden = false,
  ) {
    super(reason);
  }
}

/**
 * Entra has not caught up yet with an object the site made moments ago (a domain, the activation user, a domain's
 * verification): asked again with backoff for some minutes; if it lasts, the site fails with `reason`.
 */
export class SiteStepLagging extends Error {
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(reason, options);
  }
}

/** A Graph answer that may be replication lag, as the step that made the object sees it. */
const lagging = (error: unknown, reason: string) =>
  isDirectoryReplicationLag(error) ? new SiteStepLagging(reason, { cause: error }) : undefined;

/**
 * Microsoft documents neither wording for a domain verified in another tenant; it is recognised in the refusal of
 * `POST /domains` or of `verify`, whichever gives it.
 */
const verifiedElsewhere = /another (directory|tenant|organi[sz]ation)|already (been )?(verified|in use)/i;

const refusedForRoles = (error: unknown, what: string) =>
  error instanceof GraphError && error.status === 403
    ? new SiteStepRefused(
        `Microsoft refused to ${what}: the app registration lacks the role or permission for it (${error.graphCode}).`,
        true,
      )
    : undefined;

/** The domain in the tenant: added, or the one there already (verified or not). */
export async function addDomain(graph: GraphClient, token: string, fqdn: string): Promise<GraphDomain> {
  try {
    return await graph.post<GraphDomain>(token, '/domains', { id: fqdn });
  } catch (error) {
    const refused = refusedForRoles(error, `add the domain ${fqdn}`);
    if (refused) throw refused;
    // A domain the tenant has already (an earlier attempt's, or one a lost answer hid) is refused as a duplicate:
    // 400 or 409, Microsoft documents neither, so both are read as "look it up".
    if (!(error instanceof GraphError) || (error.status !== 400 && error.status !== 409)) throw error;
    const existing = await graph
      .get<GraphDomain>(token, `/domains/${encodeURIComponent(fqdn)}`)
      .catch((lookup: unknown) => {
        if (lookup instanceof GraphError && lookup.status === 404) return undefined;
        throw lookup;
      });
    if (existing) return existing;
    if (verifiedElsewhere.test(error.message))
      throw new SiteStepRefused(`${fqdn} is verified in another tenant: Microsoft lets one tenant have it.`);
    throw new SiteStepRefused(`Microsoft refused the domain ${fqdn}: ${error.message}`);
  }
}

export interface TxtRecord {
  label: string;
  text: string;
  ttl: number;
}

/** The TXT record that proves the domain (verificationDnsRecords' Txt entry); none for a verified domain. */
export async function verificationTxt(
  graph: GraphClient,
  token: string,
  fqdn: string,
): Promise<TxtRecord | undefined> {
  const records = await graph
    .get<{
      value: { recordType: string; label: string; text?: string; ttl: number }[];
    }>(token, `/domains/${encodeURIComponent(fqdn)}/verificationDnsRecords`)
    .catch((error: unknown) => {
      throw lagging(error, `The domain ${fqdn} is gone from the tenant.`) ?? error;
    });
  const txt = records.value.find((record) => record.recordType === 'Txt' && record.text);
  return txt && { label: txt.label, text: txt.text as string, ttl: txt.ttl };
}

/** `verified`, or `not_yet` while the record is not seen (not published, or not propagated). */
export async function verifyDomain(
  graph: GraphClient,
  token: string,
  fqdn: string,
): Promise<{ outcome: 'verified' } | { outcome: 'not_yet'; said: string }> {
  try {
    const domain = await graph.post<GraphDomain>(
      token,
      `/domains/${encodeURIComponent(fqdn)}/verify`,
      {},
      { idempotent: true },
    );
    return domain.isVerified ? { outcome: 'verified' } : { outcome: 'not_yet', said: 'not verified yet' };
  } catch (error) {
    const refused = refusedForRoles(error, `verify ${fqdn}`);
    if (refused) throw refused;
    if (error instanceof GraphError && error.status === 404)
      throw new SiteStepLagging(`The domain ${fqdn} is gone from the tenant.`, { cause: error });
    if (!(error instanceof GraphError) || error.status !== 400) throw error;
    // Verified already in this tenant (a crash after Microsoft verified it, before the site recorded it): done.
    const ours = await graph
      .get<GraphDomain>(token, `/domains/${encodeURIComponent(fqdn)}`)
      .catch(() => undefined);
    if (ours?.isVerified) return { outcome: 'verified' };
    if (verifiedElsewhere.test(error.message))
      throw new SiteStepRefused(`${fqdn} is verified in another tenant: Microsoft lets one tenant have it.`);
    return { outcome: 'not_yet', said: error.message };
  }
}

export interface GraphUser {
  id: string;
  usageLocation?: string | null;
  assignedLicenses?: { skuId: string; disabledPlans: string[] }[];
}

/** A password that meets Entra's complexity rules; never stored, logged or shown (nobody signs in as the user). */
const throwawayPassword = () => `${randomBytes(24).toString('base64url')}aA1!`;

/** The activation user: the one with that UPN already, or a new one. */
export async function ensureUser(
  graph: GraphClient,
  token: string,
  userPrincipalName: string,
  usageLocation: string,
): Promise<GraphUser> {
  const found = await findUser(graph, token, userPrincipalName);
  if (found) return found;
  try {
    return await graph.post<GraphUser>(token, '/users', {
      accountEnabled: true,
      displayName: 'Direct Routing activation user',
      mailNickname: userPrincipalName.split('@')[0],
      userPrincipalName,
      usageLocation,
      passwordProfile: { password: throwawayPassword(), forceChangePasswordNextSignIn: false },
    });
  } catch (error) {
    const refused = refusedForRoles(error, `create the activation user ${userPrincipalName}`);
    if (refused) throw refused;
    if (!(error instanceof GraphError) || error.status !== 400) throw error;
    // An answer lost after the user was made: it is there now (or soon, once every replica knows it).
    const made = await findUser(graph, token, userPrincipalName);
    if (made) return made;
    const reason = `Microsoft refused the activation user ${userPrincipalName}: ${error.message}`;
    // Right after verification the domain may be unknown to the replica that answers, and a user made moments
    // ago may be unknown to the one asked next: both pass.
    if (isDirectoryReplicationLag(error) || /already exists/i.test(error.message))
      throw new SiteStepLagging(reason, { cause: error });
    throw new SiteStepRefused(reason);
  }
}

async function findUser(graph: GraphClient, token: string, key: string): Promise<GraphUser | undefined> {
  try {
    return await graph.get<GraphUser>(
      token,
      `/users/${encodeURIComponent(key)}?$select=id,usageLocation,assignedLicenses`,
    );
  } catch (error) {
    if (error instanceof GraphError && error.status === 404) return undefined;
    throw error;
  }
}

interface SubscribedSku {
  skuId: string;
  skuPartNumber: string;
  capabilityStatus: string;
  appliesTo: string;
  consumedUnits: number;
  prepaidUnits: { enabled: number };
  servicePlans: { servicePlanId: string }[];
}

/**
 * Gives the user a licence with Teams Phone, unless it has one: Teams Phone Standard when it has a free seat,
 * else the SKU with Teams Phone and the most free seats (`prepaidUnits.enabled − consumedUnits`). Returns the SKU.
 */
export async function licenseForTeamsPhone(
  graph: GraphClient,
  token: string,
  userId: string,
  usageLocation: string,
  /** The user as `POST /users` or a read answered it moments ago: not read again (a replica may not know it yet). */
  known?: GraphUser,
): Promise<string> {
  const user = known ?? (await findUser(graph, token, userId));
  if (!user) throw new SiteStepLagging('The activation user is gone from the tenant.');
  const skus = (await graph.get<{ value: SubscribedSku[] }>(token, '/subscribedSkus')).value.filter(
    (sku) =>
      sku.appliesTo === 'User' &&
      // `Warning`: expired, in its grace period, still assignable (subscribedSku's capabilityStatus).
      (sku.capabilityStatus === 'Enabled' || sku.capabilityStatus === 'Warning') &&
      sku.servicePlans.some((plan) => plan.servicePlanId === teamsPhonePlanId),
  );
  const held = user.assignedLicenses?.find(
    (license) =>
      !license.disabledPlans.includes(teamsPhonePlanId) && skus.some((sku) => sku.skuId === license.skuId),
  );
  if (held) return held.skuId;
  const free = (sku: SubscribedSku) => sku.prepaidUnits.enabled - sku.consumedUnits;
  const choice = skus
    .filter((sku) => free(sku) > 0)
    .sort(
      (a, b) =>
        Number(b.skuId === teamsPhoneStandardSkuId) - Number(a.skuId === teamsPhoneStandardSkuId) ||
        free(b) - free(a),
    )[0];
  if (!choice)
    throw new SiteStepRefused(
      skus.length
        ? `No free seat of a licence with Teams Phone: ${skus.map((sku) => sku.skuPartNumber).join(', ')} ${skus.length === 1 ? 'has' : 'have'} none left. Free one or buy one more, then send the site request again.`
        : 'The tenant has no licence with Teams Phone (Teams Phone Standard, or a suite that includes it such as Microsoft 365 E5): buy one, then send the site request again.',
    );
  try {
    await graph.post(
      token,
      `/users/${encodeURIComponent(userId)}/assignLicense`,
      { addLicenses: [{ skuId: choice.skuId, disabledPlans: [] }], removeLicenses: [] },
      { idempotent: true },
    );
  } catch (error) {
    const refused = refusedForRoles(error, 'assign the activation user a licence');
    if (refused) throw refused;
    if (error instanceof GraphError && error.status === 404)
      throw new SiteStepLagging('The activation user is gone from the tenant.', { cause: error });
    if (!(error instanceof GraphError) || error.status !== 400) throw error;
    if (/usage location/i.test(error.message))
      throw new SiteStepRefused(
        `Microsoft refused the usage location ${usageLocation} for the licence: send the site request with a valid one.`,
      );
    if (/available licen[cs]es/i.test(error.message))
      throw new SiteStepRefused(
        `${choice.skuPartNumber} has no free seat left (taken meanwhile): free one, then send the site request again.`,
      );
    throw new SiteStepRefused(`Microsoft refused the licence: ${error.message}`);
  }
  return choice.skuId;
}
