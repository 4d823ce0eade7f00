// Serves Workers in workerd: `node workerd.mjs <worker project dir | app.mjs> [<bound project dir> …]`. A project
// (a folder with wrangler.toml, e.g. worker-example/) is bundled by wrangler itself with its own config
// (`wrangler deploy --dry-run`: the package resolves through its `workerd` condition, its wasm through wrangler's
// CompiledWasm rule), then run by Miniflare with the project's KV namespaces — persisted under APP_PERSIST when
// set, so a restarted host is a new isolate sharing the same KV — and its service bindings ([[services]]) wired
// to the other projects given, by their wrangler names. The first worker receives the requests. Bindings come
// from APP_ENV (the first worker) and APP_ENV_<n> (the n-th, from 1). Prints {"url"} when ready.
import { Miniflare } from 'miniflare';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const work = mkdtempSync(join(tmpdir(), 'clerk-m2m-workerd-'));
const wrangler = new URL('../../../node_modules/.bin/wrangler', import.meta.url).pathname;
const persist = process.env.APP_PERSIST;

/** Bundles one project (or a lone module) with wrangler and describes it as a Miniflare worker. */
function worker(target, index) {
  const out = join(work, String(index));
  let projectDir = target;
  let config = join(target, 'wrangler.toml');
  if (!statSync(target).isDirectory()) {
    projectDir = work;
    config = join(work, `wrangler-${index}.toml`);
    writeFileSync(config, `name = "clerk-m2m-edge-app-${index}"\nmain = ${JSON.stringify(target)}\ncompatibility_date = "2026-04-01"\n`);
  }
  execFileSync(wrangler, ['deploy', '--dry-run', '--outdir', join(out, 'dist'), '--config', config], {
    cwd: projectDir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG: 'error', CI: '1' },
  });
  const dist = join(out, 'dist');
  const modules = readdirSync(dist)
    .filter((f) => f.endsWith('.js') || f.endsWith('.wasm'))
    .map((f) => ({ type: f.endsWith('.wasm') ? 'CompiledWasm' : 'ESModule', path: join(dist, f), contents: readFileSync(join(dist, f)) }))
    .sort((a, b) => (a.type === 'ESModule' ? 0 : 1) - (b.type === 'ESModule' ? 0 : 1)); // the main module first
  const toml = readFileSync(config, 'utf8');
  const kvNamespaces = [...toml.matchAll(/\[\[kv_namespaces\]\]\s*binding\s*=\s*"([A-Z0-9_]+)"/g)].map((m) => m[1]);
  const serviceBindings = Object.fromEntries(
    [...toml.matchAll(/\[\[services\]\]\s*binding\s*=\s*"([A-Z0-9_]+)"\s*service\s*=\s*"([^"]+)"/g)].map((m) => [m[1], m[2]]),
  );
  const vars = Object.fromEntries([...(/\[vars\]([\s\S]*?)(\n\[|$)/.exec(toml)?.[1] ?? '').matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1], m[2]]));
  const env = JSON.parse(process.env[index === 0 ? 'APP_ENV' : `APP_ENV_${index}`] ?? '{}');
  return {
    name: /^name\s*=\s*"([^"]+)"/m.exec(toml)[1],
    modules,
    modulesRoot: dist,
    compatibilityDate: '2026-04-01',
    bindings: { ...vars, ...env },
    kvNamespaces,
    serviceBindings,
  };
}

const workers = process.argv.slice(2).map((target, i) => worker(resolve(target), i));
const mf = new Miniflare({
  workers,
  kvPersist: persist && existsSync(persist) ? persist : false,
  host: '127.0.0.1',
  port: 0,
});
const url = await mf.ready;
console.log(JSON.stringify({ url: url.origin }));
process.on('SIGTERM', async () => {
  await mf.dispose();
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
});
