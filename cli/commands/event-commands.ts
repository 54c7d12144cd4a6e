import { type Command, Option } from 'commander';
import type { DeliveryStateView } from '../../src/lib/events/delivery-state.js';
import type { SentEvent } from '../../src/lib/events/event-listing.js';
import { type CliContext, day, queryOf } from '../cli-context.js';
import { textTable } from '../text-table.js';

/** `events`, `delivery`. */
export function eventCommands(program: Command, cli: CliContext): void {
  program
    .command('events')
    .description('events sent (or waiting to be sent) to the core, newest first')
    .option('--tenant <tenantId>')
    .addOption(new Option('--status <status>').choices(['pending', 'delivered', 'failed']))
    .option('--top <n>', 'how many', '50')
    .action(async (options) => {
      const query = queryOf({ top: options.top, tenantId: options.tenant, status: options.status });
      const { value } = await cli.call<{ value: SentEvent[] }>('GET', `/events?${query}`);
      cli.print(value, () =>
        value.length === 0
          ? 'No events.'
          : textTable(
              ['EVENT', 'TYPE', 'TENANT', 'STATUS', 'TRIES', 'LAST', 'CREATED'],
              value.map((e) => [
                e.eventId,
                e.type,
                e.tenantId,
                e.status,
                e.attempts,
                e.lastStatus,
                day(e.createdAt),
              ]),
            ),
      );
    });

  program
    .command('delivery')
    .description('show whether events are delivered to the core, or turn delivery on or off')
    .option('--enable', 'turn delivery on (after the core answered 410 Gone)')
    .option('--disable', 'turn delivery off')
    .action(async (options) => {
      const state =
        options.enable || options.disable
          ? await cli.call<DeliveryStateView>('PUT', '/event-delivery', { enabled: Boolean(options.enable) })
          : await cli.call<DeliveryStateView>('GET', '/event-delivery');
      const where = state.coreWebhookUrl ? `, to ${state.coreWebhookUrl}` : '';
      cli.print(
        state,
        () =>
          `Event delivery is ${state.enabled ? 'on' : `off (${state.reason ?? 'no reason recorded'})`}${where}.`,
      );
    });
}
