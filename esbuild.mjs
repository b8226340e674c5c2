// Bundles the extension client, the language server and the CLI to CommonJS in dist/.
import * as esbuild from 'esbuild';
import { copyFileSync, cpSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// folder of an installed package, found through its main entry (some packages do not export package.json)
const packageDir = (name) => {
  let dir = dirname(require.resolve(name));
  while (!dir.endsWith(join('node_modules', name))) dir = dirname(dir);
  return dir;
};

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
};

const builds = [
  { ...common, entryPoints: { client: 'client/src/extension.ts' }, outdir: 'dist', external: ['vscode'] },
  {
    ...common,
    entryPoints: { server: 'server/src/lsp/server.ts', cli: 'server/src/cli/memlens.ts' },
    outdir: 'dist',
    // web-tree-sitter's ESM build crashes when bundled to CommonJS (createRequire(undefined))
    // tinyglobby's and fdir's too (import.meta.url is undefined in CommonJS): both ship a CommonJS build
    alias: {
      'web-tree-sitter': join(packageDir('web-tree-sitter'), 'tree-sitter.cjs'),
      tinyglobby: join(packageDir('tinyglobby'), 'dist', 'index.cjs'),
      fdir: join(packageDir('tinyglobby'), 'node_modules', 'fdir', 'dist', 'index.cjs'),
    },
  },
  // the memory view's page script, with ECharts, for the webview (a browser, no Node)
  { ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: { memoryView: 'client/webview/memoryView.ts' }, outdir: 'dist' },
];

// The tree-sitter runtime and the TypeScript and Python grammars are loaded from next to the bundle.
function copyWasm() {
  mkdirSync('dist', { recursive: true });
  const runtimeDir = dirname(join(packageDir('web-tree-sitter'), 'tree-sitter.cjs'));
  copyFileSync(join(runtimeDir, 'tree-sitter.wasm'), 'dist/tree-sitter.wasm');
  const grammars = [
    ['tree-sitter-typescript', 'tree-sitter-typescript.wasm'],
    ['tree-sitter-typescript', 'tree-sitter-tsx.wasm'],
    ['tree-sitter-python', 'tree-sitter-python.wasm'],
  ];
  for (const [pkg, grammar] of grammars) copyFileSync(join(packageDir(pkg), grammar), join('dist', grammar));
  // memlens' own Python descriptions of torchvision's models, read by the Python frontend at run time
  if (existsSync('server/src/core/python/library')) cpSync('server/src/core/python/library', 'dist/library', { recursive: true, filter: (src) => !src.endsWith('__pycache__') });
}
copyWasm();

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
