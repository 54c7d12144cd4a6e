import type { Directory } from '../directory.js';
import { route, type SimRequest, type SimResponse } from '../http-kit.js';
import type { TenantState } from '../tenant/tenant-state.js';
import type { Caller, Requirement } from './caller.js';
import type { GraphConfig } from './graph-config.js';

export interface GraphContext {
  request: SimRequest;
  caller: Caller;
  tenant: TenantState;
  directory: Directory;
  config: GraphConfig;
  /** The Graph endpoint, without the version (e.g. https://127.0.0.1:7443/graph). */
  baseUrl: string;
  /** Values the simulator keeps outside the directory: the TXT records published by a test, by domain, with when. */
  world: { dnsTxtRecords: Map<string, Map<string, number>> };
}

export interface GraphRoute {
  method: string;
  pattern: RegExp;
  requirement: Requirement;
  handler: (context: GraphContext) => Promise<SimResponse> | SimResponse;
}

/** A Graph v1.0 operation: its path below `/v1.0`, the permissions its documentation lists, its handler. */
export function graphRoute(
  method: string,
  path: string,
  requirement: Requirement,
  handler: GraphRoute['handler'],
): GraphRoute {
  const { pattern } = route(method, path, () => ({ status: 500 }));
  return { method, pattern, requirement, handler };
}

export function readBody<T>(request: SimRequest): T | undefined {
  try {
    return JSON.parse(request.body.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
