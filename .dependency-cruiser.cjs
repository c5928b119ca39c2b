/**
 * The direction of the layers, checked by `npm test` (and test/unit/dependencyRules.test.ts proves
 * that a violation fails). docs/contributing.md ("Layers and dependency rules") says why.
 *
 *   functions/ ─► src/triggers ─► src/usecases ─► src/domain ─► src/shared
 *                 src/runtime, src/cli ─► src/adapters ─► (ports in src/usecases)
 *   dev/ beside the product: only `start` and `cluster` load it, with import()
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment:
        'src/domain imports only src/domain and src/shared (settings as types only: the schema lives in src/settings and is validated there).',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: {
        path: '^(src|functions|dev|test|bench|scripts)/',
        pathNot: ['^src/(domain|shared)/', '^src/settings/[^/]+[.]ts$'],
      },
    },
    {
      name: 'domain-settings-types-only',
      comment: 'The domain reads settings as types; values it needs (limits, the namespace policy) live in the domain.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/settings/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domain-no-io',
      comment: 'The domain does no I/O: no Node module but crypto (hashes for names and keys).',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { dependencyTypes: ['core'], pathNot: '^(node:)?crypto$' },
    },
    {
      name: 'usecases-through-ports',
      comment:
        'Use cases import the domain, src/shared and their own ports, never an adapter, the runtime or a trigger (settings as types only).',
      severity: 'error',
      from: { path: '^src/usecases/' },
      to: {
        path: '^(src|functions|dev|test|bench|scripts)/',
        pathNot: ['^src/(domain|shared|usecases)/', '^src/settings/[^/]+[.]ts$'],
      },
    },
    {
      name: 'usecases-settings-types-only',
      severity: 'error',
      from: { path: '^src/usecases/' },
      to: { path: '^src/settings/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'usecases-no-sdk',
      comment: "No SDK, no Node I/O in a use case: those are the adapters' (behind the ports).",
      severity: 'error',
      from: { path: '^src/usecases/' },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown', 'core'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'product-without-dev-stack',
      comment:
        'The development stack (dev/) is never deployed: nothing in src/ or functions/ imports it, except start and cluster, which load it lazily.',
      severity: 'error',
      from: { path: '^(src|functions)/', pathNot: '^src/cli/commands/(start|cluster)[.]ts$' },
      to: { path: '^dev/' },
    },
    {
      name: 'dev-stack-loaded-lazily',
      comment: 'start and cluster load dev/ with import() (types are free), so no other command pays for it.',
      severity: 'error',
      from: { path: '^src/cli/commands/(start|cluster)[.]ts$' },
      to: { path: '^dev/', dynamic: false, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'src-not-functions-or-tests',
      comment: 'functions/ only registers triggers and test/ only tests: the product never imports either.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(functions|test)/' },
    },
    {
      name: 'no-circular',
      comment: 'No cycle of modules that exists at run time.',
      severity: 'error',
      from: { path: '^(src|functions|dev)/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-circular-types',
      comment:
        'No cycle even of types, but one: the domain reads settings types (inferred from the schema in src/settings, which validates with domain values). Those cycles are type-only (the rule above) and compile away.',
      severity: 'error',
      from: { path: '^(src|functions|dev)/' },
      to: { circular: true, viaOnly: { pathNot: '^src/settings/' } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|artifact|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
