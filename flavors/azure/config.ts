/**
 * Configuration of the Azure Blob flavor and its valibot schema (which the
 * registry, the CLI and the HTTP adapter use to check and print it).
 *
 * @example
 * ```ts
 * import { azureConfigSchema } from "./config.ts";
 * const r = await azureConfigSchema["~standard"].validate({ path: "az://container/prefix", concurrency: 0 });
 * console.assert(r.issues !== undefined);
 * ```
 *
 * @module
 */

import * as v from "valibot";
import {
  baseConfigEntries,
  closedConfig,
  cloudConfigEntries,
  type StandardSchemaV1,
} from "../../src/flavor.ts";
import type { ChecksumSetting } from "../../src/digest.ts";
import type { RetryOptions } from "../../src/http/mod.ts";
import type { ObjectStoreConfig } from "../../src/object_types.ts";

/** The default block size of streamed uploads (8 MiB). */
export const DEFAULT_BLOCK_SIZE: number = 8 * 1024 * 1024;
/** The largest block Azure accepts (4000 MiB). */
export const MAX_BLOCK_SIZE: number = 4000 * 1024 * 1024;
/** The most blocks in one block blob. */
export const MAX_BLOCKS = 50_000;

/** An access token as Azure identity libraries return it. */
export interface AccessToken {
  /** The bearer token. */
  token: string;
  /** When it expires, ms since the epoch. */
  expiresOnTimestamp: number;
}

/**
 * Anything that hands out Microsoft Entra tokens: the shape of `@azure/identity`
 * credentials (`DefaultAzureCredential`, …), so one can be passed as is.
 */
export interface TokenCredential {
  /** Returns a token for the scopes (Stowage asks for `https://storage.azure.com/.default`). */
  getToken(
    scopes: string | string[],
    options?: Record<string, unknown>,
  ): Promise<AccessToken | null>;
}

/** A Microsoft Entra service principal with a client secret. */
export interface ClientSecretCredential {
  /** The directory (tenant) id. */
  tenantId: string;
  /** The application (client) id. */
  clientId: string;
  /** The client secret. */
  clientSecret: string;
  /** The authority host (default `AZURE_AUTHORITY_HOST`, else `https://login.microsoftonline.com`). */
  authorityHost?: string;
}

/** Managed identity settings. */
export interface ManagedIdentityOptions {
  /** The client id of a user-assigned identity (default `AZURE_CLIENT_ID`, else the system-assigned one). */
  clientId?: string;
  /**
   * The token URL (default: App Service's `IDENTITY_ENDPOINT` when set, else
   * `http://169.254.169.254/metadata/identity/oauth2/token`, whose host
   * `AZURE_POD_IDENTITY_AUTHORITY_HOST` overrides).
   */
  endpoint?: string;
}

/**
 * Configuration of an Azure Blob store. Every credential falls back to the
 * environment, in this order: connection string, account name + key, SAS token,
 * service principal, managed identity (see the README).
 */
export interface AzureStoreConfig extends ObjectStoreConfig {
  /**
   * The root: `az://container/prefix`, `abfs://container/prefix` or
   * `abfs://container@account.dfs.core.windows.net/prefix`.
   */
  path: string;
  /** A storage connection string (default `AZURE_STORAGE_CONNECTION_STRING`), incl. `UseDevelopmentStorage=true`. */
  connectionString?: string;
  /** The storage account (default from the connection string, the `abfs://…@account…` path, else `AZURE_STORAGE_ACCOUNT_NAME` / `AZURE_STORAGE_ACCOUNT`). */
  accountName?: string;
  /** The account key, base64 (SharedKey; default `AZURE_STORAGE_ACCOUNT_KEY` / `AZURE_STORAGE_KEY`). */
  accountKey?: string;
  /** A SAS token, with or without the leading `?` (default `AZURE_STORAGE_SAS_TOKEN`). */
  sasToken?: string;
  /** A fixed bearer token (Microsoft Entra access token for `https://storage.azure.com`). */
  token?: string;
  /** A service principal, or any `@azure/identity`-style credential with `getToken`. */
  credential?: ClientSecretCredential | TokenCredential;
  /** Service principal tenant (with `clientId` and `clientSecret`; default `AZURE_TENANT_ID`). */
  tenantId?: string;
  /** Service principal client id (default `AZURE_CLIENT_ID`). */
  clientId?: string;
  /** Service principal secret (default `AZURE_CLIENT_SECRET`). */
  clientSecret?: string;
  /** Use a managed identity (true, or its settings) instead of anything in the environment. */
  managedIdentity?: boolean | ManagedIdentityOptions;
  /** The blob endpoint (default from the connection string, else `https://{account}.blob.core.windows.net`). */
  endpoint?: string;
  /** Bytes per block of streamed uploads (default 8 MiB, at most 4000 MiB). */
  partSize?: number;
  /** Blocks in flight at once (default 4). */
  concurrency?: number;
  /** Bytes per range of a parallel read (default 8 MiB, at least 64 KiB). */
  readPartSize?: number;
  /** Ranges in flight at once when reading past `readPartSize` (default 1: one GET; at most 64). */
  readConcurrency?: number;
  /**
   * Send `Content-MD5` with every blob and block so the service verifies the bytes
   * (default `"auto"`). Azure verifies MD5 only: `"auto"`, `true` and any algorithm
   * mean MD5; `false` sends none.
   */
  checksum?: ChecksumSetting;
  /** The `fetch` to use (tests inject faults; workers pass their own). Also used for token requests. */
  fetch?: typeof fetch;
  /** Retry settings of the HTTP client. */
  retry?: RetryOptions;
}

