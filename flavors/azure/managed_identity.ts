/**
 * Microsoft Entra tokens from a managed identity: App Service / Functions
 * (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`), AAD pod identity
 * (`AZURE_POD_IDENTITY_AUTHORITY_HOST`), else the instance metadata service
 * (IMDS). Off Azure the first token request fails quickly, and the failure is
 * remembered for a few seconds.
 *
 * @example
 * ```ts
 * import { managedIdentityCache } from "./managed_identity.ts";
 * const fetch = () => Promise.resolve(Response.json({ access_token: "mi", expires_in: 3600 }));
 * const cache = managedIdentityCache({}, () => undefined, { fetch });
 * console.assert((await cache.get()) === "mi" && cache.source === "managed identity");
 * ```
 *
 * @module
 */

import { getEnv } from "../../src/_runtime.ts";
import { AuthenticationError } from "../../src/errors.ts";
import type { ManagedIdentityOptions } from "./config.ts";
import { parseTokenResponse, TokenCache, tokenClient, type TokenHttp } from "./entra.ts";
import { FLAVOR } from "./errors.ts";

/** The resource name managed identity endpoints take. */
const STORAGE_RESOURCE = "https://storage.azure.com/";
/** The instance metadata service's token URL. */
export const IMDS_TOKEN_URL = "http://169.254.169.254/metadata/identity/oauth2/token";

/**
 * A token cache fed by a managed identity: App Service / Functions
 * (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`) when set, else the instance
 * metadata service (IMDS). Off Azure the first token request fails quickly with
 * an `AuthenticationError` that lists the other ways to configure credentials.
 *
 * @param mi the client id of a user-assigned identity and the endpoint
 * @param env reads environment variables
 * @param http fetch and retry settings
 * @returns the cache
 */
export function managedIdentityCache(
  mi: ManagedIdentityOptions,
  env: (name: string) => string | undefined = getEnv,
  http: TokenHttp = {},
): TokenCache {
  const identityEndpoint = env("IDENTITY_ENDPOINT");
  const identityHeader = env("IDENTITY_HEADER");
  const appService = !mi.endpoint && identityEndpoint && identityHeader;
  const podHost = env("AZURE_POD_IDENTITY_AUTHORITY_HOST")?.replace(/\/+$/, "");
  const base = mi.endpoint ??
    (appService
      ? identityEndpoint
      : podHost
      ? `${podHost}/metadata/identity/oauth2/token`
      : IMDS_TOKEN_URL);
  const params = new URLSearchParams(
    appService
      ? { "api-version": "2019-08-01", resource: STORAGE_RESOURCE }
      : { "api-version": "2018-02-01", resource: STORAGE_RESOURCE },
  );
  if (mi.clientId) params.set("client_id", mi.clientId);
  const url = `${base}${base.includes("?") ? "&" : "?"}${params}`;
  const hint =
    "no Azure credentials were found besides a managed identity: set AZURE_STORAGE_CONNECTION_STRING, " +
    "AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY or AZURE_STORAGE_SAS_TOKEN, or " +
    "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or give them in the store configuration";
  const client = tokenClient("the managed identity endpoint", hint, {
    fetch: http.fetch,
    // Off Azure, IMDS does not answer: do not wait minutes for it.
    retry: {
      maxRetries: 2,
      initialBackoffMs: 200,
      maxBackoffMs: 1000,
      totalTimeoutMs: 10_000,
      ...http.retry,
    },
  }, 5_000);
  let lastFailure: { at: number; error: unknown } | undefined;
  return new TokenCache(async () => {
    // A failure is remembered for a few seconds, so a store off Azure does not
    // probe the endpoint on every request.
    if (lastFailure && Date.now() - lastFailure.at < 5_000) throw lastFailure.error;
    try {
      return await client.sendAndRead({
        method: "GET",
        url,
        headers: appService
          ? { "X-IDENTITY-HEADER": identityHeader!, Accept: "application/json" }
          : { Metadata: "true", Accept: "application/json" },
        op: "get a token for",
        path: base,
      }, (text) => parseTokenResponse(JSON.parse(text), "The managed identity endpoint"));
    } catch (err) {
      const error = err instanceof AuthenticationError ? err : new AuthenticationError(
        `Cannot get an Azure access token from the managed identity endpoint '${base}': ${
          (err as Error)?.message ?? err
        }; ${hint}`,
        { flavor: FLAVOR, cause: err },
      );
      lastFailure = { at: Date.now(), error };
      throw error;
    }
  }, "managed identity");
}
