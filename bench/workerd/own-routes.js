// The one route of `bench/workerd-own.mjs`'s Workers: `/?what=verify|jwt|guard&n=N` makes the call N times in one
// request (Clerk's answers come from memory: answer-from-memory.js, imported first) and answers the last subject;
// N = 0 is the request alone, which the runner subtracts. `lib` is a whole-request Worker's calls (ours.js's,
// theirs.js's `lib`; own-floor.js's): `construct(env)`, `verify(client, env)`, `jwt(env)`, `guard(client, request,
// env)`, the client built once and kept as there.
import { answer } from './answer-from-memory.js';

export function ownRoutes(lib) {
  let client;
  const calls = {
    verify: (_request, env) => lib.verify((client ??= lib.construct(env)), env),
    jwt: (_request, env) => lib.jwt(env),
    guard: (request, env) => lib.guard((client ??= lib.construct(env)), request, env),
  };
  return {
    async fetch(request, env) {
      answer.body = env.ANSWER;
      const url = new URL(request.url);
      const n = Number(url.searchParams.get('n'));
      const call = calls[url.searchParams.get('what')];
      let subject = '';
      for (let i = 0; i < n; i++) subject = await call(request, env);
      return new Response(subject);
    },
  };
}
