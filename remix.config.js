/** @type {import('@remix-run/dev').AppConfig} */
export default {
  ignoredRouteFiles: ['**/.*', '**/*.test.*'],
  serverModuleFormat: 'esm',
  serverPlatform: 'node',
  serverBuildPath: 'build/server/index.js',
  assetsBuildDirectory: 'public/build',
  publicPath: '/build/',
  // Nothing from node_modules is bundled: pdfkit reads its font metrics from its own folder at
  // run time, and pg, knex and PGlite (wasm) must load as the same instances server.ts uses.
  serverDependenciesToBundle: [],
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    // Single fetch and lazy discovery change loader responses and routing; they belong to the
    // later move to React Router 7, not to this compiler.
    v3_singleFetch: false,
    v3_lazyRouteDiscovery: false,
  },
}
