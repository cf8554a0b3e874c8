/**
 * Microsoft Entra access tokens for Azure Storage: the token cache every bearer
 * credential hands its tokens out through (the shared cache of
 * `src/http/token_cache.ts` with the Azure token shape), tokens from a
 * configured `TokenCredential`, the OAuth 2.0 client-credentials flow of a
 * service principal (client secret), and the token-endpoint client and answer
 * parsing that the managed identity (`managed_identity.ts`) uses too.
 *
 * @example
 * ```ts
 * import { TokenCache } from "./entra.ts";
 * const cache = new TokenCache(() => Promise.resolve({ token: "t", expiresOnTimestamp: Date.now() + 3_600_000 }), "demo");
 * console.assert((await cache.get()) === "t" && cache.source === "demo");
 * ```
 *
 * @module
 */

import { type ArtifactStoreError, AuthenticationError } from "../../src/errors.ts";
import {
  type ErrorResponse,
  HttpClient,
  isRetryableStatus,
  type RetryOptions,
  TokenCache as SharedTokenCache,
} from "../../src/http/mod.ts";
import type { AccessToken, ClientSecretCredential, TokenCredential } from "./config.ts";
import { FLAVOR } from "./errors.ts";

/** The OAuth scope of Azure Storage. */
export const STORAGE_SCOPE = "https://storage.azure.com/.default";
/** The default Microsoft Entra authority. */
export const DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com";

/** The fetch and retry settings of token requests. */
export interface TokenHttp {
  /** The fetch for token requests. */
  fetch?: typeof fetch;
  /** Retry settings for token requests. */
  retry?: RetryOptions;
}

/**
 * Caches one access token: fetched on first use, shared by concurrent callers,
 * refreshed when it comes near its expiry (5 minutes before, or at half its
 * lifetime for short-lived tokens). A failed refresh keeps using the old token
 * while it is still valid. The shared {@linkcode SharedTokenCache} with the
 * Azure token shape.
 *
 * @example
 * ```ts
 * import { TokenCache } from "./entra.ts";
 * let n = 0;
 * const cache = new TokenCache(() => Promise.resolve({ token: `t${++n}`, expiresOnTimestamp: Date.now() + 3_600_000 }), "demo");
 * console.assert((await cache.get()) === "t1" && (await cache.get()) === "t1");
 * ```
 */
export class TokenCache extends SharedTokenCache<string> {
  /** Where the tokens come from, for messages. */
  readonly source: string;

  /**
   * Creates an empty cache.
   *
   * @param fetchToken fetches a new token
   * @param source where the tokens come from, for messages
   */
  constructor(fetchToken: () => Promise<AccessToken>, source: string) {
    super(async () => {
      const t = await fetchToken();
      return { value: t.token, expiresAt: t.expiresOnTimestamp };
    }, { staleFallbackMs: 10_000 });
    this.source = source;
  }
}

/**
 * A token cache fed by a configured `TokenCredential` (the shape of
 * `@azure/identity`'s credentials), asked for the Azure Storage scope.
 *
 * @param c the credential
 * @returns the cache
 */
export function tokenCredentialCache(c: TokenCredential): TokenCache {
  return new TokenCache(async () => {
    const t = await c.getToken(STORAGE_SCOPE);
    if (!t?.token) {
      throw new AuthenticationError(
        "The configured Azure credential returned no token: check that it can sign in",
        { flavor: FLAVOR },
      );
    }
    return t;
  }, "config credential");
}

/**
 * The HTTP client of a token endpoint: a failed answer becomes an
 * `AuthenticationError` that quotes the endpoint's error and ends with a hint
 * (retryable for 408, 429 and 5xx).
 *
 * @param what the endpoint, for messages (`"the Microsoft identity platform"`)
 * @param hint what to check when it fails
 * @param http fetch and retry settings
 * @param timeoutMs the timeout of one request
 * @returns the client
 */
export function tokenClient(
  what: string,
  hint: string,
  http: TokenHttp,
  timeoutMs = 30_000,
): HttpClient {
  return new HttpClient({
    flavor: FLAVOR,
    fetch: http.fetch,
    retry: http.retry,
    timeoutMs,
    mapError: (res: ErrorResponse): ArtifactStoreError => {
      let detail = res.body.slice(0, 500);
      try {
        const j = JSON.parse(res.body);
        detail = [j.error, j.error_description ?? j.message].filter(Boolean).join(": ") || detail;
      } catch {
        // Not JSON: keep the text.
      }
      const retryable = isRetryableStatus(res.status);
      return new AuthenticationError(
        `Cannot get an Azure access token from ${what} (HTTP ${res.status}${
          detail ? `: ${detail}` : ""
        }); ${hint}`,
        { flavor: FLAVOR, status: res.status, retryable },
      );
    },
  });
}

/**
 * Reads a token endpoint's JSON answer: `access_token`, with its expiry from
 * `expires_on` (seconds since the epoch, or a date) or `expires_in` (seconds),
 * else five minutes from now.
 *
 * @param j the parsed answer
 * @param what the endpoint, for messages
 * @returns the token and its expiry
 * @throws {AuthenticationError} when the answer holds no token
 *
 * @example
 * ```ts
 * import { parseTokenResponse } from "./entra.ts";
 * const t = parseTokenResponse({ access_token: "t", expires_on: "1700000000" }, "demo");
 * console.assert(t.token === "t" && t.expiresOnTimestamp === 1_700_000_000_000);
 * ```
 */
export function parseTokenResponse(j: Record<string, unknown>, what: string): AccessToken {
  const token = j.access_token;
  if (typeof token !== "string" || token === "") {
    throw new AuthenticationError(`${what} returned no access_token`, { flavor: FLAVOR });
  }
  const now = Date.now();
  let expires = Number.NaN;
  if (j.expires_on !== undefined) {
    const n = Number(j.expires_on);
    expires = Number.isFinite(n) ? n * 1000 : Date.parse(String(j.expires_on));
  }
  if (!Number.isFinite(expires) && j.expires_in !== undefined) {
    expires = now + Number(j.expires_in) * 1000;
  }
  if (!Number.isFinite(expires)) expires = now + 5 * 60_000;
  return { token, expiresOnTimestamp: expires };
}

/**
 * A token cache fed by the OAuth 2.0 client-credentials flow of a service
 * principal (`{authority}/{tenant}/oauth2/v2.0/token`).
 *
 * @param sp tenant, client id, secret and authority host
 * @param http fetch and retry settings
 * @returns the cache
 */
export function clientSecretCache(
  sp: ClientSecretCredential,
  http: TokenHttp = {},
): TokenCache {
  const authority = (sp.authorityHost || DEFAULT_AUTHORITY_HOST).replace(/\/+$/, "");
  const url = `${authority}/${encodeURIComponent(sp.tenantId)}/oauth2/v2.0/token`;
  const client = tokenClient(
    "the Microsoft identity platform",
    "check the tenant id, client id and client secret (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)",
    http,
  );
  return new TokenCache(async () => {
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: sp.clientId,
      client_secret: sp.clientSecret,
      scope: STORAGE_SCOPE,
    }).toString();
    return await client.sendAndRead({
      method: "POST",
      url,
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new TextEncoder().encode(body),
      op: "get a token for",
      path: url,
    }, (text) => parseTokenResponse(JSON.parse(text), "The Microsoft identity platform"));
  }, "service principal");
}
