// Size figure: worker-example/src/index.js written with @clerk/backend instead (same routes and behaviour
// where @clerk/backend allows: no timeouts, no cache, no scope check for JWTs).
import { createClerkClient } from '@clerk/backend';

function clientFor(env) {
  return createClerkClient({
    secretKey: env.CLERK_SECRET_KEY,
    machineSecretKey: env.CLERK_MACHINE_SECRET_KEY,
    apiUrl: env.CLERK_API_URL || undefined,
    jwtKey: env.CLERK_JWT_KEY || undefined,
    publishableKey: env.CLERK_PUBLISHABLE_KEY,
  });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const clerk = clientFor(env);
    if (url.pathname === '/health') return Response.json({ ok: true });
    if (url.pathname.startsWith('/api/')) {
      const state = await clerk.authenticateRequest(request, { acceptsToken: 'm2m_token' });
      if (!state.isAuthenticated) {
        return Response.json({ error: state.reason, message: state.message }, { status: 401, headers: { 'www-authenticate': 'Bearer' } });
      }
      const auth = state.toAuth();
      if (url.pathname === '/api/whoami') return Response.json({ subject: auth.subject, scopes: auth.scopes, claims: auth.claims });
      return Response.json({ error: 'not_found' }, { status: 404 });
    }
    if (env.DEMO_ROUTES === 'true' && request.method === 'POST' && url.pathname === '/tokens') {
      const format = url.searchParams.get('format') === 'jwt' ? 'jwt' : 'opaque';
      const t = await clerk.m2m.createToken({ tokenFormat: format, secondsUntilExpiration: Number(url.searchParams.get('seconds') ?? 3600) });
      return Response.json({ id: t.id, token: t.token, subject: t.subject, scopes: t.scopes, expiration: t.expiration }, { status: 201 });
    }
    const revoke = /^\/tokens\/(mt_[0-9a-fA-F]{32})\/revoke$/.exec(url.pathname);
    if (env.DEMO_ROUTES === 'true' && request.method === 'POST' && revoke) {
      const t = await clerk.m2m.revokeToken({ m2mTokenId: revoke[1], revocationReason: 'revoked from the demo' });
      return Response.json({ id: t.id, revoked: t.revoked });
    }
    return Response.json({ error: 'not_found' }, { status: 404 });
  },
};
