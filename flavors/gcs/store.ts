/**
 * {@linkcode GcsArtifactStore}: the `gcp` flavor (`gs://bucket/prefix`) for Google
 * Cloud Storage over its JSON API, on the shared {@linkcode ObjectStore}
 * algorithms.
 *
 * - Reads stream `alt=media` (ranged where asked); whole-object reads check the
 *   `x-goog-hash` CRC32C as the bytes pass, resumed pieces included, and end in an
 *   error instead of silently wrong bytes.
 * - Writes up to `partSize` are one multipart request (metadata + media, CRC32C
 *   in the metadata); bigger ones a resumable session of `partSize` chunks,
 *   resumed from what the session says it has after a failure, cancelled
 *   (DELETE) on `abort()`. Create-only writes send `ifGenerationMatch=0` and are
 *   checked again just before the session is finalized.
 * - Append (`a`/`ab`) uploads the new bytes to a temporary sibling object and
 *   composes the two into the original (`objects.compose`, pinned to its
 *   generation), then removes the temporary object.
 * - `copyfile` is `objects.rewrite` (looping on `rewriteToken`); `rename` of a
 *   file is the atomic `objects.move` where the service has it, else rewrite +
 *   delete (not atomic; the firebase emulator has no move). Directories move
 *   object by object.
 * - `rmtree` deletes through the JSON batch endpoint, 100 objects a request, 4
 *   requests at once; where there is no batch endpoint (the firebase emulator),
 *   one by one, 8 at a time per batch of 100.
 *
 * @module
 */

import { mapLimit } from "../../src/concurrency.ts";
import { BUILTINS } from "../../src/builtins.ts";
import type { Capabilities, CopyOptions, WriteOptions } from "../../src/types.ts";
import { FileExistsError, NotSupportedError, PreconditionFailedError } from "../../src/errors.ts";
import { type Flavor, parseConfig } from "../../src/flavor.ts";
import { ObjectStore } from "../../src/object_store.ts";
import type {
  DeleteFailure,
  GetResult,
  ListPage,
  ListPageOptions,
  MultipartUpload,
  ObjectMeta,
  PutOptions,
} from "../../src/object_types.ts";
import { baseName, joinKey, parentKey } from "../../src/keys.ts";
import { GcsClient } from "./client.ts";
import {
  DEFAULT_PART_SIZE,
  gcsConfigSchema,
  gcsConfigValibot,
  type GcsStoreConfig,
} from "./config.ts";
import { type GcsAuth, resolveGcsAuth } from "./credentials.ts";
import { FLAVOR, mapGcsError } from "./errors.ts";
import { signUrlV4 } from "./signer.ts";

/** Validates a configuration with the schema, throwing one `ConfigError` that lists every problem. */
function validate(config: GcsStoreConfig): GcsStoreConfig {
  return parseConfig(gcsConfigValibot, config, FLAVOR);
}

/**
 * A store in a Google Cloud Storage bucket (or below a prefix of one).
 *
 * @example A store on an emulator
 * ```ts
 * import { GcsArtifactStore } from "./store.ts";
 * const store = new GcsArtifactStore({
 *   path: "gs://my-bucket/artifacts",
 *   endpoint: "http://127.0.0.1:9023",
 *   anonymous: true,
 * });
 * console.assert(store.flavor === "gcp" && store.path === "gs://my-bucket/artifacts");
 * ```
 */
export class GcsArtifactStore extends ObjectStore {
  /** The flavor name (as ZenML calls it). */
  static override FLAVOR: string = BUILTINS.gcp.name;
  /** The schemes served. */
  static override SUPPORTED_SCHEMES: readonly string[] = BUILTINS.gcp.supportedSchemes;

  // The REST client, and the endpoint and credentials resolved at creation.
  readonly #client: GcsClient;
  readonly #auth: GcsAuth;
  /** Keys per batch delete request (the JSON batch endpoint's limit). */
  protected override deleteBatchSize = 100;

