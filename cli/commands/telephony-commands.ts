import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { TelephonyRequestView, WriteBackSetting } from '../../src/lib/telephony/telephony-schema.js';
import { type CliContext, exitCodes } from '../cli-context.js';
import { CliError } from '../connector-client.js';
import { textTable } from '../text-table.js';

const tenantPath = (tenantId: string) => `/tenants/${encodeURIComponent(tenantId)}`;
const ended = (view: TelephonyRequestView) => view.state === 'succeeded' || view.state === 'failed';

function describeRequest(view: TelephonyRequestView): string {
  const subject = [
    view.telephoneNumber,
    view.policyType && `${view.policyType} ${view.policyName ?? view.policyId ?? ''}`.trim(),
    view.userId && `user ${view.userId}`,
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [`Request ${view.requestId}: ${view.kind} ${view.action} (${subject}), ${view.state}.`];
  if (view.outcome?.number)
    lines.push(
      `Number: ${view.outcome.number.assignmentTargetId ? `assigned to ${view.outcome.number.assignmentTargetId}` : 'unassigned'}${view.outcome.number.locationId ? `, location ${view.outcome.number.locationId}` : ''}`,
    );
  if (view.outcome?.enterpriseVoiceEnabled !== undefined)
    lines.push(`Enterprise Voice: ${view.outcome.enterpriseVoiceEnabled ? 'on' : 'off'}`);
  if (view.outcome?.effectivePolicyId) lines.push(`Policy now: ${view.outcome.effectivePolicyId}`);
  if (view.outcome?.replicaUpdated !== undefined)
    lines.push(
      view.outcome.replicaUpdated
        ? 'The change feed shows it.'
        : 'The change feed shows it after the next run.',
    );
  if (view.failure) lines.push(`Failed: ${view.failure}`);
  if (view.lastError && !ended(view)) lines.push(`Now: ${view.lastError}`);
  return lines.join('\n');
}

/**
 * `write-back`, `assign-number`, `unassign-number`, `update-number`, `assign-policy`, `unassign-policy`, `requests`,
 * `request`: the core's write-back, by hand. A request waits for its end unless `--no-wait`.
 */
export function telephonyCommands(program: Command, cli: CliContext): void {
  const submit = async (
    tenantId: string,
    path: 'number-assignments' | 'policy-assignments',
    body: Record<string, unknown>,
    wait: boolean,
  ) => {
    let view = await cli.call<TelephonyRequestView>('POST', `${tenantPath(tenantId)}/${path}`, {
      requestId: `cli-${randomUUID()}`,
      ...body,
    });
    while (wait && !ended(view)) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      view = await cli.call<TelephonyRequestView>(
        'GET',
        `${tenantPath(tenantId)}/telephony-requests/${encodeURIComponent(view.requestId)}`,
      );
    }
    cli.print(view, () => describeRequest(view));
    if (view.state === 'failed') cli.exitCode = exitCodes.failed;
  };

  program
    .command('write-back <tenantId> <on|off>')
    .description(
      'turn write-back on or off for a tenant (on: which permissions the customer’s admin must grant)',
    )
    .action(async (tenantId: string, setting: string) => {
      if (setting !== 'on' && setting !== 'off') throw new CliError(`Say on or off (got ${setting}).`);
      const answer = await cli.call<WriteBackSetting>('PUT', `${tenantPath(tenantId)}/write-back`, {
        enabled: setting === 'on',
      });
      cli.print(answer, () =>
        [
          `Write-back is ${answer.writeBack ? 'on' : 'off'} for ${answer.tenantId}.`,
          ...(answer.missingPermissions.length
            ? [
                `The customer’s admin must grant: ${answer.missingPermissions.join(', ')}.`,
                `Send them: ${answer.guidanceUrl}`,
              ]
            : []),
        ].join('\n'),
      );
    });

  program
    .command('assign-number <tenantId> <telephoneNumber> <userId>')
    .description('assign a Direct Routing number to a user, followed to its end')
    .option('--category <category>', 'primary (default), private or alternate')
    .option('--location <locationId>', 'the emergency address id')
    .option('--no-wait', 'answer once the request is taken')
    .action(
      async (
        tenantId: string,
        telephoneNumber: string,
        userId: string,
        options: { category?: string; location?: string; wait: boolean },
      ) =>
        submit(
          tenantId,
          'number-assignments',
          {
            action: 'assign',
            telephoneNumber,
            userId,
            ...(options.category ? { assignmentCategory: options.category } : {}),
            ...(options.location ? { locationId: options.location } : {}),
          },
          options.wait,
        ),
    );

  program
    .command('unassign-number <tenantId> <telephoneNumber>')
    .description('take a number back from whoever holds it')
    .option('--no-wait', 'answer once the request is taken')
    .action(async (tenantId: string, telephoneNumber: string, options: { wait: boolean }) =>
      submit(tenantId, 'number-assignments', { action: 'unassign', telephoneNumber }, options.wait),
    );

  program
    .command('assign-policy <tenantId> <userId> <policyType> <policy>')
    .description('assign a Teams policy to a user, by its name (or its id with --id)')
    .option('--id', 'the policy is given by its id, not its name')
    .option('--no-wait', 'answer once the request is taken')
    .action(
      async (
        tenantId: string,
        userId: string,
        policyType: string,
        policy: string,
        options: { id?: boolean; wait: boolean },
      ) =>
        submit(
          tenantId,
          'policy-assignments',
          {
            action: 'assign',
            userId,
            policyType,
            ...(options.id ? { policyId: policy } : { policyName: policy }),
          },
          options.wait,
        ),
    );

  program
    .command('unassign-policy <tenantId> <userId> <policyType>')
    .description('take a user’s policy of a type back (Global again)')
    .option('--no-wait', 'answer once the request is taken')
    .action(async (tenantId: string, userId: string, policyType: string, options: { wait: boolean }) =>
      submit(tenantId, 'policy-assignments', { action: 'unassign', userId, policyType }, options.wait),
    );

  program
    .command('requests <tenantId>')
    .description('a tenant’s write-back requests, newest first')
    .option('--working', 'only those under way')
    .action(async (tenantId: string, options: { working?: boolean }) => {
      const { value } = await cli.call<{ value: TelephonyRequestView[] }>(
        'GET',
        `${tenantPath(tenantId)}/telephony-requests${options.working ? '?working=true' : ''}`,
      );
      cli.print(value, () =>
        textTable(
          ['request', 'kind', 'action', 'subject', 'state', 'failure or now'],
          value.map((view) => [
            view.requestId,
            view.kind,
            view.action,
            view.telephoneNumber ?? view.policyType,
            view.state,
            view.failure ?? view.lastError,
          ]),
        ),
      );
    });
}
