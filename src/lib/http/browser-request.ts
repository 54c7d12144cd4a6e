import type { HttpRequest } from '@azure/functions';
import { parseCookie } from 'cookie';

const maxFormBytes = 16 * 1024;

export function readCookie(request: HttpRequest, name: string): string | undefined {
  const header = request.headers.get('cookie');
  return header ? parseCookie(header)[name] : undefined;
}

/** An urlencoded form body, refused (undefined) when larger than 16 KiB. */
export async function readForm(request: HttpRequest): Promise<URLSearchParams | undefined> {
  if (Number(request.headers.get('content-length') ?? 0) > maxFormBytes) return undefined;
  const text = await request.text();
  if (Buffer.byteLength(text) > maxFormBytes) return undefined;
  return new URLSearchParams(text);
}

/** The caller's address as the platform reports it (first X-Forwarded-For hop), for the audit log. */
export function clientIp(request: HttpRequest): string | undefined {
  return request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() || undefined;
}
