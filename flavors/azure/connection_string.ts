/**
 * Azure Storage connection strings (`Key=Value;…`, as the Azure portal shows
 * them, incl. Azurite's `UseDevelopmentStorage=true`) and the account a blob
 * endpoint names.
 *
 * @example
 * ```ts
 * import { parseConnectionString } from "./connection_string.ts";
 * const c = parseConnectionString("UseDevelopmentStorage=true");
 * console.assert(c.accountName === "devstoreaccount1" && c.blobEndpoint === "http://127.0.0.1:10000/devstoreaccount1");
 * ```
 *
 * @module
 */

import { ConfigError } from "../../src/errors.ts";
import { FLAVOR } from "./errors.ts";

/** Azurite's development account (public, documented by Microsoft; not a secret). */
export const DEVELOPMENT_ACCOUNT = "devstoreaccount1";
/** Azurite's development account key (public, documented by Microsoft; not a secret). */
export const DEVELOPMENT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

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
 * import { parseConnectionString } from "./connection_string.ts";
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
 *
 * @param endpoint the blob endpoint
 * @returns the account, or `undefined` when the endpoint names none
 *
 * @example
 * ```ts
 * import { accountOfEndpoint } from "./connection_string.ts";
 * console.assert(accountOfEndpoint("https://acct.dfs.core.windows.net") === "acct");
 * console.assert(accountOfEndpoint("http://127.0.0.1:10000/devstoreaccount1") === "devstoreaccount1");
 * ```
 */
export function accountOfEndpoint(endpoint: string): string | undefined {
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
