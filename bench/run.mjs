// `make bench`: clerk-m2m-edge and @clerk/backend measured side by side, in one run, on this machine, against
// the same Clerk stand-in. Each timing figure alternates ours and theirs over several rounds and reports
// medians and the ratio ours/theirs (below 1: we are smaller or faster). Writes BENCHMARKS.md and
// bench/ratios.svg. Not part of `make test`: targets live here, never in timed tests.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';
import { createClerkClient } from '@clerk/backend';
import { ClerkM2M, verifyRequest, clearVerificationCache, verificationCacheStats } from '../pkg/node.js';
import { startStandIn } from '../tests/mock-clerk/spawn.mjs';
import { packageSize } from './workerd/setup.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkgDir = join(root, 'pkg');
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 5;
const SEQ = quick ? 400 : 2000;
const MEM_N = quick ? 20_000 : 100_000;
const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const us = (n) => `${n.toFixed(1)} µs`;
const results = [];
let standIn;
function record(figure, ours, theirs, { floor, unit = us, target, note } = {}) {
  const ratio = theirs > 0 ? ours / theirs : NaN;
  const met = target ? target(ratio, ours, floor) : undefined;
  results.push({ figure, ours, theirs, floor, ratio, unit, targetText: target?.text, met, note });
  const floorText = floor === undefined ? '' : `  floor ${unit(floor)} (ours/floor ${(ours / floor).toFixed(2)})`;
  console.log(`${figure}: ours ${unit(ours)}  theirs ${unit(theirs)}  ratio ${ratio.toFixed(3)}${floorText}${met === undefined ? '' : met ? '  ✓' : '  ✗'}`);
}
const target = (text, fn) => Object.assign(fn, { text });

/** Runs `fn` for each implementation, alternating their order every round; returns the per-round medians. */
async function alternate(impls, fn) {
  const out = Object.fromEntries(Object.keys(impls).map((k) => [k, []]));
  const names = Object.keys(impls);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...names].reverse() : names;
    for (const name of order) out[name].push(await fn(impls[name], name));
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, median(v)]));
}

/**
 * Sequential per-call time of each implementation, interleaved finely: every round runs the implementations in
 * turn in batches of 50 calls, so drift on a shared machine (the stand-in runs here too) hits all alike.
 */
async function interleavedSequential(impls, n = SEQ, batch = 50) {
  const names = Object.keys(impls);
  for (const name of names) for (let i = 0; i < 50; i++) await impls[name](i); // warm-up
  const rounds = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const spent = Object.fromEntries(names.map((k) => [k, 0]));
    for (let done = 0; done < n; done += batch) {
      const order = (done / batch + r) % 2 ? [...names].reverse() : names;
      for (const name of order) {
        const t0 = performance.now();
        for (let i = 0; i < batch; i++) await impls[name](done + i);
        spent[name] += performance.now() - t0;
      }
      await standIn?.clearRequests();
    }
    for (const name of names) rounds[name].push((spent[name] * 1000) / n);
  }
  return Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, median(v)]));
}

