// Serves a fetch-handler module with Node's http server: `node node.mjs <app.mjs>`; prints {"url"} when ready.
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const app = (await import(pathToFileURL(process.argv[2]))).default;
const env = JSON.parse(process.env.APP_ENV);

const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = chunks.length ? Buffer.concat(chunks) : undefined;
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const request = new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body });
  const response = await app.fetch(request, env, { waitUntil() {} });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })));
