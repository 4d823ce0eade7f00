// Size figure: a worker that only verifies opaque tokens with @clerk/backend's m2m.verify.
import { createClerkClient } from '@clerk/backend';

export default {
  async fetch(request, env) {
    const clerk = createClerkClient({ machineSecretKey: env.CLERK_MACHINE_SECRET_KEY });
    const token = await clerk.m2m.verify({ token: request.headers.get('authorization')?.slice(7) ?? '' });
    return Response.json(token);
  },
};
