import type { PipelinePolicy } from '@azure/core-rest-pipeline';

/** Key Vault's inner codes for "this caller holds no role (or access policy) here", as opposed to e.g. a disabled secret. */
const notAuthorized = new Set(['ForbiddenByRbac', 'AccessDenied']);

export interface RolePropagationWait {
  /** How long to keep asking after the first refusal; 0 gives up at once. */
  giveUpAfterMs: number;
  /** Told once, on the first refusal, that the command waits. */
  notice: (message: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A Key Vault pipeline policy for the setup commands, run right after a deployment: a role assignment takes
 * minutes to apply, so a 403 saying the caller is not authorized is asked again every few seconds until it
 * passes or `giveUpAfterMs` is spent, and only then reaches the command as the refusal it is.
 */
export function waitOutRolePropagation(options: RolePropagationWait): PipelinePolicy {
  const sleep = options.sleep ?? defaultSleep;
  const intervalMs = Math.min(15_000, Math.max(250, options.giveUpAfterMs / 20));
  let told = false;
  return {
    name: 'waitOutRolePropagation',
    async sendRequest(request, next) {
      const started = Date.now();
      for (;;) {
        const response = await next(request);
        const spent = Date.now() - started;
        if (response.status !== 403 || spent >= options.giveUpAfterMs || !refusedForRole(response.bodyAsText))
          return response;
        if (!told) {
          told = true;
          options.notice(
            `Key Vault refused access (403). A new role assignment takes a few minutes to apply: asking again for up to ${Math.ceil(options.giveUpAfterMs / 60_000)} minute(s).`,
          );
        }
        await sleep(Math.min(intervalMs, options.giveUpAfterMs - spent));
      }
    },
  };
}

function refusedForRole(body: string | null | undefined): boolean {
  try {
    const parsed = JSON.parse(body ?? '') as { error?: { innererror?: { code?: string } } };
    return notAuthorized.has(parsed.error?.innererror?.code ?? '');
  } catch {
    return false;
  }
}
