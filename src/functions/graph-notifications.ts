import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';

/** A notification POST is a few kilobytes; Graph batches, so allow room, and refuse anything larger unread. */
const maxBodyBytes = 1024 * 1024;
/** Each notification costs a storage read: a POST holding more than Graph would send is refused. */
const maxNotifications = 1000;
const plain = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' };

/**
 * POST /api/graph-notifications: Graph's change notifications and lifecycle events for near-real-time
 * replication. The subscription handshake is answered with its token; notifications are checked against the
 * subscriptions the connector made (subscription, tenant, client state) and answered 202 at once, the run waiting
 * for its tenant's quiet period; anything else is dropped and counted. Graph sends no key, so the client state is
 * the proof.
 */
export async function graphNotifications(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const validationToken = request.query.get('validationToken');
  if (validationToken !== null) {
    if (validationToken.length === 0 || validationToken.length > 1024)
      return { status: 400, headers: plain, body: 'Not a validation token.' };
    return { status: 200, headers: plain, body: validationToken };
  }
  const length = Number(request.headers.get('content-length') ?? 0);
  if (length > maxBodyBytes) return { status: 413, headers: plain, body: 'Too large.' };
  const text = await request.text();
  if (Buffer.byteLength(text) > maxBodyBytes) return { status: 413, headers: plain, body: 'Too large.' };
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'object' || item === null))
    return { status: 400, headers: plain, body: 'Expected {"value": [notifications]}.' };
  if (value.length > maxNotifications)
    return { status: 413, headers: plain, body: 'Too many notifications.' };
  const { accepted, dropped } = await services().notifiedChanges.receive(value as Record<string, unknown>[]);
  if (dropped)
    invocationLogger(context).warn(
      `graph-notifications: ${dropped} dropped (unknown subscription, tenant or client state)`,
    );
  invocationLogger(context).info(`graph-notifications: ${accepted} accepted`);
  return { status: 202 };
}

functions.http('graph-notifications', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'graph-notifications',
  handler: graphNotifications,
});
