// `bench/workerd-own.mjs`'s Worker for @clerk/backend: bench/workerd/theirs.js's very calls, with answers from
// memory.
import { ownRoutes } from './own-routes.js';
import { lib } from './theirs.js';

export default ownRoutes(lib);
