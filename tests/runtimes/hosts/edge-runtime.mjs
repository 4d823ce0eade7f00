// Serves a fetch-handler module in Vercel's edge runtime (npm `edge-runtime`): `node edge-runtime.mjs <app.mjs>`.
// The app is bundled with esbuild under the `edge-light` condition, as Vercel's bundler does, with its
// `*.wasm?module` import turned into a WebAssembly.Module compiled inside the edge VM. Prints {"url"} when ready.
import { EdgeRuntime, runServer } from 'edge-runtime';
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';

const env = JSON.parse(process.env.APP_ENV);
// `import wasm from './x.wasm?module'` → a module that compiles the bytes with the VM's own WebAssembly.
const wasmModule = {
  name: 'wasm-module',
  setup(build) {
    build.onResolve({ filter: /\.wasm\?module$/ }, async (args) => {
      const resolved = await build.resolve(args.path.replace(/\?module$/, ''), { resolveDir: args.resolveDir, kind: 'import-statement' });
      return { path: resolved.path, namespace: 'wasm-module' };
    });
    build.onLoad({ filter: /.*/, namespace: 'wasm-module' }, (args) => ({
      contents: `import bytes from ${JSON.stringify(args.path)}; export default new WebAssembly.Module(bytes);`,
      loader: 'js',
    }));
    build.onResolve({ filter: /\.wasm$/, namespace: 'wasm-module' }, (args) => ({ path: args.path, namespace: 'wasm-bytes' }));
    build.onLoad({ filter: /.*/, namespace: 'wasm-bytes' }, (args) => ({ contents: readFileSync(args.path), loader: 'binary' }));
  },
};
const entry = {
  name: 'edge-app',
  setup(build) {
    build.onResolve({ filter: /^edge-app$/ }, () => ({ path: 'edge-app', namespace: 'edge-app' }));
    build.onLoad({ filter: /.*/, namespace: 'edge-app' }, () => ({
      resolveDir: process.cwd(),
      contents: `import app from ${JSON.stringify(process.argv[2])};
        addEventListener('fetch', (event) => event.respondWith(app.fetch(event.request, globalThis.__APP_ENV, { waitUntil() {} })));`,
    }));
  },
};
const result = await esbuild.build({
  entryPoints: ['edge-app'],
  bundle: true,
  write: false,
  format: 'iife',
  target: 'es2022',
  platform: 'neutral',
  conditions: ['edge-light', 'worker', 'browser'],
  mainFields: ['module', 'main'],
  plugins: [entry, wasmModule],
  logLevel: 'error',
});
const code = result.outputFiles[0].text;
const runtime = new EdgeRuntime({
  initialCode: code,
  extend: (context) => Object.assign(context, { __APP_ENV: env }),
});
const server = await runServer({ runtime, port: 0, host: '127.0.0.1' });
console.log(JSON.stringify({ url: server.url.replace(/\/$/, '') }));
