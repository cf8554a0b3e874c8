/**
 * Size entry for `./r2`: a Worker that builds an `R2ArtifactStore` over its R2
 * binding and writes or reads one file.
 *
 * @module
 */

import { R2ArtifactStore } from "@stowage/stowage/r2";
import { serveFile } from "./_serve.ts";

export default {
  /** Serves `r2://BUCKET/app/<path>`. */
  fetch(request: Request, env: Record<string, unknown>): Promise<Response> {
    const store = new R2ArtifactStore({ path: "r2://BUCKET/app", env });
    return serveFile(store, "r2://BUCKET/app", request);
  },
};
