// `make bench` (second): the libraries' own CPU in workerd, without the network. bench/workerd.mjs measures whole
// requests, where a socket, Miniflare's dispatch and the stand-in's answer move each figure by ±20% from run to run;
// here each Worker's `fetch` answers from memory (bench/workerd/answer-from-memory.js, Clerk's real verify answer
// from the stand-in), each request makes N calls, and a call's CPU is (CPU of a request of N calls − CPU of a request
// of none) / N, read from /proc/<pid>/task/*/schedstat of the Worker's own workerd process. What is left is what a
// library does around Clerk's answer: build the request, schedule, read the answer, build the result. Figures: the
// first request of a fresh isolate (construct + one opaque verify, CPU above the floor Worker's first request), and
// per call, warm (after 50 calls) and steady (after 1,000 more): uncached opaque `m2m.verify` (floor: the same
// answer fetched and parsed by hand), JWT `m2m.verify`, and a repeated token through `verifyRequest` /
// `authenticateRequest`. Medians of ROUNDS rounds that alternate the Workers. Prints the table and writes
// bench/workerd-own.md (BENCHMARKS.md includes it). `--lever DIR` measures a second build of the package in the
// same rounds (BENCHMARKS.md's lever log).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { startStandIn } from '../tests/mock-clerk/spawn.mjs';
import { bindingsFor, bundle, cpuUs, leverDir, median, workerdPids } from './workerd/setup.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 11;
const CALLS = 200;

const workers = {
  floor: await bundle('own-floor'),
  theirs: await bundle('own-theirs'),
  ours: await bundle('own-ours'),
  ...(leverDir ? { lever: await bundle('own-ours', { dir: leverDir, as: 'own-lever' }) } : {}),
};
const standIn = await startStandIn();
const bindings = await bindingsFor(standIn);
// Clerk's answer to verifying the opaque token, as the stand-in gives it (then served from memory).
const verified = await fetch(`${standIn.url}/v1/m2m_tokens/verify`, {
  method: 'POST', body: JSON.stringify({ token: bindings.OPAQUE }),
  headers: { authorization: `Bearer ${bindings.KEY}`, 'content-type': 'application/json' },
});
bindings.ANSWER = await verified.text();
await standIn.stop();

const samples = {};
const add = (figure, who, value) => ((samples[figure] ??= {})[who] ??= []).push(value);
for (let r = 0; r < ROUNDS; r++) {
  const names = Object.keys(workers);
  for (const who of r % 2 ? [...names].reverse() : names) {
    const before = new Set(workerdPids());
    const mf = new Miniflare({ ...workers[who], compatibilityDate: '2026-04-01', bindings, cf: false });
    await mf.ready;
    const [pid] = workerdPids().filter((p) => !before.has(p));
    if (!pid) throw new Error('no new workerd process');
    add('ready', who, cpuUs(pid)); // the process's CPU once ready: printed for a lever only (bench/workerd.mjs has the figure)
    /** CPU (µs) of one request making `n` calls of `what`. */
    const request = async (what, n) => {
      const c0 = cpuUs(pid);
      const res = await mf.dispatchFetch(`http://bench/?what=${what}&n=${n}`, { headers: { authorization: `Bearer ${bindings.OPAQUE}` } });
      const subject = await res.text();
      if (res.status !== 200 || (n > 0 && !subject.startsWith('mch_'))) throw new Error(`${who} ${what}: ${res.status} ${subject}`);
      return cpuUs(pid) - c0;
    };
    const perCall = async (what) => ((await request(what, CALLS)) - (await request(what, 0))) / CALLS;
    add('first', who, await request('verify', 1));
    const whats = who === 'floor' ? ['verify'] : ['verify', 'jwt', 'guard'];
    for (const what of whats) {
      await request(what, 50);
      add(`${what}-warm`, who, await perCall(what));
    }
    for (const what of whats) {
      for (let i = 0; i < 5; i++) await request(what, CALLS);
      add(`${what}-steady`, who, await perCall(what));
    }
    await mf.dispose();
  }
  console.log(`round ${r + 1}/${ROUNDS} done`);
}

const m = (figure, who) => median(samples[figure][who]);
const rows = [];
const row = (figure, key, { floor = false, above = 0 } = {}) => {
  const ours = m(key, 'ours') - above;
  const theirs = m(key, 'theirs') - above;
  const floorValue = floor ? m(key, 'floor') : undefined;
  const ratio = ours / theirs;
  rows.push({ figure, ours, theirs, floor: floorValue, ratio });
  console.log(`${figure}: ours ${ours.toFixed(1)} µs theirs ${theirs.toFixed(1)} µs ratio ${ratio.toFixed(2)}${floor ? ` floor ${floorValue.toFixed(1)} µs` : ''}`);
};
// The first request is shown above the floor Worker's first request (which also fetches and parses the answer once).
row('first request of an isolate: construct + one opaque m2m.verify, above the floor\'s first request', 'first', { above: m('first', 'floor') });
for (const phase of ['warm', 'steady']) {
  row(`uncached opaque m2m.verify, per call (${phase})`, `verify-${phase}`, { floor: true });
  row(`JWT m2m.verify, per call (${phase})`, `jwt-${phase}`);
  row(`repeated token: verifyRequest vs authenticateRequest, per call (${phase})`, `guard-${phase}`);
}
const us = (v) => (v === undefined ? '' : `${v.toFixed(v < 100 ? 1 : 0)} µs`);
const lines = [
  '### The libraries\' own CPU in workerd, without the network',
  '',
  `Written by \`node bench/workerd-own.mjs\` (run second by \`make bench\`) on ${new Date().toISOString().slice(0, 10)}. The same Workers'`,
  'calls, but every `fetch` answers from memory with Clerk\'s real verify answer (taken from the stand-in), and a',
  `request makes ${CALLS} calls: a call's CPU is (CPU of a request of ${CALLS} calls − CPU of a request of none) / ${CALLS}, read from`,
  'the Worker\'s own workerd process. What remains is each library\'s work around Clerk\'s answer, without a socket,',
  `Miniflare's dispatch or the stand-in in the figure (it moves by a few µs between runs, where the whole-request`,
  `figures above move by tens). Medians of ${ROUNDS} rounds; warm = after 50 calls, steady = after 1,000 more. Floor: the`,
  'same answer fetched and parsed by hand.',
  '',
  '| figure (workerd, answers from memory) | ours | @clerk/backend | floor | ratio |',
  '| --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.figure} | ${us(r.ours)} | ${us(r.theirs)} | ${us(r.floor)} | ${r.ratio.toFixed(2)} |`),
  '',
];
if (leverDir) {
  console.log(`\nlever (${leverDir}) / ours, same run:`);
  for (const key of Object.keys(samples)) {
    if (!samples[key].lever) continue;
    const a = m(key, 'ours');
    const b = m(key, 'lever');
    console.log(`  ${key}: ours ${a.toFixed(1)} µs, lever ${b.toFixed(1)} µs, lever/ours ${(b / a).toFixed(3)}`);
  }
} else {
  writeFileSync(join(root, 'bench/workerd-own.md'), lines.join('\n'));
  console.log('\nwrote bench/workerd-own.md');
}
