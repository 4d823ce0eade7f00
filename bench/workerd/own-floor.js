// `bench/workerd-own.mjs`'s floor: the same answer fetched and parsed by hand (what any library must at least do),
// as bench/workerd/floors.js does it.
import { ownRoutes } from './own-routes.js';
import { bareVerify } from './floors.js';

export default ownRoutes({ construct: () => null, verify: (_client, env) => bareVerify(env) });
