/**
 * GCS resumable upload sessions: {@linkcode startResumable} opens one,
 * {@linkcode ResumableUpload} sends its chunks in order and resumes after failures
 * from what the session says it has.
 * https://cloud.google.com/storage/docs/performing-resumable-uploads
 *
 * @module
 */

import { ArtifactStoreError, FileExistsError, NotSupportedError } from "../../src/errors.ts";
import { Backoff } from "../../src/http/mod.ts";
import type { MultipartUpload } from "../../src/object_types.ts";
import { crc32c, crc32cBytes, toBase64 } from "../../src/checksum.ts";
import type { GcsClient } from "./client.ts";
import { CHUNK_GRANULARITY } from "./config.ts";
import { FLAVOR } from "./errors.ts";
import {
  type GcsObject,
  type GcsWriteOptions,
  objectResource,
  parseObject,
  qs,
} from "./objects.ts";

/**
 * Starts a resumable upload session (`ifGenerationMatch=0` for create-only:
 * the precondition is checked when the session finalizes).
 * https://cloud.google.com/storage/docs/performing-resumable-uploads
 *
 * @param client the client
 * @param key the object key
 * @param options create-only, content type, metadata, signal
 * @returns the session
 */
export async function startResumable(
  client: GcsClient,
  key: string,
  options: GcsWriteOptions = {},
): Promise<ResumableUpload> {
  const { contentType, resource } = objectResource(key, options);
  const res = await client.http.send({
    method: "POST",
    url: `${client.upload}/b/${encodeURIComponent(client.bucket)}/o${
      qs({ uploadType: "resumable", ifGenerationMatch: options.createOnly ? "0" : undefined })
    }`,
    headers: {
      "Content-Type": "application/json; charset=UTF-8",
      "X-Upload-Content-Type": contentType,
    },
    body: JSON.stringify(resource),
    signal: options.signal,
    path: client.uri(key),
    op: "start the upload of",
    // Starting a session changes nothing: always safe to repeat.
    retry: true,
  });
  await res.body?.cancel();
  const location = res.headers.get("location");
  if (!location) {
    throw new ArtifactStoreError(
      `Cannot write '${
        client.uri(key)
      }': the service started no upload session (no Location header)`,
      { path: client.uri(key), flavor: FLAVOR, status: res.status },
    );
  }
  return new ResumableUpload(
    client,
    new URL(location, client.auth.endpoint).href,
    key,
    !!options.createOnly,
  );
}

/** `Range: bytes=0-N` of a 308 answer → bytes persisted (N + 1); none → 0. */
function persistedBytes(range: string | null): number {
  const m = /bytes=0-(\d+)/.exec(range ?? "");
  return m ? Number(m[1]) + 1 : 0;
}

/**
 * A resumable upload session as a {@linkcode MultipartUpload}: chunks are sent
 * one at a time, in order (`sequential`), each a multiple of 256 KiB; the last,
 * shorter chunk is held until `complete`, which sends it with the total size (or,
 * when the data ends on a chunk boundary, an empty request declaring the total) to
 * finalize. After a failed chunk the session is asked how much it has (an empty
 * PUT whose `Content-Range` has `*` for both range and total → 308 + `Range`) and
 * the rest is sent from there. `abort` cancels the session (DELETE).
 */
export class ResumableUpload implements MultipartUpload {
  /** Chunks go one at a time, in order. */
  readonly sequential = true;
  readonly #client: GcsClient;
  readonly #url: string;
  readonly #key: string;
  readonly #createOnly: boolean;
  #offset = 0;
  #crc = 0;
  #held: Uint8Array | null = null;
  #finished = false;

  /**
   * @param client the client
   * @param url the session URL
   * @param key the object key
   * @param createOnly whether the session carries `ifGenerationMatch=0`
   */
  constructor(client: GcsClient, url: string, key: string, createOnly: boolean) {
    this.#client = client;
    this.#url = url;
    this.#key = key;
    this.#createOnly = createOnly;
  }

  /** The session URL. */
  get url(): string {
    return this.#url;
  }

  /** Bytes the service has confirmed. */
  get persisted(): number {
    return this.#offset;
  }

  /** Sends one chunk (a multiple of 256 KiB), or holds a shorter last one for `complete`. */
  async uploadPart(n: number, data: Uint8Array, signal?: AbortSignal): Promise<string> {
    if (this.#held) {
      throw new ArtifactStoreError(
        `Cannot write '${this.#client.uri(this.#key)}': a chunk followed the short last chunk`,
        { path: this.#client.uri(this.#key), flavor: FLAVOR },
      );
    }
    this.#crc = crc32c(data, this.#crc);
    if (data.length % CHUNK_GRANULARITY !== 0) {
      this.#held = data;
      return String(n);
    }
    await this.#send(data, false, signal);
    return String(n);
  }

  /** Sends the last chunk with the total size, finalizing the object. */
  async complete(_receipts: string[], signal?: AbortSignal): Promise<void> {
    const last = this.#held ?? new Uint8Array(0);
    this.#held = null;
    const obj = await this.#send(last, true, signal);
    if (obj && this.#client.checksum) await this.#client.checkStored(obj, this.#crc);
  }

  /** Cancels the session (DELETE → 499); never throws. */
  async abort(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    try {
      const res = await this.#client.http.send({
        method: "DELETE",
        url: this.#url,
        path: this.#client.uri(this.#key),
        op: "cancel the upload of",
        accept: [404, 410, 499],
        retry: true,
      });
      await res.body?.cancel();
    } catch {
      // Sessions expire on their own after a week; nothing was committed.
    }
  }

