// bench/ is no workspace package: borrow @rouse/api's undici, by a path that both
// Node (running the sources) and esbuild (bundling them for the device, bundle.sh) follow.
export { Pool } from "../../apps/api/node_modules/undici/index.js";
