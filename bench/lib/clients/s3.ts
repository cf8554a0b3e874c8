/**
 * S3 clients for the bench: the official SDK (`@aws-sdk/client-s3`, uploads with
 * `@aws-sdk/lib-storage`) and raw `fetch` signed by aws4fetch. Keys live below
 * `bench/` in the emulator's bucket.
 *
 * @module
 */

import { Readable } from "node:stream";
import { type Client, GLOB_RE, type Tuning, unsupported } from "../backends.ts";
import { drain, drainIterable, MiB, sourceChunk } from "../data.ts";

/** The SDK's streamed-upload source: `total` bytes as 1 MiB Buffers (views of one chunk). */
export function nodeSource(total: number): Readable {
  const c = sourceChunk();
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < total; sent += MiB) {
        const n = Math.min(MiB, total - sent);
        yield Buffer.from(c.buffer, c.byteOffset, n);
      }
    })(),
    { objectMode: false },
  );
}

/**
 * `@aws-sdk/client-s3` (defaults: its own HTTP handler, CRC32 request checksums).
 *
 * @param env the emulator's env
 * @returns the client
 */
export async function sdk(env: Record<string, string>): Promise<Client> {
  const s3 = await import("@aws-sdk/client-s3");
  const client = new s3.S3Client({
    endpoint: env.STOWAGE_TEST_S3_ENDPOINT,
    region: env.STOWAGE_TEST_S3_REGION,
    forcePathStyle: true,
    credentials: {
      accessKeyId: env.STOWAGE_TEST_S3_ACCESS_KEY_ID,
      secretAccessKey: env.STOWAGE_TEST_S3_SECRET_ACCESS_KEY,
    },
  });
  const Bucket = env.STOWAGE_TEST_S3_BUCKET;
  const k = (key: string) => `bench/${key}`;
  const list = async (prefix: string, delimiter?: string) => {
    const keys: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      const r = await client.send(
        new s3.ListObjectsV2Command({
          Bucket,
          Prefix: prefix,
          Delimiter: delimiter,
          ContinuationToken: token,
        }),
      );
      for (const o of r.Contents ?? []) keys.push(o.Key!);
      for (const p of r.CommonPrefixes ?? []) prefixes.push(p.Prefix!);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return { keys, prefixes };
  };
  const walk = async (prefix: string): Promise<number> => {
    const { keys, prefixes } = await list(prefix, "/");
    let n = keys.length;
    for (const p of prefixes.sort()) n += await walk(p);
    return n;
  };
  return {
    async put(key, data) {
      await client.send(
        new s3.PutObjectCommand({ Bucket, Key: k(key), Body: data }),
      );
    },
    async get(key) {
      const r = await client.send(
        new s3.GetObjectCommand({ Bucket, Key: k(key) }),
      );
      return (await r.Body!.transformToByteArray()).length;
    },
    async stat(key) {
      const r = await client.send(
        new s3.HeadObjectCommand({ Bucket, Key: k(key) }),
      );
      return r.ContentLength ?? 0;
    },
    walk: (prefix) => walk(`${k(prefix)}/`),
    async glob(prefix) {
      const { keys } = await list(`${k(prefix)}/`);
      return keys.filter((x) => GLOB_RE.test(x)).length;
    },
    async rmtree(prefix) {
      const { keys } = await list(`${k(prefix)}/`);
      const batches: string[][] = [];
      for (let i = 0; i < keys.length; i += 1000) {
        batches.push(keys.slice(i, i + 1000));
      }
      await Promise.all(batches.map((b) =>
        client.send(
          new s3.DeleteObjectsCommand({
            Bucket,
            Delete: { Objects: b.map((Key) => ({ Key })), Quiet: true },
          }),
        )
      ));
      return keys.length;
    },
    async upload(key, total, tuning?: Tuning) {
      const { Upload } = await import("@aws-sdk/lib-storage");
      const up = new Upload({
        client,
        params: { Bucket, Key: k(key), Body: nodeSource(total) },
        ...(tuning ? { partSize: tuning.partSize, queueSize: tuning.concurrency } : {}),
      });
      await up.done();
    },
    async download(key) {
      const r = await client.send(
        new s3.GetObjectCommand({ Bucket, Key: k(key) }),
      );
      return await drainIterable(
        r.Body as unknown as AsyncIterable<Uint8Array>,
      );
    },
  };
}

/**
 * Raw `fetch` signed with aws4fetch (SigV4 with a SHA-256 of the payload, its
 * default).
 *
 * @param env the emulator's env
 * @returns the client
 */
export async function raw(env: Record<string, string>): Promise<Client> {
  const { AwsClient } = await import("aws4fetch");
  const aws = new AwsClient({
    accessKeyId: env.STOWAGE_TEST_S3_ACCESS_KEY_ID,
    secretAccessKey: env.STOWAGE_TEST_S3_SECRET_ACCESS_KEY,
    region: env.STOWAGE_TEST_S3_REGION,
    service: "s3",
  });
  const url = (key: string) =>
    `${env.STOWAGE_TEST_S3_ENDPOINT}/${env.STOWAGE_TEST_S3_BUCKET}/bench/${
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
        await aws.fetch(url(key), { method: "PUT", body: data as BodyInit }),
        "PutObject",
      );
      await res.body?.cancel();
    },
    async get(key) {
      const res = await ok(await aws.fetch(url(key)), "GetObject");
      return (await res.arrayBuffer()).byteLength;
    },
    async stat(key) {
      const res = await ok(
        await aws.fetch(url(key), { method: "HEAD" }),
        "HeadObject",
      );
      return Number(res.headers.get("content-length"));
    },
    walk: () => unsupported("walk"),
    glob: () => unsupported("glob"),
    rmtree: () => unsupported("rmtree"),
    upload: () => unsupported("upload"),
    async download(key) {
      const res = await ok(await aws.fetch(url(key)), "GetObject");
      return await drain(res.body!);
    },
  };
}
