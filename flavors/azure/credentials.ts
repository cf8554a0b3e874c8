/**
 * Where the Azure flavor finds its account, endpoint and credentials: the
 * explicit configuration first, then the environment, in this order —
 * connection string (`AZURE_STORAGE_CONNECTION_STRING`, incl.
 * `UseDevelopmentStorage=true`), account name + key, SAS token, client-secret
 * service principal (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`),
 * managed identity (App Service `IDENTITY_ENDPOINT`, else IMDS). Microsoft Entra
 * tokens are cached and refreshed before they expire.
 *
 * @example
 * ```ts
 * import { parseConnectionString } from "./credentials.ts";
 * const c = parseConnectionString("UseDevelopmentStorage=true");
 * console.assert(c.accountName === "devstoreaccount1" && c.blobEndpoint === "http://127.0.0.1:10000/devstoreaccount1");
 * ```
 *
 * @module
 */

import { getEnv } from "../../src/_runtime.ts";
import { type ArtifactStoreError, AuthenticationError, ConfigError } from "../../src/errors.ts";
import {
  type ErrorResponse,
  HttpClient,
  type RetryOptions,
  TokenCache as SharedTokenCache,
} from "../../src/http/mod.ts";
import type {
  AccessToken,
  AzureStoreConfig,
  ClientSecretCredential,
  ManagedIdentityOptions,
  TokenCredential,
} from "./config.ts";

const FLAVOR = "azure";

/** The OAuth scope of Azure Storage. */
export const STORAGE_SCOPE = "https://storage.azure.com/.default";
/** The resource name managed identity endpoints take. */
const STORAGE_RESOURCE = "https://storage.azure.com/";
/** The default Microsoft Entra authority. */
export const DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com";
/** The instance metadata service's token URL. */
export const IMDS_TOKEN_URL = "http://169.254.169.254/metadata/identity/oauth2/token";

/** Azurite's development account (public, documented by Microsoft; not a secret). */
export const DEVELOPMENT_ACCOUNT = "devstoreaccount1";
/** Azurite's development account key (public, documented by Microsoft; not a secret). */
export const DEVELOPMENT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** How requests are authorized. */
export type AzureAuth =
  | {
    /** SharedKey: every request signed with the account key (HMAC-SHA256). */
    kind: "sharedKey";
    /** The account. */
    accountName: string;
    /** The base64 account key. */
    accountKey: string;
  }
  | {
    /** A SAS token appended to every URL. */
    kind: "sas";
    /** The token, without the leading `?`. */
    token: string;
  }
  | {
    /** A Microsoft Entra bearer token. */
    kind: "bearer";
    /** Hands out current tokens. */
    tokens: TokenCache;
  };

/** The account, endpoint and credentials of a store. */
export interface AzureSettings {
  /** The storage account, when known (needed for SharedKey and presigning). */
  accountName?: string;
  /** The blob endpoint, without a trailing slash (may hold a path: `http://127.0.0.1:10000/devstoreaccount1`). */
  endpoint: string;
  /** How requests are authorized. */
  auth: AzureAuth;
  /** Where the credentials came from, for messages (`"config accountKey"`, `"AZURE_STORAGE_CONNECTION_STRING"`). */
  source: string;
}

/** What a connection string says. */
export interface ConnectionString {
  /** `AccountName`. */
  accountName?: string;
  /** `AccountKey`. */
  accountKey?: string;
  /** `SharedAccessSignature`. */
  sasToken?: string;
  /** `BlobEndpoint`, or the one built from protocol, account and suffix. */
  blobEndpoint?: string;
}

/**
 * Parses an Azure Storage connection string (`Key=Value;…`, keys case-insensitive).
 * `UseDevelopmentStorage=true` stands for the Azurite account on
 * `http://127.0.0.1:10000` (or `DevelopmentStorageProxyUri`).
 *
 * @param s the connection string
 * @returns the account, key or SAS, and blob endpoint
 * @throws {ConfigError} when it is not a list of `Key=Value` pairs
 *
 * @example
 * ```ts
 * import { parseConnectionString } from "./credentials.ts";
 * const c = parseConnectionString("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net");
 * console.assert(c.blobEndpoint === "https://acct.blob.core.windows.net" && c.accountKey === "a2V5");
 * ```
 */
