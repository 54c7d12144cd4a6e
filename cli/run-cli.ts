import { Command, CommanderError } from 'commander';
import { CliContext, type CliIo, exitCodes } from './cli-context.js';
import { eventCommands } from './commands/event-commands.js';
import { invitationCommands } from './commands/invitation-commands.js';
import { replicationCommands } from './commands/replication-commands.js';
import { serviceCommands } from './commands/service-commands.js';
import { setupCommands } from './commands/setup-commands.js';
import { siteCommands } from './commands/site-commands.js';
import { statusCommands } from './commands/status-commands.js';
import { telephonyCommands } from './commands/telephony-commands.js';
import { tenantCommands } from './commands/tenant-commands.js';
import { CliError } from './connector-client.js';

export type { CliIo };

/**
 * The operator CLI: one command per core API operation an operator needs (see cli/commands). Signs every call as
 * the core does; prints tables for people, or JSON with --json. Returns the exit code.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = new Command('connector')
    .description('Operate the M365 Tenant Connector as the platform core does.')
    .option('--url <url>', 'the connector API base, e.g. http://localhost:7071/api')
    .option('--key <key>', 'the function key')
    .option('--secret <whsec>', 'a Standard Webhooks signing secret the connector accepts')
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      `\nExit codes: ${exitCodes.done} done; ${exitCodes.failed} failed or refused; ${exitCodes.needsPerson} done, but it needs a person (a run holding removals, credentials that no longer work, roles or permissions missing).`,
    )
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  const cli = new CliContext(io, () => program.opts());
  for (const commands of [
    invitationCommands,
    tenantCommands,
    serviceCommands,
    siteCommands,
    telephonyCommands,
    replicationCommands,
    eventCommands,
    statusCommands,
    setupCommands,
  ])
    commands(program, cli);

  const unknown = unknownCommand(argv, program);
  if (unknown) {
    // Asked with --help too, commander would print the top-level help and exit 0: a typo must not pass.
    io.err(`error: unknown command '${unknown}' (see --help)\n`);
    return exitCodes.failed;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return cli.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError) {
      io.err(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** The command `argv` names when no command of the program has that name (global options and their values skipped). */
function unknownCommand(argv: readonly string[], program: Command): string | undefined {
  const takesValue = new Set(['--url', '--key', '--secret']);
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (takesValue.has(arg)) {
      i += 1;
      continue;
    }
    if (arg.startsWith('-')) continue;
    const known = program.commands.some((command) => command.name() === arg) || arg === 'help';
    return known ? undefined : arg;
  }
  return undefined;
}
