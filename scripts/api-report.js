'use strict';
/**
 * `npm run api:report` checks the package's public API against the committed reports in
 * libs/api-security/etc/ (one per entry point), with API Extractor over the built `.d.ts` files:
 * any change to an export's name or signature fails until the report is updated on purpose with
 * `npm run api:report -- --update`, so the diff shows up in review. It also fails on an export
 * without documentation (`ae-undocumented`) and on more than MAX_RUNTIME_EXPORTS runtime exports
 * from the main entry. Run `npm run build:lib` first.
 */
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { Extractor, ExtractorConfig } = require('@microsoft/api-extractor');

const root = path.resolve(__dirname, '..');
const library = path.join(root, 'libs/api-security');
const update = process.argv.includes('--update');
/**
 * Small enough to read in one sitting. Raised from 80 to 84 for sender-constrained tokens
 * (`RequireDpop`); integrations with their own dependencies (GraphQL, Redis, TypeORM) get their own
 * entry point instead of growing this one.
 */
const MAX_RUNTIME_EXPORTS = 84;

const ENTRY_POINTS = [
  { name: 'api-security', dts: 'dist/index.d.ts' },
  { name: 'api-security-testing', dts: 'dist/testing/index.d.ts' },
  { name: 'api-security-testing-graphql', dts: 'dist/testing/graphql/index.d.ts' },
  { name: 'api-security-typeorm', dts: 'dist/typeorm.d.ts' },
  { name: 'api-security-swagger', dts: 'dist/swagger.d.ts' },
  { name: 'api-security-redis', dts: 'dist/redis.d.ts' },
  { name: 'api-security-graphql', dts: 'dist/graphql.d.ts' },
];

let failed = false;
for (const entry of ENTRY_POINTS) {
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: library,
      newlineKind: 'lf',
      mainEntryPointFilePath: path.join(library, entry.dts),
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2023',
            lib: ['ES2023'],
            module: 'nodenext',
            moduleResolution: 'nodenext',
            strict: true,
            experimentalDecorators: true,
            types: ['node'],
            // Dependencies' declarations are theirs to check: @nestjs/graphql's import an optional peer (ts-morph).
            skipLibCheck: true,
          },
          include: [path.join(library, 'dist/**/*.d.ts')],
        },
      },
      apiReport: {
        enabled: true,
        reportFileName: entry.name,
        reportFolder: path.join(library, 'etc'),
        reportTempFolder: path.join(root, 'dist-pack/api-report'),
        includeForgottenExports: false,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        extractorMessageReporting: {
          default: { logLevel: 'warning', addToApiReportFile: false },
          'ae-missing-release-tag': { logLevel: 'none' },
          // Undocumented items are marked `// (undocumented)` in the report; exports must not be (below).
          'ae-undocumented': { logLevel: 'none', addToApiReportFile: true },
          // Option and result types reachable from public signatures are documented where declared.
          'ae-forgotten-export': { logLevel: 'none' },
          // {@link} to an internal name is fine in source docs; the report is about signatures.
          'ae-unresolved-link': { logLevel: 'none' },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
        compilerMessageReporting: { default: { logLevel: 'error' } },
      },
    },
    configObjectFullPath: path.join(library, 'api-extractor.json'),
    packageJsonFullPath: path.join(library, 'package.json'),
  });
  const result = Extractor.invoke(config, { localBuild: update, showVerboseMessages: false });
  const report = readFileSync(update ? config.reportFilePath : config.reportTempFilePath, 'utf8');
  // API Extractor marks a top-level export without JSDoc `// @public (undocumented)`; members are not checked.
  const undocumented = [
    ...report.matchAll(/^\/\/ @public \(undocumented\)\r?\n(?:export )?(?:declare )?(?:abstract )?\w+ (\w+)/gm),
  ];
  for (const [, name] of undocumented) {
    failed = true;
    console.error(`API report ${entry.name}: the export ${name} has no JSDoc.`);
  }
  if (!result.succeeded) {
    failed = true;
    console.error(
      `API report ${entry.name}: ${result.errorCount} error(s), ${result.warningCount} warning(s)` +
        (result.apiReportChanged && !update
          ? ' — the public API changed: review it, then run `npm run api:report -- --update` and commit etc/.'
          : ''),
    );
  }
}

const runtime = Object.keys(require(path.join(library, 'dist/index.js')));
if (runtime.length > MAX_RUNTIME_EXPORTS) {
  failed = true;
  console.error(`The main entry has ${runtime.length} runtime exports; at most ${MAX_RUNTIME_EXPORTS} are allowed.`);
} else {
  console.error(`API report: ${runtime.length} runtime exports from the main entry (at most ${MAX_RUNTIME_EXPORTS}).`);
}
process.exit(failed ? 1 : 0);
