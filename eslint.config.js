// Flat ESLint config: typescript-eslint's recommended rules (syntactic, not type-aware, so a lint
// run stays fast and needs no project service), with a few pragmatic adjustments.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['node_modules/', 'data/', 'dist/', 'coverage/', 'bench-results/'],
  },
  tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js,mjs,cjs}'],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // `_name` marks a parameter or binding that is deliberately unused (positional callbacks,
      // destructuring something away).
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
      // A few core rules worth having that the TypeScript compiler does not already enforce.
      eqeqeq: ['error', 'smart'],
      'no-debugger': 'error',
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  {
    // Tests and benchmarks are HTTP clients poking at untyped JSON responses; `any` there is honest
    // and keeps assertions readable.
    files: ['test/**/*.ts', 'scripts/bench*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
