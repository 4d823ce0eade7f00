// `bench/workerd-own.mjs`'s Worker for @clerk/backend: the calls of bench/workerd/theirs.js (telemetry off).
import { ownRoutes } from './own-routes.js';
import { createClerkClient } from '@clerk/backend';

let client;
let jwtClient;
const telemetry = { disabled: true };
const clerk = (env) => (client ??= createClerkClient({ machineSecretKey: env.KEY, apiUrl: env.API, publishableKey: env.PK, telemetry }));

export default ownRoutes({
  verify: async (_request, env) => (await clerk(env).m2m.verify({ token: env.OPAQUE })).subject,
  jwt: async (_request, env) =>
    (await (jwtClient ??= createClerkClient({ jwtKey: env.PEM, publishableKey: env.PK, telemetry })).m2m.verify({ token: env.JWT })).subject,
  async guard(request, env) {
    const state = await clerk(env).authenticateRequest(request, { acceptsToken: 'm2m_token' });
    if (!state.isAuthenticated) throw new Error(state.reason);
    return state.toAuth().subject;
  },
});
