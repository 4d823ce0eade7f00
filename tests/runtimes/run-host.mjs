// Starts one runtime host as a child process and returns { url, stop } (stop kills it by PID).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name) => `${root}node_modules/.bin/${name}`;
const host = (name) => fileURLToPath(new URL(`./hosts/${name}`, import.meta.url));

/** How each runtime is started: command and arguments, given the app module's path. Deno may read the app
 * file only: the package itself needs no read permission. */
export const runtimes = {
  workerd: (app) => [process.execPath, [host('workerd.mjs'), app]],
  node: (app) => [process.execPath, [host('node.mjs'), app]],
  deno: (app) => [bin('deno'), ['run', '--allow-net', '--allow-env', `--allow-read=${app}`, '--no-prompt', host('deno.mjs'), app]],
  bun: (app) => [bin('bun'), [host('bun.mjs'), app]],
  'edge-runtime': (app) => [process.execPath, [host('edge-runtime.mjs'), app]],
};

/**
 * `bound` (workerd only): more worker projects, `[{ app, env }]`, run in the same workerd and reachable from the
 * first through its service bindings.
 */
export async function startHost(runtime, app, env, cwd, persist, bound = []) {
  if (bound.length && runtime !== 'workerd') throw new Error('service bindings need workerd');
  const [cmd, args] = runtimes[runtime](app);
  args.push(...bound.map((b) => b.app));
  const boundEnv = Object.fromEntries(bound.map((b, i) => [`APP_ENV_${i + 1}`, JSON.stringify(b.env)]));
  const child = spawn(cmd, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, APP_ENV: JSON.stringify(env), ...boundEnv, APP_PERSIST: persist ?? '', DENO_NO_UPDATE_CHECK: '1', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
  });
  const { url } = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && out.includes('\n')) resolve(JSON.parse(line));
    });
    child.on('exit', (code) => reject(new Error(`${runtime} host exited with ${code}`)));
    setTimeout(() => reject(new Error(`${runtime} host did not start within 60 s`)), 60_000).unref();
  });
  child.stdout.resume();
  return {
    url,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      }),
  };
}
