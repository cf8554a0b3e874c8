/**
 * Size entry for `./http`: a Worker that builds an `HttpArtifactStore` on a
 * Stowage server and writes or reads one file through it.
 *
 * @module
 */

import { HttpArtifactStore } from "@stowage/stowage/http";
import { serveFile } from "./_serve.ts";

/** The bindings read. */
interface Env {
  STOWAGE_TOKEN: string;
}

export default {
  /** Serves `https://stowage.example.com/app/<path>`. */
  fetch(request: Request, env: Env): Promise<Response> {
    const root = "https://stowage.example.com/app";
    const store = new HttpArtifactStore({
      path: root,
      token: env.STOWAGE_TOKEN,
    });
    return serveFile(store, root, request);
  },
};
