/**
 * Block uploads on Azure: Put Block (equal-length ids unique to the upload,
 * `Content-MD5` on each) and Put Block List on commit.
 *
 * @module
 */

import { InvalidArgumentError } from "../../src/errors.ts";
import type { MultipartUpload, PutOptions } from "../../src/object_types.ts";
import type { AzureBlobClient } from "./client.ts";
import { MAX_BLOCKS } from "./config.ts";
import { FLAVOR } from "./errors.ts";

/**
 * A block upload to `key`: parts are staged blocks, `complete` commits the block
 * list, an abort commits nothing. Staged blocks are invisible; an abort discards
 * them where no blob has been committed under the key (a Delete Blob pinned with
 * `If-Unmodified-Since` to the upload's start, so a blob another writer committed
 * meanwhile stays); beside a committed blob they stay until its next commit
 * discards them, or Azure does after a week (nothing else can discard them without
 * rewriting the blob). Blocks cannot be staged on an append blob: one in the way is
 * deleted when the first block meets it.
 *
 * @param client the container's client
 * @param key the blob
 * @param options content type, metadata, create-only
 * @param partSize the block size (for the message past 50,000 blocks)
 * @returns the upload
 */
export function blockUpload(
  client: AzureBlobClient,
  key: string,
  options: PutOptions,
  partSize: number,
): MultipartUpload {
  // Block ids: equal length for every block of the blob, unique to this upload.
  const nonce = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  const blockId = (n: number) => btoa(`stowage-${nonce}-${String(n).padStart(6, "0")}`);
  // HTTP dates count whole seconds: a blob committed from this second on is newer.
  const started = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
  let staged = false;
  let replacing: Promise<void> | undefined;
  const putBlock = async (id: string, data: Uint8Array, signal?: AbortSignal) => {
    staged = true;
    try {
      await client.putBlock(key, id, data, signal);
    } catch (err) {
      // Blocks cannot be staged on an append (or page) blob: it goes first.
      if (!(err instanceof InvalidArgumentError && /InvalidBlobType/.test(err.message))) {
        throw err;
      }
      replacing ??= (async () => {
        const p = await client.getProperties(key, signal);
        if (p && p.blobType !== "BlockBlob") await client.deleteBlob(key);
      })();
      await replacing;
      await client.putBlock(key, id, data, signal);
    }
  };
  return {
    uploadPart: async (n: number, data: Uint8Array, signal?: AbortSignal) => {
      if (n > MAX_BLOCKS) {
        throw new InvalidArgumentError(
          `Cannot write '${
            client.uri(key)
          }': it passes ${MAX_BLOCKS} blocks of ${partSize} bytes; ` +
            "raise 'partSize' for blobs this big",
          { path: client.uri(key), flavor: FLAVOR },
        );
      }
      const id = blockId(n);
      await putBlock(id, data, signal);
      return id;
    },
    complete: (ids: string[], signal?: AbortSignal) =>
      client.putBlockList(key, ids, { ...options, signal }),
    abort: async () => {
      if (!staged) return;
      try {
        // Beside a committed blob the blocks wait for its next commit (see above).
        if (await client.getProperties(key)) return;
        await client.deleteBlob(key, { ifUnmodifiedSince: started });
      } catch {
        // Best effort: uncommitted blocks are invisible, and Azure drops them after a week.
      }
    },
  };
}
