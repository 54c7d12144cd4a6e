import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';

describe('the README’s list of CLI commands', () => {
  it('names every command --help lists, and none it does not', async () => {
    let help = '';
    const code = await runCli(['--help'], {
      out: (text) => {
        help += text;
      },
      err: (text) => {
        help += text;
      },
      env: {},
      cwd: process.cwd(),
    });
    expect(code).toBe(0);
    const commands = [...(help.split('Commands:')[1] ?? '').matchAll(/^ {2}([a-z-]+)/gm)]
      .map((match) => match[1] ?? '')
      .filter((name) => name !== 'help');
    expect(commands.length).toBeGreaterThan(20);
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const paragraph = readme.slice(
      readme.indexOf('- **Operator CLI**'),
      readme.indexOf('\n- ', readme.indexOf('- **Operator CLI**') + 3),
    );
    const listed = [...paragraph.matchAll(/`([a-z][a-z-]*)`/g)].map((match) => match[1] ?? '');
    expect(listed.filter((name) => !['json'].includes(name)).sort()).toEqual([...commands].sort());
  });
});
