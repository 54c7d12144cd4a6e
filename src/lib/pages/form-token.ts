import { randomBytes } from 'node:crypto';
import type { Cookie, HttpRequest } from '@azure/functions';
import { parseCookie } from 'cookie';
import { constantTimeEqual } from '../security/constant-time-equal.js';

/** `__Host-`: Secure, Path=/, no Domain, so no other site or sub-domain can set it. */
export const formCookieName = '__Host-connector-form';
const maxFormBytes = 16 * 1024;

/** A fresh token for a page's forms, and the cookie that must come back with them (double submit). */
export function newFormToken(): { token: string; cookie: Cookie } {
  const token = randomBytes(32).toString('base64url');
  return {
    token,
    cookie: {
      name: formCookieName,
      value: token,
      httpOnly: true,
      secure: true,
      sameSite: 'Strict',
      path: '/',
    },
  };
}

export function readCookie(request: HttpRequest, name: string): string | undefined {
  const header = request.headers.get('cookie');
  return header ? parseCookie(header)[name] : undefined;
}

/** True when the form's token matches this browser's cookie. */
export function formTokenMatches(request: HttpRequest, form: URLSearchParams): boolean {
  const cookie = readCookie(request, formCookieName);
  const field = form.get('form');
  return Boolean(cookie && field && constantTimeEqual(cookie, field));
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
