// CPU per uncached opaque verification: the package's web-sys `fetch` (pkg/) against a variant package built
// with another transport (gloo-net: bench/variants/gloo-net.patch, built by bench/variants/measure.sh). Issue 10
// takes gloo-net only if it costs at most 10% more CPU per call, in Node and in workerd.
//   node bench/transport.mjs <variant pkg dir> [calls per round]
// Node: both packages in one process, interleaved rounds, `process.cpuUsage()` (the stand-in is another process).
// workerd: one Miniflare per package; the CPU of the workerd process (its threads' schedstat run time) per request.
import { readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';
import { startStandIn } from '../tests/mock-clerk/spawn.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const variantDir = process.argv[2];
const N = Number(process.argv[3] ?? 1000);
const ROUNDS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const packages = { 'web-sys': join(root, 'pkg'), variant: variantDir };

const standIn = await startStandIn();
try {
  const billing = standIn.machine('billing');
  const mods = {};
  for (const [name, dir] of Object.entries(packages)) mods[name] = await import(join(dir, 'node.js'));
  const gateway = new mods['web-sys'].ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
  const token = (await gateway.createToken({ secondsUntilExpiration: 3600 })).token;

  // ---- Node ----
  const cpu = { 'web-sys': [], variant: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of r % 2 ? ['variant', 'web-sys'] : ['web-sys', 'variant']) {
      const m2m = new mods[name].ClerkM2M({ machineSecretKey: billing.secretKey, apiUrl: standIn.url });
      for (let i = 0; i < 50; i++) await m2m.verify({ token }); // warm-up
      const before = process.cpuUsage();
      for (let i = 0; i < N; i++) await m2m.verify({ token });
      const used = process.cpuUsage(before);
      cpu[name].push((used.user + used.system) / N);
      await standIn.clearRequests();
    }
  }
  const node = { 'web-sys': median(cpu['web-sys']), variant: median(cpu.variant) };
  console.log(`node: CPU per uncached verify: web-sys ${node['web-sys'].toFixed(1)} µs, variant ${node.variant.toFixed(1)} µs, ratio ${(node.variant / node['web-sys']).toFixed(3)}`);

  // ---- workerd ----
  const workerDir = join(root, 'bench/.worker');
  mkdirSync(workerDir, { recursive: true });
  const source = `import { ClerkM2M } from 'clerk-m2m-edge';
let m2m;
export default { async fetch(request, env) {
  m2m ??= new ClerkM2M({ machineSecretKey: env.KEY, apiUrl: env.API_URL });
  const token = await m2m.verify({ token: request.headers.get('authorization').slice(7) });
  return new Response(token.id);
} };`;
  const runtimeNs = (pid) => readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => {
    try { return sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch { return sum; }
  }, 0);
  const workerdPids = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      return stat.includes('(workerd)') && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
    } catch { return false; }
  });
  const wcpu = { 'web-sys': [], variant: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of r % 2 ? ['variant', 'web-sys'] : ['web-sys', 'variant']) {
      const dir = packages[name];
      const built = await esbuild.build({ stdin: { contents: source, resolveDir: root }, bundle: true, format: 'esm', write: false,
        logLevel: 'error', plugins: [{ name: 'pkg', setup(b) {
          b.onResolve({ filter: /^clerk-m2m-edge$/ }, () => ({ path: join(dir, 'workerd.js') }));
          b.onResolve({ filter: /\.wasm$/ }, (a) => ({ path: a.path, external: true }));
        } }] });
      const mf = new Miniflare({ modulesRoot: workerDir, compatibilityDate: '2026-04-01', bindings: { KEY: billing.secretKey, API_URL: standIn.url },
        modules: [{ type: 'ESModule', path: join(workerDir, 'index.mjs'), contents: built.outputFiles[0].contents },
          { type: 'CompiledWasm', path: join(workerDir, 'clerk_m2m_edge_bg.wasm'), contents: readFileSync(join(dir, 'clerk_m2m_edge_bg.wasm')) }] });
      await mf.ready;
      const call = async () => (await mf.dispatchFetch('http://x/', { headers: { authorization: `Bearer ${token}` } })).text();
      for (let i = 0; i < 50; i++) await call();
      const pids = workerdPids();
      const before = pids.reduce((s, p) => s + runtimeNs(p), 0);
      for (let i = 0; i < N; i++) await call();
      const after = pids.reduce((s, p) => s + runtimeNs(p), 0);
      wcpu[name].push((after - before) / 1000 / N);
      await mf.dispose();
      await standIn.clearRequests();
    }
  }
  const workerd = { 'web-sys': median(wcpu['web-sys']), variant: median(wcpu.variant) };
  console.log(`workerd: CPU per uncached verify (workerd process): web-sys ${workerd['web-sys'].toFixed(1)} µs, variant ${workerd.variant.toFixed(1)} µs, ratio ${(workerd.variant / workerd['web-sys']).toFixed(3)}`);
} finally {
  await standIn.stop();
}
