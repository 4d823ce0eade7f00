// `bench/workerd.mjs`'s Worker for @clerk/backend (the routes are routes.js's), written as its README shows
// (telemetry off: offline it would only add failing fetches to their figures).
import { createClerkClient } from '@clerk/backend';
import { routes } from './routes.js';

let jwtClient;
const telemetry = { disabled: true };

/** The calls, also measured without the network by bench/workerd-own.mjs (own-theirs.js). */
export const lib = {
  construct: (env) => createClerkClient({ machineSecretKey: env.KEY, apiUrl: env.API, publishableKey: env.PK, telemetry }),
  verify: async (clerk, env) => (await clerk.m2m.verify({ token: env.OPAQUE })).subject,
  jwt: async (env) =>
    (await (jwtClient ??= createClerkClient({ jwtKey: env.PEM, publishableKey: env.PK, telemetry })).m2m.verify({ token: env.JWT })).subject,
  async guard(clerk, request) {
    const state = await clerk.authenticateRequest(request, { acceptsToken: 'm2m_token' });
    if (!state.isAuthenticated) throw new Error(state.reason);
    return state.toAuth().subject;
  },
};

export default routes(lib);
