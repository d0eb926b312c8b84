import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readSampleApp } from './sample-document';

/**
 * CI gate (OWASP API9): builds the sample app's OpenAPI document without listening, checks that it
 * lists exactly the served routes, and lints it with Spectral's OWASP ruleset (`.spectral.yaml`),
 * failing on any error-severity finding. Warnings are printed; the README lists why each remains.
 */
async function main(): Promise<number> {
  const { document, coverage, inventory } = await readSampleApp();
  if (coverage.undocumented.length > 0 || coverage.unserved.length > 0) {
    console.error('OpenAPI document and route inventory differ:', JSON.stringify(coverage, null, 2));
    return 1;
  }
  const dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document, null, 2));
    const root = resolve(__dirname, '..');
    const spectral = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules/@stoplight/spectral-cli/dist/index.js'),
        'lint',
        file,
        '--ruleset',
        join(root, '.spectral.yaml'),
        '--fail-severity',
        'error',
        '--display-only-failures',
        '--format',
        'text',
      ],
      { stdio: 'inherit', cwd: root },
    );
    if (spectral.status === 0) console.log(`OpenAPI lint: ${inventory.length} routes documented, 0 errors.`);
    return spectral.status ?? 1;
  } finally {
    // KEEP_OPENAPI=1 leaves the linted document in place, to look up a finding's line.
    if (!process.env.KEEP_OPENAPI) rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
