'use strict';
/* global module */
/**
 * How TypeScript is compiled wherever it runs without a build step (Jest, scripts/run-ts.js): SWC to
 * CommonJS with legacy decorators and their metadata, as Nest's DI needs. Node >= 20.19 then loads the
 * ESM-only NestJS 12 packages through require(esm).
 */
module.exports = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
