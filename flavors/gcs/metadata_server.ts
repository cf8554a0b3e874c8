/**
 * Access tokens from the metadata server of Google Cloud (GCE, GKE, Cloud Run,
 * Functions): the default service account's token at
 * `http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token`,
 * the host overridable with `GCE_METADATA_HOST` (or `GCE_METADATA_IP`). Off
 * Google Cloud the server does not answer, and the error lists the other ways
 * to give credentials.
 *
 * @example
 * ```ts
 * import { metadataTokenSource } from "./metadata_server.ts";
 * const fetch = () => Promise.resolve(Response.json({ access_token: "ya29.m", expires_in: 60 }));
 * const source = metadataTokenSource((n) => n === "GCE_METADATA_HOST" ? "127.0.0.1:8080" : undefined, fetch);
 * console.assert((await source()).token === "ya29.m");
 * ```
 *
 * @module
 */

import { AuthenticationError } from "../../src/errors.ts";
import { HttpClient } from "../../src/http/mod.ts";
import { normalizeEndpoint } from "./endpoint.ts";
import { FLAVOR } from "./errors.ts";
import { readTokenJson, tokenError, type TokenSource } from "./token_exchange.ts";

const METADATA_PATH = "/computeMetadata/v1/instance/service-accounts/default/token";

/**
 * The token source of the metadata server: one GET with `Metadata-Flavor:
 * Google`, a few quick retries, a 5 s timeout.
 *
 * @param env reads an environment variable
 * @param fetch the fetch for token requests
 * @returns the token source
 */
export function metadataTokenSource(
  env: (name: string) => string | undefined,
  fetch?: typeof globalThis.fetch,
): TokenSource {
  const metadataHost = env("GCE_METADATA_HOST")?.trim() || env("GCE_METADATA_IP")?.trim() ||
    "metadata.google.internal";
  const metadataUrl = `${normalizeEndpoint(metadataHost)}${METADATA_PATH}`;
  const metadataHttp = new HttpClient({
    flavor: FLAVOR,
    fetch,
    retry: { maxRetries: 2, initialBackoffMs: 100, maxBackoffMs: 1000, totalTimeoutMs: 15_000 },
    timeoutMs: 5_000,
    mapError: tokenError(`the metadata server '${metadataUrl}'`),
  });
  return async (signal) => {
    let res: Response;
    try {
      res = await metadataHttp.send({
        method: "GET",
        url: metadataUrl,
        headers: { "Metadata-Flavor": "Google" },
        signal,
        op: "get a token from the metadata server for",
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new AuthenticationError(
        "No Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, " +
          "pass 'credentials', 'keyFilename' or 'accessToken', run 'gcloud auth application-default login', " +
          `or run on Google Cloud (the metadata server '${metadataUrl}' did not answer: ${
            (err as Error)?.message ?? err
          })`,
        { flavor: FLAVOR, cause: err },
      );
    }
    return await readTokenJson(res, `the metadata server '${metadataUrl}'`);
  };
}
