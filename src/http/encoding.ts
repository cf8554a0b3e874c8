/**
 * URL encoding as the signing schemes canonicalize it (RFC 3986).
 *
 * @module
 */

/**
 * Percent-encodes a string per RFC 3986: every byte but the unreserved characters
 * (`A-Z a-z 0-9 - . _ ~`), as SigV4 and SharedKey canonicalize.
 *
 * @param s the string
 * @returns the encoded string
 *
 * @example
 * ```ts
 * import { encodeRfc3986 } from "./encoding.ts";
 * console.assert(encodeRfc3986("a b(1)!") === "a%20b%281%29%21");
 * ```
 */
export function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

/**
 * Percent-encodes an object key for a URL path, segment by segment, keeping the `/`
 * between segments.
 *
 * @param key the object key
 * @returns the encoded path
 *
 * @example
 * ```ts
 * import { encodeKeyPath } from "./encoding.ts";
 * console.assert(encodeKeyPath("日本/x(1)!") === "%E6%97%A5%E6%9C%AC/x%281%29%21");
 * ```
 */
export function encodeKeyPath(key: string): string {
  return key.split("/").map(encodeRfc3986).join("/");
}

/**
 * A query string (`?a=1&b=2`, or `""`) from the defined values, RFC 3986-encoded.
 *
 * @param params the parameters; `undefined` values are left out
 * @param options `bareEmpty`: write an empty value as a bare key (`?uploads`), as S3 expects
 * @returns the query string
 *
 * @example
 * ```ts
 * import { queryString } from "./encoding.ts";
 * console.assert(queryString({ uploads: "", x: undefined }, { bareEmpty: true }) === "?uploads");
 * console.assert(queryString({ prefix: "a b" }) === "?prefix=a%20b");
 * ```
 */
export function queryString(
  params: Record<string, string | number | undefined>,
  options: { bareEmpty?: boolean } = {},
): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    parts.push(v === "" && options.bareEmpty ? k : `${k}=${encodeRfc3986(String(v))}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

/**
 * An entity tag without its quotes and weak prefix (`W/"abc"` → `abc`), to compare
 * tags that services quote differently or to hand one to an API that wants it bare.
 *
 * @param etag the tag as a header carries it
 * @returns the bare tag
 *
 * @example
 * ```ts
 * import { bareEtag } from "./encoding.ts";
 * console.assert(bareEtag('W/"abc-2"') === "abc-2" && bareEtag("abc") === "abc");
 * ```
 */
export function bareEtag(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}
