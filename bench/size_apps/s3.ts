/**
 * Size entry for `./s3`: a Worker that builds an `S3ArtifactStore` from its
 * bindings and writes or reads one file.
 *
 * @module
 */

import { S3ArtifactStore } from "@stowage/stowage/s3";
import { serveFile } from "./_serve.ts";

/** The bindings read. */
interface Env {
  AWS_ENDPOINT_URL_S3: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
}

export default {
  /** Serves `s3://bucket/app/<path>`. */
  fetch(request: Request, env: Env): Promise<Response> {
    const store = new S3ArtifactStore({
      path: "s3://bucket/app",
      endpoint: env.AWS_ENDPOINT_URL_S3,
      region: "auto",
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    });
    return serveFile(store, "s3://bucket/app", request);
  },
};
