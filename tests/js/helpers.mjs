// Shared by the JS tests: the package as installed from its tarball, and a stand-in per test file.
import { after, before } from 'node:test';
import { startStandIn } from '../mock-clerk/spawn.mjs';

/** The installed package (`clerk-m2m-edge` resolved from a consumer project, Node conditions). */
export const pkg = await import(new URL('../.tmp/consumer/entry.mjs', import.meta.url));

/** Starts a stand-in before the file's tests and stops it (by PID) after them. */
export function useStandIn() {
  const handle = {};
  before(async () => Object.assign(handle, await startStandIn()));
  after(async () => handle.stop?.());
  return handle;
}

/**
 * `verifyRequest` options for the receiving machine ("billing"): its own key, the instance secret key for the JWKS,
 * the stand-in's URL and its machine id, with `extra` over them.
 */
export function receiverOptions(standIn, extra = {}) {
  return {
    machineSecretKey: standIn.machine('billing').secretKey,
    secretKey: standIn.secretKey,
    apiUrl: standIn.url,
    machineId: standIn.machine('billing').id,
    ...extra,
  };
}

/** Requests the stand-in logged since the last clear, then clears the log. */
export async function takeRequests(standIn) {
  const log = await standIn.requests();
  await standIn.clearRequests();
  return log;
}

/** Awaits a promise expected to reject and returns the error. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, got a result');
}
