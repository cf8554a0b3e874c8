/**
 * Azure Storage signatures with WebCrypto HMAC-SHA256: the SharedKey
 * `Authorization` header of a Blob request, and service SAS tokens (what
 * `presign` returns).
 *
 * @example
 * ```ts
 * import { generateBlobSas } from "./auth.ts";
 * const sas = await generateBlobSas({
 *   accountName: "acct",
 *   accountKey: btoa("not a real key"),
 *   container: "c",
 *   blob: "a.txt",
 *   permissions: "r",
 *   expiresOn: new Date("2030-01-01T00:00:00Z"),
 * });
 * console.assert(sas.includes("sr=b") && sas.includes("sp=r") && sas.includes("sig="));
 * ```
 *
 * @module
 */

import { fromBase64, toBase64 } from "../../src/checksum.ts";
import { nativeHmacSha256 } from "../../src/digest.ts";

/** The Blob service version every request and SAS carries (Azurite 3.35 and Azure accept it). */
export const API_VERSION = "2025-01-05";

/** A MAC with one key: node:crypto's where the runtime has it, else WebCrypto's. */
type Mac = (text: string) => Uint8Array | Promise<Uint8Array>;

const macs = new Map<string, Promise<Mac>>();

async function makeMac(key: Uint8Array): Promise<Mac> {
  const native = await nativeHmacSha256();
  if (native) return (text) => native(key, text);
  const k = await crypto.subtle.importKey(
    "raw",
    key as BufferSource,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return async (text) =>
    new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(text)));
}

/** The MAC of an account key, made once per key. */
function macOf(base64Key: string): Promise<Mac> {
  let m = macs.get(base64Key);
  if (!m) {
    if (macs.size > 16) macs.clear();
    m = makeMac(fromBase64(base64Key));
    macs.set(base64Key, m);
  }
  return m;
}

/**
 * The base64 HMAC-SHA256 of a string with a base64 account key.
 *
 * @param base64Key the account key
 * @param stringToSign the text to sign
 * @returns the signature, base64
 *
 * @example
 * ```ts
 * import { hmacSha256Base64 } from "./auth.ts";
 * console.assert((await hmacSha256Base64(btoa("key"), "text")).length === 44);
 * ```
 */
export async function hmacSha256Base64(base64Key: string, stringToSign: string): Promise<string> {
  return toBase64(await (await macOf(base64Key))(stringToSign));
}

/**
 * The SharedKey string-to-sign of a Blob request (version 2009-09-19 and later):
 * the verb, the standard headers, the canonicalized `x-ms-*` headers and the
 * canonicalized resource (`/account` + the encoded URL path, then the query
 * parameters, lower-cased and sorted). For path-style endpoints (Azurite) the
 * account appears twice, as the service expects.
 *
 * @param method the HTTP method
 * @param url the request URL
 * @param headers every header that will be sent (including `x-ms-date`)
 * @param contentLength the body length in bytes (0 or undefined when there is none)
 * @param account the storage account
 * @returns the string to sign
 *
 * @example
 * ```ts
 * import { sharedKeyStringToSign } from "./auth.ts";
 * const s = sharedKeyStringToSign("GET", new URL("https://a.blob.core.windows.net/c?restype=container&comp=list"),
 *   new Headers({ "x-ms-date": "D", "x-ms-version": "V" }), 0, "a");
 * console.assert(s.endsWith("x-ms-date:D\nx-ms-version:V\n/a/c\ncomp:list\nrestype:container"));
 * ```
 */
export function sharedKeyStringToSign(
  method: string,
  url: URL,
  headers: Headers,
  contentLength: number | undefined,
  account: string,
): string {
  const h = (name: string) => headers.get(name) ?? "";
  const xms: [string, string][] = [];
  headers.forEach((value, name) => {
    const n = name.toLowerCase();
    if (n.startsWith("x-ms-")) xms.push([n, value.replace(/\s+/g, " ").trim()]);
  });
  xms.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let resource = `/${account}${url.pathname}`;
  const params = new Map<string, string[]>();
  for (const [k, value] of url.searchParams) {
    const name = k.toLowerCase();
    params.set(name, [...(params.get(name) ?? []), value]);
  }
  for (const name of [...params.keys()].sort()) {
    resource += `\n${name}:${params.get(name)!.sort().join(",")}`;
  }
  return [
    method.toUpperCase(),
    h("content-encoding"),
    h("content-language"),
    contentLength ? String(contentLength) : "",
    h("content-md5"),
    h("content-type"),
    headers.has("x-ms-date") ? "" : h("date"),
    h("if-modified-since"),
    h("if-match"),
    h("if-none-match"),
    h("if-unmodified-since"),
    h("range"),
  ].join("\n") + "\n" + xms.map(([k, value]) => `${k}:${value}\n`).join("") + resource;
}

