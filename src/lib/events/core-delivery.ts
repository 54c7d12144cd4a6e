import { signRequest } from '../security/webhook-signature.js';

export interface DeliveryResult {
  ok: boolean;
  /** The core's HTTP status, or 0 when it could not be reached in time. */
  status: number;
}

const timeoutMs = 10_000;

/** POSTs one event to the core, signed the Standard Webhooks way with the event id as `webhook-id`. */
export async function deliverEvent(
  url: string,
  secret: string,
  event: { eventId: string; type: string; createdAt: string; data: string },
): Promise<DeliveryResult> {
  const body = `{"type":${JSON.stringify(event.type)},"timestamp":${JSON.stringify(event.createdAt)},"data":${event.data}}`;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signRequest(secret, event.eventId, body) },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return { ok: response.status >= 200 && response.status < 300, status: response.status };
  } catch {
    return { ok: false, status: 0 };
  }
}
