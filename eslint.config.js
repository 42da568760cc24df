// Lint rules, and the folder boundaries of docs/decisions/029 and 030 written where CI checks
// them: imports point one way, server.ts and cli/ -> app/, jobs/, reports/ -> core/ -> db/, with
// simulator/ and bench/ on the side. Each boundary's message names the door to use instead.
import js from '@eslint/js'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'
import { importX } from 'eslint-plugin-import-x'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const root = import.meta.dirname

/** Folders and files holding production code: everything but test/ and the config files. */
const SOURCE = ['./app', './bench', './cli', './config', './core', './db', './jobs', './reports', './server', './server.ts', './simulator']
const ENTRY_POINTS = ['./cli', './server.ts', './server', './simulator', './bench']
/**
 * core/ modules that import nothing of the project (node built-ins and npm packages only), so
 * db/ may use them without an upward edge: pseudonyms and masking, the promise catalogue, signing, time-stamps.
 */
const CORE_LEAVES = ['./identifiers.ts', './promises.ts', './signing.ts', './timestamp.ts']

const DB_IS_THE_BOTTOM =
  'db/ is the bottom layer: it knows tables and SQL, not the rules, pages, jobs or reports built on it. ' +
  'Take what you need as a parameter, or move the code up into core/.'

const boundaries = [
  { target: './db', from: './core', except: CORE_LEAVES, message: DB_IS_THE_BOTTOM },
  { target: './db', from: ['./app', './jobs', './reports', ...ENTRY_POINTS], message: DB_IS_THE_BOTTOM },
  {
    target: CORE_LEAVES.map((leaf) => `./core/${leaf.slice(2)}`),
    from: SOURCE,
    message: 'This core/ module is a leaf that db/ uses: it must import nothing of the project (node and npm packages only).',
  },
  {
    target: './core',
    from: ['./app', './jobs', './reports', ...ENTRY_POINTS],
    message:
      'core/ is shared by every entry point: it must not import app/, jobs/, reports/, cli/, server, simulator/ or bench/. ' +
      'Move the shared part into core/ (or db/), or pass it in as a parameter.',
  },
  {
    target: ['./app/routes', './app/components'],
    from: ['./db', './jobs', './reports'],
    message:
      'Routes and components reach the database, jobs and reports only through app/lib/*.server.ts: ' +
      'add or use a function there (types too: import them from core/ or app/lib).',
  },
  {
    target: ['./app', './jobs', './reports'],
    from: ENTRY_POINTS,
    message:
      'app/, jobs/ and reports/ are called by the entry points (server.ts, server/, cli/) and must not import them, ' +
      'nor simulator/ or bench/ (test and demo tools). Move the shared part into core/.',
  },
  {
    target: './jobs',
    from: ['./app', './reports'],
    message: 'jobs/ is production ingest: it must not import app/ or reports/. Shared rules belong in core/.',
  },
  {
    target: './reports',
    from: ['./app', './jobs'],
    message: 'reports/ builds on core/ and db/ (reports/queries.ts): it must not import app/ or jobs/. Shared rules belong in core/.',
  },
  {
    target: SOURCE,
    from: './test',
    message: 'test/ is for tests only: production code must not import it. Move the shared part into the code it tests.',
  },
]

export default tseslint.config(
  {
    ignores: ['build/', 'public/build/', '.cache/', 'data/', 'node_modules/', 'test-output/', 'bench-output/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js}'],
    plugins: { 'import-x': importX },
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    settings: {
      // Which files import-x parses to follow imports (no-cycle needs the .ts sources).
      'import-x/extensions': importX.flatConfigs.typescript.settings['import-x/extensions'],
      'import-x/parsers': importX.flatConfigs.typescript.settings['import-x/parsers'],
      'import-x/resolver-next': [
        // tsconfig.json's paths hold the `#*` map; `.js` suffixes resolve to the .ts sources.
        createTypeScriptImportResolver({ project: `${root}/tsconfig.json`, alwaysTryTypes: true }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // A `let` read by callbacks before its one assignment stays a `let`; so does a destructuring
      // where only some names are reassigned.
      'prefer-const': ['error', { destructuring: 'all', ignoreReadBeforeAssign: true }],
      'no-new-wrappers': 'error',
      'import-x/no-restricted-paths': ['error', { basePath: root, zones: boundaries }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Tests read JSON fixtures and FHIR bundles as untyped data.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Untyped knex rows, read field by field; typed reads (reports/queries.ts) are to replace them.
    files: ['db/queries/notices.ts', 'reports/incident.ts', 'reports/incident-evidence.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Remix's ambient types are declared by reference.
    files: ['**/*.d.ts'],
    rules: { '@typescript-eslint/triple-slash-reference': 'off' },
  },
  {
    // Browser code: routes and components also run in the page.
    files: ['app/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
)
