import { isRestError } from '@azure/core-rest-pipeline';
import type { Dependencies } from '../dependencies.js';
import type { Probe } from './check-health.js';

/** A name no secret uses: a 404 for it proves Key Vault answered and let us in. */
const probeSecretName = 'connector-health-probe';

/** Cheap authenticated reads that prove each dependency answers: one page of one item, or a known 404. */
export function dependencyProbes(deps: Dependencies): Record<string, Probe> {
  return {
    tableStorage: () => deps.storage.tableService.listTables().byPage({ maxPageSize: 1 }).next(),
    queueStorage: () => deps.storage.queueService.listQueues().byPage({ maxPageSize: 1 }).next(),
    keyVault: async () => {
      try {
        await deps.secrets.getSecret(probeSecretName);
      } catch (error) {
        if (isRestError(error) && error.statusCode === 404) return;
        throw error;
      }
    },
  };
}
