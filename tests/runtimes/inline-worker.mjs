// A Worker written inline (a test's, the demo's, a benchmark's), as Miniflare runs it: bundled from a project that
// installed the package — by default the tests' consumer project (the packed package installed as a user installs
// it) — the way a user's bundler would: the package through its `workerd` condition, its wasm left as a module.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));
const consumer = join(root, 'tests/.tmp/consumer');
const dir = join(root, 'tests/.tmp');

/** `{ modules, modulesRoot }` of a Miniflare worker running `source` (an ES module), as `<name>.mjs`. */
export async function inlineWorker(source, name, project = consumer) {
  const built = await esbuild.build({
    stdin: { contents: source, resolveDir: project, loader: 'js' },
    bundle: true, format: 'esm', write: false, platform: 'browser', conditions: ['workerd', 'worker', 'browser'],
    plugins: [{ name: 'wasm', setup: (b) => b.onResolve({ filter: /\.wasm$/ }, (a) => ({ path: a.path, external: true })) }],
    logLevel: 'error',
  });
  mkdirSync(dir, { recursive: true });
  return {
    modules: [
      { type: 'ESModule', path: join(dir, `${name}.mjs`), contents: Buffer.from(built.outputFiles[0].contents) },
      { type: 'CompiledWasm', path: join(dir, 'clerk_m2m_edge_bg.wasm'), contents: readFileSync(join(project, 'node_modules/clerk-m2m-edge/clerk_m2m_edge_bg.wasm')) },
    ],
    modulesRoot: dir,
  };
}
