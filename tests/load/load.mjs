// Load through the worker-example in workerd (Miniflare, KV bound), with random faults injected by the Clerk
// stand-in. Every response must be one of the answers its request may get (200 / 401 / 403 / 503), none may
// hang, and the verification cache must stay within its bound.
//
//   node tests/load/load.mjs [--requests 20000] [--concurrency 64] [--fault-rate 0.05]
//
// Request mix: 30% a valid opaque token from a pool of 200 (200, or 503 when a fault hit its verification),
// 55% a never-seen opaque token (401, or 503), 5% a JWT minted by a machine that does not name this one (403, or
// 503 if the JWKS fetch failed), 10% no token or a malformed one (401, no call to Clerk).
import { fileURLToPath } from 'node:url';
import { startStandIn } from '../mock-clerk/spawn.mjs';
import { startHost } from '../runtimes/run-host.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function runLoad({ requests = 20_000, concurrency = 64, faultRate = 0.05 } = {}) {
  const standIn = await startStandIn();
  const billing = standIn.machine('billing');
  let host;
  try {
    const { ClerkM2M } = await import(`${root}tests/.tmp/consumer/entry.mjs`);
    const minter = new ClerkM2M({ machineSecretKey: billing.secretKey, apiUrl: standIn.url });
    const valid = [];
    for (let i = 0; i < 200; i++) valid.push((await minter.createToken({ secondsUntilExpiration: 3600 })).token);
    const reports = new ClerkM2M({ machineSecretKey: standIn.machine('reports').secretKey, apiUrl: standIn.url });
    const foreign = [];
    for (let i = 0; i < 20; i++) foreign.push((await reports.createToken({ tokenFormat: 'jwt' })).token);

    host = await startHost('workerd', `${root}worker-example`, {
      CLERK_API_URL: standIn.url,
      CLERK_MACHINE_SECRET_KEY: billing.secretKey,
      CLERK_SECRET_KEY: standIn.secretKey,
      CLERK_MACHINE_ID: billing.id,
      CLERK_TIMEOUT_MS: '250',
      CLERK_MAX_RETRIES: '1',
    }, `${root}worker-example`);
    await standIn.configure({ chaos: { rate: faultRate, paths: ['/m2m_tokens/verify', '/jwks'], kinds: [500, 502, 503, 429, 'reset', 'malformed', 'hang'], hangMs: 400 } });
    await standIn.clearRequests();

    const allowed = { valid: [200, 503], unknown: [401, 503], foreign: [403, 503], anonymous: [401] };
    const counts = {};
    const wrong = [];
    const latencies = [];
    let hung = 0;
    let next = 0;
    const pick = (i) => {
      const r = (i * 7919) % 100; // deterministic mix
      if (r < 30) return ['valid', `Bearer ${valid[i % valid.length]}`];
      if (r < 85) return ['unknown', `Bearer mt_load${i}x${Math.random().toString(36).slice(2)}`];
      if (r < 90) return ['foreign', `Bearer ${foreign[i % foreign.length]}`];
      return ['anonymous', i % 2 ? undefined : 'Bearer mt_bad token'];
    };
    const worker = async () => {
      while (next < requests) {
        const i = next++;
        const [kind, authorization] = pick(i);
        const t0 = performance.now();
        try {
          const res = await fetch(`${host.url}/api/whoami`, {
            headers: authorization ? { authorization } : {},
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer();
          latencies.push(performance.now() - t0);
          counts[`${kind} ${res.status}`] = (counts[`${kind} ${res.status}`] ?? 0) + 1;
          if (!allowed[kind].includes(res.status)) wrong.push(`${kind} → ${res.status}`);
        } catch {
          hung++;
        }
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - t0) / 1000;
    await standIn.configure({ chaos: null });
    const health = await (await fetch(`${host.url}/health`)).json();
    const log = await standIn.requests();
    latencies.sort((a, b) => a - b);
    const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
    return {
      requests,
      concurrency,
      faultRate,
      seconds,
      throughput: requests / seconds,
      p50: q(0.5),
      p99: q(0.99),
      max: latencies[latencies.length - 1],
      counts,
      wrong,
      hung,
      cache: health.cache,
      clerkCalls: log.filter((r) => r.path === '/m2m_tokens/verify').length,
      jwksCalls: log.filter((r) => r.path === '/jwks').length,
    };
  } finally {
    await host?.stop();
    await standIn.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const r = await runLoad({ requests: arg('--requests', 20_000), concurrency: arg('--concurrency', 64), faultRate: arg('--fault-rate', 0.05) });
  console.log(JSON.stringify({ ...r, seconds: +r.seconds.toFixed(2), throughput: Math.round(r.throughput), p50: +r.p50.toFixed(2), p99: +r.p99.toFixed(2), max: +r.max.toFixed(1), wrong: r.wrong.slice(0, 10) }, null, 1));
  process.exit(r.wrong.length || r.hung ? 1 : 0);
}
