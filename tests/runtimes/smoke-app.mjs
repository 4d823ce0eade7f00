// A fetch handler over the package, run unchanged in every runtime by the hosts in ./hosts: it proves the
// package loads by plain import (no init call) and that create → verify → revoke → verify works there.
import { ClerkM2M, ClerkM2MError } from 'clerk-m2m-edge';

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname !== '/smoke') return new Response('not found', { status: 404 });
    const caller = new ClerkM2M({ machineSecretKey: env.CALLER_KEY, apiUrl: env.CLERK_API_URL });
    const receiver = new ClerkM2M({ machineSecretKey: env.RECEIVER_KEY, apiUrl: env.CLERK_API_URL });
    const created = await caller.createToken({ secondsUntilExpiration: 60 });
    const verified = await receiver.verify({ token: created.token });
    await caller.revokeToken({ m2mTokenId: created.id });
    let afterRevoke = 'accepted';
    try {
      await receiver.verify({ token: created.token });
    } catch (err) {
      afterRevoke = err instanceof ClerkM2MError ? err.code : `unexpected ${err?.name}`;
    }
    return Response.json({ subject: verified.subject, sameId: verified.id === created.id, afterRevoke });
  },
};
