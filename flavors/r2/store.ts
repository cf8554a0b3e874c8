/**
 * {@linkcode R2ArtifactStore}: the `r2` flavor (`r2://BINDING/prefix`) over a
 * Workers R2 binding, on the shared {@linkcode ObjectStore} algorithms: each of
 * its object calls is one binding method, with R2's errors mapped by
 * `errors.ts`. The binding has no server-side copy, so `copyfile` and `rename`
 * stream the object through the worker part by part.
 *
 * @module
 */

import { bareEtag } from "../../src/http/encoding.ts";
import { emptyBody } from "../../src/streams.ts";
import { BUILTINS } from "../../src/builtins.ts";
import type { Capabilities } from "../../src/types.ts";
import { type ArtifactStoreError, ConfigError, PreconditionFailedError } from "../../src/errors.ts";
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
import {
  isBucket,
  type R2BucketLike,
  type R2ObjectBodyLike,
  type R2ObjectLike,
} from "./binding.ts";
import { R2_MIN_PART, r2ConfigSchema, type R2StoreConfig } from "./config.ts";
import { mapR2Error } from "./errors.ts";

/**
 * A store over a Workers R2 binding.
 *
 * @example
 * ```ts ignore
 * import { R2ArtifactStore } from "./store.ts";
 * declare const env: { BUCKET: unknown };
 * const store = new R2ArtifactStore({ path: "r2://BUCKET/prefix", env });
 * ```
 */
export class R2ArtifactStore extends ObjectStore {
  /** The flavor name. */
  static override FLAVOR: string = BUILTINS.r2.name;
  /** The schemes served. */
  static override SUPPORTED_SCHEMES: readonly string[] = BUILTINS.r2.supportedSchemes;

  readonly #bucket: R2BucketLike;

  /**
   * Creates a store over an R2 binding.
   *
   * @param config the root, the binding (`bucket` or `env`), part size and concurrency
   */
  constructor(config: R2StoreConfig) {
    super(parseConfig(r2ConfigSchema, config, "r2"), 8 * 1024 * 1024);
    const name = this.bucket;
    const b = config.bucket ?? config.env?.[name];
    if (!isBucket(b)) {
      throw new ConfigError(
        `No R2 binding for '${this.path}': pass { bucket: env.${
          name || "BUCKET"
        } } or { env } with a binding named '${name}' (wrangler.toml [[r2_buckets]] binding)`,
        { flavor: "r2", path: this.path },
      );
    }
    if (this.partSize < R2_MIN_PART) {
      throw new ConfigError(
        `partSize ${this.partSize} is below R2's minimum part size of ${R2_MIN_PART} bytes`,
        { flavor: "r2", path: this.path },
      );
    }
    this.#bucket = b;
  }

  /** Create-only writes are enforced by R2 (`onlyIf`); no presigning through a binding. */
  override get capabilities(): Capabilities {
    return { ...super.capabilities, conditionalWrite: true, presign: false };
  }

