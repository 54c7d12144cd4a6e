import { createHash } from 'node:crypto';
import type { Cookie, HttpResponseInit } from '@azure/functions';
import { html, SafeHtml } from './html.js';

const stylesheet = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.5}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;border-bottom:1px solid #ddd;padding:.35rem .5rem;vertical-align:top}
.ok{color:#0b6a0b}.missing{color:#a4262c}.note{color:#555;font-size:.9rem}
.verdict{padding:.75rem 1rem;border-radius:4px;font-weight:600}.ready{background:#dff6dd}.action_required{background:#fff4ce}.blocked{background:#fde7e9}
.error{background:#fde7e9;padding:.75rem 1rem;border-radius:4px}
form{margin:1rem 0}label{display:block;margin:.5rem 0 .2rem;font-weight:600}input[type=text],input[type=password]{width:100%;max-width:28rem;padding:.4rem;font:inherit}
.button,button{display:inline-block;font:inherit;padding:.5rem 1.2rem;border-radius:4px;border:1px solid #0f6cbd;background:#0f6cbd;color:#fff;text-decoration:none;cursor:pointer}
.paths{display:grid;gap:1.5rem}@media(min-width:48rem){.paths{grid-template-columns:1fr 1fr}}
`;
const styleHash = createHash('sha256').update(stylesheet).digest('base64');

/**
 * Security headers for every page: a strict Content-Security-Policy (only our own inline stylesheet, by hash;
 * no scripts, images, frames or third-party resources; forms post only to us), no referrer (links hold
 * invitation tokens), no caching, no framing.
 */
export const pageHeaders: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${styleHash}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

export function page(
  status: number,
  title: string,
  body: SafeHtml,
  cookies: Cookie[] = [],
): HttpResponseInit {
  const document = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${new SafeHtml(stylesheet)}</style></head>
<body><main>${body}</main></body></html>`;
  return { status, headers: pageHeaders, body: document.value, cookies };
}

export function messagePage(status: number, title: string, message: string): HttpResponseInit {
  return page(status, title, html`<h1>${title}</h1><p>${message}</p>`);
}
