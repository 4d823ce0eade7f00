// `bench/workerd.mjs`'s floors: a no-op Worker (what every figure subtracts), a bare `fetch` of Clerk's verify
// endpoint, and a bare `crypto.subtle.verify` of the JWT's signature with a key imported once.
let key;

/** Clerk's verify of the opaque token, fetched and parsed by hand: its subject. */
export async function bareVerify(env) {
  const res = await fetch(`${env.API}/v1/m2m_tokens/verify`, {
    method: 'POST', body: JSON.stringify({ token: env.OPAQUE }),
    headers: { authorization: `Bearer ${env.KEY}`, 'content-type': 'application/json', accept: 'application/json' },
  });
  return (await res.json()).subject;
}

export default {
  async fetch(request, env) {
    switch (new URL(request.url).pathname) {
      case '/fetch':
        return new Response(await bareVerify(env));
      case '/crypto': {
        const der = () => Uint8Array.from(atob(env.PEM.replace(/-----[^-]+-----|\s/g, '')), (c) => c.charCodeAt(0));
        key ??= await crypto.subtle.importKey('spki', der(), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
        const [h, p, s] = env.JWT.split('.');
        const sig = Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
        const ok = await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, sig, new TextEncoder().encode(`${h}.${p}`));
        return new Response(String(ok));
      }
      default:
        return new Response('ok');
    }
  },
};