async function perCallConcurrent(call, n = SEQ, inFlight = 64) {
  let next = 0;
  const worker = async () => {
    while (next < n) await call(next++);
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return ((performance.now() - t0) * 1000) / n;
}

// ---------- 1. size ----------
const wasmOnly = { name: 'wasm-external', setup(b) { b.onResolve({ filter: /\.wasm(\?module)?$/ }, (a) => ({ path: a.path, external: true })); } };
const ourPackage = { name: 'ours', setup(b) { b.onResolve({ filter: /^clerk-m2m-edge$/ }, () => ({ path: join(pkgDir, 'workerd.js') })); } };
async function bundle(entry) {
  const r = await esbuild.build({
    entryPoints: [entry], bundle: true, minify: true, format: 'esm', write: false, platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'], plugins: [wasmOnly, ourPackage], logLevel: 'error',
  });
  return Buffer.from(r.outputFiles[0].contents);
}
const wasm = readFileSync(join(pkgDir, 'clerk_m2m_edge_bg.wasm'));
const size = packageSize(pkgDir);
const ourPkgGzip = size.gzip;
const theirVerify = await bundle(join(root, 'bench/workers/theirs-verify.js'));
const ourVerify = await bundle(join(root, 'bench/workers/ours-verify.js'));
const ourWorker = await bundle(join(root, 'worker-example/src/index.js'));
const theirWorker = await bundle(join(root, 'bench/workers/theirs-worker.js'));
console.log(`size: package wasm ${kb(size.wasm)} raw / ${kb(size.wasmGzip)} gzip, glue ${kb(size.glue)} raw / ${kb(size.glueGzip)} gzip`);
record('Package (wasm + JS glue), gzip, vs their verify-only worker bundle', ourPkgGzip, gz(theirVerify), {
  unit: kb, target: target('≤ 90 KB', (_r, ours) => ours <= 90 * 1024),
  note: `ours uncompressed ${kb(size.wasm + size.glue)}; theirs minified ${kb(theirVerify.length)}`,
});
record('Verify-only worker bundle (+ wasm), gzip', gz(ourVerify) + gz(wasm), gz(theirVerify), { unit: kb });
record('worker-example bundle (+ wasm) vs the same worker on @clerk/backend, gzip', gz(ourWorker) + gz(wasm), gz(theirWorker), {
  unit: kb, note: `minified: ours ${kb(ourWorker.length + wasm.length)}, theirs ${kb(theirWorker.length)}`,
});

// ---------- 2. cold start ----------
const ms = (n) => `${n.toFixed(2)} ms`;
const cold = { ours: [], theirs: [] };
const coldClient = { ours: [], theirs: [] };
for (let r = 0; r < (quick ? 4 : 41); r++) {
  for (const which of r % 2 ? ['theirs', 'ours'] : ['ours', 'theirs']) {
    const out = execFileSync(process.execPath, [join(root, 'bench/cold.mjs'), which, pkgDir], { cwd: join(root, 'bench') });
    const [importMs, clientMs] = String(out).trim().split(' ').map(Number);
    cold[which].push(importMs);
    coldClient[which].push(clientMs);
  }
}
record('Cold start in Node: import + wasm instantiation', median(cold.ours), median(cold.theirs), { unit: ms });
record('Cold start in Node: import + instantiation + first client', median(coldClient.ours), median(coldClient.theirs), {
  unit: ms, note: 'the first `new ClerkM2M` compiles (lazily) the wasm functions it runs',
  target: target('≤ 0.25', (r) => r <= 0.25),
});
async function workerdStart(modules) {
  const t0 = performance.now();
  const mf = new Miniflare({ modules, modulesRoot: join(root, 'bench/.worker'), compatibilityDate: '2026-04-01', bindings: { CLERK_MACHINE_SECRET_KEY: 'ak_x' } });
  await mf.ready;
  const res = await mf.dispatchFetch('http://x/');
  await res.arrayBuffer();
  const t = performance.now() - t0;
  await mf.dispose();
  return t;
}
const workerdCold = await alternate({
  ours: [{ type: 'ESModule', path: join(root, 'bench/.worker/index.mjs'), contents: ourVerify },
    { type: 'CompiledWasm', path: join(root, 'bench/.worker/clerk_m2m_edge_bg.wasm'), contents: wasm }],
  theirs: [{ type: 'ESModule', path: join(root, 'bench/.worker/index.mjs'), contents: theirVerify }],
}, workerdStart);
record('Cold start in workerd (process start + script + first request)', workerdCold.ours, workerdCold.theirs, { unit: ms });

// ---------- the stand-in and tokens ----------
standIn = await startStandIn();
const billing = standIn.machine('billing');
const gateway = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
const opaque = (await gateway.createToken({ secondsUntilExpiration: 3600 })).token;
const jwt = (await gateway.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 3600 })).token;
const pk = 'pk_test_' + Buffer.from('clerk.example.com$').toString('base64');
const ours = new ClerkM2M({ machineSecretKey: billing.secretKey, apiUrl: standIn.url });
const theirs = createClerkClient({ machineSecretKey: billing.secretKey, apiUrl: standIn.url, publishableKey: pk });
const verifyUrl = `${standIn.url}/v1/m2m_tokens/verify`;
const bareFetch = async () => {
  const res = await fetch(verifyUrl, { method: 'POST', body: JSON.stringify({ token: opaque }),
    headers: { authorization: `Bearer ${billing.secretKey}`, 'content-type': 'application/json', accept: 'application/json' } });
  return res.json();
};
const bearer = (t) => new Request('https://service.internal/api', { headers: { authorization: `Bearer ${t}` } });
const calls = async () => {
  const log = await standIn.requests();
  await standIn.clearRequests();
  return log.filter((r) => r.path === '/m2m_tokens/verify').length;
};
// The receiving machine is required (0.2): the recommended setup, one scope check more than authenticateRequest.
const guardOptions = { machineSecretKey: billing.secretKey, apiUrl: standIn.url, machineId: billing.id };