  /**
   * Creates the store; the configuration is validated and the credentials are
   * looked up (environment variables now, key files and tokens on first use).
   *
   * @param config the root `path` (`gs://bucket/prefix`) and the GCS settings;
   *   credentials fall back to the environment (see {@linkcode GcsStoreConfig})
   */
  constructor(config: GcsStoreConfig) {
    const valid = validate(config);
    super(valid, DEFAULT_PART_SIZE);
    this.deleteConcurrency = valid.concurrency ?? 4;
    this.#auth = resolveGcsAuth(valid, { fetch: valid.fetch, retry: valid.retry });
    this.#client = new GcsClient({
      bucket: this.bucket,
      auth: this.#auth,
      fetch: valid.fetch,
      retry: valid.retry,
      timeoutMs: valid.timeoutMs,
      idleTimeoutMs: valid.idleTimeoutMs,
      retryStrategy: valid.retryStrategy,
      checksum: valid.checksum !== false,
    });
  }

  /**
   * Append by compose, atomic rename by objects.move (until the service turns
   * out not to have it), real create-only preconditions, signed URLs when the
   * credentials hold a service-account key.
   */
  override get capabilities(): Capabilities {
    return {
      ...super.capabilities,
      append: true,
      atomicRename: this.#client.moveSupported,
      conditionalWrite: true,
      presign: this.#auth.maySign,
    };
  }

  // ------------------------------------------------------------ the core

  /** objects.get (metadata); `null` for a missing object. */
  protected override headObject(key: string, signal?: AbortSignal): Promise<ObjectMeta | null> {
    return this.#client.getMetadata(key, signal);
  }

  /** objects.get with `alt=media` (ranged; whole reads CRC32C-checked). */
  protected override getObject(
    key: string,
    range: { start: number; end?: number } | undefined,
    options: { ifMatch?: string; signal?: AbortSignal },
  ): Promise<GetResult> {
    return this.#client.getMedia(key, range, {
      ifGenerationMatch: options.ifMatch,
      signal: options.signal,
    });
  }

  /** One objects.list page (prefix, delimiter, page token). */
  protected override async listPage(prefix: string, options: ListPageOptions): Promise<ListPage> {
    const page = await this.#client.list(prefix, {
      delimiter: options.delimiter,
      maxResults: options.limit,
      pageToken: options.token,
      signal: options.signal,
    });
    return { objects: page.objects, prefixes: page.prefixes, next: page.next };
  }

  /** A multipart upload (metadata + media), `ifGenerationMatch=0` when create-only. */
  protected override async putObject(
    key: string,
    data: Uint8Array,
    options: PutOptions,
  ): Promise<void> {
    await this.#client.insert(key, data, {
      createOnly: options.ifNoneMatch,
      contentType: options.contentType,
      metadata: options.metadata,
      signal: options.signal,
    });
  }

  /** A resumable upload session (sequential 256 KiB-multiple chunks). */
  protected override createMultipartUpload(
    key: string,
    options: PutOptions,
  ): Promise<MultipartUpload> {
    return this.#client.startResumable(key, {
      createOnly: options.ifNoneMatch,
      contentType: options.contentType,
      metadata: options.metadata,
      signal: options.signal,
    });
  }

  /** objects.delete; a missing object is not an error. */
  protected override deleteObject(key: string): Promise<void> {
    return this.#client.delete(key);
  }

  /**
   * The JSON batch endpoint (100 deletes a request), else one by one, 8 at a time;
   * each key it did not delete, with its typed error (a missing one is deleted).
   */
  protected override async deleteObjects(keys: string[]): Promise<DeleteFailure[]> {
    if (keys.length === 0) return [];
    const results = this.#client.batchSupported ? await this.#client.deleteBatch(keys) : null;
    if (!results) {
      await mapLimit(keys, 8, (k) => this.#client.delete(k));
      return [];
    }
    const ok = (s: number) => (s >= 200 && s < 300) || s === 404;
    return results.filter((r) => !ok(r.status)).map((r) => ({
      key: r.key,
      error: mapGcsError({
        status: r.status,
        headers: new Headers(),
        body: r.body,
        request: { method: "DELETE", url: "", path: this.#client.uri(r.key), op: "delete" },
      }),
    }));
  }

  /** objects.rewrite, looping on `rewriteToken`; `ifGenerationMatch=0` when create-only. */
  protected override async copyObject(
    src: string,
    dst: string,
    options: { ifNoneMatch?: boolean; srcMeta?: ObjectMeta },
  ): Promise<void> {
    await this.#client.rewrite(src, dst, { createOnly: options.ifNoneMatch });
  }

  // ------------------------------------------------------------ rename and append

  /**
   * Renames a file with the atomic `objects.move` (create-only unless
   * `overwrite`); where the service has no move (the firebase emulator), and for
   * directories, by rewrite + delete, which is not atomic.
   *
   * @param src the source
   * @param dst the destination
   * @param options `overwrite` (default false)
   */
  override async rename(src: string, dst: string, options: CopyOptions = {}): Promise<void> {
    const s = this.resolve(src);
    const d = this.resolve(dst);
    if (s === d || s === "" || d === "" || !this.#client.moveSupported) {
      return await super.rename(src, dst, options);
    }
    const meta = await this.#client.getMetadata(this.key(s));
    if (!meta) return await super.rename(src, dst, options);
    const overwrite = options.overwrite ?? false;
    const [dstMeta] = await Promise.all([
      overwrite ? null : this.headObject(this.key(d)),
      this.refuseDirectory(d, "move onto"),
    ]);
    if (!overwrite) this.checkOverwrite(d, !!dstMeta, false);
    let moved;
    try {
      moved = await this.#client.move(this.key(s), this.key(d), {
        createOnly: !overwrite,
        ifSourceGenerationMatch: meta.generation,
        source: meta,
      });
    } catch (err) {
      if (err instanceof FileExistsError) this.checkOverwrite(d, true, false);
      throw err;
    }
    if (!moved) await super.rename(src, dst, options);
  }

  /**
   * Appends by composing: the new bytes go to a temporary sibling object
   * (`.NAME.stowage-append-…`), which `close()` composes onto the original
   * (pinned to its generation, so a concurrent change fails cleanly with
   * `PreconditionFailedError`) and then removes. A missing file is created.
   *
   * @param rel the relative key
   * @param options write options
   * @returns the sink
   */
  protected override async openAppend(
    rel: string,
    options: WriteOptions,
  ): Promise<WritableStream<Uint8Array>> {
    const key = this.key(rel);
    const meta = await this.#client.getMetadata(key, options.signal);
    if (!meta) return await this.openWrite(rel, "create", options);
    const rand = crypto.getRandomValues(new Uint32Array(2)).join("");
    const tmpRel = joinKey(parentKey(rel), `.${baseName(rel)}.stowage-append-${rand}`);
    const tmpKey = this.key(tmpRel);
    const inner = (await this.openWrite(tmpRel, "create", {
      contentType: meta.contentType,
      signal: options.signal,
      onProgress: options.onProgress,
    })).getWriter();
    let wrote = 0;
    const uri = this.uri(rel);
    return new WritableStream<Uint8Array>({
      write: async (chunk) => {
        wrote += chunk.length;
        await inner.write(chunk);
      },
      close: async () => {
        if (wrote === 0) {
          await inner.abort();
          return;
        }
        await inner.close();
        try {
          await this.#client.compose(key, [{ name: key, generation: meta.generation }, {
            name: tmpKey,
          }], {
            ifGenerationMatch: meta.generation,
            contentType: meta.contentType,
            metadata: meta.metadata,
            signal: options.signal,
          });
        } catch (err) {
          if (err instanceof NotSupportedError) {
            throw new NotSupportedError(
              `Cannot append to '${uri}': the service has no objects.compose (an emulator?); ` +
                "read the file and write it again with 'w'",
              { path: uri, flavor: FLAVOR, cause: err },
            );
          }
          if (err instanceof PreconditionFailedError) {
            throw new PreconditionFailedError(
              `Cannot append to '${uri}': it changed while appending; append again`,
              { path: uri, flavor: FLAVOR, status: 412, cause: err },
            );
          }
          throw err;
        } finally {
          await this.#client.delete(tmpKey).catch(() => {});
        }
      },
      abort: async (reason) => {
        await inner.abort(reason);
      },
    });
  }

  // ------------------------------------------------------------ presign

  /**
   * A V4 signed URL (`GOOG4-RSA-SHA256`) that grants `method` on one object for
   * `expiresIn` seconds without credentials; `presign` checks the arguments first.
   * Needs a service-account key (`credentials`, `keyFilename` or
   * `GOOGLE_APPLICATION_CREDENTIALS`).
   *
   * @param rel the file, relative to the root
   * @param method GET, PUT, HEAD or DELETE
   * @param expiresIn seconds, at most 7 days
   * @returns the URL
   *
   * @example
   * ```ts ignore
   * import { GcsArtifactStore } from "./store.ts";
   * const store = new GcsArtifactStore({ path: "gs://bucket", keyFilename: "/secrets/sa.json" });
   * const url = await store.presign("gs://bucket/report.pdf", { expiresIn: 600 });
   * ```
   */
  protected override async signUrl(
    rel: string,
    method: string,
    expiresIn: number,
  ): Promise<string> {
    const signing = await this.#auth.signingKey();
    if (!signing) {
      throw new NotSupportedError(
        `Cannot presign '${
          this.uri(rel)
        }': signed URLs need a service-account key ('credentials', ` +
          `'keyFilename' or GOOGLE_APPLICATION_CREDENTIALS), and these credentials ('${this.#auth.source}') have none`,
        { path: this.uri(rel), flavor: FLAVOR },
      );
    }
    const ep = new URL(this.#auth.endpoint);
    const signed = await signUrlV4({
      method,
      bucket: this.bucket,
      object: this.key(rel),
      expiresIn,
      clientEmail: signing.clientEmail,
      key: signing.key,
      scheme: ep.protocol.replace(/:$/, ""),
      host: ep.host,
    });
    return signed.url;
  }
}

/**
 * The `gcp` flavor object (`gs://`), as the registry loads it.
 *
 * @example
 * ```ts
 * import { gcsFlavor } from "./store.ts";
 * const store = await gcsFlavor.create({ path: "gs://bucket/prefix", accessToken: "ya29.token" });
 * console.assert(store.flavor === "gcp");
 * ```
 */
export const gcsFlavor: Flavor<GcsStoreConfig> = {
  name: FLAVOR,
  type: "artifact_store",
  supportedSchemes: GcsArtifactStore.SUPPORTED_SCHEMES,
  configSchema: gcsConfigSchema,
  description: BUILTINS.gcp.description,
  create: (config: GcsStoreConfig) => new GcsArtifactStore(config),
};
