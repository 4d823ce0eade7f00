// Where the time goes in workerd (issue 19's profile): a V8 CPU profile of one Worker through workerd's inspector
// (Miniflare's `inspectorPort`), sampling every 50 µs, around (1) the first request of a fresh isolate — construct
// the client and verify one opaque token — and (2) 500 warm uncached opaque verifications. Prints the functions
// with the most self time (JS by name, wasm by its index or name), grouped by where they live: our wasm, our JS
// glue, the runtime. `node bench/profile.mjs [ours|theirs]` (after `make pkg` and bench's npm ci).
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';
import WebSocket from 'ws';
import { ClerkM2M } from '../pkg/node.js';
import { startStandIn } from '../tests/mock-clerk/spawn.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const who = process.argv[2] ?? 'ours';
const out = join(root, 'bench/.workerd');
mkdirSync(out, { recursive: true });
const wasmExternal = { name: 'wasm', setup(b) { b.onResolve({ filter: /\.wasm$/ }, (a) => ({ path: a.path, external: true })); } };
// `--named DIR`: a package directory whose wasm keeps its name section (wasm-bindgen's output before wasm-opt), so
// that wasm functions show by name.
const named = process.argv.includes('--named') ? process.argv[process.argv.indexOf('--named') + 1] : undefined;
const pkgDir = named ?? join(root, 'pkg');
const ourPackage = { name: 'ours', setup(b) { b.onResolve({ filter: /^clerk-m2m-edge$/ }, () => ({ path: join(pkgDir, 'workerd.js') })); } };
const built = await esbuild.build({
  entryPoints: [join(root, `bench/workerd/${who}.js`)], bundle: true, format: 'esm', write: false, platform: 'browser',
  conditions: ['workerd', 'worker', 'browser'], plugins: [wasmExternal, ourPackage], nodePaths: [join(root, 'bench/node_modules')],
  define: who === 'theirs' ? { 'process.env.NODE_ENV': '"production"' } : {}, logLevel: 'error',
});
const modules = [{ type: 'ESModule', path: join(out, `profile-${who}.mjs`), contents: Buffer.from(built.outputFiles[0].contents) }];
if (who === 'ours') modules.push({ type: 'CompiledWasm', path: join(out, 'clerk_m2m_edge_bg.wasm'), contents: readFileSync(join(pkgDir, 'clerk_m2m_edge_bg.wasm')) });

const standIn = await startStandIn();
const billing = standIn.machine('billing');
const gateway = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
const bindings = {
  KEY: billing.secretKey, API: standIn.url, MACHINE_ID: billing.id, PEM: standIn.jwtPublicKeyPem,
  OPAQUE: (await gateway.createToken({ secondsUntilExpiration: 3600 })).token, JWT: '', PK: 'pk_test_' + Buffer.from('clerk.example.com$').toString('base64'),
};
const port = 9300 + Math.floor(Math.random() * 500);
const mf = new Miniflare({ name: 'bench', modules, modulesRoot: out, compatibilityDate: '2026-04-01', bindings, cf: false, inspectorPort: port });
await mf.ready;

// The inspector: one WebSocket per Worker; commands by id.
const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
const target = targets.find((t) => t.title?.includes('bench')) ?? targets[0];
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
let id = 0;
const pending = new Map();
ws.on('message', (data) => {
  const message = JSON.parse(data);
  pending.get(message.id)?.(message.result);
  pending.delete(message.id);
});
const send = (method, params = {}) => new Promise((resolve) => {
  pending.set(++id, resolve);
  ws.send(JSON.stringify({ id, method, params }));
});
await send('Profiler.enable');
await send('Profiler.setSamplingInterval', { interval: 50 });

/** Self time by function over a profile, top `n`, with where each lives. */
function top(profile, n = 25) {
  const dt = profile.timeDeltas;
  const self = new Map();
  const byWhere = {};
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  profile.samples.forEach((nodeId, i) => {
    const frame = byId.get(nodeId).callFrame;
    const where = frame.url.startsWith('wasm') ? 'wasm' : frame.url ? 'js' : 'runtime';
    const name = `${frame.functionName || '(anonymous)'} [${where}${where === 'js' ? `:${frame.lineNumber}` : ''}]`;
    self.set(name, (self.get(name) ?? 0) + (dt[i] ?? 0));
    byWhere[where] = (byWhere[where] ?? 0) + (dt[i] ?? 0);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`  total sampled ${(total / 1000).toFixed(2)} ms: ${Object.entries(byWhere).map(([w, us]) => `${w} ${(us / 1000).toFixed(2)} ms`).join(', ')}`);
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`  ${(us / 1000).toFixed(3).padStart(8)} ms  ${name}`);
}

try {
  const call = async (path) => {
    const res = await mf.dispatchFetch(`http://bench${path}`);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    await res.text();
  };
  await send('Profiler.start');
  await call('/verify');
  let { profile } = await send('Profiler.stop');
  console.log(`${who}: first request of a fresh isolate (construct + one opaque verify)`);
  top(profile);
  for (let i = 0; i < 100; i++) await call('/verify');
  await send('Profiler.start');
  for (let i = 0; i < 500; i++) await call('/verify');
  ({ profile } = await send('Profiler.stop'));
  console.log(`${who}: 500 warm uncached opaque verifications`);
  top(profile);
} finally {
  ws.close();
  await mf.dispose();
  await standIn.stop();
}
