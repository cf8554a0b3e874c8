/**
 * Where the Azure flavor finds its account, endpoint and credentials — the
 * resolve chain: the explicit configuration first, then the environment, in
 * this order — connection string (`AZURE_STORAGE_CONNECTION_STRING`, incl.
 * `UseDevelopmentStorage=true`), account name + key, SAS token, client-secret
 * service principal (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`),
 * managed identity (App Service `IDENTITY_ENDPOINT`, else IMDS). The sources
 * themselves live beside it: connection strings in `connection_string.ts`,
 * Microsoft Entra tokens (cached and refreshed before they expire) in
 * `entra.ts` and `managed_identity.ts`.
 *
 * @example
 * ```ts
 * import { resolveAzureSettings } from "./credentials.ts";
 * const s = resolveAzureSettings({ path: "az://c", connectionString: "UseDevelopmentStorage=true" });
 * console.assert(s.auth.kind === "sharedKey" && s.accountName === "devstoreaccount1");
 * ```
 *
 * @module
 */

import { getEnv } from "../../src/_runtime.ts";
import { ConfigError } from "../../src/errors.ts";
import type { RetryOptions } from "../../src/http/mod.ts";
import type { AzureStoreConfig, ClientSecretCredential } from "./config.ts";
import {
  accountOfEndpoint,
  type ConnectionString,
  parseConnectionString,
} from "./connection_string.ts";
import { clientSecretCache, TokenCache, tokenCredentialCache } from "./entra.ts";
import { FLAVOR } from "./errors.ts";
import { managedIdentityCache } from "./managed_identity.ts";

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
  /** The key or SAS of a connection string, on its endpoint. */
  const connectionString = (c: ConnectionString, source: string) => {
    account ??= c.accountName ?? accountOfEndpoint(c.blobEndpoint!);
    if (c.accountKey) return sharedKey(c.accountKey, source, c.blobEndpoint);
    return make({ kind: "sas", token: sas(c.sasToken!) }, source, c.blobEndpoint);
  };
  const envAccount = () => env("AZURE_STORAGE_ACCOUNT_NAME") ?? env("AZURE_STORAGE_ACCOUNT");
  /** A bearer credential, for the configured account, else the environment's. */
  const bearer = (tokens: TokenCache, source: string) => {
    account ??= envAccount();
    return make({ kind: "bearer", tokens }, source);
  };
  /** A client-secret service principal, its authority host else AZURE_AUTHORITY_HOST. */
  const servicePrincipal = (sp: ClientSecretCredential, source: string) =>
    bearer(
      clientSecretCache(
        { ...sp, authorityHost: sp.authorityHost || env("AZURE_AUTHORITY_HOST") },
        http,
      ),
      source,
    );

  // 1. Explicit configuration.
  if (cs) {
    if (cs.accountName && config.accountName && cs.accountName !== config.accountName) {
      throw new ConfigError(
        `The connection string is for account '${cs.accountName}', but 'accountName' says '${config.accountName}': make them agree`,
        { flavor: FLAVOR, path: config.path },
      );
    }
    return connectionString(cs, "config connectionString");
  }
  if (config.accountKey) {
    account ??= envAccount();
    return sharedKey(config.accountKey, "config accountKey");
  }
  if (config.sasToken) {
    account ??= envAccount();
    return make({ kind: "sas", token: sas(config.sasToken) }, "config sasToken");
  }
  if (config.token) {
    const token = config.token;
    const fixed = () => Promise.resolve({ token, expiresOnTimestamp: Number.MAX_SAFE_INTEGER });
    return bearer(new TokenCache(fixed, "config token"), "config token");
  }
  if (config.credential) {
    const c = config.credential;
    if ("getToken" in c && typeof c.getToken === "function") {
      return bearer(tokenCredentialCache(c), "config credential");
    }
    return servicePrincipal(c as ClientSecretCredential, "config credential");
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
    return servicePrincipal({ tenantId, clientId, clientSecret }, "config service principal");
  }
  if (config.managedIdentity) {
    const mi = typeof config.managedIdentity === "object" ? config.managedIdentity : {};
    return bearer(
      managedIdentityCache(
        { clientId: mi.clientId ?? config.clientId, endpoint: mi.endpoint },
        env,
        http,
      ),
      "config managedIdentity",
    );
  }

  // 2. The environment.
  const envCs = env("AZURE_STORAGE_CONNECTION_STRING");
  if (envCs) {
    const parsed = parseConnectionString(envCs);
    if (sameAccount(parsed.accountName)) {
      return connectionString(parsed, "AZURE_STORAGE_CONNECTION_STRING");
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
    return servicePrincipal({ tenantId, clientId, clientSecret }, "AZURE_CLIENT_SECRET");
  }
  return bearer(
    managedIdentityCache({ clientId: config.clientId ?? clientId }, env, http),
    "managed identity (no other credentials found)",
  );
}
