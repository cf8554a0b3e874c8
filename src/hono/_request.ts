// Reading requests and writing answers: the percent-encoded path, query flags,
// JSON bodies, file headers, conditional requests, byte ranges, token digests
// and the loopback test of the DNS-rebinding guard.

import type { Context } from "hono";
import { routePath } from "hono/route";
import type { StatResult } from "../types.ts";
import { InvalidArgumentError, InvalidPathError } from "../errors.ts";
import { guessContentType } from "./_content_type.ts";
import { metadataToHeaders } from "../http_wire.ts";

/**
 * Tells whether a host name (optionally with a port, IPv6 in brackets) is a
 * loopback name: `localhost`, `*.localhost`, `127.0.0.0/8`, `::1`.
 *
 * @param host the host, e.g. `127.0.0.1:8000` or `[::1]`
 * @returns true for loopback names
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "./mod.ts";
 * console.assert(isLoopbackHost("localhost:8000") && !isLoopbackHost("example.com"));
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    h = h.slice(1, end < 0 ? undefined : end);
  } else if (h.split(":").length === 2) {
    h = h.slice(0, h.indexOf(":"));
  }
  if (h.endsWith(".")) h = h.slice(0, -1);
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v4);
  return m !== null && m.slice(1).every((x) => Number(x) <= 255);
}

const JSON_LIMIT = 64 * 1024;

/** The percent-encoded path after the route prefix, decoded exactly once. */
export function decodeTail(c: Context): string {
  const url = c.req.url;
  const start = url.indexOf("/", url.indexOf("://") + 3);
  let end = url.length;
  for (const ch of ["?", "#"]) {
    const i = url.indexOf(ch, start);
    if (i >= 0 && i < end) end = i;
  }
  const pathname = start < 0 ? "/" : url.slice(start, end);
  const prefix = routePath(c).replace(/\/\*$/, "");
  let tail: string;
  if (pathname === prefix || pathname === prefix + "/") tail = "";
  else if (pathname.startsWith(prefix + "/")) {
    tail = pathname.slice(prefix.length + 1);
  } else {
    throw new InvalidPathError(
      `Cannot read the path of '${pathname}': percent-encode only the path segments after '${prefix}/'`,
    );
  }
  try {
    return tail.split("/").map(decodeURIComponent).join("/");
  } catch {
    throw new InvalidPathError(
      `Path '${tail}' is not valid percent-encoding: encode each segment with encodeURIComponent`,
    );
  }
}

export function boolQuery(c: Context, name: string, dflt: boolean): boolean {
  const v = c.req.query(name);
  if (v === undefined) return dflt;
  if (v === "" || v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new InvalidArgumentError(
    `Query parameter '${name}' must be true or false, got '${v}'`,
  );
}

export async function readJson(req: Request): Promise<unknown> {
  if (!req.body) return undefined;
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > JSON_LIMIT) {
      await reader.cancel().catch(() => {});
      throw new InvalidArgumentError(
        `The JSON body is larger than ${JSON_LIMIT} bytes`,
      );
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let off = 0;
  for (const ch of chunks) {
    all.set(ch, off);
    off += ch.length;
  }
  try {
    return JSON.parse(new TextDecoder().decode(all));
  } catch {
    throw new InvalidArgumentError("The request body is not valid JSON");
  }
}

export function fileHeaders(
  st: StatResult,
  etag: string | undefined,
  rel: string,
): Record<string, string> {
  const h: Record<string, string> = {
    "accept-ranges": "bytes",
    "content-type": st.contentType || guessContentType(rel),
    "content-length": String(st.size),
    "cache-control": "private, no-cache",
    "x-content-type-options": "nosniff",
    // Stored HTML must not run scripts with this server's origin.
    "content-security-policy": "sandbox",
  };
  if (etag) h["etag"] = etag;
  if (st.mtime) h["last-modified"] = st.mtime.toUTCString();
  // Keys that are not header tokens cannot be sent as a header: left out.
  const sendable = Object.entries(st.metadata ?? {}).filter(([k]) =>
    /^[a-z0-9!#$%&'*+.^_`|~-]+$/i.test(k)
  );
  return metadataToHeaders(Object.fromEntries(sendable), h);
}

export function etagOf(st: StatResult): string | undefined {
  if (st.etag) {
    return st.etag.startsWith('"') || st.etag.startsWith("W/") ? st.etag : `"${st.etag}"`;
  }
  if (st.mtime) {
    return `"${st.mtime.getTime().toString(16)}-${st.size.toString(16)}"`;
  }
  return undefined;
}

/** `If-None-Match` (weak comparison) or `If-Match` / `If-Range` (strong). */
export function etagMatches(
  header: string,
  etag: string | undefined,
  weak: boolean,
): boolean {
  if (header.trim() === "*") return true;
  if (!etag) return false;
  const norm = (t: string) => t.replace(/^W\//, "");
  return header.split(",").map((t) => t.trim()).some((t) =>
    t !== "" &&
    (weak ? norm(t) === norm(etag) : !t.startsWith("W/") && !etag.startsWith("W/") && t === etag)
  );
}

export function notModifiedSince(mtime: Date | null, header: string): boolean {
  const since = Date.parse(header);
  if (!mtime || !Number.isFinite(since)) return false;
  return Math.floor(mtime.getTime() / 1000) <= Math.floor(since / 1000);
}

/**
 * One `bytes=` range → `[start, end)`, `"unsatisfiable"`, or null to ignore the
 * header (malformed or multi-range: the whole file is sent).
 */
export function parseRange(
  header: string,
  size: number,
): [number, number] | "unsatisfiable" | null {
  const m = /^bytes=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return "unsatisfiable";
    return [Math.max(0, size - n), size];
  }
  const start = Number(m[1]);
  if (m[2] !== "" && Number(m[2]) < start) return null;
  if (start >= size) return "unsatisfiable";
  const end = m[2] === "" ? size : Math.min(Number(m[2]) + 1, size);
  return [start, end];
}

export async function sha256(s: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)),
  );
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
