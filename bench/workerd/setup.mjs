// What `bench/workerd.mjs` and `bench/profile.mjs` share: the benchmark Workers bundled as a user's bundler would
// (ours from a package directory through its `workerd` condition, its wasm a module; @clerk/backend with the
// `process.env.NODE_ENV` it needs in workerd), and the bindings they run with against the stand-in.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { ClerkM2M } from '../../pkg/node.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = join(root, 'bench/.workerd');
const wasmExternal = { name: 'wasm', setup(b) { b.onResolve({ filter: /\.wasm$/ }, (a) => ({ path: a.path, external: true })); } };
const ourPackage = (dir) => ({ name: 'ours', setup(b) { b.onResolve({ filter: /^clerk-m2m-edge$/ }, () => ({ path: resolve(dir, 'workerd.js') })); } });

/**
 * `{ modules, modulesRoot }` of bench/workerd/`name`.js (`ours`, `theirs` or `floors`), bundled against the package
 * in `dir`, under bench/.workerd/`as`; `minify: false` keeps the JS's names (for a profile).
 */
export async function bundle(name, { dir = join(root, 'pkg'), as = name, minify = true } = {}) {
  const built = await esbuild.build({
    entryPoints: [join(root, `bench/workerd/${name}.js`)], bundle: true, minify, format: 'esm', write: false,
    platform: 'browser', conditions: ['workerd', 'worker', 'browser'], plugins: [wasmExternal, ourPackage(dir)],
    define: name === 'theirs' ? { 'process.env.NODE_ENV': '"production"' } : {},
    nodePaths: [join(root, 'bench/node_modules')], logLevel: 'error',
  });
  mkdirSync(join(out, as), { recursive: true });
  const modules = [{ type: 'ESModule', path: join(out, as, `${name}.mjs`), contents: Buffer.from(built.outputFiles[0].contents) }];
  if (name === 'ours') {
    modules.push({ type: 'CompiledWasm', path: join(out, as, 'clerk_m2m_edge_bg.wasm'), contents: readFileSync(join(dir, 'clerk_m2m_edge_bg.wasm')) });
  }
  return { modules, modulesRoot: join(out, as) };
}

/** The Workers' bindings: the receiving machine's key, the stand-in's URL, an opaque token and a JWT to verify. */
export async function bindingsFor(standIn) {
  const billing = standIn.machine('billing');
  const gateway = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
  return {
    KEY: billing.secretKey, API: standIn.url, MACHINE_ID: billing.id, PEM: standIn.jwtPublicKeyPem,
    OPAQUE: (await gateway.createToken({ secondsUntilExpiration: 3600 })).token,
    JWT: (await gateway.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 3600 })).token,
    PK: 'pk_test_' + Buffer.from('clerk.example.com$').toString('base64'),
  };
}
