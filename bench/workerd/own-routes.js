// The one route of `bench/workerd-own.mjs`'s Workers: `/?what=verify|jwt|guard&n=N` does the library's call N times
// in one request (Clerk's answers come from memory: answer-from-memory.js) and answers the last subject; N = 0 is
// the request alone, which the runner subtracts. `lib` (own-ours.js, own-theirs.js, own-floor.js) holds the calls.
import { answer } from './answer-from-memory.js';

export function ownRoutes(lib) {
  return {
    async fetch(request, env) {
      answer.body = env.ANSWER;
      const url = new URL(request.url);
      const n = Number(url.searchParams.get('n'));
      const call = lib[url.searchParams.get('what')];
      let subject = '';
      for (let i = 0; i < n; i++) subject = await call(request, env);
      return new Response(subject);
    },
  };
}
