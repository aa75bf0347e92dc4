// ESLint flat config: typescript-eslint's type-aware recommended rules over src/, tests/ and scripts/
// (everything tsconfig.json includes), with eslint-config-prettier last so that layout is Prettier's
// alone. `npm run lint` runs both; `npm run format` applies both.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/', 'build/', 'node_modules/', '.cache/', '.emulator/'],
  },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      // A disable comment that no longer suppresses anything is itself an error: stale ones go.
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // `async` without `await` is how this code turns a synchronous throw into a rejection and
      // satisfies Promise-returning signatures (engine runners, retry callbacks, emulator handlers);
      // removing it would change behaviour, not fix a bug.
      '@typescript-eslint/require-await': 'off',
      // `import x = require('m')` binds the module object itself, which a sinon stub must replace a property
      // of (tests/unit/taskLib.test.ts); a namespace import may be a copy (esbuild's CommonJS interop).
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
      // `.catch((error: unknown) => Promise.reject(translate(error) ?? error))` passes on what was caught,
      // which is `unknown` by nature; rejecting with a non-Error literal is still reported.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // The same convention as tsc's noUnusedLocals/noUnusedParameters: a leading `_` marks a name kept
      // on purpose, and `{ omitted, ...rest }` is how an object is copied without a property.
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
    },
  },
  {
    // This file and any other plain JavaScript lie outside tsconfig.json: no type information for them.
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  prettier,
);
