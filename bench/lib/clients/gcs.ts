/**
 * GCS clients for the bench: the official SDK (`@google-cloud/storage` 7, the
 * last major that supports Node 20) and raw `fetch` against the JSON API. The
 * firebase Storage emulator checks no auth, so raw fetch sends none (and the SDK,
 * pointed at a custom endpoint, sends none either). Keys live below `bench/`.
 *
 * @module
 */

import { pipeline } from "node:stream/promises";
import { type Client, GLOB_RE, type Tuning, unsupported } from "../backends.ts";
import { drain, drainIterable } from "../data.ts";
import { nodeSource } from "./s3.ts";

/**
 * `@google-cloud/storage` pointed at the emulator (defaults: CRC32C/MD5
 * validation on).
 *
 * @param env the emulator's env
 * @returns the client
 */
export async function sdk(env: Record<string, string>): Promise<Client> {
  const { Storage } = await import("@google-cloud/storage");
  const storage = new Storage({
    apiEndpoint: env.STOWAGE_TEST_GCS_ENDPOINT,
    projectId: env.STOWAGE_TEST_GCS_PROJECT,
  });
  const bucket = storage.bucket(env.STOWAGE_TEST_GCS_BUCKET);
  const file = (key: string) => bucket.file(`bench/${key}`);
  const walk = async (prefix: string): Promise<number> => {
    const [files, , resp] = await bucket.getFiles({
      prefix,
      delimiter: "/",
      autoPaginate: true,
    }) as unknown as [unknown[], unknown, { prefixes?: string[] }];
    let n = files.length;
    for (const d of (resp?.prefixes ?? []).sort()) n += await walk(d);
    return n;
  };
  return {
    async put(key, data) {
      await file(key).save(
        Buffer.from(data.buffer, data.byteOffset, data.byteLength),
        {
          resumable: false,
        },
      );
    },
    async get(key) {
      const [buf] = await file(key).download();
      return buf.length;
    },
    async stat(key) {
      const [meta] = await file(key).getMetadata();
      return Number(meta.size);
    },
    walk: (prefix) => walk(`bench/${prefix}/`),
    async glob(prefix) {
      const [files] = await bucket.getFiles({
        prefix: `bench/${prefix}/`,
        autoPaginate: true,
      });
      return files.filter((f: { name: string }) => GLOB_RE.test(f.name)).length;
    },
    async rmtree(prefix) {
      await bucket.deleteFiles({ prefix: `bench/${prefix}/` });
      return -1;
    },
    async upload(key, total, tuning?: Tuning) {
      await pipeline(
        nodeSource(total),
        file(key).createWriteStream(
          tuning ? { chunkSize: tuning.partSize } : {},
        ),
      );
    },
    async download(key) {
      return await drainIterable(file(key).createReadStream());
    },
  };
}

/**
 * Raw `fetch` against the JSON API (media upload, `alt=media`, metadata GET).
 *
 * @param env the emulator's env
 * @returns the client
 */
export function raw(env: Record<string, string>): Promise<Client> {
  const base = env.STOWAGE_TEST_GCS_ENDPOINT;
  const bucket = env.STOWAGE_TEST_GCS_BUCKET;
  const name = (key: string) => encodeURIComponent(`bench/${key}`);
  const ok = async (res: Response, what: string) => {
    if (!res.ok) {
      throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
    }
    return res;
  };
  return Promise.resolve({
    async put(key, data) {
      const res = await ok(
        await fetch(
          `${base}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${name(key)}`,
          {
            method: "POST",
            headers: { "content-type": "application/octet-stream" },
            body: data as BodyInit,
          },
        ),
        "objects.insert",
      );
      await res.body?.cancel();
    },
    async get(key) {
      const res = await ok(
        await fetch(`${base}/storage/v1/b/${bucket}/o/${name(key)}?alt=media`),
        "objects.get",
      );
      return (await res.arrayBuffer()).byteLength;
    },
    async stat(key) {
      const res = await ok(
        await fetch(`${base}/storage/v1/b/${bucket}/o/${name(key)}`),
        "objects.get",
      );
      return Number((await res.json()).size);
    },
    walk: () => unsupported("walk"),
    glob: () => unsupported("glob"),
    rmtree: () => unsupported("rmtree"),
    upload: () => unsupported("upload"),
    async download(key) {
      const res = await ok(
        await fetch(`${base}/storage/v1/b/${bucket}/o/${name(key)}?alt=media`),
        "objects.get",
      );
      return await drain(res.body!);
    },
  });
}
