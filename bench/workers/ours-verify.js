// Size figure: a worker that only verifies opaque tokens with clerk-m2m-edge.
import { ClerkM2M } from 'clerk-m2m-edge';

export default {
  async fetch(request, env) {
    const m2m = new ClerkM2M({ machineSecretKey: env.CLERK_MACHINE_SECRET_KEY });
    const token = await m2m.verify({ token: request.headers.get('authorization')?.slice(7) ?? '' });
    return Response.json(token);
  },
};
