/**
 * Writes of the Blob service: a whole block blob (Put Blob), blocks staged and
 * committed (Put Block, Put Block List, Get Block List) and appends at a known
 * position (Append Block).
 *
 * @module
 */

import {
  FileExistsError,
  InvalidArgumentError,
  PreconditionFailedError,
} from "../../src/errors.ts";
import { queryString } from "../../src/http/mod.ts";
import { escapeXml, parseXml } from "../../src/xml.ts";
import type { AzureBlobClient } from "./client.ts";
import { FLAVOR } from "./errors.ts";

/** Headers of a write. */
export interface BlobWriteOptions {
  /** Send `If-None-Match: *` (create only). */
  ifNoneMatch?: boolean;
  /** Content type (default `application/octet-stream`). */
  contentType?: string;
  /** User metadata (`x-ms-meta-*`): names are C# identifiers, values ASCII. */
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
export function writeHeaders(o: BlobWriteOptions): Record<string, string> {
  const h: Record<string, string> = {
    "x-ms-blob-content-type": o.contentType ?? "application/octet-stream",
  };
  if (o.ifNoneMatch) h["If-None-Match"] = "*";
  for (const [k, v] of Object.entries(o.metadata ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || !/^[\x20-\x7e]*$/.test(v)) {
      throw new InvalidArgumentError(
        `Metadata '${k}' cannot be stored on an Azure blob: names must be C# identifiers ` +
          "(letters, digits, '_') and values ASCII (encode others, e.g. with encodeURIComponent)",
        { flavor: FLAVOR },
      );
    }
    h[`x-ms-meta-${k.toLowerCase()}`] = v;
  }
  return h;
}

/**
 * Writes a whole block blob (or creates an empty append blob). A create-only
 * write that finds the blob already there after a retry checks whether the
 * blob holds exactly these bytes (its `Content-MD5`): then the first attempt
 * went through.
 *
 * https://learn.microsoft.com/rest/api/storageservices/put-blob
 *
 * @param client the client (HTTP, URLs, checksums)
 */
export async function putBlob(
  client: AzureBlobClient,
  key: string,
  data: Uint8Array,
  options: BlobWriteOptions & { blobType?: "BlockBlob" | "AppendBlob" } = {},
): Promise<void> {
  const md5Header = options.blobType === "AppendBlob" ? {} : await client.md5Header(data);
  try {
    const res = await client.http.send({
      method: "PUT",
      url: client.url(key),
      headers: {
        "x-ms-blob-type": options.blobType ?? "BlockBlob",
        ...writeHeaders(options),
        ...md5Header,
      },
      body: data,
      signal: options.signal,
      path: client.uri(key),
      op: "write",
    });
    await res.body?.cancel();
  } catch (err) {
    if (err instanceof FileExistsError && options.ifNoneMatch && md5Header["Content-MD5"]) {
      const now = await client.getProperties(key, options.signal);
      if (
        now && !now.isFolder && now.contentMd5 === md5Header["Content-MD5"] &&
        now.size === data.length
      ) return;
    }
    throw err;
  }
}

/**
 * Stages one block of a block blob (invisible until the block list commits it).
 *
 * https://learn.microsoft.com/rest/api/storageservices/put-block
 *
 * @param client the client (HTTP, URLs, checksums)
 */
export async function putBlock(
  client: AzureBlobClient,
  key: string,
  blockId: string,
  data: Uint8Array,
  signal?: AbortSignal,
): Promise<void> {
  const res = await client.http.send({
    method: "PUT",
    url: client.url(key, queryString({ comp: "block", blockid: blockId })),
    headers: await client.md5Header(data),
    body: data,
    signal,
    path: client.uri(key),
    op: "write",
  });
  await res.body?.cancel();
}

/**
 * Commits staged blocks, in order, as the blob's content. A create-only commit
 * that finds the blob there after a retry checks whether the committed blocks
 * are these (their ids are unique to this upload): then the first attempt went
 * through.
 *
 * https://learn.microsoft.com/rest/api/storageservices/put-block-list
 *
 * @param client the client (HTTP, URLs, checksums)
 */
export async function putBlockList(
  client: AzureBlobClient,
  key: string,
  blockIds: string[],
  options: BlobWriteOptions = {},
): Promise<void> {
  const xml = `<?xml version="1.0" encoding="utf-8"?><BlockList>` +
    blockIds.map((id) => `<Latest>${escapeXml(id)}</Latest>`).join("") + `</BlockList>`;
  const body = new TextEncoder().encode(xml);
  try {
    const res = await client.http.send({
      method: "PUT",
      url: client.url(key, queryString({ comp: "blocklist" })),
      headers: {
        "Content-Type": "application/xml",
        ...writeHeaders(options),
        ...await client.md5Header(body),
      },
      body,
      signal: options.signal,
      path: client.uri(key),
      op: "write",
    });
    await res.body?.cancel();
  } catch (err) {
    if (err instanceof FileExistsError && options.ifNoneMatch) {
      const committed = await getBlockList(client, key, options.signal).catch(() => null);
      if (committed && committed.join() === blockIds.join()) return;
    }
    throw err;
  }
}

/**
 * The ids of a blob's committed blocks.
 *
 * https://learn.microsoft.com/rest/api/storageservices/get-block-list
 *
 * @param client the client (HTTP, URLs, checksums)
 */
export async function getBlockList(
  client: AzureBlobClient,
  key: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const doc = await client.http.sendAndRead({
    method: "GET",
    url: client.url(key, queryString({ comp: "blocklist", blocklisttype: "committed" })),
    signal,
    path: client.uri(key),
    op: "stat",
  }, parseXml);
  return (doc.child("CommittedBlocks")?.all("Block") ?? []).map((b) => b.text("Name") ?? "");
}

/**
 * Appends one block (at most 4 MiB) to an append blob at `position`, its size
 * now (`x-ms-blob-condition-appendpos`), so that a retried request can never
 * append the same bytes twice.
 *
 * https://learn.microsoft.com/rest/api/storageservices/append-block
 *
 * @param client the client (HTTP, URLs, checksums)
 * @returns `"appended"`, or `"moved"` when the blob's size is not `position`
 *   any more (another writer, or a first attempt that went through — the caller
 *   tells them apart)
 */
export async function appendBlock(
  client: AzureBlobClient,
  key: string,
  data: Uint8Array,
  position: number,
  signal?: AbortSignal,
): Promise<"appended" | "moved"> {
  try {
    const res = await client.http.send({
      method: "PUT",
      url: client.url(key, queryString({ comp: "appendblock" })),
      headers: {
        "x-ms-blob-condition-appendpos": String(position),
        ...await client.md5Header(data),
      },
      body: data,
      signal,
      path: client.uri(key),
      op: "append to",
    });
    await res.body?.cancel();
    return "appended";
  } catch (err) {
    if (err instanceof PreconditionFailedError) return "moved";
    throw err;
  }
}
