// `bench/workerd-own.mjs`'s floor: the same answer fetched and parsed by hand (what any library must at least do).
import { ownRoutes } from './own-routes.js';

export default ownRoutes({
  async verify(_request, env) {
    const res = await fetch(`${env.API}/v1/m2m_tokens/verify`, {
      method: 'POST', body: JSON.stringify({ token: env.OPAQUE }),
      headers: { authorization: `Bearer ${env.KEY}`, 'content-type': 'application/json', accept: 'application/json' },
    });
    return (await res.json()).subject;
  },
});
