// The fleet's token broker as a Worker of its own: the package's M2MTokenBroker Durable Object class, for Workers
// that bind it by script name (a Rust Worker, or several JS Workers sharing one broker). It answers only its
// Durable Object stubs; its own fetch handler serves nothing.
export { M2MTokenBroker } from 'clerk-m2m-edge/durable-object';

export default {
  fetch: () => new Response('not found', { status: 404 }),
};
