import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-bench/**',
      'dist-pack/**',
      'libs/*/dist/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      'bench/results/**',
      '*.config.js',
      '*.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // Users can import only the package's entry points; so can everything in this repository outside
    // the library itself (the sample app, tests, bench and scripts).
    files: ['apps/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'scripts/**/*.js'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@api-security/nestjs/(?!(testing|testing/graphql|typeorm|swagger|redis|graphql)$)',
              message:
                'Import the package by its entry points only: @api-security/nestjs, /testing, /testing/graphql, /typeorm, /swagger, /redis or /graphql.',
            },
            {
              regex: '(^|/)libs/api-security(/|$)',
              message: "Import the library by its package name ('@api-security/nestjs'), as users do.",
            },
            {
              regex: '^@app/',
              message: "Import the library by its package name ('@api-security/nestjs').",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['scripts/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', __dirname: 'readonly', module: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-console': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
