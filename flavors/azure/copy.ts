/**
 * Copy Blob on Azure: done at once within an account in most cases, else polled
 * until the copy finishes.
 *
 * @module
 */

import { ArtifactStoreError, FileNotFoundError } from "../../src/errors.ts";
import { sleep } from "../../src/http/mod.ts";
import type { AzureBlobClient } from "./client.ts";
import { FLAVOR } from "./errors.ts";

/**
 * Copies blob `src` to `dst` in the container; a directory marker moves as a
 * marker; a failed or aborted copy is an error. A retried create-only copy whose
 * first attempt went through finds its own result and succeeds.
 *
 * @param client the container's client
 * @param src the source key
 * @param dst the destination key
 * @param ifNoneMatch create only
 */
export async function copyBlob(
  client: AzureBlobClient,
  src: string,
  dst: string,
  ifNoneMatch?: boolean,
): Promise<void> {
  if (src.endsWith("/") && dst.endsWith("/") && !(await client.getProperties(src))) {
    // A directory marker moves as a marker.
    const marker = await client.getProperties(src.slice(0, -1));
    if (marker?.isFolder) {
      await client.putBlob(dst.slice(0, -1), new Uint8Array(0), {
        contentType: marker.contentType,
        metadata: marker.metadata,
      });
      return;
    }
  }
  let started;
  try {
    started = await client.copyBlob(src, dst, { ifNoneMatch: ifNoneMatch });
  } catch (err) {
    // A retried create-only copy whose first attempt went through finds its own result.
    if (err instanceof ArtifactStoreError && err.code === "AlreadyExists") {
      const now = await client.getProperties(dst);
      const source = client.url(src);
      if (now?.copySource?.split("?")[0] === source && now.copyStatus === "success") return;
    }
    throw err;
  }
  if (started.status === "success") return;
  await waitForCopy(client, dst, started.copyId);
}

/** Polls the destination until a pending copy ends (an hour at most). */
async function waitForCopy(
  client: AzureBlobClient,
  dst: string,
  copyId: string | undefined,
): Promise<void> {
  const deadline = Date.now() + 60 * 60_000;
  let delay = 100;
  for (;;) {
    await sleep(delay);
    delay = Math.min(2000, delay * 1.5);
    const p = await client.getProperties(dst);
    if (!p) {
      throw new FileNotFoundError(`No such file or directory: '${client.uri(dst)}'`, {
        path: client.uri(dst),
        flavor: FLAVOR,
      });
    }
    if (copyId && p.copyId && p.copyId !== copyId) {
      throw new ArtifactStoreError(
        `Copy to '${client.uri(dst)}' was replaced by another copy (id '${p.copyId}')`,
        { path: client.uri(dst), flavor: FLAVOR },
      );
    }
    if (p.copyStatus === "success" || p.copyStatus === undefined) return;
    if (p.copyStatus === "failed" || p.copyStatus === "aborted") {
      throw new ArtifactStoreError(
        `Copy to '${client.uri(dst)}' ${p.copyStatus}${
          p.copyStatusDescription ? `: ${p.copyStatusDescription}` : ""
        }; try again`,
        { path: client.uri(dst), flavor: FLAVOR, retryable: true },
      );
    }
    if (Date.now() > deadline) {
      throw new ArtifactStoreError(
        `Copy to '${client.uri(dst)}' is still pending after an hour (copy id '${copyId}')`,
        { path: client.uri(dst), flavor: FLAVOR, retryable: true },
      );
    }
  }
}
