import { isRestError } from '@azure/core-rest-pipeline';

export type Probe = () => Promise<unknown>;

/** Why a dependency is not reachable, in words safe to show anyone (never an error message). */
export type ProbeProblem =
  | 'timeout'
  | 'unreachable'
  | 'unauthorized'
  | 'forbidden'
  | 'credential_failed'
  | 'error';

export interface ProbeResult {
  reachable: boolean;
  durationMs: number;
  problem?: ProbeProblem;
  /** What the on-call engineer can do about the problem, where there is something to say. */
  hint?: string;
}

const hints: Partial<Record<ProbeProblem, string>> = {
  forbidden:
    "The app's identity holds no role here. Role assignments take a few minutes (up to about ten) to apply after a deployment: check again then, else check the identity's role assignments.",
};

export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  version: string;
  checks: Record<string, ProbeResult>;
}

const networkCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

export function classifyProbeError(error: unknown): ProbeProblem {
  if (error instanceof ProbeTimeout) return 'timeout';
  if (isRestError(error)) {
    if (error.statusCode === 401) return 'unauthorized';
    if (error.statusCode === 403) return 'forbidden';
    if (error.code && networkCodes.has(error.code)) return 'unreachable';
  }
  const named = error as { name?: string; code?: string; cause?: { code?: string } };
  if (named.name === 'CredentialUnavailableError' || named.name === 'AuthenticationError') {
    return 'credential_failed';
  }
  if (networkCodes.has(named.code ?? '') || networkCodes.has(named.cause?.code ?? '')) return 'unreachable';
  return 'error';
}

class ProbeTimeout extends Error {}

async function runProbe(probe: Probe, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout()), timeoutMs);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { reachable: true, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    const problem = classifyProbeError(error);
    return {
      reachable: false,
      durationMs: Math.round(performance.now() - started),
      problem,
      ...(hints[problem] ? { hint: hints[problem] } : {}),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every probe at once, each bounded by `timeoutMs`; healthy only when all succeed. */
export async function checkHealth(
  probes: Record<string, Probe>,
  version: string,
  timeoutMs = 5000,
): Promise<HealthReport> {
  const names = Object.keys(probes);
  const results = await Promise.all(names.map((name) => runProbe(probes[name] as Probe, timeoutMs)));
  const checks = Object.fromEntries(names.map((name, index) => [name, results[index] as ProbeResult]));
  return {
    status: results.every((result) => result.reachable) ? 'healthy' : 'unhealthy',
    version,
    checks,
  };
}
