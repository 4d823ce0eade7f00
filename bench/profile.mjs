// Where the time goes in workerd (issue 19's profile): a V8 CPU profile of one Worker through workerd's inspector
// (Miniflare's `inspectorPort`), sampling every 50 µs, around (1) the first request of a fresh isolate — construct
// the client and verify one opaque token — and (2) 500 warm uncached opaque verifications. Prints the functions
// with the most self time (JS by name, wasm by its index or name), grouped by where they live: our wasm, our JS
// glue, the runtime. `node bench/profile.mjs [ours|theirs]` (after `make pkg` and bench's npm ci).
import { Miniflare } from 'miniflare';
import WebSocket from 'ws';
import { startStandIn } from '../tests/mock-clerk/spawn.mjs';
import { bindingsFor, bundle } from './workerd/setup.mjs';

const who = process.argv[2] ?? 'ours';
// `--named DIR`: a package directory whose wasm keeps its name section (wasm-bindgen's output before wasm-opt), so
// that wasm functions show by name.
const named = process.argv.includes('--named') ? process.argv[process.argv.indexOf('--named') + 1] : undefined;
const worker = await bundle(who, { ...(named ? { dir: named } : {}), as: `profile-${who}`, minify: false });
const standIn = await startStandIn();
const bindings = await bindingsFor(standIn);
const port = 9300 + Math.floor(Math.random() * 500);
const mf = new Miniflare({ name: 'bench', ...worker, compatibilityDate: '2026-04-01', bindings, cf: false, inspectorPort: port });
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
