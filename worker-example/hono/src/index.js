// The worker-example API with Hono: every route under /api/ is guarded by clerk-m2m-edge/hono's m2mAuth.
//
//   GET /health        public: { ok }
//   GET /api/whoami    guarded: the calling machine's subject, scopes, claims and token format
//
// Bindings: as ClerkM2M.fromEnv reads them (CLERK_MACHINE_SECRET_KEY, CLERK_SECRET_KEY, CLERK_API_URL,
// CLERK_MACHINE_ID — this service, which tokens must name —, …), plus optional CLERK_CACHE_TTL_MS and
// CLERK_CLOCK_SKEW_MS, and the KV namespace M2M_CACHE (optional).
import { Hono } from 'hono';
import { m2mAuth } from 'clerk-m2m-edge/hono';

const app = new Hono();
const number = (value) => (value ? Number(value) : undefined);

app.get('/health', (c) => c.json({ ok: true }));
app.use(
  '/api/*',
  m2mAuth({
    cacheTtlMs: (c) => number(c.env?.CLERK_CACHE_TTL_MS),
    clockSkewMs: (c) => number(c.env?.CLERK_CLOCK_SKEW_MS),
    kv: (c) => c.env?.M2M_CACHE,
  }),
);
app.get('/api/whoami', (c) => {
  const { subject, scopes, claims, tokenFormat } = c.get('m2mAuth');
  return c.json({ subject, scopes, claims, tokenFormat });
});

export default app;