// ---------- 3. uncached opaque verification ----------
/** One round of 64-in-flight calls (per-call µs), then an empty request log for the next. */
const concurrentRound = async (call) => {
  const perCall = await perCallConcurrent(call);
  await standIn.clearRequests();
  return perCall;
};
const uncached = await interleavedSequential({
  ours: () => ours.verify({ token: opaque }),
  theirs: () => theirs.m2m.verify({ token: opaque }),
  floor: bareFetch,
});
record(`Opaque m2m.verify, sequential (${SEQ} calls)`, uncached.ours, uncached.theirs, { floor: uncached.floor,
  target: target('≤ 1.10 × theirs and ≤ 1.30 × bare fetch', (r, o, f) => r <= 1.1 && o / f <= 1.3) });
const uncachedConc = await alternate({
  ours: () => ours.verify({ token: opaque }),
  theirs: () => theirs.m2m.verify({ token: opaque }),
  floor: bareFetch,
}, concurrentRound);
record('Opaque m2m.verify, 64 in flight (per call)', uncachedConc.ours, uncachedConc.theirs, { floor: uncachedConc.floor });
const guardUncached = await interleavedSequential({
  ours: () => verifyRequest(bearer(opaque), { ...guardOptions, cache: false }),
  theirs: () => theirs.authenticateRequest(bearer(opaque), { acceptsToken: 'm2m_token' }),
  floor: bareFetch,
});
record('verifyRequest (cache off) vs authenticateRequest, sequential', guardUncached.ours, guardUncached.theirs, { floor: guardUncached.floor });
const guardUncachedConc = await alternate({
  ours: () => verifyRequest(bearer(opaque), { ...guardOptions, cache: false }),
  theirs: () => theirs.authenticateRequest(bearer(opaque), { acceptsToken: 'm2m_token' }),
  floor: bareFetch,
}, concurrentRound);
record('verifyRequest (cache off) vs authenticateRequest, 64 in flight (per call)', guardUncachedConc.ours, guardUncachedConc.theirs, { floor: guardUncachedConc.floor });

// ---------- 4. repeated tokens ----------
clearVerificationCache();
const repeated = await interleavedSequential({
  ours: () => verifyRequest(bearer(opaque), guardOptions),
  theirs: () => theirs.authenticateRequest(bearer(opaque), { acceptsToken: 'm2m_token' }),
});
record('Repeated token: verifyRequest (cached) vs authenticateRequest', repeated.ours, repeated.theirs, {
  target: target('≥ 20 × faster (ratio ≤ 0.05)', (r) => r <= 0.05) });
clearVerificationCache();
await calls();
for (let i = 0; i < 1000; i++) await verifyRequest(bearer(opaque), guardOptions);
const ourCalls = await calls();
for (let i = 0; i < 1000; i++) await theirs.authenticateRequest(bearer(opaque), { acceptsToken: 'm2m_token' });
const theirCalls = await calls();
record('Calls to Clerk per 1,000 requests with one token', ourCalls, theirCalls, { unit: (n) => `${n}`,
  target: target('≤ 1 per token per TTL', (_r, o) => o <= 1) });

