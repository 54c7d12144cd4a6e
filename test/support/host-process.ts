import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { LocalSettings } from '../../local/host/local-settings.js';

const hostMain = join(import.meta.dirname, '..', '..', 'dist', 'local', 'host-main.js');

/**
 * The connector's local Functions host as `npm start` runs it: a process of its own, built from dist, that can be
 * killed outright (SIGKILL: no cleanup, no goodbye) and started again on the same port.
 */
export class HostProcess {
  readonly output: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  url = '';

  constructor(private readonly settings: LocalSettings) {}

  async start(): Promise<void> {
    const child = fork(hostMain, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.child = child;
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line) this.output.push(line);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.send({ settings: this.settings });
    this.url = await new Promise<string>((resolve, reject) => {
      child.once('message', (message: { ready?: string; failed?: string }) => {
        if (message.ready) resolve(message.ready);
        else reject(new Error(`The host did not start: ${message.failed}`));
      });
      child.once('exit', (code) => reject(new Error(`The host exited (${code}) before it was ready.`)));
    });
  }

  /** Kills the host at once, as a crash or an out-of-memory kill would. */
  kill(): void {
    this.child?.kill('SIGKILL');
  }

  /** Resolves once the host process is gone. */
  gone(): Promise<void> {
    return this.exited;
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.send({ stop: true });
      await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      this.kill();
    }
    await this.exited;
  }
}
