'use strict';
/**
 * Runs a TypeScript entry point (a script under scripts/) without a build step: `.ts` files are
 * compiled to CommonJS on load by SWC with the same settings as the tests, and `@api-security/nestjs`
 * resolves to the library's source. Usage: `node scripts/run-ts.js scripts/inventory.ts [args…]`.
 */
const Module = require('node:module');
const path = require('node:path');
const fs = require('node:fs');
const { transformSync } = require('@swc/core');
const swcOptions = require('../swc.options.js');

const root = path.resolve(__dirname, '..');
const library = path.join(root, 'libs/api-security/src');

// The package's subpath exports; a deeper import fails here as it would for a user.
const ENTRY_POINTS = new Set(
  ['testing', 'testing/graphql', 'typeorm', 'swagger', 'redis', 'graphql'].map((s) => `@api-security/nestjs/${s}`),
);

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === '@api-security/nestjs') request = library;
  else if (ENTRY_POINTS.has(request)) request = path.join(library, request.slice('@api-security/nestjs/'.length));
  return resolve.call(this, request, ...rest);
};

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), { filename, ...swcOptions });
  module._compile(code, filename);
};

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.js <file.ts> [args…]');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(entry), ...args];
require(path.resolve(entry));
