/**
 * RSA signing with WebCrypto for Google Cloud Storage: the service-account key
 * import (PKCS#8 PEM, PKCS#1 too), and V4 signed URLs (`GOOG4-RSA-SHA256`) as
 * Google documents them ("Signatures", "Canonical requests"), proven against
 * Google's conformance cases (`v4_signatures.json`).
 *
 * @example
 * ```ts
 * import { encodeRfc3986 } from "./signer.ts";
 * console.assert(encodeRfc3986("a b/c~!") === "a%20b%2Fc~%21");
 * ```
 *
 * @module
 */

import { ConfigError } from "../../src/errors.ts";
import { fromBase64, toHex } from "../../src/checksum.ts";

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

// ------------------------------------------------------------------ keys

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) out.unshift(x & 0xff);
  return [0x80 | out.length, ...out];
}

/** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo (WebCrypto imports only the latter). */
function pkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array {
  // AlgorithmIdentifier { rsaEncryption, NULL }
  const alg = [
    0x30,
    0x0d,
    0x06,
    0x09,
    0x2a,
    0x86,
    0x48,
    0x86,
    0xf7,
    0x0d,
    0x01,
    0x01,
    0x01,
    0x05,
    0x00,
  ];
  const octet = [0x04, ...derLength(pkcs1.length)];
  const bodyLen = 3 + alg.length + octet.length + pkcs1.length;
  const head = [0x30, ...derLength(bodyLen), 0x02, 0x01, 0x00, ...alg, ...octet];
  const out = new Uint8Array(head.length + pkcs1.length);
  out.set(head, 0);
  out.set(pkcs1, head.length);
  return out;
}

/**
 * Imports an RSA private key from PEM (PKCS#8 `BEGIN PRIVATE KEY`, as Google's
 * key files hold it, or PKCS#1 `BEGIN RSA PRIVATE KEY`) for RS256 signing.
 *
 * @param pem the PEM text (`\n` escapes already decoded by JSON parsing)
 * @returns a signing key
 * @throws {ConfigError} when it is not an RSA private key in PEM form
 *
 * @example
 * ```ts
 * import { importPrivateKey } from "./signer.ts";
 * await importPrivateKey("not a key").catch((e) => console.assert(e.name === "ConfigError"));
 * ```
 */
export async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const m = /-----BEGIN ((?:RSA )?PRIVATE KEY)-----([\s\S]*?)-----END \1-----/.exec(
    String(pem).replaceAll("\\n", "\n"),
  );
  if (!m) {
    throw new ConfigError(
      "The service-account 'private_key' is not a PEM private key: use the key file the Cloud console downloaded, unchanged",
    );
  }
  let der: Uint8Array;
  try {
    der = fromBase64(m[2].replace(/\s+/g, ""));
  } catch (err) {
    throw new ConfigError(
      "The service-account 'private_key' has a damaged PEM body: download the key file again",
      { cause: err },
    );
  }
  if (m[1] === "RSA PRIVATE KEY") der = pkcs1ToPkcs8(der);
  try {
    return await crypto.subtle.importKey("pkcs8", der as BufferSource, RSA, false, ["sign"]);
  } catch (err) {
    throw new ConfigError(
      "The service-account 'private_key' could not be imported as an RSA key: use the key file the Cloud console downloaded, unchanged",
      { cause: err },
    );
  }
}

/**
 * Signs bytes with RSASSA-PKCS1-v1_5 / SHA-256 (RS256).
 *
 * @param key the private key
 * @param data the bytes or text to sign
 * @returns the signature
 *
 * @example
 * ```ts
 * import { rsaSign } from "./signer.ts";
 * const pair = await crypto.subtle.generateKey(
 *   { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
 *   true,
 *   ["sign", "verify"],
 * ) as CryptoKeyPair;
 * console.assert((await rsaSign(pair.privateKey, "x")).length === 256);
 * ```
 */
export async function rsaSign(key: CryptoKey, data: Uint8Array | string): Promise<Uint8Array> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return new Uint8Array(await crypto.subtle.sign(RSA, key, bytes as BufferSource));
}

/**
 * Base64url without padding (JWT encoding).
 *
 * @param data bytes or text
 * @returns the encoded string
 *
 * @example
 * ```ts
 * import { base64url } from "./signer.ts";
 * console.assert(base64url(new Uint8Array([251, 255])) === "-_8");
 * ```
 */
