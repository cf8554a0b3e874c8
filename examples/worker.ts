/**
 * A Cloudflare Worker that serves a store with the Hono adapter.
 *
 * The store comes from the worker's bindings:
 *
 * - `STOWAGE_PATH` (a var): `r2://BUCKET/prefix` (the default is `r2://BUCKET`)
 *   serves the R2 binding `BUCKET`; `s3://bucket/prefix` serves an S3 bucket with
 *   `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (secrets), `AWS_REGION` and
 *   `AWS_ENDPOINT_URL_S3` (vars; for R2's S3 API, MinIO, …).
 * - `STOWAGE_TOKEN` (a secret): the bearer token clients must send. Without it
 *   the worker refuses to serve unless `STOWAGE_ALLOW_ANONYMOUS` is `"true"`.
 *
 * ```toml
 * # wrangler.toml
 * name = "stowage"
 * main = "examples/worker.ts"
 * compatibility_date = "2025-09-01"
 * # The S3 flavor imports node:fs/promises lazily (for ~/.aws files); wrangler
 * # and workerd accept that import with nodejs_compat.
 * compatibility_flags = ["nodejs_compat"]
 * [[r2_buckets]]
 * binding = "BUCKET"
 * bucket_name = "artifacts"
 * ```
 *
 * @module
 */

import type { BaseArtifactStore } from "../src/base.ts";
import type { Hono } from "hono";
import { artifactStoreApp } from "../src/hono/mod.ts";
import { R2ArtifactStore } from "../flavors/r2/mod.ts";

/** The bindings this worker reads. */
export interface Env {
  /** The store root: `r2://BINDING/prefix` or `s3://bucket/prefix`. */
  STOWAGE_PATH?: string;
  /** The bearer token. */
  STOWAGE_TOKEN?: string;
  /** `"true"` to serve without a token. */
  STOWAGE_ALLOW_ANONYMOUS?: string;
  /** S3 credentials and endpoint, for `s3://` roots. */
  AWS_ACCESS_KEY_ID?: string;
  /** S3 secret key. */
  AWS_SECRET_ACCESS_KEY?: string;
  /** S3 session token. */
  AWS_SESSION_TOKEN?: string;
  /** S3 region. */
  AWS_REGION?: string;
  /** S3 endpoint (R2's S3 API, MinIO, an emulator). */
  AWS_ENDPOINT_URL_S3?: string;
  /** R2 bindings and anything else. */
  [name: string]: unknown;
}

async function storeFromEnv(env: Env): Promise<BaseArtifactStore> {
  const path = env.STOWAGE_PATH ?? "r2://BUCKET";
  if (path.startsWith("s3://")) {
    const { s3Flavor } = await import("../flavors/s3/mod.ts");
    const { validateConfig } = await import("../src/flavor.ts");
    const config = await validateConfig(s3Flavor, {
      path,
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN,
      region: env.AWS_REGION,
      endpoint: env.AWS_ENDPOINT_URL_S3,
    });
    return await s3Flavor.create(config);
  }
  return new R2ArtifactStore({ path, env });
}

let app: Promise<Hono> | undefined;

export default {
  /**
   * Answers a request (the store and the app are made on the first one).
   *
   * @param request the request
   * @param env the bindings
   * @returns the answer
   */
  async fetch(request: Request, env: Env): Promise<Response> {
    app ??= storeFromEnv(env).then((store) =>
      artifactStoreApp(store, {
        tokens: env.STOWAGE_TOKEN ? [env.STOWAGE_TOKEN] : [],
        allowAnonymous: env.STOWAGE_ALLOW_ANONYMOUS === "true",
      })
    );
    let served: Hono;
    try {
      served = await app;
    } catch (err) {
      app = undefined;
      return Response.json(
        { error: { code: "Config", message: (err as Error).message } },
        { status: 500 },
      );
    }
    return await served.fetch(request, env);
  },
};
