// `bench/workerd.mjs`'s Worker for clerk-m2m-edge: each route does one thing, with the client built on its first use
// (module state, as a user's Worker keeps it).
import { ClerkM2M, verifyRequest } from 'clerk-m2m-edge';

let m2m;
let jwtClient;
const client = (env) => (m2m ??= new ClerkM2M({ machineSecretKey: env.KEY, apiUrl: env.API }));

export default {
  async fetch(request, env) {
    switch (new URL(request.url).pathname) {
      case '/construct':
        client(env);
        return new Response('ok');
      case '/verify':
        return new Response((await client(env).verify({ token: env.OPAQUE })).subject);
      case '/jwt':
        jwtClient ??= new ClerkM2M({ jwtKey: env.PEM });
        return new Response((await jwtClient.verify({ token: env.JWT })).subject);
      case '/guard': {
        const auth = await verifyRequest(request, { machineSecretKey: env.KEY, apiUrl: env.API, machineId: env.MACHINE_ID });
        return new Response(auth.isAuthenticated ? auth.subject : auth.reason, { status: auth.isAuthenticated ? 200 : 500 });
      }
      default:
        return new Response('ok');
    }
  },
};
