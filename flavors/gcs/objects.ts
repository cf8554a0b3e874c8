/**
 * The object resource of the GCS JSON API: its JSON as a {@linkcode GcsObject}, the
 * resource a write sends, the query strings of its calls, and its CRC32C (the
 * `x-goog-hash` header, a download checked as it passes).
 *
 * @module
 */

import type { ObjectMeta } from "../../src/object_types.ts";
import { fromBase64 } from "../../src/checksum.ts";

/** An object as the JSON API describes it. */
export interface GcsObject extends ObjectMeta {
  /** The generation (a decimal string). */
  generation: string;
  /** The metageneration. */
  metageneration?: string;
  /** Base64 big-endian CRC32C of the data. */
  crc32c?: string;
  /** Base64 MD5 of the data (absent for composite objects). */
  md5Hash?: string;
  /** Components of a composite object. */
  componentCount?: number;
}

/** The options of a write (a one-request insert or a resumable session). */
export interface GcsWriteOptions {
  /** Send `ifGenerationMatch=0`: only create. */
  createOnly?: boolean;
  /** The content type (default `application/octet-stream`). */
  contentType?: string;
  /** User metadata. */
  metadata?: Record<string, string>;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * The object resource a write sends (name, content type, metadata) and its content type.
 *
 * @param key the object key
 * @param options the write's content type and metadata
 * @returns the content type and the resource
 */
export function objectResource(
  key: string,
  options: GcsWriteOptions,
): { contentType: string; resource: Record<string, unknown> } {
  const contentType = options.contentType || "application/octet-stream";
  const resource: Record<string, unknown> = { name: key, contentType };
  if (options.metadata && Object.keys(options.metadata).length) {
    resource.metadata = options.metadata;
  }
  return { contentType, resource };
}

/**
 * A query string from defined values, encoded with `encodeURIComponent` (space as `%20`).
 *
 * @param params the parameters; undefined and empty ones are left out
 * @returns `?a=1&b=2`, or `""`
 */
export function qs(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

/** The `crc32c=` value of an `x-goog-hash` header, as a number. */
export function parseGoogHash(header: string | null): number | undefined {
  const m = /(?:^|,)\s*crc32c=([A-Za-z0-9+/=]+)/.exec(header ?? "");
  if (!m) return undefined;
  const b = fromBase64(m[1]);
  return b.length === 4 ? new DataView(b.buffer, b.byteOffset, 4).getUint32(0, false) : undefined;
}

/** The object JSON of the API as a {@linkcode GcsObject}. */
export function parseObject(j: Record<string, unknown>): GcsObject {
  const updated = typeof j.updated === "string" ? new Date(j.updated) : null;
  return {
    key: String(j.name ?? ""),
    size: Number(j.size ?? 0),
    mtime: updated && !Number.isNaN(updated.getTime()) ? updated : null,
    etag: typeof j.etag === "string"
      ? j.etag
      : j.generation !== undefined
      ? String(j.generation)
      : undefined,
    contentType: typeof j.contentType === "string" ? j.contentType : undefined,
    metadata: typeof j.metadata === "object" && j.metadata !== null
      ? Object.fromEntries(Object.entries(j.metadata).map(([k, v]) => [k, String(v)]))
      : undefined,
    generation: String(j.generation ?? ""),
    metageneration: j.metageneration !== undefined ? String(j.metageneration) : undefined,
    crc32c: typeof j.crc32c === "string" ? j.crc32c : undefined,
    md5Hash: typeof j.md5Hash === "string" ? j.md5Hash : undefined,
    componentCount: j.componentCount !== undefined ? Number(j.componentCount) : undefined,
  };
}
