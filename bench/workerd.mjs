// `make bench` (first): clerk-m2m-edge and @clerk/backend side by side in workerd, where our users run. Both are
// bundled with esbuild as a user's bundler would (ours through its `workerd` condition with no defines at all;
// theirs with `process.env.NODE_ENV` defined, which it needs in workerd), each Worker in a workerd process of its
// own (Miniflare), against the stand-in (a separate Node process, so its work is not counted).
//
// CPU is the workerd process's: the sum of /proc/<pid>/task/*/schedstat (time on CPU, every thread) read before and
// after a request or a batch; every figure minus the same figure of a no-op Worker measured the same way
// (bench/workerd/floors.js: what Miniflare's entry Worker and the runtime cost per request). Figures:
// - isolate ready: the process's CPU once Miniflare reports it ready (script compiled and evaluated, wasm
//   instantiated), minus the no-op Worker's;
// - first request of a fresh isolate: constructing the client only, and one opaque `m2m.verify` (CPU and wall);
// - warm (after 50 requests) and steady (after 1,000 more) per-request CPU of an uncached opaque `m2m.verify`, a
//   JWT `m2m.verify`, and a repeated token through `verifyRequest` / `authenticateRequest`;
// - floors: a bare `fetch` of the verify endpoint and a bare `crypto.subtle.verify`.
// Medians over ROUNDS rounds that alternate ours and theirs. Prints the table and writes bench/workerd.md, which
// BENCHMARKS.md leads with.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { startStandIn } from '../tests/mock-clerk/spawn.mjs';
import { bindingsFor, bundle, cpuUs, leverDir, median, packageSize, workerdPids } from './workerd/setup.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 9;
const BATCH = quick ? 100 : 200;

// ---------- the Workers, bundled; the stand-in and the bindings ----------
// `--lever DIR`: a second build of the package (another pkg/ directory, e.g. before or after a change) measured in
// the same rounds as `lever`, so that a lever's before/after is read in one run (BENCHMARKS.md's lever log).
const workers = {
  ours: await bundle('ours'),
  theirs: await bundle('theirs'),
  noop: await bundle('floors', { as: 'noop' }),
  ...(leverDir ? { lever: await bundle('ours', { dir: leverDir, as: 'lever' }) } : {}),
};
const standIn = await startStandIn();
const bindings = await bindingsFor(standIn);