// ---------- 5. JWT ----------
const pem = standIn.jwtPublicKeyPem;
const oursJwt = new ClerkM2M({ jwtKey: pem });
const theirsJwt = createClerkClient({ jwtKey: pem, publishableKey: pk });
const [h, p, s] = jwt.split('.');
const key = await crypto.subtle.importKey('spki', Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'),
  { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
const sig = Buffer.from(s, 'base64url');
const data = new TextEncoder().encode(`${h}.${p}`);
clearVerificationCache();
const jwtFig = await interleavedSequential({
  ours: () => verifyRequest(bearer(jwt), { jwtKey: pem, machineId: billing.id }),
  oursNoCache: () => oursJwt.verify({ token: jwt }),
  theirs: () => theirsJwt.m2m.verify({ token: jwt }),
  floor: () => crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, sig, data),
});
record('JWT: verifyRequest (repeated JWT, cached) vs their m2m.verify', jwtFig.ours, jwtFig.theirs, { floor: jwtFig.floor,
  target: target('≤ 0.6', (r) => r <= 0.6) });
record('JWT: m2m.verify, local, no result cache', jwtFig.oursNoCache, jwtFig.theirs, { floor: jwtFig.floor });

// ---------- 6. the caller's side: a token source's fetch vs a plain fetch with a fixed header ----------
{
  const { createServer } = await import('node:http');
  const callee = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
  await new Promise((resolve) => callee.listen(0, '127.0.0.1', resolve));
  const calleeUrl = `http://127.0.0.1:${callee.address().port}/api`;
  const gatewayKey = standIn.machine('gateway').secretKey;
  const origins = [new URL(calleeUrl).origin]; // the origin check (0.2) is part of every source.fetch measured
  const source = new ClerkM2M({ machineSecretKey: gatewayKey, apiUrl: standIn.url }).tokenSource({ secondsUntilExpiration: 3600, origins });
  const fixed = `Bearer ${await source.getToken()}`; // the token is cached from here on
  const sourceFig = await interleavedSequential({
    ours: async () => (await source.fetch(calleeUrl)).text(),
    theirs: async () => (await fetch(calleeUrl, { headers: { authorization: fixed } })).text(),
  });
  record('Outgoing call: source.fetch (token cached) vs a plain fetch with a fixed Authorization header', sourceFig.ours, sourceFig.theirs, {
    note: '"theirs" is the plain fetch: @clerk/backend has no token source',
    target: target('≤ 1.05 × the plain fetch', (r) => r <= 1.05) });
  callee.close();
}

// ---------- 7. memory ----------
async function heapGrowth(run) {
  global.gc?.();
  const before = process.memoryUsage();
  await run();
  global.gc?.();
  const after = process.memoryUsage();
  return { heap: after.heapUsed - before.heapUsed, total: after.heapUsed + after.external - before.heapUsed - before.external, rss: after.rss - before.rss };
}
// Both sides first serve 5,000 other requests, so neither pays the process's first-time growth (sockets, JIT
// code, allocator arenas) inside its measurement: the one measured first would otherwise look worse on rss.
await perCallConcurrent((i) => verifyRequest(bearer(`mt_warm${i}`), guardOptions), 5000);
await perCallConcurrent((i) => theirs.authenticateRequest(bearer(`mt_warm${i}`), { acceptsToken: 'm2m_token' }), 5000);
await standIn.clearRequests();
clearVerificationCache();
const oursMem = await heapGrowth(() => perCallConcurrent((i) => verifyRequest(bearer(`mt_bench${i}`), guardOptions), MEM_N));
const entries = verificationCacheStats().entries;
await standIn.clearRequests();
const theirsMem = await heapGrowth(() => perCallConcurrent((i) => theirs.authenticateRequest(bearer(`mt_bench${i}`), { acceptsToken: 'm2m_token' }), MEM_N));
await standIn.clearRequests();
const mb = (n) => `${(n / 1048576).toFixed(1)} MB`;
record(`Memory growth over ${MEM_N.toLocaleString('en')} distinct tokens (JS heap + external)`, oursMem.total, theirsMem.total, {
  unit: mb, note: `cache entries after: ${entries} (bound 10,000); rss growth ours ${mb(oursMem.rss)}, theirs ${mb(theirsMem.rss)}`,
  target: target('cache bound holds', () => entries <= 10_000) });
await standIn.stop();

// ---------- report ----------
const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'))).version;
const theirsVersion = JSON.parse(readFileSync(join(root, 'bench/node_modules/@clerk/backend/package.json'))).version;
const wbVersion = /wasm-bindgen = "=([^"]+)"/.exec(readFileSync(join(root, 'Cargo.toml'), 'utf8'))[1];
const fmt = (r, v) => (v === undefined ? '' : r.unit(v));
const lines = [
  '# Benchmarks: clerk-m2m-edge vs @clerk/backend',
  '',
  `Measured side by side in one run by \`make bench\` (\`node --expose-gc bench/run.mjs\`) on ${new Date().toISOString().slice(0, 10)}.`,
  `Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; Node ${process.version}.`,
  `Versions: clerk-m2m-edge ${version} (wasm-bindgen ${wbVersion}), @clerk/backend ${theirsVersion}. Clerk: the local stand-in on 127.0.0.1.`,
  '',
  // Where our users run first: workerd (bench/workerd.mjs, run before this script by `make bench`).
  ...(existsSync(join(root, 'bench/workerd.md')) ? [readFileSync(join(root, 'bench/workerd.md'), 'utf8'), ''] : []),
  ...(existsSync(join(root, 'bench/workerd-own.md')) ? [readFileSync(join(root, 'bench/workerd-own.md'), 'utf8'), ''] : []),
  '## In Node (second)',
  '',
  `Method: each timing alternates ours and theirs over ${ROUNDS} rounds (${SEQ} calls per round; cold starts: ${quick ? 4 : 41} fresh processes each); figures are medians; ratio = ours / theirs (below 1 is better for us).`,
  '',
  '![ratios](bench/ratios.svg)',
  '',
  '| Figure | Ours | Theirs | Floor | Ratio | Target | Met |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...results.map((r) => `| ${r.figure}${r.note ? ` (${r.note})` : ''} | ${fmt(r, r.ours)} | ${fmt(r, r.theirs)} | ${fmt(r, r.floor)} | ${Number.isNaN(r.ratio) ? 'n/a' : r.ratio.toFixed(3)} | ${r.targetText ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : '**no**'} |`),
  '',
  'Floors: a bare `fetch` of the same verify endpoint (opaque); a bare `crypto.subtle.verify` with an imported key (JWT).',
  '',
  // The fleet's bill, measured in workerd and modelled (bench/fleet.mjs, run before this script by `make bench`).
  ...(existsSync(join(root, 'bench/fleet.md')) ? [readFileSync(join(root, 'bench/fleet.md'), 'utf8'), ''] : []),
  // The optimisation log and the blockers are written by hand (bench/history.md), next to the figures they explain.
  readFileSync(join(root, 'bench/history.md'), 'utf8'),
];
writeFileSync(join(root, 'BENCHMARKS.md'), lines.join('\n'));

