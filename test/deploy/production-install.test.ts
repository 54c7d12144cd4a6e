import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadStagedFunctions, stageDeployable } from '../../local/deployable.js';
import { projectRoot } from '../../src/lib/project-root.js';

const root = projectRoot(import.meta.url);
const target = mkdtempSync(join(tmpdir(), 'deployable-'));

afterAll(() => rmSync(target, { recursive: true, force: true }));

describe('the app as a Function App holds it (production dependencies only)', () => {
  it('loads every function file that main names, with plain node and no dev dependency present', async () => {
    await stageDeployable(root, target);
    expect(readdirSync(join(target, 'node_modules'))).not.toContain('vitest');
    const report = await loadStagedFunctions(target);
    expect(report.failed).toEqual([]);
    const sourceFiles = readdirSync(join(root, 'src', 'functions')).filter((name) => name.endsWith('.ts'));
    expect(report.files).toBe(sourceFiles.length);
    expect(report.functions.length).toBeGreaterThanOrEqual(sourceFiles.length);
    expect(report.functions).toContain('onboarding-sign-in-callback');
  }, 180_000);
});
