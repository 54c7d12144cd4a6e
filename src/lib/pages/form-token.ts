import { randomBytes } from 'node:crypto';
import type { Cookie, HttpRequest } from '@azure/functions';
import { readCookie } from '../http/browser-request.js';
import { constantTimeEqual } from '../security/constant-time-equal.js';

/** `__Host-`: Secure, Path=/, no Domain, so no other site or sub-domain can set it. */
export const formCookieName = '__Host-connector-form';

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

/** True when the form's token matches this browser's cookie. */
export function formTokenMatches(request: HttpRequest, form: URLSearchParams): boolean {
  const cookie = readCookie(request, formCookieName);
  const field = form.get('form');
  return Boolean(cookie && field && constantTimeEqual(cookie, field));
}
