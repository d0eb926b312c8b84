'use strict';
/**
 * `npm run pack:lib`: builds the library from a clean `dist/` and packs it with `npm pack`, exactly
 * as it would be published. Progress goes to stderr; the last line on stdout is the tarball's
 * absolute path, so scripts and tests can do `npm install "$(npm run -s pack:lib | tail -1)"`.
 */
const { execFileSync } = require('node:child_process');
const { mkdirSync, rmSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const library = path.join(root, 'libs/api-security');
const destination = path.join(root, 'dist-pack');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

rmSync(path.join(library, 'dist'), { recursive: true, force: true });
execFileSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', path.join(library, 'tsconfig.build.json')],
  {
    cwd: root,
    stdio: ['ignore', process.stderr, 'inherit'],
  },
);
mkdirSync(destination, { recursive: true });
const output = execFileSync(npm, ['pack', '--json', '--pack-destination', destination], {
  cwd: library,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
const [packed] = JSON.parse(output);
console.error(`packed ${packed.name}@${packed.version}: ${packed.entryCount} files, ${packed.size} bytes`);
console.log(path.join(destination, packed.filename));