  #error(msg: string, retryable = false, cause?: unknown): ArtifactStoreError {
    return new ArtifactStoreError(msg, {
      path: this.#client.uri(this.#key),
      flavor: FLAVOR,
      retryable,
      cause,
    });
  }

  /** Turns a failure of the session into the error the caller should see. */
  #explain(err: unknown): unknown {
    if (!(err instanceof ArtifactStoreError)) return err;
    const uri = this.#client.uri(this.#key);
    if (err.status === 412 && this.#createOnly) {
      return new FileExistsError(`File '${uri}' already exists: open it with 'w' to overwrite`, {
        path: uri,
        flavor: FLAVOR,
        status: 412,
        cause: err,
      });
    }
    if (err.status === 404 || err.status === 410) {
      return this.#error(
        `The upload session of '${uri}' expired or was cancelled (HTTP ${err.status}): write the file again`,
        false,
        err,
      );
    }
    return err;
  }

  #advance(persisted: number, start: number, length: number): void {
    if (persisted < start || persisted > start + length) {
      throw this.#error(
        `The upload session of '${
          this.#client.uri(this.#key)
        }' reports ${persisted} bytes stored where ` +
          `${start} to ${start + length} were expected: write the file again`,
      );
    }
    this.#offset = persisted;
  }

  async #query(total: number | undefined, signal?: AbortSignal): Promise<SessionAnswer> {
    return await this.#client.http.sendAndRead({
      method: "PUT",
      url: this.#url,
      headers: { "Content-Range": `bytes */${total ?? "*"}` },
      body: new Uint8Array(0),
      signal,
      path: this.#client.uri(this.#key),
      op: "ask the upload session about",
      accept: [308],
      retry: true,
    }, sessionAnswer);
  }

  async #finish(answer: SessionAnswer, final: boolean): Promise<GcsObject> {
    const obj = answer.object!;
    this.#finished = true;
    if (!final) {
      // The service committed the object before the last chunk (the firebase
      // emulator does this): remove the partial object and say so.
      await this.#client.delete(obj.key || this.#key, { ifGenerationMatch: obj.generation }).catch(
        () => {},
      );
      throw new NotSupportedError(
        `Cannot write '${
          this.#client.uri(this.#key)
        }' in chunks: the service finalized the resumable upload ` +
          "after its first chunk (an emulator without multi-chunk sessions?); set 'partSize' larger than the file",
        { path: this.#client.uri(this.#key), flavor: FLAVOR },
      );
    }
    return obj;
  }

  /** Sends `data` (from the current offset), resuming after failures; returns the object when final. */
  async #send(
    data: Uint8Array,
    final: boolean,
    signal?: AbortSignal,
  ): Promise<GcsObject | undefined> {
    const client = this.#client;
    const start = this.#offset;
    const total = final ? start + data.length : undefined;
    const backoff = new Backoff(client.retry);
    const maxRetries = client.retry.maxRetries ?? 10;
    let partial = 0;
    const headers = (rest: number): Record<string, string> => {
      const h: Record<string, string> = {
        "Content-Range": rest === 0
          ? `bytes */${total ?? "*"}`
          : `bytes ${this.#offset}-${this.#offset + rest - 1}/${total ?? "*"}`,
      };
      if (final && client.checksum) h["X-Goog-Hash"] = `crc32c=${toBase64(crc32cBytes(this.#crc))}`;
      return h;
    };
    for (;;) {
      const rest = data.subarray(this.#offset - start);
      let res: SessionAnswer | undefined;
      let failure: unknown;
      try {
        res = await client.http.sendAndRead({
          method: "PUT",
          url: this.#url,
          headers: headers(rest.length),
          body: rest,
          signal,
          path: client.uri(this.#key),
          op: "write",
          accept: [308],
          // Failures are resumed below, from what the session says it has.
          retry: false,
        }, sessionAnswer);
      } catch (err) {
        failure = err;
      }
      if (res) {
        if (res.status !== 308) return await this.#finish(res, final);
        this.#advance(persistedBytes(res.range), start, data.length);
        if (!final && this.#offset === start + data.length) return undefined;
        // Part of the chunk was not kept (or, on the last chunk, not yet all):
        // send the rest.
        if (++partial > maxRetries) {
          throw this.#error(
            `The upload session of '${client.uri(this.#key)}' keeps refusing bytes: write again`,
          );
        }
        continue;
      }
      if (signal?.aborted) throw signal.reason;
      const retryable = failure instanceof ArtifactStoreError && failure.retryable;
      if (!retryable || !await backoff.wait(signal)) throw this.#explain(failure);
      let status: SessionAnswer;
      try {
        status = await this.#query(total, signal);
      } catch (err) {
        throw this.#explain(err);
      }
      if (status.status !== 308) return await this.#finish(status, final);
      this.#advance(persistedBytes(status.range), start, data.length);
      if (!final && this.#offset === start + data.length) return undefined;
    }
  }
}

/** A resumable session's answer: 308 with the bytes kept so far, or the finished object. */
interface SessionAnswer {
  status: number;
  range: string | null;
  object?: GcsObject;
}

/** Reads a session's answer whole (a cut object document fails the attempt). */
function sessionAnswer(text: string, res: Response): SessionAnswer {
  if (res.status === 308) return { status: 308, range: res.headers.get("range") };
  return { status: res.status, range: null, object: parseObject(JSON.parse(text)) };
}
