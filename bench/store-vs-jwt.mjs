// A shared-store read against a local JWT verification, in workerd (Miniflare, a real KV binding, the packed
// package bundled as a user would): why JWT verdicts are never written to the store. Prints per-call wall time
// (each batch timed from outside, minus an empty batch) — local KV in Miniflare is a lower bound for a KV read
// (Workers KV answers a hot key from the data centre's cache, a cold one from central storage). Run by
// `make bench`; `node bench/store-vs-jwt.mjs`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';
import { ClerkM2M } from '../pkg/node.js';
import { startStandIn } from '../tests/mock-clerk/spawn.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const N = 200;
const BATCHES = 15;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const wasmOnly = { name: 'wasm', setup(b) { b.onResolve({ filter: /\.wasm$/ }, (a) => ({ path: a.path, external: true })); } };
const ourPackage = { name: 'ours', setup(b) { b.onResolve({ filter: /^clerk-m2m-edge$/ }, () => ({ path: join(root, 'pkg/workerd.js') })); } };
const built = await esbuild.build({
  entryPoints: [join(root, 'bench/workers/store-vs-jwt.js')], bundle: true, format: 'esm', write: false,
  platform: 'browser', conditions: ['workerd', 'worker', 'browser'], plugins: [wasmOnly, ourPackage], logLevel: 'error',
});
const standIn = await startStandIn();
const billing = standIn.machine('billing');
const gateway = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
const { token } = await gateway.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 3600 });
const dir = join(root, 'pkg');
const mf = new Miniflare({
  modules: [
    { type: 'ESModule', path: join(dir, 'bench-store-vs-jwt.mjs'), contents: Buffer.from(built.outputFiles[0].contents) },
    { type: 'CompiledWasm', path: join(dir, 'clerk_m2m_edge_bg.wasm'), contents: readFileSync(join(dir, 'clerk_m2m_edge_bg.wasm')) },
  ],
  modulesRoot: dir, compatibilityDate: '2026-04-01', kvNamespaces: ['KV'], cf: false,
  bindings: { PEM: standIn.jwtPublicKeyPem, MACHINE_ID: billing.id },
});
try {
  const kv = await mf.getKVNamespace('KV');
  await kv.put('clerk-m2m-edge:v2:bench', 'x'.repeat(400)); // about a sealed verdict's size
  const batch = async (what) => {
    const t0 = performance.now();
    const res = await mf.dispatchFetch(`http://x/${what}?n=${N}`, { headers: { 'x-token': `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`${what}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    return (performance.now() - t0) * 1000;
  };
  for (const what of ['noop', 'kv', 'jwt']) await batch(what); // warm-up
  const times = { noop: [], kv: [], jwt: [] };
  for (let b = 0; b < BATCHES; b++) for (const what of ['noop', 'kv', 'jwt']) times[what].push(await batch(what));
  const floor = median(times.noop);
  const kvUs = (median(times.kv) - floor) / N;
  const jwtUs = (median(times.jwt) - floor) / N;
  console.log(`workerd, per call (median of ${BATCHES} batches of ${N}, minus an empty batch):`);
  console.log(`  KV get (Miniflare's local KV, a lower bound): ${kvUs.toFixed(1)} µs`);
  console.log(`  local M2M JWT verification (verifyRequest, cache off, jwtKey): ${jwtUs.toFixed(1)} µs`);
  console.log(`  ratio store read / local JWT: ${(kvUs / jwtUs).toFixed(2)}`);
} finally {
  await mf.dispose();
  await standIn.stop();
}