// ---------- workerd processes and their CPU ----------
/** A fresh workerd running `name`'s Worker: `{ readyCpu, readyMs, cpu(), fetch(path), dispose() }`. */
async function start(name) {
  const before = new Set(workerdPids());
  const t0 = performance.now();
  const mf = new Miniflare({ ...workers[name], compatibilityDate: '2026-04-01', bindings, cf: false });
  await mf.ready;
  const readyMs = performance.now() - t0;
  const [pid] = workerdPids().filter((p) => !before.has(p));
  if (!pid) throw new Error('no new workerd process');
  const headers = { authorization: `Bearer ${bindings.OPAQUE}` };
  return {
    readyMs,
    readyCpu: cpuUs(pid),
    cpu: () => cpuUs(pid),
    async fetch(path) {
      const res = await mf.dispatchFetch(`http://bench${path}`, { headers });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${name} ${path}: ${res.status} ${text}`);
      return text;
    },
    dispose: () => mf.dispose(),
  };
}

/** CPU (µs) and wall (ms) of one request. */
async function one(w, path) {
  const c0 = w.cpu();
  const t0 = performance.now();
  await w.fetch(path);
  return { cpu: w.cpu() - c0, wall: performance.now() - t0 };
}

/** Per-request CPU (µs) over a batch of sequential requests. */
async function batch(w, path, n = BATCH) {
  const c0 = w.cpu();
  for (let i = 0; i < n; i++) await w.fetch(path);
  return (w.cpu() - c0) / n;
}

// ---------- measurements ----------
const samples = {};
const add = (figure, who, value) => ((samples[figure] ??= {})[who] ??= []).push(value);
for (let r = 0; r < ROUNDS; r++) {
  const names = Object.keys(workers);
  const order = r % 2 ? [...names].reverse() : names;
  for (const who of order) {
    const first = who === 'noop' ? '/' : '/construct';
    // Isolate ready, and a first request that only constructs the client.
    let w = await start(who);
    add('ready-cpu', who, w.readyCpu);
    add('ready-wall', who, w.readyMs);
    let f = await one(w, first);
    add('construct-cpu', who, f.cpu);
    add('construct-wall', who, f.wall);
    await w.dispose();
    // A fresh isolate whose first request verifies one opaque token.
    w = await start(who);
    f = await one(w, who === 'noop' ? '/fetch' : '/verify');
    add('first-verify-cpu', who, f.cpu);
    add('first-verify-wall', who, f.wall);
    // Warm (after 50) and steady (after 1,000 more).
    const paths = who === 'noop' ? { noop: '/', verify: '/fetch', jwt: '/crypto' } : { verify: '/verify', jwt: '/jwt', guard: '/guard' };
    for (const [what, path] of Object.entries(paths)) {
      for (let i = 0; i < 50; i++) await w.fetch(path);
      add(`${what}-warm`, who, await batch(w, path));
    }
    for (const [what, path] of Object.entries(paths)) {
      for (let i = 0; i < (quick ? 300 : 1000); i++) await w.fetch(path);
      add(`${what}-steady`, who, await batch(w, path));
    }
    await w.dispose();
    await standIn.clearRequests();
  }
  console.log(`round ${r + 1}/${ROUNDS} done`);
}
await standIn.stop();

// ---------- report ----------
const m = (figure, who) => median(samples[figure][who]);
const noopWarm = m('noop-warm', 'noop');
const noopSteady = m('noop-steady', 'noop');
const rows = [];
const row = (figure, ours, theirs, { unit = 'µs', floor, target } = {}) => {
  const ratio = ours / theirs;
  const met = target ? target.test(ratio, ours, floor) : undefined;
  rows.push({ figure, ours, theirs, floor, ratio, unit, target: target?.text, met });
  const f = (v) => (v === undefined ? '' : unit === 'ms' ? `${v.toFixed(2)} ms` : `${v.toFixed(0)} µs`);
  console.log(`${figure}: ours ${f(ours)} theirs ${f(theirs)} ratio ${ratio.toFixed(2)}${floor === undefined ? '' : ` floor ${f(floor)} (ours/floor ${(ours / floor).toFixed(2)})`}${met === undefined ? '' : met ? ' ✓' : ' ✗'}`);
};
const le = (x) => ({ text: `≤ ${x} × theirs`, test: (ratio) => ratio <= x });
const minus = (figure, who, base) => m(figure, who) - base;
const readyNoop = m('ready-cpu', 'noop');
row('isolate ready (script + wasm), CPU', minus('ready-cpu', 'ours', readyNoop), minus('ready-cpu', 'theirs', readyNoop), { target: le(0.8) });
row('isolate ready, wall (process start included)', m('ready-wall', 'ours'), m('ready-wall', 'theirs'), { unit: 'ms' });
const firstNoop = m('construct-cpu', 'noop');
row('first request: construct the client only, CPU', minus('construct-cpu', 'ours', firstNoop), minus('construct-cpu', 'theirs', firstNoop), { target: le(1.0) });
row('first request: construct the client only, wall', m('construct-wall', 'ours') - m('construct-wall', 'noop'), m('construct-wall', 'theirs') - m('construct-wall', 'noop'), { unit: 'ms', target: le(1.0) });
// The first-verify baseline is the no-op Worker's first request (a bare fetch there is the floor, printed apart).
const firstFetch = m('first-verify-cpu', 'noop');
row('first request: one opaque m2m.verify, CPU', minus('first-verify-cpu', 'ours', firstNoop), minus('first-verify-cpu', 'theirs', firstNoop), { floor: firstFetch - firstNoop, target: le(1.0) });
row('first request: one opaque m2m.verify, wall', m('first-verify-wall', 'ours') - m('construct-wall', 'noop'), m('first-verify-wall', 'theirs') - m('construct-wall', 'noop'), { unit: 'ms', floor: m('first-verify-wall', 'noop') - m('construct-wall', 'noop'), target: le(1.0) });
for (const [phase, base] of [['warm', noopWarm], ['steady', noopSteady]]) {
  const fetchFloor = m(`verify-${phase}`, 'noop') - base;
  row(`uncached opaque m2m.verify, CPU (${phase})`, minus(`verify-${phase}`, 'ours', base), minus(`verify-${phase}`, 'theirs', base), {
    floor: fetchFloor, target: { text: '≤ 1.0 × theirs, ≤ 1.3 × bare fetch', test: (r, o, f) => r <= 1 && o / f <= 1.3 } });
  row(`JWT m2m.verify, CPU (${phase})`, minus(`jwt-${phase}`, 'ours', base), minus(`jwt-${phase}`, 'theirs', base), {
    floor: m(`jwt-${phase}`, 'noop') - base, target: le(0.8) });
  row(`repeated token: verifyRequest vs authenticateRequest, CPU (${phase})`, minus(`guard-${phase}`, 'ours', base), minus(`guard-${phase}`, 'theirs', base), { target: le(0.15) });
}
const CEILING_KB = 150;
const packageKb = packageSize().gzip / 1024;
console.log(`package (wasm + JS glue), gzip: ${packageKb.toFixed(1)} KB, ceiling ${CEILING_KB} KB ${packageKb <= CEILING_KB ? '✓' : '✗'}`);
const fmt = (r, v) => (v === undefined ? '' : r.unit === 'ms' ? `${v.toFixed(2)} ms` : `${v.toFixed(0)} µs`);
const lines = [
  '## In workerd, side by side (issue 19): per-request CPU and the first request of an isolate',
  '',
  `Written by \`node bench/workerd.mjs\` (run first by \`make bench\`) on ${new Date().toISOString().slice(0, 10)}: both packages bundled`,
  'with esbuild as a user would (ours with no defines; @clerk/backend with `process.env.NODE_ENV` defined, without',
  'which it fails in workerd), each Worker in a workerd process of its own (Miniflare 4), Clerk the stand-in in',
  'another process. **CPU is the workerd process\'s own**, the sum over its threads of `/proc/<pid>/task/*/schedstat`',
  'read around a request or a batch, minus the same figure of a no-op Worker measured the same way (Miniflare\'s',
  `entry Worker and the runtime's own per-request work). Medians of ${ROUNDS} rounds alternating ours and theirs;`,
  `batches of ${BATCH} sequential requests; warm = after 50 requests, steady = after 1,000 more.`,
  `No-op Worker: ${firstNoop.toFixed(0)} µs CPU for its first request, ${noopWarm.toFixed(0)} µs warm, ${noopSteady.toFixed(0)} µs steady.`,
  '',
  '| figure (workerd) | ours | @clerk/backend | floor | ratio | target | met |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.figure} | ${fmt(r, r.ours)} | ${fmt(r, r.theirs)} | ${fmt(r, r.floor)} | ${r.ratio.toFixed(2)} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : '**no**'} |`),
  '',
  'Floors: a bare `fetch` of the verify endpoint with `JSON.parse` of its answer; a bare `crypto.subtle.verify` of',
  'the JWT\'s signature with the key imported once.',
  '',
  `Package (the wasm and the JS a Worker loads), gzip: ${packageKb.toFixed(1)} KB — ceiling ${CEILING_KB} KB: ${packageKb <= CEILING_KB ? 'met' : '**not met**'}.`,
  '',
];
if (leverDir) {
  // The lever's figures against ours, same run: below 1, the lever build is cheaper.
  console.log(`\nlever (${leverDir}) / ours, same run:`);
  for (const figure of ['ready-cpu', 'construct-cpu', 'first-verify-cpu', 'verify-warm', 'verify-steady', 'jwt-warm', 'jwt-steady', 'guard-warm', 'guard-steady']) {
    const base = figure.startsWith('ready') ? readyNoop : figure.includes('warm') ? noopWarm : figure.includes('steady') ? noopSteady : firstNoop;
    const a = m(figure, 'ours') - base;
    const b = m(figure, 'lever') - base;
    console.log(`  ${figure}: ours ${a.toFixed(0)} µs, lever ${b.toFixed(0)} µs, lever/ours ${(b / a).toFixed(3)}`);
  }
} else {
  writeFileSync(join(root, 'bench/workerd.md'), lines.join('\n'));
}
if (!leverDir) console.log('\nwrote bench/workerd.md');
