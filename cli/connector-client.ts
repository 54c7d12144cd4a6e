import { randomUUID } from 'node:crypto';
import { signRequest } from '../src/lib/security/webhook-signature.js';
import type { CliConfig } from './cli-config.js';

/** A refusal or failure the operator can act on, already in words. */
export class CliError extends Error {}

interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { pointer: string; detail: string }[];
  [member: string]: unknown;
}

const standardMembers = new Set(['type', 'title', 'status', 'detail', 'errors']);

function describeProblem(status: number, problem: Problem | undefined): string {
  const lines = [
    `The connector answered ${status}: ${problem?.title ?? 'no details'}${problem?.detail ? ` ${problem.detail}` : ''}`,
  ];
  for (const error of problem?.errors ?? []) lines.push(`  ${error.pointer}: ${error.detail}`);
  // What a refusal carries besides (a guidance link, the roles missing, the snapshot to take): printed as given.
  for (const [member, value] of Object.entries(problem ?? {}))
    if (!standardMembers.has(member) && value !== undefined)
      lines.push(
        `  ${member}: ${Array.isArray(value) ? value.join(', ') : typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
      );
  if (status === 401) lines.push('Check the signing secret (--secret) and the function key (--key).');
  return lines.join('\n');
}

/** Calls the connector's core API, signed exactly as the platform core signs (Standard Webhooks + function key). */
export async function callConnector(
  config: CliConfig,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const text = body === undefined ? '' : JSON.stringify(body);
  const headers = {
    'content-type': 'application/json',
    'x-functions-key': config.functionKey,
    ...signRequest(config.signingSecret, `cli_${randomUUID()}`, text),
  };
  let response: Response;
  try {
    response = await fetch(`${config.url}${path}`, {
      method,
      headers,
      body: text || undefined,
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    throw new CliError(`The connector at ${config.url} does not answer. Is it running (npm start)?`);
  }
  const raw = await response.text();
  let parsed: unknown;
  try {
    parsed = raw ? JSON.parse(raw) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) throw new CliError(describeProblem(response.status, parsed as Problem | undefined));
  return parsed;
}
