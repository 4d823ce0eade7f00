// The routes both of `bench/workerd.mjs`'s library Workers answer, each doing one thing with the library `lib`
// (ours.js, theirs.js): `lib.construct(env)` builds the client (once, kept in module state as a user's Worker keeps
// it), `lib.verify`, `lib.jwt` and `lib.guard` do the work and answer the subject.
export function routes(lib) {
  let client;
  return {
    async fetch(request, env) {
      switch (new URL(request.url).pathname) {
        case '/construct':
          client ??= lib.construct(env);
          return new Response('ok');
        case '/verify':
          client ??= lib.construct(env);
          return new Response(await lib.verify(client, env));
        case '/jwt':
          return new Response(await lib.jwt(env));
        case '/guard':
          client ??= lib.construct(env);
          return new Response(await lib.guard(client, request, env));
        default:
          return new Response('ok');
      }
    },
  };
}
