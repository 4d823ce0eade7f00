// What `bench/workerd.mjs` and `bench/profile.mjs` share: the benchmark Workers bundled as a user's bundler would
// (ours from a package directory through its `workerd` condition, its wasm a module; @clerk/backend with the
// `process.env.NODE_ENV` it needs in workerd), and the bindings they run with against the stand-in.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { ClerkM2M } from '../../pkg/node.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = join(root, 'bench/.workerd');
const wasmExternal = { name: 'wasm', setup(b) { b.onResolve({ filter: /\.wasm$/ }, (a) => ({ path: a.path, external: true })); } };
const ourPackage = (dir) => ({ name: 'ours', setup(b) { b.onResolve({ filter: /^clerk-m2m-edge$/ }, () => ({ path: resolve(dir, 'workerd.js') })); } });

/**
 * `{ modules, modulesRoot }` of bench/workerd/`name`.js (`ours`, `theirs`, `floors`, or their `own-` forms), bundled
 * against the package in `dir`, under bench/.workerd/`as`; `minify: false` keeps the JS's names (for a profile).
 */
export async function bundle(name, { dir = join(root, 'pkg'), as = name, minify = true } = {}) {
  const built = await esbuild.build({
    entryPoints: [join(root, `bench/workerd/${name}.js`)], bundle: true, minify, format: 'esm', write: false,
    platform: 'browser', conditions: ['workerd', 'worker', 'browser'], plugins: [wasmExternal, ourPackage(dir)],
    define: name.endsWith('theirs') ? { 'process.env.NODE_ENV': '"production"' } : {},
    nodePaths: [join(root, 'bench/node_modules')], logLevel: 'error',
  });
  mkdirSync(join(out, as), { recursive: true });
  const modules = [{ type: 'ESModule', path: join(out, as, `${name}.mjs`), contents: Buffer.from(built.outputFiles[0].contents) }];
  if (name.endsWith('ours')) {
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

/**
 * The package as a Worker loads it (`dir`, default pkg/): the wasm, and the JS — the workerd entry, wasm-bindgen's
 * glue, the error re-export and the snippets (readable ESM, not bundled: the user's bundler minifies them) — raw and
 * gzipped at level 9, in bytes. Issue 19's ceiling is on `gzip`, the sum.
 */
export function packageSize(dir = join(root, 'pkg')) {
  const gz = (buf) => gzipSync(buf, { level: 9 }).length;
  const wasm = readFileSync(join(dir, 'clerk_m2m_edge_bg.wasm'));
  const snippets = join(dir, 'snippets', readdirSync(join(dir, 'snippets'))[0], 'js');
  const glue = Buffer.concat([join(dir, 'workerd.js'), join(dir, 'clerk_m2m_edge.js'), join(dir, 'errors.js'),
    ...readdirSync(snippets).map((f) => join(snippets, f))].map((f) => readFileSync(f)));
  return { wasm: wasm.length, glue: glue.length, wasmGzip: gz(wasm), glueGzip: gz(glue), gzip: gz(wasm) + gz(glue) };
}

/** The workerd processes alive now (Miniflare spawns one per instance). */
export const workerdPids = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
  try {
    return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'workerd';
  } catch {
    return false;
  }
});

/** CPU time of every thread of the process `pid` so far, in µs (the first field of each task's schedstat in /proc). */
export const cpuUs = (pid) => readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => {
  try {
    return sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
  } catch {
    return sum; // a thread that ended meanwhile
  }
}, 0);

/** The median of `xs`. */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** `--lever DIR`'s directory, when given: a second build of the package measured in the same rounds. */
export const leverDir = process.argv.includes('--lever') ? process.argv[process.argv.indexOf('--lever') + 1] : undefined;
