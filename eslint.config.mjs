// @ts-check
// `npm run lint` runs ESLint (this file), Prettier's check and scripts/check-line-length.mjs.
// typescript-eslint's recommended set without type information: the type-aware rules were tried and cost
// several times the run time for no real finding, as `tsc --noEmit` already types every file.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/', 'coverage/', '.data/', 'bench/api/node_modules/', 'test/e2e/artifacts/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore marks a parameter a signature needs (Express's error handler, GraphQL arguments kept
      // for the schema) or a property taken out of an object by destructuring; the rest are real findings.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Control characters appear in patterns only as \u escapes, on purpose: to refuse them in input.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests and benchmarks read untyped JSON (GraphQL responses, raw rows); typing each one adds noise, not safety.
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The dashboard's script runs in the browser.
    files: ['src/analytics/dashboard/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
);
