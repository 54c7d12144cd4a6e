import type { HttpRequest } from '@azure/functions';
import { CoreRequestRefused } from './core-request-refused.js';

/** Core requests are small JSON documents; anything larger is refused before any HMAC work. */
export const maxCoreBodyBytes = 64 * 1024;

const tooLarge = () =>
  new CoreRequestRefused('body_too_large', `At most ${maxCoreBodyBytes} bytes are accepted.`);

/** The raw body as text, refusing (413) by Content-Length or while reading once it passes the limit. */
export async function readLimitedBody(request: HttpRequest, limit = maxCoreBodyBytes): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > limit) throw tooLarge();
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
