/**
 * Size entry for `./gcs`: a Worker that builds a `GcsArtifactStore` from its
 * bindings (an OAuth access token) and writes or reads one file.
 *
 * @module
 */

import { GcsArtifactStore } from "@stowage/stowage/gcs";
import { serveFile } from "./_serve.ts";

/** The bindings read. */
interface Env {
  GCS_ACCESS_TOKEN: string;
}

export default {
  /** Serves `gs://bucket/app/<path>`. */
  fetch(request: Request, env: Env): Promise<Response> {
    const store = new GcsArtifactStore({
      path: "gs://bucket/app",
      accessToken: env.GCS_ACCESS_TOKEN,
    });
    return serveFile(store, "gs://bucket/app", request);
  },
};
