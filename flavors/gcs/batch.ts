/**
 * GCS JSON API batches: up to 100 deletes in one `multipart/mixed` request, over
 * the shared batch body and answer of `src/http/batch.ts`.
 * https://cloud.google.com/storage/docs/batch
 *
 * @module
 */

import { FileNotFoundError, NotSupportedError } from "../../src/errors.ts";
import {
  batchBoundary,
  type BatchPart,
  buildBatchBody,
  parseBatchBody,
  parseBatchResponse,
  partsBySubRequest,
} from "../../src/http/mod.ts";
import type { GcsClient } from "./client.ts";
import { FLAVOR } from "./errors.ts";

/** One result of a batch delete. */
export interface BatchResult {
  /** The key. */
  key: string;
  /** The sub-response's status. */
  status: number;
  /** Its body (for errors). */
  body: string;
}

/**
 * Deletes up to 100 objects in one batch request; `null` when the service has
 * no batch endpoint (404/501: the firebase emulator), so the caller deletes one
 * by one.
 * https://cloud.google.com/storage/docs/batch
 *
 * @param client the client (its `batchSupported` turns false on 404/501)
 * @param keys the keys
 * @param signal cancels the request
 * @returns one result a key, or `null`
 */
export async function deleteBatch(
  client: GcsClient,
  keys: string[],
  signal?: AbortSignal,
): Promise<BatchResult[] | null> {
  const boundary = batchBoundary("batch_stowage");
  const bucket = encodeURIComponent(client.bucket);
  const body = buildBatchBody(
    keys.map((k, i) => ({
      method: "DELETE",
      target: `/storage/v1/b/${bucket}/o/${encodeURIComponent(k)}`,
      contentId: `<item${i + 1}>`,
    })),
    boundary,
  );
  let parts: BatchPart[];
  try {
    parts = await client.http.sendAndRead({
      method: "POST",
      url: `${client.auth.endpoint}/batch/storage/v1`,
      headers: { "Content-Type": `multipart/mixed; boundary=${boundary}` },
      body,
      signal,
      path: client.uri(keys[0] ?? ""),
      op: `delete ${keys.length} objects, the first`,
    }, (text, res) =>
      parseBatchResponse(text, res, {
        flavor: FLAVOR,
        op: `delete ${keys.length} objects below`,
        path: client.uri(""),
      }));
  } catch (err) {
    if (err instanceof NotSupportedError || err instanceof FileNotFoundError) {
      client.batchSupported = false;
      return null;
    }
    throw err;
  }
  return batchResults(parts, keys);
}

/**
 * The per-key results of a batch answer's parts: a part names its sub-request by
 * `Content-ID: <response-itemN>` (else by its place); keys the answer did not
 * mention failed without a word, and count as 503 (to be tried again).
 *
 * @param parts the parts of the answer
 * @param keys the keys, in the order of the sub-requests
 * @returns one result a key
 */
export function batchResults(parts: BatchPart[], keys: string[]): BatchResult[] {
  const byKey = partsBySubRequest(parts, keys.length, (p, order) => {
    const idm = /^response-item(\d+)$/i.exec(p.contentId ?? "");
    return idm ? Number(idm[1]) - 1 : order;
  });
  return byKey.map((part, i) =>
    part
      ? { key: keys[i], status: part.status, body: part.body.trim() }
      : { key: keys[i], status: 503, body: "" }
  );
}

/**
 * Splits a `multipart/mixed` batch answer's text into per-key statuses (see
 * {@linkcode batchResults}).
 *
 * @param text the answer's body
 * @param boundary the boundary of its content type
 * @param keys the keys, in the order of the sub-requests
 * @returns one result a key
 */
export function parseBatchAnswer(text: string, boundary: string, keys: string[]): BatchResult[] {
  return batchResults(parseBatchBody(text, boundary), keys);
}
