/**
 * Blob Batch: up to 256 deletes in one `multipart/mixed` request, each sub-request
 * authorized on its own, over the shared batch body and answer of
 * `src/http/batch.ts`.
 * https://learn.microsoft.com/rest/api/storageservices/blob-batch
 *
 * @module
 */

import {
  batchBoundary,
  type BatchPart,
  buildBatchBody,
  parseBatchResponse,
  partsBySubRequest,
  queryString,
} from "../../src/http/mod.ts";
import { signSharedKey } from "./auth.ts";
import type { AzureBlobClient } from "./client.ts";
import { FLAVOR } from "./errors.ts";

/** A delete that failed inside a batch. */
export interface BatchFailure {
  /** The blob. */
  key: string;
  /** The sub-response status. */
  status: number;
  /** Its `x-ms-error-code`. */
  code?: string;
}

/**
 * Deletes up to 256 blobs in one Blob Batch request (`multipart/mixed`, each
 * sub-request authorized on its own) and returns those that failed; a missing
 * blob is not a failure.
 * https://learn.microsoft.com/rest/api/storageservices/blob-batch
 *
 * @param client the client
 * @param keys the blobs
 * @returns the failed deletes
 */
export async function batchDelete(
  client: AzureBlobClient,
  keys: string[],
): Promise<BatchFailure[]> {
  const boundary = batchBoundary();
  const auth = client.settings.auth;
  const bearer = auth.kind === "bearer" ? await auth.tokens.get() : undefined;
  const requests = [];
  for (let i = 0; i < keys.length; i++) {
    const url = new URL(client.sasSuffix(client.url(keys[i])));
    const headers = new Headers({ "x-ms-delete-snapshots": "include" });
    if (auth.kind === "sharedKey") {
      await signSharedKey("DELETE", url, headers, 0, auth.accountName, auth.accountKey);
    } else {
      headers.set("x-ms-date", new Date().toUTCString());
      if (bearer) headers.set("authorization", `Bearer ${bearer}`);
    }
    headers.set("Content-Length", "0");
    requests.push({
      method: "DELETE",
      target: `${url.pathname}${url.search}`,
      headers,
      contentId: String(i),
    });
  }
  const parts = await client.http.sendAndRead({
    method: "POST",
    url: client.url("", queryString({ restype: "container", comp: "batch" })),
    headers: { "Content-Type": `multipart/mixed; boundary=${boundary}` },
    body: new TextEncoder().encode(buildBatchBody(requests, boundary)),
    path: client.uri(keys[0] ?? ""),
    op: "delete",
  }, (text, res) =>
    parseBatchResponse(text, res, {
      flavor: FLAVOR,
      op: `delete ${keys.length} blobs in`,
      path: client.uri(""),
    }));
  return batchFailures(parts, keys);
}

/**
 * The failed deletes of a Blob Batch answer: a part names its sub-request by
 * `Content-ID: N`; a status of 300 or more but 404 is a failure, and so is a
 * sub-request the answer does not mention (`MissingSubResponse`, to be tried again
 * on its own).
 *
 * @param parts the parts of the answer
 * @param keys the blobs, in the order of the sub-requests
 * @returns the failures
 */
export function batchFailures(parts: BatchPart[], keys: string[]): BatchFailure[] {
  const byKey = partsBySubRequest(
    parts,
    keys.length,
    (p) => /^\d+$/.test(p.contentId ?? "") ? Number(p.contentId) : undefined,
  );
  return byKey.flatMap((part, i): BatchFailure[] => {
    if (!part) return [{ key: keys[i], status: 500, code: "MissingSubResponse" }];
    if (part.status < 300 || part.status === 404) return [];
    const code = part.headers.get("x-ms-error-code") ?? undefined;
    return [{ key: keys[i], status: part.status, code }];
  });
}
