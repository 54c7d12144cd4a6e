import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm start`'s compiled path under plain node: Azurite, the simulator and the local host, then health, then
 * a clean stop on Ctrl-C (SIGINT). Runs what `npm run build` produced.
 */
const port = 7391;
const execFileAsync = promisify(execFile);
let child: ChildProcess | undefined;
let output = '';

afterAll(() => {
  child?.kill('SIGKILL');
});

/** Starts `npm start`'s compiled entry with `args`, and waits until it says it is ready. */
async function startLocal(...args: string[]): Promise<void> {
  output = '';
  child = spawn(
    process.execPath,
    ['dist/local/start.js', '--port', String(port), '--sim-port', '0', '--core-port', '0', ...args],
    { env: { ...process.env, NODE_EXTRA_CA_CERTS: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  await waitForOutput('Press Ctrl-C to stop.');
}

async function waitForOutput(text: string, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!output.includes(text)) {
    if (Date.now() - started > timeoutMs || child?.exitCode !== null)
      throw new Error(`no '${text}':\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopLocal(): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
  child?.kill('SIGINT');
  return exited;
}

/** A call to the simulator's control API, trusting the CA `npm start` keeps in .local/sim. */
function simControl(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const simUrl = /the Microsoft 365 simulator at (https:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? '';
  return new Promise((resolve, reject) => {
    const call = request(
      `${simUrl}${path}`,
      { method, ca: readFileSync('.local/sim/ca.pem'), headers: { 'content-type': 'application/json' } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }),
        );
      },
    );
    call.on('error', reject);
    call.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const cliSecret = () =>
  (JSON.parse(readFileSync('.local/core-client.json', 'utf8')) as { signingSecret: string }).signingSecret;

describe('npm start (compiled, plain node)', () => {
  it('answers GET /api/health with 200 and stops cleanly on SIGINT', async () => {
    expect(existsSync('dist/local/start.js'), 'run `npm run build` first').toBe(true);
    child = spawn(
      process.execPath,
      ['dist/local/start.js', '--port', String(port), '--sim-port', '0', '--core-port', '0'],
      {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const started = Date.now();
    while (!output.includes('Press Ctrl-C to stop.')) {
      if (Date.now() - started > 30_000 || child.exitCode !== null) throw new Error(`not ready:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(output).toContain('the Microsoft 365 simulator at https://127.0.0.1:');
    expect(output).not.toContain('test mode');

    const response = await fetch(`http://localhost:${port}/api/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'healthy' });

    const cli = (...args: string[]) =>
      execFileAsync(process.execPath, ['dist/cli/main.js', ...args], {
        env: { ...process.env, CONNECTOR_URL: '', CONNECTOR_FUNCTION_KEY: '', CONNECTOR_SIGNING_SECRET: '' },
      });
    const invited = await cli(
      'invite',
      '--customer-ref',
      'START-1',
      '--customer-name',
      'Smoke Test',
      '--service',
      'dr-1=Direct Routing',
      '--licence',
      'HostedEssentialsPlus',
    );
    expect(invited.stdout).toContain(`http://localhost:7071/api/onboarding/`);
    const listed = await cli('invitations');
    expect(listed.stdout).toContain('Smoke Test (START-1)');

    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('Stopping...');
    expect(output).not.toMatch(/AZURE_CLIENT_SECRET|~[A-Za-z0-9_-]{30,}/);
  });

  it('starts the local host again when it dies, and says so', async () => {
    await startLocal();
    const hostPid = execFileSync('ps', ['-o', 'pid=', '--ppid', String(child?.pid)], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)
      .map(Number)[0] as number;
    process.kill(hostPid, 'SIGKILL');
    await waitForOutput('The local host exited (SIGKILL); starting it again.');
    await waitForOutput('The local host is serving again');
    expect((await fetch(`http://localhost:${port}/api/health`)).status).toBe(200);
    expect(await stopLocal()).toBe(0);
  });

  it('with --persist, continues the simulated world and the storage of the last run', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'connector-persist-'));
    try {
      await startLocal('--persist', folder);
      expect(output).toContain('its world kept in');
      const secret = cliSecret();
      type Summary = { id: string; displayName: string; users: number };
      const tenants = async () => (await simControl('GET', '/_sim/tenants')).body as Summary[];
      const contoso = (await tenants()).find((candidate) => candidate.displayName.startsWith('Contoso'));
      if (!contoso) throw new Error(`no Contoso tenant: ${JSON.stringify(await tenants())}`);
      const added = await simControl('POST', `/_sim/tenants/${contoso.id}/users`, {
        displayName: 'Persisted Person',
        alias: 'persisted.person',
      });
      expect(added.status).toBe(201);
      const cli = (...args: string[]) =>
        execFileAsync(process.execPath, ['dist/cli/main.js', ...args], {
          env: {
            ...process.env,
            CONNECTOR_URL: '',
            CONNECTOR_FUNCTION_KEY: '',
            CONNECTOR_SIGNING_SECRET: '',
          },
        });
      await cli(
        'invite',
        '--customer-ref',
        'KEEP-1',
        '--customer-name',
        'Kept',
        '--service',
        'dr-1=DR',
        '--licence',
        'HostedPro',
      );
      expect(await stopLocal()).toBe(0);

      await startLocal('--persist', folder);
      expect(output).toContain('its world continued from');
      expect(cliSecret()).toBe(secret);
      const after = (await tenants()).find((candidate) => candidate.id === contoso.id);
      expect(after?.users).toBe(contoso.users + 1);
      expect((await cli('invitations')).stdout).toContain('Kept (KEEP-1)');
      expect(await stopLocal()).toBe(0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
