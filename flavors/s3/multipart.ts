/**
 * S3 multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy (a byte
 * range of another object as a part), CompleteMultipartUpload (a retry that finds
 * the upload gone checks for the object it made), AbortMultipartUpload and
 * ListMultipartUploads.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
 *
 * @module
 */

import { ArtifactStoreError, FileNotFoundError, IntegrityError } from "../../src/errors.ts";
import { md5, toHex } from "../../src/checksum.ts";
import { bareEtag, encodeKeyPath, type HttpRequest, queryString } from "../../src/http/mod.ts";
import { escapeXml, parseXml } from "../../src/xml.ts";
import type { S3Client } from "./client.ts";
import { FLAVOR, okAnswerError } from "./errors.ts";
import { type S3WriteOptions, writeHeaders } from "./objects.ts";
import { partChecksumElement } from "./integrity.ts";

/** What UploadPart returns and CompleteMultipartUpload lists: the ETag, and the flexible checksum sent. */
export interface S3PartReceipt {
  /** The part's ETag. */
  etag: string;
  /** The part's base64 CRC32 or CRC32C, when the upload has a checksum algorithm. */
  checksum?: string;
}

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
  const headers = writeHeaders(rest);
  // An upload with an algorithm: every part carries its checksum, the commit lists them.
  const algorithm = await client.checksum;
  if (algorithm && algorithm !== "md5") {
    headers["x-amz-checksum-algorithm"] = algorithm.toUpperCase();
  }
  const req: HttpRequest = {
    method: "POST",
    url: await client.url(key, queryString({ uploads: "" }, { bareEmpty: true })),
    headers,
    signal: options.signal,
    path: client.uri(key),
    op: "write",
  };
  // A lost answer may have made an upload nobody will finish: find it afterwards.
  const since = Date.now();
  let uncertain = false;
  req.onRetry = (_, maybe) => uncertain ||= maybe;
  let answer: { id: string; date: number };
  try {
    answer = await client.http.sendAndRead(req, (text, res) => {
      const id = parseXml(text).text("UploadId");
      if (!id) throw okAnswerError(res.headers, req, "", "no UploadId in the answer");
      return { id, date: Date.parse(res.headers.get("date") ?? "") };
    });
  } catch (err) {
    // Given up after an answer was lost: what that attempt made goes too.
    if (uncertain || (err instanceof ArtifactStoreError && err.uncertain)) {
      await abortLostUploads(client, key, "", since, 60_000);
    }
    throw err;
  }
  if (uncertain) {
    // The attempts, placed in the service's time by the answer's Date (1 s resolution).
    const took = Date.now() - since;
    const known = Number.isFinite(answer.date);
    const start = known ? answer.date - took : since;
    await abortLostUploads(client, key, answer.id, start, known ? 2_000 : 60_000);
  }
  return answer.id;
}

/**
 * Sends one part with its checksum and returns its ETag and flexible checksum.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
 *
 * @param client the client
 * @param key the object key
 * @param uploadId the upload
 * @param partNumber the part's number (1-based)
 * @param data the bytes
 * @param signal cancels the request
 * @returns the part's ETag and checksum
 */
