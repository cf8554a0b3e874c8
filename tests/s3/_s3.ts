// Shared by the S3 test files: stores on the emulators the runner started, a
// store subclass that exposes a few raw S3 calls, and fetch wrappers that record
// requests or inject faults.

import { emulator, type EmulatorInfo, runtimeName } from "../_env.ts";
import { S3ArtifactStore, type S3StoreConfig } from "../../flavors/s3/mod.ts";
import { S3Client } from "../../flavors/s3/client.ts";

/** One mebibyte. */
export const MiB = 1024 * 1024;

/** Small backoffs so that retried requests in tests are quick. */
export const FAST_RETRY = {
  maxRetries: 4,
  initialBackoffMs: 5,
  maxBackoffMs: 50,
  totalTimeoutMs: 30_000,
};

/** The S3 emulator of this name, or a skip reason. */
export function s3Emulator(name: "ceph" | "fauxqs"): EmulatorInfo | string {
  return emulator(name);
}

/** A unique root prefix for one test. */
export function uniquePrefix(label: string): string {
  return `${label}-${runtimeName()}-${Date.now().toString(36)}-${
    Math.random().toString(36).slice(2, 8)
  }`;
}

/** The store config of an emulator, below a fresh prefix. */
export function s3Config(
  e: EmulatorInfo,
  label: string,
  extra: Partial<S3StoreConfig> = {},
): S3StoreConfig {
  return {
    path: `s3://${e.env.STOWAGE_TEST_S3_BUCKET}/${uniquePrefix(label)}`,
    endpoint: e.endpoint,
    region: e.env.STOWAGE_TEST_S3_REGION,
    accessKeyId: e.env.STOWAGE_TEST_S3_ACCESS_KEY_ID,
    secretAccessKey: e.env.STOWAGE_TEST_S3_SECRET_ACCESS_KEY,
    partSize: 5 * MiB,
    retry: FAST_RETRY,
    ...extra,
  };
}

/** An S3 store that also exposes raw S3 calls, for checks behind the API. */
export class TestS3Store extends S3ArtifactStore {
  /** A REST client on the same bucket and settings, over the real fetch. */
  readonly raw: S3Client;

  /** @param config the store configuration */
  constructor(config: S3StoreConfig) {
    super(config);
    this.raw = new S3Client({ bucket: this.bucket, settings: this.settings });
  }

  /** Multipart uploads in progress below the root. */
  async pendingUploads(): Promise<{ key: string; uploadId: string }[]> {
    return await this.raw.listMultipartUploads(this.dirPrefix(""));
  }

  /** Every object key below the root, as S3 stores it. */
  async rawKeys(): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 100; i++) {
      const page = await this.raw.listObjectsV2(this.dirPrefix(""), {
        token,
      });
      out.push(...page.objects.map((o) => o.key));
      if (!page.next) return out;
      token = page.next;
    }
    throw new Error("too many pages");
  }

  /** The object key of a relative path. */
  keyOf(rel: string): string {
    return this.key(rel);
  }

  /** Writes an object with a raw key below the root (e.g. a `dir/` marker). */
  async putRaw(rel: string, data: Uint8Array): Promise<void> {
    await this.raw.putObject(this.key(rel), data);
  }

  /** Makes copies past `threshold` bytes multipart, in parts of `partSize`. */
  setMultipartCopy(threshold: number, partSize: number): void {
    this.multipartCopyThreshold = threshold;
    this.copyPartBytes = partSize;
  }
}

/** A store on an emulator, or the reason it cannot run. */
export function s3Store(
  name: "ceph" | "fauxqs",
  label: string,
  extra: Partial<S3StoreConfig> = {},
): TestS3Store | string {
  const e = s3Emulator(name);
  if (typeof e === "string") return e;
  return new TestS3Store(s3Config(e, label, extra));
}

/** One request as a recording fetch saw it. */
export interface Call {
  /** The method. */
  method: string;
  /** The URL. */
  url: URL;
  /** The request headers. */
  headers: Headers;
  /** The body sent. */
  body?: BodyInit | null;
  /** The response status (absent when fetch threw). */
  status?: number;
}

/** A fetch in front of another one. */
export type FetchFn = (
  input: string | URL | Request,
  init?: RequestInit,
) => Promise<Response>;

/**
 * A fetch that records every request (and its status), then passes it to `inner`
 * (default the real fetch) or to `fault`, which may answer instead.
 */
export function recorder(
  fault?: (call: Call, real: () => Promise<Response>) => Promise<Response>,
): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const f: FetchFn = async (input, init = {}) => {
    const call: Call = {
      method: init.method ?? "GET",
      url: new URL(String(input)),
      headers: new Headers(init.headers),
      body: init.body,
    };
    calls.push(call);
    const real = () => fetch(input, init);
    const res = await (fault ? fault(call, real) : real());
    call.status = res.status;
    return res;
  };
  return { fetch: f as typeof fetch, calls };
}

/** The byte length of a recorded body. */
export function bodyLength(b: BodyInit | null | undefined): number {
  if (b === undefined || b === null) return 0;
  if (typeof b === "string") return new TextEncoder().encode(b).length;
  if (b instanceof Uint8Array) return b.length;
  if (b instanceof ArrayBuffer) return b.byteLength;
  return -1;
}

/**
 * A copy of a response whose body stops after `n` bytes: with an error (a reset
 * connection) or by ending early (a body cut short), or that carries `extra`
 * bytes more than its Content-Length says.
 */
export function damaged(
  res: Response,
  how: { errorAfter?: number; endAfter?: number; extra?: number },
): Response {
  const reader = res.body!.getReader();
  let sent = 0;
  let broken = false;
  const limit = how.errorAfter ?? how.endAfter ?? Infinity;
  // Pulled only when the reader asks (high-water mark 0), so every byte before
  // the break reaches the reader before the break does.
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (broken) {
        if (how.errorAfter !== undefined) {
          c.error(new TypeError("connection reset by peer (injected)"));
        } else c.close();
        return;
      }
      const { value, done } = await reader.read();
      if (done) {
        if (how.extra) c.enqueue(new Uint8Array(how.extra).fill(33));
        c.close();
        return;
      }
      const take = Math.min(value.length, limit - sent);
      if (take > 0) c.enqueue(value.subarray(0, take));
      sent += take;
      if (sent >= limit) {
        broken = true;
        await reader.cancel().catch(() => {});
      }
    },
    cancel: (r) => reader.cancel(r),
  }, { highWaterMark: 0 });
  return new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}

/** An S3 XML error response. */
export function s3Error(status: number, code: string): Response {
  return new Response(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected</Message></Error>`,
    { status, headers: { "Content-Type": "application/xml" } },
  );
}
