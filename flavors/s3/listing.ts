/**
 * ListObjectsV2: one page of keys below a prefix, its `Contents` and
 * `CommonPrefixes` read into {@linkcode S3ListPage} (URL-decoded when the service
 * honoured `encoding-type=url`, and only what lies below the prefix kept).
 *
 * @module
 */

import { queryString } from "../../src/http/mod.ts";
import type { ObjectMeta } from "../../src/object_types.ts";
import { parseXml } from "../../src/xml.ts";
import type { S3Client } from "./client.ts";

/** A page of ListObjectsV2. */
export interface S3ListPage {
  /** Objects (full keys). */
  objects: ObjectMeta[];
  /** Common prefixes (with a delimiter). */
  prefixes: string[];
  /** The continuation token of the next page. */
  next?: string;
  /** The service says more pages follow. */
  truncated: boolean;
}

/** Options of {@linkcode listObjectsV2}. */
export interface S3ListOptions {
  /** Group keys below `/` into common prefixes. */
  delimiter?: boolean;
  /** Keys a page holds at most. */
  maxKeys?: number;
  /** The continuation token of the previous page. */
  token?: string;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * One page of keys below a prefix.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 *
 * @param client the client
 * @param prefix the key prefix
 * @param options delimiter, page size, continuation token, signal
 * @returns the page
 */
export async function listObjectsV2(
  client: S3Client,
  prefix: string,
  options: S3ListOptions = {},
): Promise<S3ListPage> {
  const doc = await client.http.sendAndRead({
    method: "GET",
    url: await client.url(
      "",
      queryString({
        "list-type": 2,
        prefix: prefix || undefined,
        delimiter: options.delimiter ? "/" : undefined,
        "max-keys": options.maxKeys,
        "continuation-token": options.token,
        "encoding-type": "url",
      }, { bareEmpty: true }),
    ),
    signal: options.signal,
    path: client.uri(prefix.replace(/\/$/, "")),
    op: "list",
  }, parseXml);
  // Keys come URL-encoded only when the service honoured encoding-type.
  const decode = doc.text("EncodingType")?.toLowerCase() === "url"
    ? (s: string) => decodeURIComponent(s.replace(/\+/g, " "))
    : (s: string) => s;
  const objects: ObjectMeta[] = [];
  for (const c of doc.all("Contents")) {
    const key = decode(c.text("Key") ?? "");
    if (!key.startsWith(prefix)) continue;
    const lm = c.text("LastModified");
    objects.push({
      key,
      size: Number(c.text("Size") ?? 0),
      mtime: lm ? new Date(lm) : null,
      etag: c.text("ETag"),
    });
  }
  const prefixes = doc.all("CommonPrefixes")
    .map((p) => decode(p.text("Prefix") ?? ""))
    .filter((p) => p.startsWith(prefix) && p !== "");
  return {
    objects,
    prefixes,
    next: doc.text("NextContinuationToken") || undefined,
    truncated: doc.text("IsTruncated") === "true",
  };
}
