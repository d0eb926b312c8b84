/** Jest runs TypeScript through SWC compiled to CommonJS (settings shared with scripts/run-ts.js). */
const swc = ['@swc/jest', require('./swc.options.js')];

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|jose|file-type|uid|token-types|strtok3|@tokenizer|load-esm|content-disposition|@fastify/static/node_modules/content-disposition)/)',
  ],
  moduleNameMapper: {
    // The package's entry points (its `exports`), resolved to the sources; nothing deeper resolves.
    '^@api-security/nestjs$': '<rootDir>/libs/api-security/src/index.ts',
    '^@api-security/nestjs/(testing|typeorm|swagger|redis|graphql)$': '<rootDir>/libs/api-security/src/$1',
    '^@api-security/nestjs/testing/graphql$': '<rootDir>/libs/api-security/src/testing/graphql',
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
  testTimeout: 30000,
};
