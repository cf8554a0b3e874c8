/**
 * The object calls of the S3 REST API: HeadObject (a refused HEAD asked again
 * as a one-byte GET to learn its code), GetObject (ranges, `If-Match`),
 * PutObject, DeleteObject and CopyObject, and the headers a write sends and a
 * HEAD answers.
 *
 * @module
 */

import { type ArtifactStoreError, InvalidArgumentError } from "../../src/errors.ts";
import { encodeKeyPath, rangedAnswer, rangeRequestHeaders } from "../../src/http/mod.ts";
import { emptyBody } from "../../src/streams.ts";
import type { GetResult, ObjectMeta } from "../../src/object_types.ts";
import type { S3Client } from "./client.ts";
import { FLAVOR } from "./errors.ts";
import { withVerify } from "./integrity.ts";

/** Headers of a write. */
export interface S3WriteOptions {
  /** Send `If-None-Match: *`. */
  ifNoneMatch?: boolean;
  /** Content type (default `application/octet-stream`). */
  contentType?: string;
  /** User metadata (`x-amz-meta-*`), ASCII values. */
  metadata?: Record<string, string>;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * The headers of a write: content type, create-only, metadata (checked).
 *
 * @param o the write's options
 * @returns the headers
 */
export function writeHeaders(o: S3WriteOptions): Record<string, string> {
  const h: Record<string, string> = {
    "Content-Type": o.contentType ?? "application/octet-stream",
  };
  if (o.ifNoneMatch) h["If-None-Match"] = "*";
  for (const [k, v] of Object.entries(o.metadata ?? {})) {
    if (!/^[\x20-\x7e]*$/.test(v) || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k)) {
      throw new InvalidArgumentError(
        `Metadata '${k}' cannot be sent as an S3 header: use ASCII names and values (encode others, e.g. with encodeURIComponent)`,
        { flavor: FLAVOR },
      );
    }
    h[`x-amz-meta-${k.toLowerCase()}`] = v;
  }
  return h;
}

/**
 * Metadata of an object, or null when there is no object with this key.
 * A HEAD error has no body, so a refusal is asked again with a one-byte GET to
 * learn its code (a wrong secret and a missing permission both answer 403).
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
 *
 * @param client the client
 * @param key the object key
 * @param signal cancels the request
 * @returns the metadata, or null
 */
export async function headObject(
  client: S3Client,
  key: string,
  signal?: AbortSignal,
): Promise<ObjectMeta | null> {
  let res: Response;
  try {
    res = await client.http.send({
      method: "HEAD",
      url: await client.url(key),
      signal,
      path: client.uri(key),
      op: "stat",
      accept: [404],
    });
  } catch (err) {
    const e = err as ArtifactStoreError;
    if (e.status === 403 || e.status === 400 || e.status === 301) {
      await diagnose(client, key, signal);
    }
    throw err;
  }
  await res.body?.cancel();
  if (res.status === 404) return null;
  return metaFromHeaders(key, res.headers);
}

/** Repeats a refused HEAD as a ranged GET, whose error body names the cause. */
async function diagnose(client: S3Client, key: string, signal?: AbortSignal): Promise<void> {
  const res = await client.http.send({
    method: "GET",
    url: await client.url(key),
    headers: { Range: "bytes=0-0" },
    signal,
    path: client.uri(key),
    op: "stat",
    accept: [404, 416],
  });
  await res.body?.cancel();
}

/**
 * The bytes of an object or of a range (`end` exclusive).
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 *
 * @param client the client
 * @param key the object key
 * @param range the range, or the whole object
 * @param options the entity tag to pin the read to, signal
 * @returns the bytes, their length and the entity tag
 */
export async function getObject(
  client: S3Client,
  key: string,
  range: { start: number; end?: number } | undefined,
  options: { ifMatch?: string; signal?: AbortSignal } = {},
): Promise<GetResult> {
  const headers = rangeRequestHeaders(range, { ifMatch: options.ifMatch });
  // A whole-object read asks for the stored checksum, to check the bytes against it.
  const whole = headers.Range === undefined && await client.checksum !== null;
  if (whole) headers["x-amz-checksum-mode"] = "ENABLED";
  const res = await client.http.send({
    method: "GET",
    url: await client.url(key),
    headers,
    signal: options.signal,
    path: client.uri(key),
    op: "read",
    accept: [416],
  });
  const etag = res.headers.get("etag") ?? undefined;
  const part = await rangedAnswer(res, range, { path: client.uri(key), flavor: FLAVOR });
  if (!part) return { body: emptyBody(), length: 0, etag };
  const result = { ...part, etag };
  return whole && res.status === 200
    ? await withVerify(result, res.headers, client.uri(key))
    : result;
}

/**
 * Writes a whole object.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 *
 * @param client the client
 * @param key the object key
 * @param data the bytes
 * @param options create-only, content type, metadata, signal
 */
export async function putObject(
  client: S3Client,
  key: string,
  data: Uint8Array,
  options: S3WriteOptions = {},
): Promise<void> {
  const headers = writeHeaders(options);
  const { headers: sum } = await client.bodyChecksum(data);
  const res = await client.http.send({
    method: "PUT",
    url: await client.url(key),
    headers: { ...headers, ...sum },
    body: data,
    signal: options.signal,
    path: client.uri(key),
    op: "write",
  });
  await res.body?.cancel();
}

/**
 * Deletes an object (a missing key is not an error).
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
 *
 * @param client the client
 * @param key the object key
 */
export async function deleteObject(client: S3Client, key: string): Promise<void> {
  const res = await client.http.send({
    method: "DELETE",
    url: await client.url(key),
    path: client.uri(key),
    op: "remove",
    accept: [404],
  });
  await res.body?.cancel();
}

/**
 * Copies an object inside the bucket (up to 5 GiB).
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
 *
 * @param client the client
 * @param src the source key
 * @param dst the destination key
 * @param options create-only
 */
export async function copyObject(
  client: S3Client,
  src: string,
  dst: string,
  options: { ifNoneMatch?: boolean } = {},
): Promise<void> {
  const headers: Record<string, string> = {
    "x-amz-copy-source": `/${client.bucket}/${encodeKeyPath(src)}`,
  };
  if (options.ifNoneMatch) headers["If-None-Match"] = "*";
  await client.sendXml({
    method: "PUT",
    url: await client.url(dst),
    headers,
    path: client.uri(dst),
    op: "copy",
  });
}

/**
 * The metadata of an object from the headers of a HEAD.
 *
 * @param key the object key
 * @param h the response headers
 * @returns the metadata
 */
function metaFromHeaders(key: string, h: Headers): ObjectMeta {
  const metadata: Record<string, string> = {};
  for (const [k, v] of h) {
    if (k.startsWith("x-amz-meta-")) metadata[k.slice(11)] = v;
  }
  const lm = h.get("last-modified");
  return {
    key,
    size: Number(h.get("content-length") ?? 0),
    mtime: lm ? new Date(lm) : null,
    etag: h.get("etag") ?? undefined,
    contentType: h.get("content-type") ?? undefined,
    metadata: Object.keys(metadata).length ? metadata : undefined,
  };
}
