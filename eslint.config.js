// Lint that catches real bugs (STYLE.md §11): promises nobody awaits, switches that miss a case,
// loose equality. Type-aware where the rules need types (server code); the clients get the
// syntactic rules and Vue's essentials, their types being checked by vue-tsc.
// CommonJS: the root package.json has no "type": "module", and this keeps ESLint from
// re-parsing the file on every run.
const js = require('@eslint/js');
const pluginVue = require('eslint-plugin-vue');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/src/gql/**', '**/*.d.ts', '.data/**', 'e2e/artifacts/**', 'bench/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' } },
  },
  {
    languageOptions: {
      globals: {
        // Node and browser globals used across the workspaces.
        process: 'readonly', Buffer: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', fetch: 'readonly',
        require: 'readonly', module: 'writable', __dirname: 'readonly',
        window: 'readonly', document: 'readonly', navigator: 'readonly', location: 'readonly', localStorage: 'readonly',
        performance: 'readonly', structuredClone: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly',
      },
    },
    rules: {
      eqeqeq: ['error', 'smart'],
      // Unused arguments named _x document a required signature.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Type-only rules are off where there is no type information (JS, Vue, clients).
      'no-undef': 'off',
    },
  },
  {
    files: ['eslint.config.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['server/src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
);
