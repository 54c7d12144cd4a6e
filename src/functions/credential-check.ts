import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';

/** The daily credential check: secrets near their end rotated or warned of, unfinished rotations taken up again. */
export async function credentialCheck(_timer: unknown, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  const result = await services().credentialCheck.run(log);
  log.info(
    `credential check: ${result.checked} secrets, ${result.rotating} rotating, ${result.resumed} resumed, ${result.warned} warned, ${result.corrected} expiries corrected from Entra`,
  );
}

functions.timer('credential-check', { schedule: '%CREDENTIAL_CHECK_SCHEDULE%', handler: credentialCheck });
