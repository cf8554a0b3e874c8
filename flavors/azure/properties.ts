/**
 * What the Blob service says about a blob, read once from either place it says it:
 * the headers of Get Blob Properties and the `<Blob>` elements of List Blobs.
 *
 * @module
 */

import type { ObjectMeta } from "../../src/object_types.ts";
import type { XmlElement } from "../../src/xml.ts";

/** What the service says about one blob. */
export interface BlobProperties extends ObjectMeta {
  /** `BlockBlob`, `AppendBlob` or `PageBlob`. */
  blobType?: string;
  /** An ADLS Gen2 directory (metadata `hdi_isfolder=true`). */
  isFolder: boolean;
  /** The stored `Content-MD5`, base64, when the blob has one. */
  contentMd5?: string;
  /** `x-ms-copy-status` of the last copy into this blob. */
  copyStatus?: string;
  /** `x-ms-copy-status-description`. */
  copyStatusDescription?: string;
  /** `x-ms-copy-source`. */
  copySource?: string;
  /** `x-ms-copy-id`. */
  copyId?: string;
}

/** One page of List Blobs. */
export interface BlobListPage {
  /** Blobs (full names). */
  blobs: BlobProperties[];
  /** Virtual directories (with a delimiter), ending in `/`. */
  prefixes: string[];
  /** The marker of the next page. */
  next?: string;
}

/**
 * The properties of a blob from the headers of a HEAD or GET.
 * https://learn.microsoft.com/rest/api/storageservices/get-blob-properties
 *
 * @param key the blob name
 * @param h the response headers
 * @returns the properties
 */
export function metaFromHeaders(key: string, h: Headers): BlobProperties {
  const metadata: Record<string, string> = {};
  h.forEach((value, name) => {
    const n = name.toLowerCase();
    if (n.startsWith("x-ms-meta-")) metadata[n.slice(10)] = value;
  });
  const lm = h.get("last-modified");
  const mtime = lm ? new Date(lm) : null;
  return {
    key,
    size: Number(h.get("content-length") ?? 0),
    mtime: mtime && !Number.isNaN(mtime.getTime()) ? mtime : null,
    etag: h.get("etag") ?? undefined,
    contentType: h.get("content-type") ?? undefined,
    metadata: Object.keys(metadata).length ? metadata : undefined,
    blobType: h.get("x-ms-blob-type") ?? undefined,
    isFolder: metadata.hdi_isfolder?.toLowerCase() === "true",
    contentMd5: h.get("content-md5") ?? undefined,
    copyStatus: h.get("x-ms-copy-status") ?? undefined,
    copyStatusDescription: h.get("x-ms-copy-status-description") ?? undefined,
    copySource: h.get("x-ms-copy-source") ?? undefined,
    copyId: h.get("x-ms-copy-id") ?? undefined,
  };
}

/**
 * The properties of a blob from a `<Blob>` element of a listing.
 * https://learn.microsoft.com/rest/api/storageservices/list-blobs
 *
 * @param blob the element
 * @returns the properties
 */
export function metaFromXml(blob: XmlElement): BlobProperties {
  const nameEl = blob.child("Name");
  let key = nameEl?.content ?? "";
  if (nameEl?.attrs.Encoded === "true") {
    try {
      key = decodeURIComponent(key);
    } catch {
      // Keep it as sent.
    }
  }
  const p = blob.child("Properties");
  const metadata: Record<string, string> = {};
  for (const m of blob.child("Metadata")?.children ?? []) {
    metadata[m.name.toLowerCase()] = m.content;
  }
  const lm = p?.text("Last-Modified");
  const mtime = lm ? new Date(lm) : null;
  return {
    key,
    size: Number(p?.text("Content-Length") ?? 0),
    mtime: mtime && !Number.isNaN(mtime.getTime()) ? mtime : null,
    etag: p?.text("Etag") ?? undefined,
    contentType: p?.text("Content-Type") || undefined,
    metadata: Object.keys(metadata).length ? metadata : undefined,
    blobType: p?.text("BlobType") ?? undefined,
    isFolder: metadata.hdi_isfolder?.toLowerCase() === "true",
    contentMd5: p?.text("Content-MD5") || undefined,
  };
}