const optionalString = (what: string) =>
  v.optional(v.pipe(v.string(`'${what}' must be a string`), v.trim()));

const url = (what: string, example: string) =>
  v.optional(
    v.pipe(
      v.string(`'${what}' must be a URL string`),
      v.trim(),
      v.check(
        (s) => s === "" || /^https?:\/\/[^/?#]+(\/[^?#]*)?$/i.test(s),
        `'${what}' must be an http:// or https:// URL such as '${example}'`,
      ),
    ),
  );

const clientSecretSchema = v.object({
  tenantId: v.pipe(
    v.string("'credential.tenantId' must be a string"),
    v.nonEmpty("'credential.tenantId' is empty"),
  ),
  clientId: v.pipe(
    v.string("'credential.clientId' must be a string"),
    v.nonEmpty("'credential.clientId' is empty"),
  ),
  clientSecret: v.pipe(
    v.string("'credential.clientSecret' must be a string"),
    v.nonEmpty("'credential.clientSecret' is empty"),
  ),
  authorityHost: url("credential.authorityHost", "https://login.microsoftonline.com"),
});

const tokenCredentialSchema = v.custom<TokenCredential>(
  (c) => typeof (c as TokenCredential)?.getToken === "function",
  "'credential' must be { tenantId, clientId, clientSecret } or an object with a getToken() method",
);

const schema = closedConfig(v.looseObject({
  ...baseConfigEntries,
  ...cloudConfigEntries,
  connectionString: optionalString("connectionString"),
  accountName: v.optional(
    v.pipe(
      v.string("'accountName' must be a string"),
      v.trim(),
      v.regex(
        /^[a-z0-9]*$/,
        "'accountName' must be the storage account name: lower-case letters and digits",
      ),
    ),
  ),
  accountKey: optionalString("accountKey"),
  sasToken: optionalString("sasToken"),
  token: optionalString("token"),
  credential: v.optional(
    v.union(
      [clientSecretSchema, tokenCredentialSchema],
      "'credential' must be { tenantId, clientId, clientSecret } or an object with a getToken() method",
    ),
  ),
  tenantId: optionalString("tenantId"),
  clientId: optionalString("clientId"),
  clientSecret: optionalString("clientSecret"),
  managedIdentity: v.optional(
    v.union([
      v.boolean(),
      v.object({
        clientId: optionalString("managedIdentity.clientId"),
        endpoint: url(
          "managedIdentity.endpoint",
          "http://169.254.169.254/metadata/identity/oauth2/token",
        ),
      }),
    ], "'managedIdentity' must be true, false or { clientId, endpoint }"),
  ),
  endpoint: url("endpoint", "https://ACCOUNT.blob.core.windows.net"),
  partSize: v.optional(
    v.pipe(
      v.number("'partSize' must be a number of bytes"),
      v.integer("'partSize' must be a whole number of bytes"),
      v.minValue(1, "'partSize' must be at least 1 byte"),
      v.maxValue(
        MAX_BLOCK_SIZE,
        `'partSize' must be at most 4000 MiB (${MAX_BLOCK_SIZE} bytes), the Azure block limit`,
      ),
    ),
  ),
}));

/**
 * The schema of {@linkcode AzureStoreConfig}: the base fields (`path`, quotes
 * stripped) and the Azure fields, each checked with a message that says what to fix.
 *
 * @example
 * ```ts
 * import { azureConfigSchema } from "./config.ts";
 * const r = await azureConfigSchema["~standard"].validate({ path: "'az://c/p'", accountName: "acct" });
 * console.assert(!r.issues && r.value.path === "az://c/p");
 * ```
 */
export const azureConfigSchema: StandardSchemaV1<unknown, AzureStoreConfig> =
  schema as unknown as StandardSchemaV1<unknown, AzureStoreConfig>;
