/**
 * Azure Blob clients for the bench: the official SDK (`@azure/storage-blob`
 * ≤ 12.29, the newest whose `x-ms-version` Azurite 3.35 accepts) and raw `fetch`
 * with SharedKey signing (the launcher's independent signer). Keys live below
 * `bench/` in the emulator's container.
 *
 * @module
 */

import { type Client, GLOB_RE, type Tuning, unsupported } from "../backends.ts";
import { drain, drainIterable } from "../data.ts";
import { nodeSource } from "./s3.ts";

/**
 * `@azure/storage-blob` from the emulator's connection string.
 *
 * @param env the emulator's env
 * @returns the client
 */
export async function sdk(env: Record<string, string>): Promise<Client> {
  const az = await import("@azure/storage-blob");
  const svc = az.BlobServiceClient.fromConnectionString(
    env.STOWAGE_TEST_AZURE_CONNECTION_STRING,
  );
  const container = svc.getContainerClient(env.STOWAGE_TEST_AZURE_CONTAINER);
  const blob = (key: string) => container.getBlockBlobClient(`bench/${key}`);
  const flat = async (prefix: string) => {
    const names: string[] = [];
    for await (
      const page of container.listBlobsFlat({ prefix }).byPage({
        maxPageSize: 5000,
      })
    ) {
      for (const b of page.segment.blobItems) names.push(b.name);
    }
    return names;
  };
  const walk = async (prefix: string): Promise<number> => {
    let n = 0;
    const dirs: string[] = [];
    for await (
      const page of container.listBlobsByHierarchy("/", { prefix }).byPage({
        maxPageSize: 5000,
      })
    ) {
      n += page.segment.blobItems.length;
      for (const p of page.segment.blobPrefixes ?? []) dirs.push(p.name);
    }
    for (const d of dirs.sort()) n += await walk(d);
    return n;
  };
  return {
    async put(key, data) {
      await blob(key).upload(data, data.byteLength);
    },
    async get(key) {
      const r = await blob(key).download();
      return await drainIterable(
        r.readableStreamBody as AsyncIterable<Uint8Array>,
      );
    },
    async stat(key) {
      return (await blob(key).getProperties()).contentLength ?? 0;
    },
    walk: (prefix) => walk(`bench/${prefix}/`),
    async glob(prefix) {
      return (await flat(`bench/${prefix}/`)).filter((x) => GLOB_RE.test(x))
        .length;
    },
    async rmtree(prefix) {
      const names = await flat(`bench/${prefix}/`);
      const batch = container.getBlobBatchClient();
      const cred = new az.StorageSharedKeyCredential(
        env.STOWAGE_TEST_AZURE_ACCOUNT,
        env.STOWAGE_TEST_AZURE_KEY,
      );
      const batches: string[][] = [];
      for (let i = 0; i < names.length; i += 256) {
        batches.push(names.slice(i, i + 256));
      }
      for (let i = 0; i < batches.length; i += 4) {
        await Promise.all(
          batches.slice(i, i + 4).map(async (b) => {
            const r = await batch.deleteBlobs(
              b.map((n) => container.getBlobClient(n).url),
              cred,
            );
            if (r.subResponsesFailedCount > 0) {
              throw new Error(
                `blob batch delete: ${r.subResponsesFailedCount} failed`,
              );
            }
          }),
        );
      }
      return names.length;
    },
    async upload(key, total, tuning?: Tuning) {
      await blob(key).uploadStream(
        nodeSource(total),
        tuning?.partSize,
        tuning?.concurrency,
      );
    },
    async download(key) {
      const r = await blob(key).download();
      return await drainIterable(
        r.readableStreamBody as AsyncIterable<Uint8Array>,
      );
    },
  };
}

/**
 * Raw `fetch` with SharedKey signing.
 *
 * @param env the emulator's env
 * @returns the client
 */
export async function raw(env: Record<string, string>): Promise<Client> {
  const { azuriteFetch } = await import("../../../tests/emulators/azurite.ts");
  const url = (key: string) =>
    `${env.STOWAGE_TEST_AZURE_ENDPOINT}/${env.STOWAGE_TEST_AZURE_CONTAINER}/bench/${
      key.split("/").map(encodeURIComponent).join("/")
    }`;
  const ok = async (res: Response, what: string) => {
    if (!res.ok) {
      throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
    }
    return res;
  };
  return {
    async put(key, data) {
      const res = await ok(
        await azuriteFetch("PUT", url(key), data, {
          "x-ms-blob-type": "BlockBlob",
          "content-type": "application/octet-stream",
        }),
        "Put Blob",
      );
      await res.body?.cancel();
    },
    async get(key) {
      const res = await ok(await azuriteFetch("GET", url(key)), "Get Blob");
      return (await res.arrayBuffer()).byteLength;
    },
    async stat(key) {
      const res = await ok(
        await azuriteFetch("HEAD", url(key)),
        "Get Blob Properties",
      );
      return Number(res.headers.get("content-length"));
    },
    walk: () => unsupported("walk"),
    glob: () => unsupported("glob"),
    rmtree: () => unsupported("rmtree"),
    upload: () => unsupported("upload"),
    async download(key) {
      const res = await ok(await azuriteFetch("GET", url(key)), "Get Blob");
      return await drain(res.body!);
    },
  };
}
