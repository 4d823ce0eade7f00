// `bench/workerd-own.mjs`'s Worker for clerk-m2m-edge: the calls of bench/workerd/ours.js, the client kept in
// module state as a user's Worker keeps it.
import { ownRoutes } from './own-routes.js';
import { ClerkM2M, verifyRequest } from 'clerk-m2m-edge';

let client;
let jwtClient;

export default ownRoutes({
  verify: async (_request, env) =>
    (await (client ??= new ClerkM2M({ machineSecretKey: env.KEY, apiUrl: env.API })).verify({ token: env.OPAQUE })).subject,
  jwt: async (_request, env) => (await (jwtClient ??= new ClerkM2M({ jwtKey: env.PEM })).verify({ token: env.JWT })).subject,
  async guard(request, env) {
    const auth = await verifyRequest(request, { machineSecretKey: env.KEY, apiUrl: env.API, machineId: env.MACHINE_ID });
    if (!auth.isAuthenticated) throw new Error(auth.reason);
    return auth.subject;
  },
});
