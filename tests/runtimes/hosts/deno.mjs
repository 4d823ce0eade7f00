// Serves a fetch-handler module with Deno.serve: `deno run -A deno.mjs <app.mjs>`; prints {"url"} when ready.
const app = (await import(new URL(Deno.args[0], `file://${Deno.cwd()}/`).href)).default;
const env = JSON.parse(Deno.env.get('APP_ENV'));
Deno.serve({
  hostname: '127.0.0.1',
  port: 0,
  onListen: ({ port }) => console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` })),
}, (request) => app.fetch(request, env, { waitUntil() {} }));
