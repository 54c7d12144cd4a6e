import { startAzurite } from '../local/azurite.js';

/**
 * Azurite in a process of its own, for a benchmark whose other processes keep the simulator and the driver busy:
 * answers `{ ready: connectionString }`, stops on `stop`.
 */
const azurite = await startAzurite();
process.send?.({ ready: azurite.connectionString });
process.on('message', async (message: { stop?: boolean }) => {
  if (!message.stop) return;
  await azurite.stop();
  process.exit(0);
});
