// `make bench` (part): the fleet's Clerk bill. First measured in workerd (Miniflare, one data centre, the stand-in
// counting): for each way a caller gets tokens, the tokens created by (1) 8 cold isolates under 25 concurrent
// requests each, (2) 8 more isolates starting while the fleet holds a live token, (3) all 16 once the refresh margin
// has passed; and for each way a guard caches verdicts, the opaque verifications 8 receiving isolates make per
// cache TTL under steady traffic. Then a model of a fleet (data centres × isolates × isolate lifetime × token
// lifetime × request rate; defaults below, flags override) scales those measured per-isolate behaviours to a month
// and prices them at Clerk's rates ($0.001 per token created, $0.00001 per opaque verification). Prints the tables
// and writes them to bench/fleet.md, which BENCHMARKS.md includes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Miniflare } from 'miniflare';
import { ClerkM2M } from '../pkg/node.js';
import { startStandIn } from '../tests/mock-clerk/spawn.mjs';
import { startFleet } from '../tests/runtimes/fleet.mjs';
import { inlineWorker } from '../tests/runtimes/inline-worker.mjs';
import { createdSoFar, isMint, isVerify, takeCount } from '../tests/runtimes/scenario.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const project = join(root, 'worker-example'); // its node_modules hold the built package (make worker-deps)
const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};

// The model's defaults. Cloudflare publishes no isolate counts: these describe a service-to-service API with
// global traffic — a caller fleet and a receiving API each running in 30 data centres with 4 isolates there, an
// isolate recycled every 30 minutes on average, tokens of an hour (the recipe's), 5 requests per second per
// isolate, the guard's default 30 s verdict TTL, and 3 requests arriving at a new isolate before its first token
// is back (a mint takes ~100 ms). Override any with --dcs, --isolates, --isolate-min, --token-s, --rps, --ttl-s,
// --start-burst.
const model = {
  dcs: arg('dcs', 30),
  isolates: arg('isolates', 4),
  isolateMin: arg('isolate-min', 30),
  tokenS: arg('token-s', 3600),
  rps: arg('rps', 5),
  ttlS: arg('ttl-s', 30),
  startBurst: arg('start-burst', 3),
};
const MONTH_S = 30 * 86_400;
const TOKEN_USD = 0.001;
const VERIFY_USD = 0.00001;

// The measurement's tokens: 12 s with a 4 s margin (so that the margin passes within the run).
const LIFETIME_S = 12;
const MARGIN_S = 4;
const ISOLATES = 8;
const PER_ISOLATE = 25;

const standIn = process.argv.includes('--model-only') ? { stop() {} } : await startStandIn();
const created = () => createdSoFar(standIn);
const count = (predicate) => takeCount(standIn, predicate);

/** Tokens created in the three phases, for one way of getting tokens. */
async function caller(name, bindings, broker = false) {
  const fleet = await startFleet({
    isolates: 2 * ISOLATES, broker, project,
    bindings: {
      CLERK_API_URL: standIn.url, CLERK_MACHINE_SECRET_KEY: standIn.machine('gateway').secretKey,
      LIFETIME: String(LIFETIME_S), MARGIN: String(MARGIN_S), RUN: `${name}-${Date.now()}`, ...bindings,
    },
  });
  try {
    // Tokens created since the previous phase ended (so the broker's mint ahead, between phases, counts in the
    // refresh): for JWTs every create call (Clerk pools none), for opaque tokens what the stand-in created (a pooled
    // answer is reuse).
    const phase = async (requests, first, isolates) => {
      const before = await created();
      const answers = await fleet.round(requests, first, isolates);
      if (answers.some((a) => a.status !== 200)) throw new Error(`${name}: ${JSON.stringify(answers.find((a) => a.status !== 200))}`);
      const calls = await count(isMint);
      return bindings.FORMAT === 'jwt' ? calls : (await created()) - before;
    };
    await standIn.clearRequests();
    const cold = await phase(ISOLATES * PER_ISOLATE, 0, ISOLATES);
    const started = Date.now();
    const warm = await phase(ISOLATES * PER_ISOLATE, ISOLATES, ISOLATES);
    await sleep(started + (LIFETIME_S - MARGIN_S) * 1000 + 500 - Date.now());
    const refresh = await phase(2 * ISOLATES * PER_ISOLATE, 0, 2 * ISOLATES);
    const row = { name, cold, warm, refresh };
    console.log(`caller ${name}: cold ${cold}, warm start ${warm}, refresh ${refresh} token(s) created`);
    return row;
  } finally {
    await fleet.dispose();
  }
}

