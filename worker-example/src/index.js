// A Cloudflare Worker guarding its API with Clerk M2M tokens (clerk-m2m-edge).
//
//   GET  /health             public: { ok, cache: { entries, capacity, refusedStoreEntries } }
//   GET  /api/whoami         guarded: answers the calling machine's subject, scopes, claims and token format
//   POST /tokens             demo only: mints a token with this worker's own machine key
//                            (?format=jwt for a JWT, ?seconds=N for its lifetime)
//   POST /tokens/{id}/revoke demo only: revokes an opaque token
//
// Configuration (bindings): secrets CLERK_MACHINE_SECRET_KEY and CLERK_SECRET_KEY; vars CLERK_API_URL,
// CLERK_MACHINE_ID, optional CLERK_JWT_KEY, CLERK_CACHE_TTL_MS, CLERK_TIMEOUT_MS, CLERK_MAX_RETRIES and
// DEMO_ROUTES; KV namespace M2M_CACHE (optional) shares verification results between isolates.
import { ClerkM2M, ClerkM2MError, ClerkAPIResponseError, kvCacheStore, verificationCacheStats } from 'clerk-m2m-edge';

function errorResponse(err) {
  if (err instanceof ClerkAPIResponseError) return Response.json({ error: err.code, status: err.status }, { status: 502 });
  if (err instanceof ClerkM2MError) return Response.json({ error: err.code, message: err.message }, { status: 500 });
  throw err;
}

async function guarded(request, env, ctx, url) {
  // One client per isolate for these bindings: ClerkM2M.fromEnv returns the same instance for the same values.
  // The receiving machine is CLERK_MACHINE_ID (fromEnv reads it): unset, every request fails closed (500).
  const auth = await ClerkM2M.fromEnv(env).verifyRequest(request, {
    cacheStore: env.M2M_CACHE ? kvCacheStore(env.M2M_CACHE, ctx) : undefined, // written after the response
    cacheTtlMs: env.CLERK_CACHE_TTL_MS ? Number(env.CLERK_CACHE_TTL_MS) : undefined,
  });
  if (!auth.isAuthenticated) return auth.toResponse();
  if (url.pathname === '/api/whoami' && request.method === 'GET') {
    const { subject, scopes, claims, tokenFormat } = auth;
    return Response.json({ subject, scopes, claims, tokenFormat });
  }
  return Response.json({ error: 'not_found' }, { status: 404 });
}

async function demoRoutes(request, env, url) {
  const m2m = ClerkM2M.fromEnv(env);
  if (url.pathname === '/tokens') {
    const format = url.searchParams.get('format') === 'jwt' ? 'jwt' : 'opaque';
    const seconds = Number(url.searchParams.get('seconds') ?? 3600);
    const created = await m2m.createToken({ tokenFormat: format, secondsUntilExpiration: seconds });
    return Response.json({ id: created.id, token: created.token, subject: created.subject, scopes: created.scopes, expiration: created.expiration }, { status: 201 });
  }
  const revoke = /^\/tokens\/(mt_[0-9a-fA-F]{32})\/revoke$/.exec(url.pathname);
  if (revoke) {
    const token = await m2m.revokeToken({ m2mTokenId: revoke[1], revocationReason: 'revoked from the demo' });
    return Response.json({ id: token.id, revoked: token.revoked });
  }
  return Response.json({ error: 'not_found' }, { status: 404 });
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/health') return Response.json({ ok: true, cache: verificationCacheStats() });
      if (url.pathname.startsWith('/api/')) return await guarded(request, env, ctx, url);
      if (env.DEMO_ROUTES === 'true' && request.method === 'POST' && url.pathname.startsWith('/tokens')) {
        return await demoRoutes(request, env, url);
      }
      return Response.json({ error: 'not_found' }, { status: 404 });
    } catch (err) {
      return errorResponse(err);
    }
  },
};
