import { GraphClient } from './graph-client.js';
import type { ResourceUnitPacer } from './resource-unit-pacer.js';

/**
 * A Graph client that waits for `pacer` before each request and counts what it sent; a wait Graph asks for that
 * would end after `deadline` is left to the caller.
 */
export function pacedGraphClient(
  endpoint: string,
  pacer: ResourceUnitPacer,
  deadline?: () => number,
): { graph: GraphClient; takeRequests: () => number } {
  let requests = 0;
  const graph = new GraphClient({
    endpoint,
    deadline,
    beforeRequest: () => {
      requests += 1;
      return pacer.before();
    },
    afterResponse: (headers) => pacer.after(headers),
  });
  return {
    graph,
    /** Requests sent since the last call. */
    takeRequests: () => {
      const taken = requests;
      requests = 0;
      return taken;
    },
  };
}
