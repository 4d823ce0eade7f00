// Runs a command with the Clerk stand-in up: `node scripts/with-standin.mjs -- cmd args…`.
// The command sees CLERK_STANDIN_INFO (the stand-in's JSON line: url, keys, machines). The stand-in is
// stopped by PID afterwards, and the command's exit code is returned.
import { spawnSync } from 'node:child_process';
import { startStandIn } from '../tests/mock-clerk/spawn.mjs';

const sep = process.argv.indexOf('--');
const [cmd, ...args] = process.argv.slice(sep + 1);
const standIn = await startStandIn();
const info = { url: standIn.url, secretKey: standIn.secretKey, machines: standIn.machines, jwtPublicKeyPem: standIn.jwtPublicKeyPem };
const result = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, CLERK_STANDIN_INFO: JSON.stringify(info) } });
await standIn.stop();
process.exit(result.status ?? 1);
