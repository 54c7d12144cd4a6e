import { type CliConfig, resolveConfig } from './cli-config.js';
import { CliError, callConnector } from './connector-client.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** What every command needs: the signed connection to the connector, and how to print for people or scripts. */
/**
 * What the CLI's exit code says: done; failed or refused; or done, but it needs a person (a run holding removals,
 * credentials that no longer work, roles or permissions missing).
 */
export const exitCodes = { done: 0, failed: 1, needsPerson: 2 } as const;

export class CliContext {
  /** The exit code once the command is done (a command that needs a person sets `needsPerson`). */
  exitCode: number = exitCodes.done;

  constructor(
    readonly io: CliIo,
    private readonly globalOptions: () => { url?: string; key?: string; secret?: string; json?: boolean },
  ) {}

  get json(): boolean {
    return Boolean(this.globalOptions().json);
  }

  private config(): CliConfig {
    try {
      return resolveConfig(this.globalOptions(), this.io.env, this.io.cwd);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  }

  /** Calls the connector's core API; `T` is the response's type, taken from the endpoint's schema. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await callConnector(this.config(), method, path, body)) as T;
  }

  /** Prints `value` as JSON with --json, otherwise what `human` makes of it. */
  print(value: unknown, human: () => string): void {
    this.io.out(`${this.json ? JSON.stringify(value, null, 2) : human()}\n`);
  }
}

/** An ISO timestamp to the minute, as tables show it. */
export const day = (iso: string) => iso.replace('T', ' ').slice(0, 16);

/** Query parameters without the options that were not given. */
export const queryOf = (values: Record<string, string | undefined>) =>
  new URLSearchParams(
    Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