const receiver = `
import { ClerkM2M, kvCacheStore, cacheApiStore } from 'clerk-m2m-edge';
export default {
  async fetch(request, env, ctx) {
    const cacheStore = env.STORE === 'kv' ? kvCacheStore(env.M2M_CACHE, ctx) : env.STORE === 'cache' ? cacheApiStore(ctx) : undefined;
    const auth = await ClerkM2M.fromEnv(env).verifyRequest(request, { cacheTtlMs: Number(env.TTL_MS), cacheStore });
    return new Response(null, { status: auth.isAuthenticated ? 200 : auth.status });
  },
};`;

/** Opaque verifications per TTL window by 8 receiving isolates under steady traffic, for one store. */
async function guard(name, store) {
  const TTL_MS = 1500;
  const billing = standIn.machine('billing');
  const script = await inlineWorker(receiver, 'fleet-receiver', project);
  const mf = new Miniflare({
    workers: Array.from({ length: ISOLATES }, (_, i) => ({
      name: `receiver-${i}`, ...script, compatibilityDate: '2026-04-01', kvNamespaces: ['M2M_CACHE'],
      bindings: {
        CLERK_API_URL: standIn.url, CLERK_MACHINE_SECRET_KEY: billing.secretKey, CLERK_MACHINE_ID: billing.id,
        TTL_MS: String(TTL_MS), STORE: store,
      },
    })),
    cf: false,
  });
  try {
    const stubs = await Promise.all(Array.from({ length: ISOLATES }, (_, i) => mf.getWorker(`receiver-${i}`)));
    const gateway = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
    const { token } = await gateway.createToken({ secondsUntilExpiration: 600 });
    // Steady traffic: one request every 40 ms, to the isolates in turn (each sees one every 320 ms), so that their
    // cached verdicts expire at different times, as under real traffic. One TTL to warm up, then three counted.
    const send = async (until) => {
      for (let i = 0; Date.now() < until; i++) {
        const answer = await stubs[i % ISOLATES].fetch('http://receiver/', { headers: { authorization: `Bearer ${token}` } });
        if (answer.status !== 200) throw new Error(`${name}: ${answer.status}`);
        await sleep(40);
      }
    };
    await send(Date.now() + TTL_MS);
    await standIn.clearRequests();
    await send(Date.now() + 3 * TTL_MS);
    const perWindow = (await count(isVerify)) / 3;
    console.log(`guard ${name}: ${perWindow.toFixed(2)} verifications per TTL window`);
    return { name, perWindow };
  } finally {
    await mf.dispose();
  }
}

