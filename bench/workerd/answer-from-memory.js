// `bench/workerd-own.mjs`'s stand-in for the network: imported first, it replaces the global `fetch` with one that
// answers every request with Clerk's verify answer held in memory (`answer.body`, set from a binding), so that what
// a Worker's CPU counts is the library's own work and not a socket's. The libraries call the global at call time.
export const answer = { body: '' };

globalThis.fetch = function fetchFromMemory() {
  return Promise.resolve(new Response(answer.body, { status: 200, headers: { 'content-type': 'application/json' } }));
};
