/**
 * Appends on Azure append blobs: the bytes of one `open(path, "a")` are kept in
 * memory until `close()`, then appended in blocks of up to 4 MiB, each pinned to
 * the blob's size (`x-ms-blob-condition-appendpos`) so that a retry never appends
 * twice.
 *
 * @module
 */

import type { WriteOptions } from "../../src/types.ts";
import { ArtifactStoreError, FileNotFoundError, NotSupportedError } from "../../src/errors.ts";
import type { AzureBlobClient, BlobProperties } from "./client.ts";
import { FLAVOR } from "./errors.ts";

const APPEND_BLOCK_SIZE = 4 * 1024 * 1024;

/**
 * An appending writer on the append blob `key` (created on close when missing);
 * `abort()` appends nothing. A block blob cannot be appended to:
 * `NotSupportedError`, the blob unchanged.
 *
 * @param client the container's client
 * @param key the blob
 * @param uri the blob's URI, for errors
 * @param props the blob's properties now (`null` when missing)
 * @param options write options (content type and metadata for a new blob, signal, progress)
 * @returns the sink
 */
export function appendWriter(
  client: AzureBlobClient,
  key: string,
  uri: string,
  props: BlobProperties | null,
  options: WriteOptions,
): WritableStream<Uint8Array> {
  const notAppendable = (type: string | undefined) =>
    new NotSupportedError(
      `Cannot append to '${uri}': it is a ${type ?? "block blob"} (written with 'w' or 'x'), ` +
        "and Azure appends only to append blobs; write it in 'a' mode from the start, or rewrite it with 'w'",
      { path: uri, flavor: FLAVOR },
    );
  if (props && props.blobType !== "AppendBlob") throw notAppendable(props.blobType);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const signal = options.signal;
  return new WritableStream<Uint8Array>({
    write(chunk) {
      signal?.throwIfAborted();
      chunks.push(chunk.slice());
      total += chunk.length;
      options.onProgress?.(total);
    },
    async close() {
      signal?.throwIfAborted();
      let now = await client.getProperties(key, signal);
      if (!now) {
        await client.putBlob(key, new Uint8Array(0), {
          blobType: "AppendBlob",
          ifNoneMatch: true,
          contentType: options.contentType,
          metadata: options.metadata,
          signal,
        }).catch((err) => {
          // Someone else created it meanwhile: append to theirs.
          if ((err as ArtifactStoreError).code !== "AlreadyExists") throw err;
        });
        now = await client.getProperties(key, signal);
        if (!now) {
          throw new FileNotFoundError(`Append blob '${uri}' vanished while appending`, {
            path: uri,
            flavor: FLAVOR,
          });
        }
      }
      if (now.blobType !== "AppendBlob") throw notAppendable(now.blobType);
      let position = now.size;
      let appended = 0;
      for (const block of appendBlocks(chunks, total)) {
        for (let attempt = 0;; attempt++) {
          signal?.throwIfAborted();
          const r = await client.appendBlock(key, block, position, signal);
          if (r === "appended") break;
          const size = (await client.getProperties(key, signal))?.size;
          // A retried request whose first attempt went through finds the blob grown by this block.
          if (size === position + block.length) break;
          if (appended === 0 && size !== undefined && attempt < 5) {
            // Another writer appended before our first block: append after theirs.
            position = size;
            continue;
          }
          throw new ArtifactStoreError(
            `Append to '${uri}' interrupted by another writer after ${appended} of ${total} bytes: ` +
              "appends from several writers to one blob interleave between 4 MiB blocks",
            { path: uri, flavor: FLAVOR },
          );
        }
        position += block.length;
        appended += block.length;
      }
      chunks.length = 0;
    },
    abort() {
      chunks.length = 0;
    },
  });
}

/** Cuts the buffered chunks into append blocks of at most 4 MiB without copying them all at once. */
function* appendBlocks(chunks: Uint8Array[], total: number): Generator<Uint8Array> {
  let ci = 0;
  let off = 0;
  let left = total;
  while (left > 0) {
    const block = new Uint8Array(Math.min(APPEND_BLOCK_SIZE, left));
    let filled = 0;
    while (filled < block.length) {
      const c = chunks[ci];
      const take = Math.min(c.length - off, block.length - filled);
      block.set(c.subarray(off, off + take), filled);
      filled += take;
      off += take;
      if (off === c.length) {
        chunks[ci] = new Uint8Array(0); // release it
        ci++;
        off = 0;
      }
    }
    left -= block.length;
    yield block;
  }
}