/**
 * Signs a request with SharedKey: sets `x-ms-date` (now) and `Authorization`.
 *
 * @param method the HTTP method
 * @param url the request URL
 * @param headers the headers to send; `x-ms-date` and `Authorization` are set on it
 * @param contentLength the body length in bytes
 * @param account the storage account
 * @param key the base64 account key
 *
 * @example
 * ```ts
 * import { signSharedKey } from "./auth.ts";
 * const h = new Headers({ "x-ms-version": "2025-01-05" });
 * await signSharedKey("GET", new URL("https://a.blob.core.windows.net/c/b"), h, 0, "a", btoa("key"));
 * console.assert(h.get("authorization")!.startsWith("SharedKey a:"));
 * ```
 */
export async function signSharedKey(
  method: string,
  url: URL,
  headers: Headers,
  contentLength: number | undefined,
  account: string,
  key: string,
): Promise<void> {
  headers.set("x-ms-date", new Date().toUTCString());
  const sts = sharedKeyStringToSign(method, url, headers, contentLength, account);
  headers.set("authorization", `SharedKey ${account}:${await hmacSha256Base64(key, sts)}`);
}

/** The Azure SAS time format: ISO 8601 to the second, UTC. */
function sasTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const BLOB_PERMISSION_ORDER = "racwdxyltfmeopi";

/** Options of {@linkcode generateBlobSas}. */
export interface BlobSasOptions {
  /** The storage account. */
  accountName: string;
  /** Its base64 key. */
  accountKey: string;
  /** The container. */
  container: string;
  /** The blob; omitted for a container SAS (`sr=c`). */
  blob?: string;
  /** Permission letters (`r` read, `a` add, `c` create, `w` write, `d` delete, `l` list, …), any order. */
  permissions: string;
  /** When it expires. */
  expiresOn: Date;
  /** When it starts (default: at once). */
  startsOn?: Date;
  /** `"https"` to refuse plain HTTP (default: both). */
  protocol?: "https" | "https,http";
  /** The signed version (default {@linkcode API_VERSION}). */
  version?: string;
}

/**
 * A service SAS for a blob (`sr=b`) or a container (`sr=c`), signed with the
 * account key (version 2020-12-06 and later string-to-sign).
 *
 * @param o account, key, container, blob, permissions and times
 * @returns the SAS query string, without the leading `?`
 *
 * @example
 * ```ts
 * import { generateBlobSas } from "./auth.ts";
 * const sas = await generateBlobSas({
 *   accountName: "acct", accountKey: btoa("k"), container: "c", permissions: "lr",
 *   expiresOn: new Date(Date.now() + 60_000),
 * });
 * console.assert(sas.includes("sr=c") && sas.includes("sp=rl"));
 * ```
 */
export async function generateBlobSas(o: BlobSasOptions): Promise<string> {
  const version = o.version ?? API_VERSION;
  const resource = o.blob === undefined ? "c" : "b";
  const permissions = [...new Set(o.permissions)]
    .sort((a, b) => BLOB_PERMISSION_ORDER.indexOf(a) - BLOB_PERMISSION_ORDER.indexOf(b))
    .join("");
  const start = o.startsOn ? sasTime(o.startsOn) : "";
  const expiry = sasTime(o.expiresOn);
  const canonical = `/blob/${o.accountName}/${o.container}${
    o.blob === undefined ? "" : `/${o.blob}`
  }`;
  const stringToSign = [
    permissions,
    start,
    expiry,
    canonical,
    "", // signed identifier
    "", // signed IP
    o.protocol ?? "",
    version,
    resource,
    "", // snapshot time
    "", // encryption scope
    "", // rscc
    "", // rscd
    "", // rsce
    "", // rscl
    "", // rsct
  ].join("\n");
  const sig = await hmacSha256Base64(o.accountKey, stringToSign);
  const q: [string, string][] = [["sv", version]];
  if (start) q.push(["st", start]);
  q.push(["se", expiry], ["sr", resource], ["sp", permissions]);
  if (o.protocol) q.push(["spr", o.protocol]);
  q.push(["sig", sig]);
  return q.map(([k, value]) => `${k}=${encodeURIComponent(value)}`).join("&");
}
