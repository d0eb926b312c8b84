'use strict';
/* global require, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry point that loads TypeScript */
/**
 * Runs a TypeScript entry point (a script under scripts/) without a build step: `.ts` files are
 * compiled to CommonJS on load by SWC with the same settings as the tests, and `@app/api-security`
 * resolves to the library's source. Usage: `node scripts/run-ts.js scripts/inventory.ts [args…]`.
 */
const Module = require('node:module');
const path = require('node:path');
const fs = require('node:fs');
const { transformSync } = require('@swc/core');
const swcOptions = require('../swc.options.js');

const root = path.resolve(__dirname, '..');
const library = path.join(root, 'libs/api-security/src');

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === '@app/api-security') request = library;
  else if (request.startsWith('@app/api-security/')) request = path.join(library, request.slice(18));
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