export function base64url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Hex SHA-256 of text.
 *
 * @param text the text
 * @returns lower-case hex
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./signer.ts";
 * console.assert((await sha256Hex("")).startsWith("e3b0c442"));
 * ```
 */
export async function sha256Hex(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return toHex(new Uint8Array(d));
}

// ------------------------------------------------------------------ V4 signed URLs

/**
 * Percent-encodes everything but RFC 3986's unreserved characters
 * (`A-Z a-z 0-9 - . _ ~`), as V4 canonical requests want.
 *
 * @param s the text
 * @returns the encoded text
 *
 * @example
 * ```ts
 * import { encodeRfc3986 } from "./signer.ts";
 * console.assert(encodeRfc3986("é*") === "%C3%A9%2A");
 * ```
 */
export function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

/** An object path with each segment encoded and the slashes kept. */
function encodePath(name: string): string {
  return name.split("/").map(encodeRfc3986).join("/");
}

/** `20190201T090000Z` */
function amzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** What {@linkcode signUrlV4} signs. */
export interface SignUrlV4Input {
  /** The HTTP method (`GET`, `PUT`, `POST`, `HEAD`, `DELETE`). */
  method: string;
  /** The bucket. */
  bucket: string;
  /** The object name; omitted for a bucket-level URL (listing). */
  object?: string;
  /** Lifetime in seconds (1 to 604 800). */
  expiresIn: number;
  /** The signing time (default now). */
  now?: Date;
  /** The service account's e-mail. */
  clientEmail: string;
  /** Its private key (see {@linkcode importPrivateKey}). */
  key: CryptoKey;
  /** `https` (default) or `http`. */
  scheme?: string;
  /** The host of the URL, with a port if any (default `storage.googleapis.com`). */
  host?: string;
  /** `path` (default: `host/bucket/object`), `virtual-hosted` (`bucket.host/object`) or `bucket-bound` (`host/object`, a CNAME). */
  style?: "path" | "virtual-hosted" | "bucket-bound";
  /** Headers the request will carry, which are signed. */
  headers?: Record<string, string>;
  /** Extra query parameters, which are signed. */
  query?: Record<string, string>;
}

/** A signed URL and the intermediate strings (for checks against Google's cases). */
export interface SignedUrlV4 {
  /** The URL. */
  url: string;
  /** The canonical request that was hashed. */
  canonicalRequest: string;
  /** The string that was signed. */
  stringToSign: string;
  /** The hex signature. */
  signature: string;
}

/**
 * A V4 signed URL (`GOOG4-RSA-SHA256`): anyone holding it may make this request
 * until it expires. The canonical request holds the method, the encoded path, the
 * sorted encoded query, the signed headers (names lower-cased, values trimmed and
 * inner whitespace collapsed; `host` without its port) and the payload hash
 * (`UNSIGNED-PAYLOAD` unless an `x-goog-content-sha256` header is signed).
 *
 * @param input what to sign
 * @returns the URL, canonical request, string to sign and signature
 *
 * @example
 * ```ts
 * import { signUrlV4 } from "./signer.ts";
 * const { privateKey } = await crypto.subtle.generateKey(
 *   { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
 *   false,
 *   ["sign", "verify"],
 * ) as CryptoKeyPair;
 * const s = await signUrlV4({
 *   method: "GET", bucket: "b", object: "a b.txt", expiresIn: 60,
 *   clientEmail: "sa@p.iam.gserviceaccount.com", key: privateKey,
 * });
 * console.assert(s.url.startsWith("https://storage.googleapis.com/b/a%20b.txt?X-Goog-Algorithm=GOOG4-RSA-SHA256&"));
 * ```
 */
export async function signUrlV4(input: SignUrlV4Input): Promise<SignedUrlV4> {
  const now = input.now ?? new Date();
  const datetime = amzDate(now);
  const date = datetime.slice(0, 8);
  const scheme = input.scheme ?? "https";
  const style = input.style ?? "path";
  let urlHost = input.host ?? "storage.googleapis.com";
  let path: string;
  if (style === "path") {
    path = `/${input.bucket}` + (input.object === undefined ? "" : `/${encodePath(input.object)}`);
  } else {
    if (style === "virtual-hosted") urlHost = `${input.bucket}.${urlHost}`;
    path = `/${encodePath(input.object ?? "")}`;
  }
  const canonicalHost = urlHost.replace(/:\d+$/, "");

  const headers = new Map<string, string>();
  for (const [k, val] of Object.entries(input.headers ?? {})) {
    headers.set(k.toLowerCase().trim(), String(val).trim().replace(/[ \t]+/g, " "));
  }
  headers.set("host", canonicalHost);
  const names = [...headers.keys()].sort();
  const signedHeaders = names.join(";");
  const canonicalHeaders = names.map((n) => `${n}:${headers.get(n)}\n`).join("");

  const scope = `${date}/auto/storage/goog4_request`;
  const params: [string, string][] = [
    ["X-Goog-Algorithm", "GOOG4-RSA-SHA256"],
    ["X-Goog-Credential", `${input.clientEmail}/${scope}`],
    ["X-Goog-Date", datetime],
    ["X-Goog-Expires", String(input.expiresIn)],
    ["X-Goog-SignedHeaders", signedHeaders],
    ...Object.entries(input.query ?? {}),
  ];
  const query = params
    .map(([k, val]) => [encodeRfc3986(k), encodeRfc3986(val)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, val]) => `${k}=${val}`)
    .join("&");
  const payload = headers.get("x-goog-content-sha256") ?? "UNSIGNED-PAYLOAD";
  const canonicalRequest = [
    input.method.toUpperCase(),
    path,
    query,
    canonicalHeaders,
    signedHeaders,
    payload,
  ].join("\n");
  const stringToSign = [
    "GOOG4-RSA-SHA256",
    datetime,
    scope,
    await sha256Hex(canonicalRequest),
  ].join("\n");
  const signature = toHex(await rsaSign(input.key, stringToSign));
  return {
    url: `${scheme}://${urlHost}${path}?${query}&X-Goog-Signature=${signature}`,
    canonicalRequest,
    stringToSign,
    signature,
  };
}
