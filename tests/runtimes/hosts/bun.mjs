// Serves a fetch-handler module with Bun.serve: `bun bun.mjs <app.mjs>`; prints {"url"} when ready.
const app = (await import(Bun.pathToFileURL(process.argv[2]).href)).default;
const env = JSON.parse(process.env.APP_ENV);
const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => app.fetch(request, env, { waitUntil() {} }) });
console.log(JSON.stringify({ url: `http://127.0.0.1:${server.port}` }));