  /** Runs a binding call, mapping its errors. */
  async #call<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.#mapError(err, op, key);
    }
  }

  #mapError(err: unknown, op: string, key: string): ArtifactStoreError {
    return mapR2Error(err, op, this.uri(this.relOf(key)));
  }

  #meta(o: R2ObjectLike): ObjectMeta {
    return {
      key: o.key,
      size: o.size,
      mtime: o.uploaded ? new Date(o.uploaded) : null,
      etag: o.httpEtag ?? `"${o.etag}"`,
      contentType: o.httpMetadata?.contentType,
      metadata: o.customMetadata && Object.keys(o.customMetadata).length
        ? { ...o.customMetadata }
        : undefined,
    };
  }

  /** The object's metadata from the binding's `head()`, or `null`. */
  protected override async headObject(key: string): Promise<ObjectMeta | null> {
    if (key === "") return null;
    const o = await this.#call("stat", key, () => this.#bucket.head(key));
    return o ? this.#meta(o) : null;
  }

  /** The object's bytes (or a range) from the binding's `get()`. */
  protected override async getObject(
    key: string,
    range: { start: number; end?: number } | undefined,
    options: { ifMatch?: string; signal?: AbortSignal },
  ): Promise<GetResult> {
    // Empty ranges never get here: ObjectStore answers them itself.
    const opts: {
      range?: { offset: number; length?: number };
      onlyIf?: { etagMatches?: string };
    } = {};
    if (range) {
      opts.range = range.end === undefined
        ? { offset: range.start }
        : { offset: range.start, length: range.end - range.start };
    }
    if (options.ifMatch) {
      opts.onlyIf = {
        etagMatches: bareEtag(options.ifMatch),
      };
    }
    let o: R2ObjectBodyLike | R2ObjectLike | null;
    try {
      o = await this.#bucket.get(key, opts);
    } catch (err) {
      // R2 may refuse a range that passes the end; the contract clamps it (and a
      // start at or past the end reads nothing).
      const meta = range ? await this.headObject(key).catch(() => null) : null;
      if (!range || !meta) throw this.#mapError(err, "read", key);
      if (range.start >= meta.size) {
        return { body: emptyBody(), length: 0, etag: meta.etag };
      }
      const end = Math.min(range.end ?? meta.size, meta.size);
      if (end === range.end) throw this.#mapError(err, "read", key);
      return await this.getObject(key, { start: range.start, end }, options);
    }
    if (!o) throw this.notFound(this.relOf(key));
    if (!("body" in o) || !o.body) {
      throw new PreconditionFailedError(
        `Cannot read '${
          this.uri(this.relOf(key))
        }': it changed while being read (ETag no longer ${options.ifMatch})`,
        { path: this.uri(this.relOf(key)), flavor: "r2" },
      );
    }
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? o.size, o.size);
    const length = o.range?.length ?? Math.max(0, end - start);
    return { body: o.body, length, size: o.size, etag: o.httpEtag ?? `"${o.etag}"` };
  }

  /** One page of the binding's `list()` (cursor paging). */
  protected override async listPage(prefix: string, options: ListPageOptions): Promise<ListPage> {
    options.signal?.throwIfAborted();
    const page = await this.#call("list", prefix, () =>
      this.#bucket.list({
        prefix,
        delimiter: options.delimiter ? "/" : undefined,
        cursor: options.token,
        limit: options.limit ?? 1000,
        include: ["httpMetadata", "customMetadata"],
      }));
    return {
      objects: page.objects.map((o) => this.#meta(o)),
      prefixes: page.delimitedPrefixes ?? [],
      next: page.truncated ? page.cursor : undefined,
      truncated: page.truncated,
    };
  }

  /** Writes a whole object with the binding's `put()`. */
  protected override async putObject(
    key: string,
    data: Uint8Array,
    options: PutOptions,
  ): Promise<void> {
    options.signal?.throwIfAborted();
    const res = await this.#call("write", key, () =>
      this.#bucket.put(key, data, {
        onlyIf: options.ifNoneMatch ? { etagDoesNotMatch: "*" } : undefined,
        httpMetadata: options.contentType ? { contentType: options.contentType } : undefined,
        customMetadata: options.metadata,
      }));
    if (res === null) throw this.existsError(this.relOf(key));
  }

  /** Starts a multipart upload on the binding. */
  protected override async createMultipartUpload(
    key: string,
    options: PutOptions,
  ): Promise<MultipartUpload> {
    const up = await this.#call("write", key, () =>
      this.#bucket.createMultipartUpload(key, {
        httpMetadata: options.contentType ? { contentType: options.contentType } : undefined,
        customMetadata: options.metadata,
      }));
    return {
      uploadPart: async (n, data) => {
        const part = await this.#call("write", key, () => up.uploadPart(n, data));
        return part.etag;
      },
      complete: async (receipts) => {
        await this.#call("write", key, () =>
          up.complete(
            receipts.map((etag, i) => ({ partNumber: i + 1, etag })),
          ));
      },
      abort: async () => {
        await up.abort().catch(() => {});
      },
    };
  }

  /** Deletes one key with the binding's `delete()`. */
  protected override async deleteObject(key: string): Promise<void> {
    await this.#call("remove", key, () => this.#bucket.delete(key));
  }

  /** Deletes up to 1,000 keys with one binding `delete()` call (all or an error). */
  protected override async deleteObjects(keys: string[]): Promise<DeleteFailure[]> {
    if (keys.length > 0) await this.#call("remove", keys[0], () => this.#bucket.delete(keys));
    return [];
  }

  /** The root's first segment names the binding, which `bucket` may also give. */
  protected override get bucketNoun(): null {
    return null;
  }
}

/**
 * The `r2` flavor object.
 *
 * @example
 * ```ts ignore
 * import { r2Flavor } from "./store.ts";
 * declare const env: Record<string, unknown>;
 * const store = await r2Flavor.create({ path: "r2://BUCKET", env });
 * ```
 */
export const r2Flavor: Flavor<R2StoreConfig> = {
  name: "r2",
  type: "artifact_store",
  supportedSchemes: R2ArtifactStore.SUPPORTED_SCHEMES,
  configSchema: r2ConfigSchema,
  description: BUILTINS.r2.description,
  create: (config: R2StoreConfig) => new R2ArtifactStore(config),
};
