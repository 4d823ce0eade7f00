// `bench/workerd.mjs`'s Worker for @clerk/backend: the same routes as ours.js, written as its README shows
// (telemetry off: offline it would only add failing fetches to their figures).
import { createClerkClient } from '@clerk/backend';

let clerk;
let jwtClient;
const client = (env) => (clerk ??= createClerkClient({ machineSecretKey: env.KEY, apiUrl: env.API, publishableKey: env.PK, telemetry: { disabled: true } }));

export default {
  async fetch(request, env) {
    switch (new URL(request.url).pathname) {
      case '/construct':
        client(env);
        return new Response('ok');
      case '/verify':
        return new Response((await client(env).m2m.verify({ token: env.OPAQUE })).subject);
      case '/jwt':
        jwtClient ??= createClerkClient({ jwtKey: env.PEM, publishableKey: env.PK, telemetry: { disabled: true } });
        return new Response((await jwtClient.m2m.verify({ token: env.JWT })).subject);
      case '/guard': {
        const state = await client(env).authenticateRequest(request, { acceptsToken: 'm2m_token' });
        return new Response(state.isAuthenticated ? state.toAuth().subject : state.reason, { status: state.isAuthenticated ? 200 : 500 });
      }
      default:
        return new Response('ok');
    }
  },
};
