// A fleet in one workerd, for the fleet test, `make demo` and `bench/fleet.mjs`: the same caller script as N
// separate Workers (N isolates, module state apart), each holding one token source, and — with `broker` — the
// package's `M2MTokenBroker` in a Worker of its own (worker-example/broker, as shipped) that every caller binds.
// Each request answers the token it got (shortened) and its source's stats.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { inlineWorker } from './inline-worker.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The caller: a token source from the bindings — LIFETIME, MARGIN, FORMAT ('jwt' or 'opaque'), POOL ('false' turns
 * Clerk's pooling off), RUN (a claim, so that runs do not share Clerk's pool), USE_BROKER, STORE ('kv' or 'cache':
 * a cacheStore), MODE ('per-request': a createToken per request instead) — and `GET /` → `{ token, stats }`, or
 * 503 `{ error }`.
 */
const caller = `
import { ClerkM2M, kvCacheStore, cacheApiStore } from 'clerk-m2m-edge';
let source;
export default {
  async fetch(request, env, ctx) {
    if (env.MODE === 'per-request') { // what a handler calling createToken per request costs (no source)
      const created = await ClerkM2M.fromEnv(env).createToken({ tokenFormat: env.FORMAT, secondsUntilExpiration: Number(env.LIFETIME) });
      return Response.json({ token: created.token.slice(0, 3) + '…' + created.token.slice(-8), stats: null });
    }
    source ??= ClerkM2M.fromEnv(env).tokenSource({
      secondsUntilExpiration: Number(env.LIFETIME), refreshBeforeSeconds: env.MARGIN ? Number(env.MARGIN) : undefined,
      tokenFormat: env.FORMAT, pool: env.POOL !== 'false', claims: { fleet: env.RUN },
      broker: env.USE_BROKER === 'true' ? env.M2M_TOKENS : undefined,
      cacheStore: env.STORE === 'kv' ? kvCacheStore(env.M2M_CACHE, ctx) : env.STORE === 'cache' ? cacheApiStore(ctx) : undefined,
    });
    try {
      const token = await source.getToken();
      return Response.json({ token: token.slice(0, 3) + '…' + token.slice(-8), stats: source.stats() });
    } catch (error) {
      return Response.json({ error: error.code }, { status: 503 });
    }
  },
};`;

/**
 * Starts `isolates` callers with `bindings` (CLERK_API_URL, CLERK_MACHINE_SECRET_KEY and the caller's own, over
 * LIFETIME 600), from `project` (a folder whose node_modules holds the package; default: the tests' consumer).
 * `{ round(requests, first, count), dispose() }`: `round` sends `requests` concurrent requests spread across
 * `count` isolates from the `first` (default: all) and answers their `{ status, token?, error?, stats? }`.
 */
export async function startFleet({ isolates = 8, bindings, broker = false, persist, project } = {}) {
  const script = await inlineWorker(caller, 'fleet-caller', project); // one script: each Worker is an isolate
  const workers = Array.from({ length: isolates }, (_, i) => ({
    name: `caller-${i}`,
    ...script,
    compatibilityDate: '2026-04-01',
    bindings: { LIFETIME: '600', USE_BROKER: String(broker), ...bindings },
    kvNamespaces: ['M2M_CACHE'],
    durableObjects: broker ? { M2M_TOKENS: { className: 'M2MTokenBroker', scriptName: 'clerk-m2m-edge-broker' } } : {},
  }));
  if (broker) {
    const shipped = readFileSync(join(root, 'worker-example/broker/index.js'), 'utf8');
    workers.push({
      name: 'clerk-m2m-edge-broker', ...(await inlineWorker(shipped, 'fleet-broker', project)), compatibilityDate: '2026-04-01',
      durableObjects: { M2M_TOKENS: 'M2MTokenBroker' },
    });
  }
  const mf = new Miniflare({ workers, cf: false, durableObjectsPersist: persist ?? false });
  const stubs = await Promise.all(Array.from({ length: isolates }, (_, i) => mf.getWorker(`caller-${i}`)));
  return {
    round: (requests, first = 0, count = isolates) => Promise.all(Array.from({ length: requests }, (_, i) =>
      stubs[first + (i % count)].fetch('http://caller/').then(async (res) => ({ status: res.status, ...(await res.json()) })))),
    dispose: () => mf.dispose(),
  };
}
