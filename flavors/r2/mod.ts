/**
 * The `r2` flavor (`r2://BINDING/prefix`): a Cloudflare R2 bucket reached through a
 * Workers binding, for stores inside a worker. The binding object is passed in the
 * configuration (`bucket`, or `env` holding it under the URI's first segment); no
 * credentials, no HTTP.
 *
 * Every artifact-store operation comes from the shared `ObjectStore` over the
 * binding's `head`, `get` (ranges, `onlyIf`), `put` (`onlyIf` for create-only),
 * `list` (delimiter and cursor), `delete` (up to 1000 keys) and
 * `createMultipartUpload` (equal part sizes, as R2 requires). The binding has no
 * server-side copy: `copyfile` and `rename` stream the object through the worker
 * part by part.
 *
 * @example In a worker
 * ```ts ignore
 * import { R2ArtifactStore } from "./mod.ts";
 *
 * export default {
 *   async fetch(_req: Request, env: { BUCKET: unknown }) {
 *     const store = new R2ArtifactStore({ path: "r2://BUCKET/artifacts", env });
 *     return Response.json(await store.listdir("r2://BUCKET/artifacts"));
 *   },
 * };
 * ```
 *
 * @module
 */

export { R2ArtifactStore, r2Flavor } from "./store.ts";
export { r2ConfigSchema, type R2StoreConfig } from "./config.ts";
export type {
  R2BucketLike,
  R2ListResultLike,
  R2MultipartUploadLike,
  R2ObjectBodyLike,
  R2ObjectLike,
} from "./binding.ts";

import { registerBuiltin } from "../../src/flavor_registry.ts";
import { r2Flavor as flavor } from "./store.ts";

// Importing this subpath registers the flavor: its URIs work with createArtifactStore and fileio.
registerBuiltin(flavor);
