/**
 * Size entry for `./hono`: a Worker that serves an S3 bucket through the Hono
 * adapter (`artifactStoreApp` over an `S3ArtifactStore`).
 *
 * @module
 */

import { artifactStoreApp } from "@stowage/stowage/hono";
import { S3ArtifactStore } from "@stowage/stowage/s3";

/** The bindings read. */
interface Env {
  AWS_ENDPOINT_URL_S3: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  STOWAGE_TOKEN: string;
}

let app: ReturnType<typeof artifactStoreApp> | undefined;

export default {
  /** Serves the bucket's `app/` prefix to clients with the token. */
  fetch(request: Request, env: Env): Response | Promise<Response> {
    app ??= artifactStoreApp(
      new S3ArtifactStore({
        path: "s3://bucket/app",
        endpoint: env.AWS_ENDPOINT_URL_S3,
        region: "auto",
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      }),
      { tokens: env.STOWAGE_TOKEN },
    );
    return app.fetch(request);
  },
};
