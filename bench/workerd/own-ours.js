// `bench/workerd-own.mjs`'s Worker for clerk-m2m-edge: bench/workerd/ours.js's very calls, with answers from memory.
import { ownRoutes } from './own-routes.js';
import { lib } from './ours.js';

export default ownRoutes(lib);
