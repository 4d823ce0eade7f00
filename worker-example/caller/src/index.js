// A Cloudflare Worker that calls another service with Clerk M2M tokens (clerk-m2m-edge's token source):
// it mints once per token lifetime, refreshes ahead of expiry, and on a 401 mints once more and retries.
//
//   GET  /call?path=/api/whoami   calls the API (the `API` service binding, else API_ORIGIN over the network)
//                                 and answers { status, body } of the API's answer. `path` is a path only (one
//                                 leading `/`): anything else is 400 and nothing is sent, so no caller can point
//                                 the token at another host.
//
// Configuration (bindings): secret CLERK_MACHINE_SECRET_KEY (the calling machine); vars CLERK_API_URL,
// TOKEN_SECONDS; the API as service binding `API`, or API_ORIGIN (e.g. http://127.0.0.1:8787).
import { ClerkM2M, ClerkAPIResponseError, ClerkM2MError } from 'clerk-m2m-edge';

/** Where the API is: API_ORIGIN over the network, or a name that only the service binding answers. */
const apiOrigin = (env) => env.API_ORIGIN || 'https://api.internal';

/** One token source per isolate: it holds the token between requests (fromEnv returns one client per bindings). */
let cached;
function sourceFor(env) {
  const m2m = ClerkM2M.fromEnv(env);
  if (cached?.m2m !== m2m || cached.seconds !== env.TOKEN_SECONDS || cached.origin !== apiOrigin(env)) {
    const source = m2m.tokenSource({
      secondsUntilExpiration: Number(env.TOKEN_SECONDS || 3600),
      fetcher: env.API, // a service binding; absent outside Workers: the global fetch
      origins: [apiOrigin(env)], // the token goes there and nowhere else
    });
    cached = { m2m, seconds: env.TOKEN_SECONDS, origin: apiOrigin(env), source };
  }
  return cached.source;
}

/**
 * The API URL for a caller-given path, or null: a path only — one leading `/`, no `//`, no backslash, no control
 * character (the URL parser drops tabs and newlines, so `/\t/evil` would become `//evil`) — resolved against the
 * API's origin and still on it.
 */
function apiUrl(path, env) {
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(path)) {
    return null;
  }
  const target = new URL(path, apiOrigin(env));
  return target.origin === new URL(apiOrigin(env)).origin ? target : null;
}

export default {
  async fetch(request, env) {
    try {
      return await handle(request, env);
    } catch (err) {
      // No token could be minted (Clerk down, a bad key): the mint's typed error, never the key or a token.
      if (err instanceof ClerkAPIResponseError || err instanceof ClerkM2MError) {
        return Response.json({ error: err.code, status: err.status ?? null }, { status: 502 });
      }
      throw err;
    }
  },
};

async function handle(request, env) {
  const url = new URL(request.url);
  const source = sourceFor(env);
  if (url.pathname === '/call' && request.method === 'GET') {
    const target = apiUrl(url.searchParams.get('path') ?? '/api/whoami', env);
    if (target === null) return Response.json({ error: 'bad_path' }, { status: 400 });
    const res = await source.fetch(target);
    return Response.json({ status: res.status, body: await res.json() });
  }
  return Response.json({ error: 'not_found' }, { status: 404 });
}
