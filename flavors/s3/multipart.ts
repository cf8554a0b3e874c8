/**
 * S3 multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy (a byte
 * range of another object as a part), CompleteMultipartUpload (a retry that finds
 * the upload gone checks for the object it made), AbortMultipartUpload and
 * ListMultipartUploads.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
 *
 * @module
 */

import { FileNotFoundError } from "../../src/errors.ts";
import { md5, toHex } from "../../src/checksum.ts";
import { encodeKeyPath, queryString } from "../../src/http/mod.ts";
import { escapeXml, parseXml } from "../../src/xml.ts";
import type { S3Client } from "./client.ts";
import { FLAVOR, okAnswerError } from "./errors.ts";
import { type S3WriteOptions, writeHeaders } from "./objects.ts";

/**
 * Starts a multipart upload and returns its id.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
 *
 * @param client the client
 * @param key the object key
 * @param options content type, metadata, signal (create-only is checked at the commit)
 * @returns the upload id
 */
export async function createMultipartUpload(
  client: S3Client,
  key: string,
  options: S3WriteOptions = {},
): Promise<string> {
  const { ifNoneMatch: _, ...rest } = options;
  const res = await client.http.send({
    method: "POST",
    url: await client.url(key, queryString({ uploads: "" }, { bareEmpty: true })),
    headers: writeHeaders(rest),
    signal: options.signal,
    path: client.uri(key),
    op: "write",
  });
  const id = parseXml(await res.text()).text("UploadId");
  if (!id) {
    throw okAnswerError(
      res.headers,
      { method: "POST", url: "", path: client.uri(key), op: "write" },
      "",
      "no UploadId in the answer",
    );
  }
  return id;
}

/**
 * Sends one part and returns its ETag.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
 *
 * @param client the client
 * @param key the object key
 * @param uploadId the upload
 * @param partNumber the part's number (1-based)
 * @param data the bytes
 * @param signal cancels the request
 * @returns the part's ETag
 */
export async function uploadPart(
  client: S3Client,
  key: string,
  uploadId: string,
  partNumber: number,
  data: Uint8Array,
  signal?: AbortSignal,
): Promise<string> {
  const res = await client.http.send({
    method: "PUT",
    url: await client.url(key, queryString({ partNumber, uploadId }, { bareEmpty: true })),
    headers: client.md5Header(data),
    body: data,
    signal,
    path: client.uri(key),
    op: "write",
  });
  await res.body?.cancel();
  const etag = res.headers.get("etag");
  if (!etag) {
    throw okAnswerError(
      res.headers,
      { method: "PUT", url: "", path: client.uri(key), op: "write" },
      "",
      `no ETag for part ${partNumber}`,
    );
  }
  return etag;
}

/**
 * Copies a byte range of another object as one part and returns its ETag.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
 *
 * @param client the client
 * @param key the object key
 * @param uploadId the upload
 * @param partNumber the part's number (1-based)
 * @param src the source key
 * @param range the source's bytes (`end` exclusive)
 * @param srcEtag the source's entity tag the copy is pinned to
 * @returns the part's ETag
 */
export async function uploadPartCopy(
  client: S3Client,
  key: string,
  uploadId: string,
  partNumber: number,
  src: string,
  range: { start: number; end: number },
  srcEtag?: string,
): Promise<string> {
  const headers: Record<string, string> = {
    "x-amz-copy-source": `/${client.bucket}/${encodeKeyPath(src)}`,
    "x-amz-copy-source-range": `bytes=${range.start}-${range.end - 1}`,
  };
  if (srcEtag) headers["x-amz-copy-source-if-match"] = srcEtag;
  const doc = await client.sendXml({
    method: "PUT",
    url: await client.url(key, queryString({ partNumber, uploadId }, { bareEmpty: true })),
    headers,
    path: client.uri(key),
    op: "copy",
  });
  const etag = doc.text("ETag");
  if (!etag) {
    throw new FileNotFoundError(
      `Copy of part ${partNumber} of '${client.uri(src)}' returned no ETag`,
      { path: client.uri(src), flavor: FLAVOR },
    );
  }
  return etag;
}

/**
 * Commits a multipart upload from its parts' ETags (in part order). A retry
 * that finds the upload already gone checks whether the object it made is there.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
 *
 * @param client the client
 * @param key the object key
 * @param uploadId the upload
 * @param etags the parts' ETags, in part order
 * @param options create-only, signal
 */
export async function completeMultipartUpload(
  client: S3Client,
  key: string,
  uploadId: string,
  etags: string[],
  options: { ifNoneMatch?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  const body = `<?xml version="1.0" encoding="UTF-8"?>` +
    `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
    etags.map((e, i) =>
      `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(e)}</ETag></Part>`
    ).join("") +
    `</CompleteMultipartUpload>`;
  const headers: Record<string, string> = {
    "Content-Type": "application/xml",
  };
  if (options.ifNoneMatch) headers["If-None-Match"] = "*";
  try {
    await client.sendXml({
      method: "POST",
      url: await client.url(key, queryString({ uploadId }, { bareEmpty: true })),
      headers,
      body,
      signal: options.signal,
      path: client.uri(key),
      op: "write",
    });
  } catch (err) {
    // A retried commit whose first attempt succeeded finds no upload: the object
    // with this upload's multipart ETag is the proof it went through.
    if (err instanceof FileNotFoundError) {
      const expected = multipartEtag(etags);
      const meta = expected ? await client.headObject(key) : null;
      if (meta?.etag && unquote(meta.etag) === expected) return;
    }
    throw err;
  }
}

/**
 * Discards a multipart upload and its parts (a missing upload is not an error).
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
 *
 * @param client the client
 * @param key the object key
 * @param uploadId the upload
 */
export async function abortMultipartUpload(
  client: S3Client,
  key: string,
  uploadId: string,
): Promise<void> {
  const res = await client.http.send({
    method: "DELETE",
    url: await client.url(key, queryString({ uploadId }, { bareEmpty: true })),
    path: client.uri(key),
    op: "abort the upload of",
    accept: [404],
  });
  await res.body?.cancel();
}

/**
 * Multipart uploads in progress below a prefix (first 1,000).
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
 *
 * @param client the client
 * @param prefix the key prefix
 * @returns the uploads' keys and ids
 */
export async function listMultipartUploads(
  client: S3Client,
  prefix: string,
): Promise<{ key: string; uploadId: string }[]> {
  const res = await client.http.send({
    method: "GET",
    url: await client.url(
      "",
      queryString({ uploads: "", prefix: prefix || undefined }, { bareEmpty: true }),
    ),
    path: client.uri(prefix),
    op: "list uploads of",
  });
  const doc = parseXml(await res.text());
  return doc.all("Upload").map((u) => ({
    key: u.text("Key") ?? "",
    uploadId: u.text("UploadId") ?? "",
  }));
}

function unquote(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}

/** The ETag S3 gives a multipart object: MD5 of the parts' MD5s, `-N`. */
function multipartEtag(etags: string[]): string | undefined {
  const parts = etags.map(unquote);
  if (!parts.every((e) => /^[0-9a-f]{32}$/i.test(e))) return undefined;
  const all = new Uint8Array(parts.length * 16);
  parts.forEach((e, i) => {
    for (let j = 0; j < 16; j++) {
      all[i * 16 + j] = parseInt(e.slice(j * 2, j * 2 + 2), 16);
    }
  });
  return `${toHex(md5(all))}-${parts.length}`;
}
