import { type GraphClient, GraphError } from '../graph/graph-client.js';
import { SiteStepLagging } from './site-graph.js';

/**
 * Whether Teams has taken up the site's activation user, the one sign the connector reads that a site's domain is
 * ready for Direct Routing. Microsoft documents no "domain activated" signal: what it documents is that Teams
 * must provision a licensed user on the domain (up to 24 hours) before it accepts the domain. The user's
 * `provisionedPlans` entry for `MicrosoftCommunicationsOnline` (the Teams back end) with `provisioningStatus`
 * `Success` is that provisioning done: https://learn.microsoft.com/graph/api/resources/provisionedplan
 * Replace this function to use another signal; nothing else reads one.
 */
export async function activationSeen(graph: GraphClient, token: string, userId: string): Promise<boolean> {
  const user = await graph
    .get<{
      provisionedPlans?: { service: string; capabilityStatus: string; provisioningStatus: string }[];
    }>(token, `/users/${encodeURIComponent(userId)}?$select=provisionedPlans`)
    .catch((error: unknown) => {
      if (error instanceof GraphError && error.status === 404)
        throw new SiteStepLagging('The activation user is gone from the tenant.', { cause: error });
      throw error;
    });
  return (user.provisionedPlans ?? []).some(
    (plan) =>
      plan.service === 'MicrosoftCommunicationsOnline' &&
      plan.capabilityStatus === 'Enabled' &&
      plan.provisioningStatus === 'Success',
  );
}
