// A Worker written inline in a test, as Miniflare runs it: bundled from the consumer project (the packed package
// installed as a user installs it) the way a user's bundler would — the package through its `workerd` condition,
// its wasm left as a module — for the tests that need a Worker of their own (settings, fleets, the Cache API).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));
const consumer = join(root, 'tests/.tmp/consumer');
const dir = join(root, 'tests/.tmp');

/** `{ modules, modulesRoot }` of a Miniflare worker running `source` (an ES module), as `<name>.mjs`. */
export async function inlineWorker(source, name) {
  const built = await esbuild.build({
    stdin: { contents: source, resolveDir: consumer, loader: 'js' },
    bundle: true, format: 'esm', write: false, platform: 'browser', conditions: ['workerd', 'worker', 'browser'],
    plugins: [{ name: 'wasm', setup: (b) => b.onResolve({ filter: /\.wasm$/ }, (a) => ({ path: a.path, external: true })) }],
    logLevel: 'error',
  });
  return {
    modules: [
      { type: 'ESModule', path: join(dir, `${name}.mjs`), contents: Buffer.from(built.outputFiles[0].contents) },
      { type: 'CompiledWasm', path: join(dir, 'clerk_m2m_edge_bg.wasm'), contents: readFileSync(join(consumer, 'node_modules/clerk-m2m-edge/clerk_m2m_edge_bg.wasm')) },
    ],
    modulesRoot: dir,
  };
}
