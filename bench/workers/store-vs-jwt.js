// `bench/store-vs-jwt.mjs`'s Worker: N reads of one KV key, or N local verifications of one M2M JWT with the
// guard's cache off (what a stored JWT verdict would have to beat), or N empty iterations (the floor).
import { verifyRequest } from 'clerk-m2m-edge';

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get('n') ?? 100);
    const what = url.pathname.slice(1);
    if (what === 'kv') {
      for (let i = 0; i < n; i++) await env.KV.get('clerk-m2m-edge:v2:bench');
    } else if (what === 'jwt') {
      const guarded = new Request('https://x/', { headers: { authorization: request.headers.get('x-token') } });
      const options = { jwtKey: env.PEM, machineId: env.MACHINE_ID, cache: false };
      for (let i = 0; i < n; i++) {
        const auth = await verifyRequest(guarded, options);
        if (!auth.isAuthenticated) return new Response(auth.reason, { status: 500 });
      }
    } else {
      for (let i = 0; i < n; i++) await Promise.resolve();
    }
    return new Response('ok');
  },
};
