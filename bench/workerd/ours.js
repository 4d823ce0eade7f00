// `bench/workerd.mjs`'s Worker for clerk-m2m-edge (the routes are routes.js's).
import { ClerkM2M, verifyRequest } from 'clerk-m2m-edge';
import { routes } from './routes.js';

let jwtClient;

/** The calls, also measured without the network by bench/workerd-own.mjs (own-ours.js). */
export const lib = {
  construct: (env) => new ClerkM2M({ machineSecretKey: env.KEY, apiUrl: env.API }),
  verify: async (m2m, env) => (await m2m.verify({ token: env.OPAQUE })).subject,
  jwt: async (env) => (await (jwtClient ??= new ClerkM2M({ jwtKey: env.PEM })).verify({ token: env.JWT })).subject,
  async guard(_m2m, request, env) {
    const auth = await verifyRequest(request, { machineSecretKey: env.KEY, apiUrl: env.API, machineId: env.MACHINE_ID });
    if (!auth.isAuthenticated) throw new Error(auth.reason);
    return auth.subject;
  },
};

export default routes(lib);