export function parseConnectionString(s: string): ConnectionString {
  const fields = new Map<string, string>();
  for (const part of s.split(";")) {
    const p = part.trim();
    if (p === "") continue;
    const eq = p.indexOf("=");
    if (eq <= 0) {
      throw new ConfigError(
        `The Azure connection string is malformed near '${
          p.slice(0, 20)
        }': use 'Key=Value' pairs separated by ';' as the Azure portal shows them`,
        { flavor: FLAVOR },
      );
    }
    fields.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  if (fields.get("usedevelopmentstorage")?.toLowerCase() === "true") {
    const proxy = fields.get("developmentstorageproxyuri")?.replace(/\/+$/, "");
    const base = proxy ? proxy.replace(/:\d+$/, "") : "http://127.0.0.1";
    return {
      accountName: DEVELOPMENT_ACCOUNT,
      accountKey: DEVELOPMENT_KEY,
      blobEndpoint: `${base}:10000/${DEVELOPMENT_ACCOUNT}`,
    };
  }
  const accountName = fields.get("accountname") || undefined;
  const accountKey = fields.get("accountkey") || undefined;
  const sas = fields.get("sharedaccesssignature")?.replace(/^\?/, "") || undefined;
  let blobEndpoint = fields.get("blobendpoint")?.replace(/\/+$/, "") || undefined;
  if (!blobEndpoint && accountName) {
    const protocol = (fields.get("defaultendpointsprotocol") || "https").toLowerCase();
    const suffix = fields.get("endpointsuffix") || "core.windows.net";
    blobEndpoint = `${protocol}://${accountName}.blob.${suffix}`;
  }
  if (!blobEndpoint) {
    throw new ConfigError(
      "The Azure connection string names neither 'AccountName' nor 'BlobEndpoint': copy the whole string from the portal",
      { flavor: FLAVOR },
    );
  }
  if (!accountKey && !sas) {
    throw new ConfigError(
      "The Azure connection string has neither 'AccountKey' nor 'SharedAccessSignature': copy the whole string from the portal",
      { flavor: FLAVOR },
    );
  }
  return { accountName, accountKey, sasToken: sas, blobEndpoint };
}

/**
 * The account a blob endpoint names: `https://acct.blob.core.windows.net` (or
 * `.dfs.`, any cloud suffix), or the first path segment of a path-style emulator
 * endpoint on an IP address or `localhost` (`http://127.0.0.1:10000/acct`).
 */
function accountOfEndpoint(endpoint: string): string | undefined {
  try {
    const u = new URL(endpoint);
    const host = u.hostname.toLowerCase();
    const m = /^([a-z0-9]+)\.(?:blob|dfs)\./.exec(host);
    if (m) return m[1];
    const emulator = host === "localhost" || /^[\d.]+$/.test(host) || host.startsWith("[");
    const first = u.pathname.split("/").filter(Boolean)[0];
    return emulator && first ? decodeURIComponent(first) : undefined;
  } catch {
    return undefined;
  }
}

/** Options of {@linkcode resolveAzureSettings}. */
export interface ResolveOptions {
  /** Reads an environment variable (default: the process environment). */
  env?: (name: string) => string | undefined;
  /** The account named by the store path (`abfs://c@account.dfs.core.windows.net`). */
  pathAccount?: string;
  /** The fetch for token requests. */
  fetch?: typeof fetch;
  /** Retry settings for token requests. */
  retry?: RetryOptions;
}

/**
 * Resolves the account, endpoint and credentials of a store, synchronously (tokens
 * are fetched on first use): the configuration first, then the environment.
 * Environment credentials for another account than the configured one are skipped.
 *
 * @param config the store configuration
 * @param options the environment reader, the account named by the path, fetch and retry
 * @returns the settings
 * @throws {ConfigError} when no account or endpoint can be found, or a setting is contradictory
 *
 * @example
 * ```ts
 * import { resolveAzureSettings } from "./credentials.ts";
 * const s = resolveAzureSettings({ path: "az://c" }, {
 *   env: (n) => ({ AZURE_STORAGE_ACCOUNT_NAME: "acct", AZURE_STORAGE_SAS_TOKEN: "?sv=x&sig=y" })[n],
 * });
 * console.assert(s.auth.kind === "sas" && s.endpoint === "https://acct.blob.core.windows.net");
 * ```
 */
export function resolveAzureSettings(
  config: AzureStoreConfig,
  options: ResolveOptions = {},
): AzureSettings {
  const env = (name: string) => {
    const value = (options.env ?? getEnv)(name);
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const http = { fetch: options.fetch ?? config.fetch, retry: options.retry ?? config.retry };
  const cs = config.connectionString ? parseConnectionString(config.connectionString) : undefined;
  // The account: the configuration, the path, then the environment.
  let account = config.accountName || cs?.accountName || options.pathAccount;
  const configured = account;
  const sameAccount = (other: string | undefined) =>
    configured === undefined || other === undefined || other === configured;
  const make = (auth: AzureAuth, source: string, endpoint?: string): AzureSettings => {
    const ep = (config.endpoint || endpoint || cs?.blobEndpoint)?.replace(/\/+$/, "") ||
      (account ? `https://${account}.blob.core.windows.net` : undefined);
    if (!ep) {
      throw new ConfigError(
        `No Azure storage account for '${config.path}': set 'accountName' (or AZURE_STORAGE_ACCOUNT_NAME), ` +
          "a connection string, an 'endpoint', or use 'abfs://container@ACCOUNT.dfs.core.windows.net/…'",
        { flavor: FLAVOR, path: config.path },
      );
    }
    account ??= accountOfEndpoint(ep);
    return { accountName: account, endpoint: ep, auth, source };
  };
  const sharedKey = (key: string, source: string, endpoint?: string) => {
    if (!account) {
      throw new ConfigError(
        `An account key (${source}) needs the account name: set 'accountName' or AZURE_STORAGE_ACCOUNT_NAME`,
        { flavor: FLAVOR, path: config.path },
      );
    }
    return make({ kind: "sharedKey", accountName: account, accountKey: key }, source, endpoint);
  };
  const sas = (token: string) => token.trim().replace(/^\?/, "");
  const bearer = (tokens: TokenCache, source: string) => make({ kind: "bearer", tokens }, source);

  // 1. Explicit configuration.
  if (cs) {
    if (cs.accountName && config.accountName && cs.accountName !== config.accountName) {
      throw new ConfigError(
        `The connection string is for account '${cs.accountName}', but 'accountName' says '${config.accountName}': make them agree`,
        { flavor: FLAVOR, path: config.path },
      );
    }
    account = cs.accountName ?? account ?? accountOfEndpoint(cs.blobEndpoint!);
    if (cs.accountKey) return sharedKey(cs.accountKey, "config connectionString", cs.blobEndpoint);
    return make(
      { kind: "sas", token: sas(cs.sasToken!) },
      "config connectionString",
      cs.blobEndpoint,
    );
  }
  if (config.accountKey) {
    account ??= env("AZURE_STORAGE_ACCOUNT_NAME") ?? env("AZURE_STORAGE_ACCOUNT");
    return sharedKey(config.accountKey, "config accountKey");
  }
  if (config.sasToken) {
    account ??= env("AZURE_STORAGE_ACCOUNT_NAME") ?? env("AZURE_STORAGE_ACCOUNT");
    return make({ kind: "sas", token: sas(config.sasToken) }, "config sasToken");
  }
  const envAccount = () => env("AZURE_STORAGE_ACCOUNT_NAME") ?? env("AZURE_STORAGE_ACCOUNT");
  const withEnvAccount = <T>(fn: () => T): T => {
    account ??= envAccount();
    return fn();
  };
  if (config.token) {
    const token = config.token;
    return withEnvAccount(() =>
      bearer(
        new TokenCache(
          () => Promise.resolve({ token, expiresOnTimestamp: Number.MAX_SAFE_INTEGER }),
          "config token",
        ),
        "config token",
      )
    );
  }
  if (config.credential) {
    const c = config.credential;
    if ("getToken" in c && typeof c.getToken === "function") {
      return withEnvAccount(() => bearer(tokenCredentialCache(c), "config credential"));
    }
    const sp = c as ClientSecretCredential;
    return withEnvAccount(() =>
      bearer(
        clientSecretCache(
          { ...sp, authorityHost: sp.authorityHost || env("AZURE_AUTHORITY_HOST") },
          http,
        ),
        "config credential",
      )
    );
  }
  if (config.tenantId || config.clientSecret) {
    const tenantId = config.tenantId ?? env("AZURE_TENANT_ID");
    const clientId = config.clientId ?? env("AZURE_CLIENT_ID");
    const clientSecret = config.clientSecret ?? env("AZURE_CLIENT_SECRET");
    if (!tenantId || !clientId || !clientSecret) {
      throw new ConfigError(
        "A service principal needs 'tenantId', 'clientId' and 'clientSecret' (or AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)",
        { flavor: FLAVOR, path: config.path },
      );
    }
    return withEnvAccount(() =>
      bearer(
        clientSecretCache({
          tenantId,
          clientId,
          clientSecret,
          authorityHost: env("AZURE_AUTHORITY_HOST"),
        }, http),
        "config service principal",
      )
    );
  }
  if (config.managedIdentity) {
    const mi = typeof config.managedIdentity === "object" ? config.managedIdentity : {};
    return withEnvAccount(() =>
      bearer(
        managedIdentityCache(
          { clientId: mi.clientId ?? config.clientId, endpoint: mi.endpoint },
          env,
          http,
        ),
        "config managedIdentity",
      )
    );
  }

  // 2. The environment.
  const envCs = env("AZURE_STORAGE_CONNECTION_STRING");
  if (envCs) {
    const parsed = parseConnectionString(envCs);
    if (sameAccount(parsed.accountName)) {
      account ??= parsed.accountName ?? accountOfEndpoint(parsed.blobEndpoint!);
      const source = "AZURE_STORAGE_CONNECTION_STRING";
      if (parsed.accountKey) return sharedKey(parsed.accountKey, source, parsed.blobEndpoint);
      return make({ kind: "sas", token: sas(parsed.sasToken!) }, source, parsed.blobEndpoint);
    }
  }
  const envName = envAccount();
  const envKey = env("AZURE_STORAGE_ACCOUNT_KEY") ?? env("AZURE_STORAGE_KEY");
  if (envKey && sameAccount(envName)) {
    account ??= envName;
    return sharedKey(envKey, "AZURE_STORAGE_ACCOUNT_KEY");
  }
  account ??= envName;
  const envSas = env("AZURE_STORAGE_SAS_TOKEN");
  if (envSas) return make({ kind: "sas", token: sas(envSas) }, "AZURE_STORAGE_SAS_TOKEN");
  const tenantId = env("AZURE_TENANT_ID");
  const clientId = env("AZURE_CLIENT_ID");
  const clientSecret = env("AZURE_CLIENT_SECRET");
  if (tenantId && clientId && clientSecret) {
    return bearer(
      clientSecretCache({
        tenantId,
        clientId,
        clientSecret,
        authorityHost: env("AZURE_AUTHORITY_HOST"),
      }, http),
      "AZURE_CLIENT_SECRET",
    );
  }
  return bearer(
    managedIdentityCache({ clientId: config.clientId ?? clientId }, env, http),
    "managed identity (no other credentials found)",
  );
}

// ------------------------------------------------------------------ tokens

/**
 * Caches one access token: fetched on first use, shared by concurrent callers,
 * refreshed when it comes near its expiry (5 minutes before, or at half its
 * lifetime for short-lived tokens). A failed refresh keeps using the old token
 * while it is still valid. The shared {@linkcode SharedTokenCache} with the
 * Azure token shape.
 *
 * @example
 * ```ts
 * import { TokenCache } from "./credentials.ts";
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

function tokenCredentialCache(c: TokenCredential): TokenCache {
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

function tokenClient(
  what: string,
  hint: string,
  http: { fetch?: typeof fetch; retry?: RetryOptions },
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
      const retryable = [408, 429, 500, 502, 503, 504].includes(res.status);
      return new AuthenticationError(
        `Cannot get an Azure access token from ${what} (HTTP ${res.status}${
          detail ? `: ${detail}` : ""
        }); ${hint}`,
        { flavor: FLAVOR, status: res.status, retryable },
      );
    },
  });
}

function parseTokenResponse(j: Record<string, unknown>, what: string): AccessToken {
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
  http: { fetch?: typeof fetch; retry?: RetryOptions } = {},
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
    const res = await client.send({
      method: "POST",
      url,
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new TextEncoder().encode(body),
      op: "get a token for",
      path: url,
    });
    return parseTokenResponse(await res.json(), "The Microsoft identity platform");
  }, "service principal");
}

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
  http: { fetch?: typeof fetch; retry?: RetryOptions } = {},
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
      const res = await client.send({
        method: "GET",
        url,
        headers: appService
          ? { "X-IDENTITY-HEADER": identityHeader!, Accept: "application/json" }
          : { Metadata: "true", Accept: "application/json" },
        op: "get a token for",
        path: base,
      });
      return parseTokenResponse(await res.json(), "The managed identity endpoint");
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