// A bar chart of the ratios (log scale; 1 = parity; left of it we lead).
const bars = results.filter((r) => Number.isFinite(r.ratio) && r.ratio > 0);
const W = 900, rowH = 30, left = 430, plotW = 420, H = 40 + bars.length * rowH;
const x = (ratio) => left + ((Math.log10(ratio) + 2) / 3) * plotW; // 0.01 … 10
const esc = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
  `<text x="${left}" y="16">ours / theirs (log scale; left of 1 = ours smaller or faster)</text>`,
  ...[0.01, 0.1, 1, 10].map((t) => `<line x1="${x(t)}" y1="24" x2="${x(t)}" y2="${H - 4}" stroke="${t === 1 ? '#333' : '#ccc'}"/><text x="${x(t) + 2}" y="${H - 6}" fill="#666">${t}</text>`),
  ...bars.map((r, i) => {
    const y = 30 + i * rowH;
    const x1 = Math.min(x(1), x(r.ratio)), x2 = Math.max(x(1), x(r.ratio));
    const color = r.ratio <= 1 ? '#2e8b57' : '#c0392b';
    return `<text x="${left - 6}" y="${y + 14}" text-anchor="end">${esc(r.figure.slice(0, 62))}</text><rect x="${x1}" y="${y + 3}" width="${Math.max(1, x2 - x1)}" height="16" fill="${color}"/><text x="${x2 + 4}" y="${y + 15}">${r.ratio.toFixed(3)}</text>`;
  }),
  '</svg>',
];
writeFileSync(join(root, 'bench/ratios.svg'), svg.join('\n'));
console.log('\nwrote BENCHMARKS.md and bench/ratios.svg');
