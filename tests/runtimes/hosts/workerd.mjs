// Serves a fetch-handler module in workerd: `node workerd.mjs <app.mjs>`. The app is bundled by wrangler itself
// (`wrangler deploy --dry-run`, so the package resolves through its `workerd` condition and its wasm import
// through wrangler's CompiledWasm rule), then run by Miniflare. Prints {"url"} when ready.
import { Miniflare } from 'miniflare';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const env = JSON.parse(process.env.APP_ENV);
const app = resolve(process.argv[2]);
const work = mkdtempSync(join(tmpdir(), 'clerk-m2m-workerd-'));
writeFileSync(join(work, 'wrangler.toml'), `name = "clerk-m2m-edge-test"\nmain = ${JSON.stringify(app)}\ncompatibility_date = "2026-04-01"\n`);
const wrangler = new URL('../../../node_modules/.bin/wrangler', import.meta.url).pathname;
execFileSync(wrangler, ['deploy', '--dry-run', '--outdir', join(work, 'dist'), '--config', join(work, 'wrangler.toml')], {
  cwd: work,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG: 'error' },
});
const dist = join(work, 'dist');
const modules = readdirSync(dist).filter((f) => f.endsWith('.js') || f.endsWith('.wasm')).map((f) => ({
  type: f.endsWith('.wasm') ? 'CompiledWasm' : 'ESModule',
  path: join(dist, f),
  contents: readFileSync(join(dist, f)),
}));
modules.sort((a, b) => (a.type === 'ESModule' ? 0 : 1) - (b.type === 'ESModule' ? 0 : 1)); // the main module first
const mf = new Miniflare({ modules, modulesRoot: dist, compatibilityDate: '2026-04-01', bindings: env, host: '127.0.0.1', port: 0 });
const url = await mf.ready;
console.log(JSON.stringify({ url: url.origin }));
process.on('SIGTERM', async () => {
  await mf.dispose();
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
});
