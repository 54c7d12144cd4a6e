import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';

/** What `--help` prints for `argv`, and its exit code. */
async function help(argv: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const write = (text: string) => {
    lines.push(text);
  };
  const code = await runCli([...argv, '--help'], { out: write, err: write, env: {}, cwd: process.cwd() });
  return { code, text: lines.join('') };
}

describe('the operator’s guide (docs/operations.md)', () => {
  const guide = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'operations.md'), 'utf8');
  const uses = [...guide.replaceAll('\n   ', ' ').matchAll(/npm run cli -- ([a-z-]+)((?: --[a-z-]+)*)/g)].map(
    (match) => ({
      command: match[1] ?? '',
      options: (match[2] ?? '').trim().split(/\s+/).filter(Boolean),
    }),
  );

  it('names the CLI commands it uses (the scan works)', () => {
    expect(new Set(uses.map((use) => use.command)).size).toBeGreaterThan(10);
  });

  it('uses only commands and options the CLI has', async () => {
    for (const { command, options } of uses) {
      const { code, text } = await help([command]);
      expect(code, `npm run cli -- ${command}`).toBe(0);
      expect(text, `npm run cli -- ${command}`).toContain(`Usage: connector ${command}`);
      for (const option of options) expect(text, `${command} ${option}`).toContain(option);
    }
  });
});