const measuredFile = join(root, 'bench/fleet-measured.json');
const usd = (n) => `$${n < 10 ? n.toFixed(2) : Math.round(n).toLocaleString('en-US')}`;
const int = (n) => Math.round(n).toLocaleString('en-US');
const lines = [];
try {
  // `--model-only`: the model over the last measurement (bench/fleet-measured.json), e.g. with other defaults.
  const { callers, guards } = process.argv.includes('--model-only') ? JSON.parse(readFileSync(measuredFile, 'utf8')) : {
    callers: [
      await caller('per request', { MODE: 'per-request', FORMAT: 'jwt' }),
      await caller('token per isolate', { FORMAT: 'jwt' }),
      await caller('Clerk pooling', { FORMAT: 'opaque' }),
      await caller('KV cacheStore', { FORMAT: 'jwt', STORE: 'kv' }),
      await caller('cacheApiStore', { FORMAT: 'jwt', STORE: 'cache' }),
      await caller('broker', { FORMAT: 'jwt' }, true),
    ],
    guards: [await guard('isolate cache alone', ''), await guard('cacheApiStore', 'cache'), await guard('KV cacheStore', 'kv')],
  };
  writeFileSync(measuredFile, `${JSON.stringify({ callers, guards }, null, 2)}\n`);

  // The model. A month holds `starts` isolate starts and `periods` refresh periods (lifetime − default margin).
  const { dcs, isolates, isolateMin, tokenS, rps, ttlS, startBurst } = model;
  const alive = dcs * isolates;
  const starts = alive * (MONTH_S / (isolateMin * 60));
  const marginS = Math.min(Math.max(tokenS * 0.1, 30), tokenS / 2);
  const periods = MONTH_S / (tokenS - marginS);
  // A token per isolate is refreshed only by an isolate that outlives its token's refresh time.
  const refreshesPerIsolate = Math.floor((isolateMin * 60) / (tokenS - marginS));
  const requests = alive * rps * MONTH_S;
  // Measured rates: tokens per cold request at a starting isolate (a token per isolate mints one per concurrent
  // cold request in workerd: no request may await another's mint), and tokens per isolate at the refresh.
  const perColdRequest = (r) => r.warm / (ISOLATES * PER_ISOLATE);
  const perIsolateAtRefresh = (r) => r.refresh / (2 * ISOLATES);
  const tokens = (r) => {
    const atStarts = starts * startBurst * perColdRequest(r);
    switch (r.name) {
      case 'per request': return requests * (r.cold / (ISOLATES * PER_ISOLATE));
      // Refreshed only by an isolate that outlives its token's refresh time.
      case 'token per isolate': return atStarts + starts * refreshesPerIsolate * perIsolateAtRefresh(r);
      // Every isolate alive at the refresh that reads the old token (they reach the margin together).
      case 'KV cacheStore': case 'cacheApiStore': return atStarts + periods * alive * perIsolateAtRefresh(r);
      // Clerk hands a pooled token back only while it has the margin plus half its lifetime left: isolates starting
      // later in its life get a new one, so with isolates starting all the time, one per (half lifetime − margin).
      case 'Clerk pooling': return atStarts + Math.max(periods * r.refresh, Math.min(starts, MONTH_S / (tokenS / 2 - marginS)));
      // Once for the fleet: the broker is one place.
      default: return atStarts + periods * r.refresh;
    }
  };
  lines.push(
    '## The fleet\'s Clerk bill (issue 18): measured in workerd, modelled per month',
    '',
    'Written by `node bench/fleet.mjs` (run by `make bench`). **Measured** in workerd (Miniflare, one data centre,',
    `the stand-in counting tokens it created): ${ISOLATES} cold isolates of one caller under ${PER_ISOLATE} concurrent`,
    `requests each; ${ISOLATES} more isolates starting while the fleet holds a live token; all ${2 * ISOLATES} once the`,
    `refresh margin has passed (${LIFETIME_S} s tokens, ${MARGIN_S} s margin).`,
    '',
    '| caller gets tokens by | cold fleet (8 isolates) | 8 isolates starting warm | all 16 at the refresh |',
    '| --- | --- | --- | --- |',
    ...callers.map((r) => `| ${r.name} | ${r.cold} | ${r.warm} | ${r.refresh} |`),
    '',
    `Guard side, measured the same way: opaque verifications per 1.5 s TTL window by ${ISOLATES} receiving isolates`,
    'under steady traffic (a request every 40 ms to the isolates in turn), over three windows after a first one:',
    '',
    '| verdicts cached by | verifications per TTL window |',
    '| --- | --- |',
    ...guards.map((g) => `| ${g.name} | ${g.perWindow.toFixed(2)} |`),
    '',
    `**Modelled** month (30 days): ${dcs} data centres × ${isolates} isolates of the caller (and as many of the`,
    `receiving API), an isolate recycled every ${isolateMin} min (${int(starts)} starts), ${tokenS} s tokens with the`,
    `default margin (${marginS} s: ${int(periods)} refresh periods), ${rps} requests/s per isolate (${int(requests)}`,
    `requests), a ${ttlS} s verdict TTL, ${startBurst} requests reaching a new isolate before its first token. Each`,
    "way's per-isolate behaviour is the measurement above: tokens = isolate starts × the start burst × tokens per",
    'cold request of a warm start + refresh periods × tokens at the refresh — per isolate alive for KV and the Cache',
    'API (all isolates reach the margin together), once for the broker; Clerk\'s pool hands a token back only while',
    'it has the margin plus half its lifetime left, so one per (half lifetime − margin) when isolates start all the',
    'time; a token per isolate is',
    'refreshed only by an isolate that outlives its refresh time; per request, one token per request. The defaults are',
    'assumptions (Cloudflare publishes no isolate counts); `node bench/fleet.mjs --model-only --dcs 300 --isolates 10 …`',
    'reruns the model with yours over the last measurement (bench/fleet-measured.json).',
    '',
    '| caller strategy | tokens created / month | Clerk cost / month |',
    '| --- | --- | --- |',
    ...callers.map((r) => `| ${r.name === 'per request' ? '`createToken` per request, as with `@clerk/backend`' : r.name} | ${int(tokens(r))} | ${usd(tokens(r) * TOKEN_USD)} |`),
    '',
  );
  const windows = MONTH_S / ttlS;
  const verifications = {
    'isolate cache alone': (g) => (g.perWindow / ISOLATES) * alive * windows,
    cacheApiStore: (g) => g.perWindow * dcs * windows,
    'KV cacheStore': (g) => g.perWindow * windows,
  };
  lines.push(
    '| guard (per token in use, per month) | opaque verifications | Clerk cost |',
    '| --- | --- | --- |',
    `| \`@clerk/backend\` \`authenticateRequest\` (no cache: one per request) | ${int(requests)} | ${usd(requests * VERIFY_USD)} |`,
    ...guards.map((g) => `| ${g.name}${g.name === 'KV cacheStore' ? ' (at least: KV takes up to 60 s to reach other data centres, so up to × data centres)' : ''} | ${int(verifications[g.name](g))} | ${usd(verifications[g.name](g) * VERIFY_USD)} |`),
    '',
  );
} finally {
  await standIn.stop();
}
writeFileSync(join(root, 'bench/fleet.md'), lines.join('\n'));
console.log(`\n${lines.join('\n')}\nwrote bench/fleet.md`);
