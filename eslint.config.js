// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Modules that do I/O or read ambient state: `functions/core` must stay pure (DESIGN.md). */
const IMPURE_MODULES = [
  { group: ['@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*', 'ssh2', 'pg', 'dns2', 'node:fs', 'node:fs/*', 'node:child_process', 'node:net', 'node:http', 'node:https', 'fs', 'child_process'], message: 'functions/core is pure: take I/O through a port in core/ports.' },
  { group: ['**/adapters/**', '**/handlers/**', '**/infra/**'], message: 'Dependencies point inward: core imports nothing outside core.' },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'drill-report/**', '.twinstack/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.mjs', 'infra/cli/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['functions/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: IMPURE_MODULES }],
      'no-restricted-globals': ['error', { name: 'process', message: 'functions/core is pure: no process.env; take configuration as arguments.' }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'functions/core has no clock: take a Clock or a timestamp.' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