export async function uploadPart(
  client: S3Client,
  key: string,
  uploadId: string,
  partNumber: number,
  data: Uint8Array,
  signal?: AbortSignal,
): Promise<S3PartReceipt> {
  const sum = await client.bodyChecksum(data);
  const res = await client.http.send({
    method: "PUT",
    url: await client.url(key, queryString({ partNumber, uploadId }, { bareEmpty: true })),
    headers: sum.headers,
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
  return { etag, checksum: sum.value };
}

/**
 * Copies a byte range of another object as one part and returns its ETag (and
 * the checksum the service computed for it, in an upload with an algorithm).
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
 * @returns the part's ETag and checksum
 */
export async function uploadPartCopy(
  client: S3Client,
  key: string,
  uploadId: string,
  partNumber: number,
  src: string,
  range: { start: number; end: number },
  srcEtag?: string,
): Promise<S3PartReceipt> {
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
  const algorithm = await client.checksum;
  const checksum = algorithm && algorithm !== "md5"
    ? doc.text(partChecksumElement(algorithm)) || undefined
    : undefined;
  return { etag, checksum };
}

/**
 * Commits a multipart upload from its parts' ETags and checksums (in part order;
 * S3 requires the checksums of an upload created with an algorithm). A retry
 * that finds the upload already gone checks whether the object it made is there.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
 *
 * @param client the client
 * @param key the object key
 * @param uploadId the upload
 * @param parts the parts' receipts, in part order
 * @param options create-only, signal
 */
export async function completeMultipartUpload(
  client: S3Client,
  key: string,
  uploadId: string,
  parts: S3PartReceipt[],
  options: { ifNoneMatch?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  const algorithm = await client.checksum;
  const element = algorithm && algorithm !== "md5" ? partChecksumElement(algorithm) : "";
  const body = `<?xml version="1.0" encoding="UTF-8"?>` +
    `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
    parts.map((p, i) =>
      `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(p.etag)}</ETag>${
        element && p.checksum ? `<${element}>${p.checksum}</${element}>` : ""
      }</Part>`
    ).join("") +
    `</CompleteMultipartUpload>`;
  const headers: Record<string, string> = {
    "Content-Type": "application/xml",
  };
  if (options.ifNoneMatch) headers["If-None-Match"] = "*";
  let answer: string | undefined;
  try {
    const doc = await client.sendXml({
      method: "POST",
      url: await client.url(key, queryString({ uploadId }, { bareEmpty: true })),
      headers,
      body,
      signal: options.signal,
      path: client.uri(key),
      op: "write",
    });
    answer = doc.text("ETag");
  } catch (err) {
    // A retried commit whose first attempt succeeded finds no upload: the object
    // with this upload's multipart ETag is the proof it went through.
    if (err instanceof FileNotFoundError) {
      const expected = multipartEtag(parts.map((p) => p.etag));
      const meta = expected ? await client.headObject(key) : null;
      if (meta?.etag && bareEtag(meta.etag) === expected) return;
    }
    throw err;
  }
  // A multipart ETag ends in its part count. One that counts other parts means the
  // service misread the part list (fauxqs 1.9 drops every part that lists a
  // checksum): the object is not what was sent, so it goes and the write fails.
  const counted = /-(\d+)$/.exec(bareEtag(answer ?? ""));
  if (counted && Number(counted[1]) !== parts.length) {
    await client.deleteObject(key).catch(() => {});
    throw new IntegrityError(
      `Cannot write '${client.uri(key)}': the service committed ${counted[1]} of its ` +
        `${parts.length} parts (it did not understand the part list${
          element ? `; it may not support '${algorithm}' checksums: set checksum to "md5"` : ""
        }); nothing was written`,
      { path: client.uri(key), flavor: FLAVOR },
    );
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
): Promise<{ key: string; uploadId: string; initiated?: number }[]> {
  const doc = await client.http.sendAndRead({
    method: "GET",
    url: await client.url(
      "",
      queryString({ uploads: "", prefix: prefix || undefined }, { bareEmpty: true }),
    ),
    path: client.uri(prefix),
    op: "list uploads of",
  }, parseXml);
  return doc.all("Upload").map((u) => {
    const initiated = Date.parse(u.text("Initiated") ?? "");
    return {
      key: u.text("Key") ?? "",
      uploadId: u.text("UploadId") ?? "",
      initiated: Number.isFinite(initiated) ? initiated : undefined,
    };
  });
}

/**
 * After a CreateMultipartUpload whose answer was lost (sent again, or given up):
 * aborts the uploads of exactly this key that the lost attempts made — begun since
 * `since` less `marginMs`, other than `keep` — so that no empty upload is left
 * behind. The window is what keeps another writer's upload of the same key safe:
 * with a server `Date` to place the attempts in the service's own time it is the
 * attempts' duration and 2 s; without one, a minute of clock skew. Best effort:
 * where the service cannot list uploads (fauxqs), nothing is done.
 *
 * @param client the client
 * @param key the object key
 * @param keep the upload that is in use ("" for none)
 * @param since when the first attempt started, ms since the epoch in the service's time where known
 * @param marginMs how much earlier an upload may have begun and still be one of ours
 */
async function abortLostUploads(
  client: S3Client,
  key: string,
  keep: string,
  since: number,
  marginMs: number,
): Promise<void> {
  try {
    const uploads = await listMultipartUploads(client, key);
    for (const u of uploads) {
      if (u.key !== key || u.uploadId === keep) continue;
      if (u.initiated !== undefined && u.initiated < since - marginMs) continue;
      await abortMultipartUpload(client, key, u.uploadId).catch(() => {});
    }
  } catch {
    // Not listable here: the upload expires by the bucket's lifecycle rule.
  }
}

/** The ETag S3 gives a multipart object: MD5 of the parts' MD5s, `-N`. */
function multipartEtag(etags: string[]): string | undefined {
  const parts = etags.map(bareEtag);
  if (!parts.every((e) => /^[0-9a-f]{32}$/i.test(e))) return undefined;
  const all = new Uint8Array(parts.length * 16);
  parts.forEach((e, i) => {
    for (let j = 0; j < 16; j++) {
      all[i * 16 + j] = parseInt(e.slice(j * 2, j * 2 + 2), 16);
    }
  });
  return `${toHex(md5(all))}-${parts.length}`;
}
