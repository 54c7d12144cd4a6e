import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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
});
