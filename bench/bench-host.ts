import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../src/lib/project-root.js';

const root = projectRoot(import.meta.url);

export interface BenchHost {
  child: ChildProcess;
  url: string;
}

/** The local Functions host in a process of its own, trusting the simulator's CA; resolves once it listens. */
export function startHost(options: {
  values: Record<string, string>;
  caPath: string;
  nodeArgs: string[];
  functionKey: string;
  masterKey: string;
  port?: number;
}): Promise<BenchHost> {
  const child = fork(join(root, 'dist', 'local', 'host-main.js'), {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: options.caPath },
    execArgv: options.nodeArgs,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const { values, functionKey, masterKey } = options;
  child.send({ settings: { values, port: options.port ?? 0, functionKey, masterKey } });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { ready?: string; failed?: string }) =>
      message.ready ? resolve({ child, url: message.ready }) : reject(new Error(String(message.failed))),
    );
    child.once('exit', (code) => reject(new Error(`a host exited (${code}) before it was ready`)));
  });
}
