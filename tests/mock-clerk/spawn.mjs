// Starts the Clerk stand-in as a child process on a free port of 127.0.0.1 and gives tests a handle on it:
// its URL and keys, its admin API (request log, faults, config) and `stop()`, which kills it by PID.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const serverPath = fileURLToPath(new URL('./server.mjs', import.meta.url));

export async function startStandIn() {
  const child = spawn(process.execPath, [serverPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buffered.slice(0, nl)));
    });
    child.on('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
    setTimeout(() => reject(new Error('stand-in did not start within 10 s')), 10_000).unref();
  });
  const adminCall = async (method, path, body) => {
    const res = await fetch(`${info.url}/__admin/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.json();
  };
  const machine = (name) => info.machines.find((m) => m.name === name);
  return {
    ...info,
    pid: child.pid,
    machine,
    requests: () => adminCall('GET', 'requests'),
    clearRequests: () => adminCall('DELETE', 'requests'),
    fault: (spec) => adminCall('POST', 'faults', spec),
    clearFaults: () => adminCall('DELETE', 'faults'),
    configure: (cfg) => adminCall('POST', 'config', cfg),
    reset: () => adminCall('POST', 'reset', {}),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        process.kill(child.pid, 'SIGTERM');
      }),
  };
}
