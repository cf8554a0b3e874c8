/**
 * {@linkcode AzureArtifactStore}: the `azure` flavor (`az://container/prefix`,
 * `abfs://container/prefix`, `abfs://container@account.dfs.core.windows.net/prefix`)
 * for Azure Blob Storage, on the shared {@linkcode ObjectStore} algorithms.
 *
 * Directories are name prefixes; ADLS Gen2 directory markers (blobs with the
 * metadata `hdi_isfolder=true`) count as directories too. `makedirs` creates
 * nothing; `rename` is copy + delete, not atomic. Writes below one block are a
 * single Put Blob, bigger ones Put Block (up to `concurrency` in flight) + Put
 * Block List; `abort()` simply never commits the staged blocks, so nothing
 * becomes visible. Create-only writes send `If-None-Match: *`. Append mode uses
 * append blobs.
 *
 * @module
 */

import { mapLimit } from "../../src/concurrency.ts";
import { BUILTINS } from "../../src/builtins.ts";
import type { Capabilities, WriteOptions } from "../../src/types.ts";
import {
  type ArtifactStoreError,
  ConfigError,
  FileNotFoundError,
  InvalidPathError,
  IsADirectoryError,
  NotADirectoryError,
  NotSupportedError,
} from "../../src/errors.ts";
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
import { generateBlobSas } from "./auth.ts";
import { appendWriter } from "./append.ts";
import { blockUpload } from "./blocks.ts";
import { copyBlob } from "./copy.ts";
import { AzureBlobClient } from "./client.ts";
import {
  azureConfigSchema,
  type AzureStoreConfig,
  DEFAULT_BLOCK_SIZE,
  MAX_BLOCKS,
} from "./config.ts";
import { type AzureSettings, resolveAzureSettings } from "./credentials.ts";
import { FLAVOR, mapAzureError } from "./errors.ts";
import { canonicalAzureUri, CONTAINER_RE } from "./uri.ts";

/**
 * A store in an Azure Blob container (or below a prefix of one).
 *
 * @example A store on Azurite through a connection string
 * ```ts
 * import { AzureArtifactStore } from "./store.ts";
 * const store = new AzureArtifactStore({
 *   path: "az://artifacts/runs",
 *   connectionString: "UseDevelopmentStorage=true",
 * });
 * console.assert(store.flavor === "azure" && store.path === "az://artifacts/runs");
 * ```
 */
export class AzureArtifactStore extends ObjectStore {
  /** The flavor name. */
  static override FLAVOR: string = BUILTINS.azure.name;
  /** The schemes served. */
  static override SUPPORTED_SCHEMES: readonly string[] = BUILTINS.azure.supportedSchemes;

  /** Blob Batch takes at most 256 sub-requests. */
  protected override deleteBatchSize = 256;
  /** List Blobs returns up to 5,000 blobs a page. */
  protected override maxListPage = 5000;
  /** A block blob has at most 50,000 blocks. */
  protected override maxParts = MAX_BLOCKS;
  /** A service SAS may last up to 365 days. */
  protected override maxPresignSeconds = 365 * 86_400;

  /** The REST client. */
  readonly #client: AzureBlobClient;
  /** Account, endpoint and credentials, resolved when the store is created. */
  readonly settings: AzureSettings;
  /** False once the service refused a Blob Batch request (ADLS Gen2 accounts, some emulators). */
  #batch = true;

  /**
   * Creates the store; the configuration is validated and the credentials are
   * resolved at once (tokens are fetched on first use).
   *
   * @param config the root `path` and the Azure settings; credentials, account and
   *   endpoint fall back to the environment
   */
  constructor(config: AzureStoreConfig) {
    const valid = parseConfig(azureConfigSchema, config, FLAVOR);
    super(valid, DEFAULT_BLOCK_SIZE);
    const container = this.bucket;
    if (!CONTAINER_RE.test(container)) {
      throw new ConfigError(
        `'${container}' is not a valid Azure container name: use 3 to 63 lower-case letters, digits and single dashes`,
        { flavor: FLAVOR, path: valid.path },
      );
    }
    const pathAccount = canonicalAzureUri(valid.path).account;
    this.settings = resolveAzureSettings(valid, {
      pathAccount,
      fetch: valid.fetch,
      retry: valid.retry,
    });
    if (pathAccount && this.settings.accountName && pathAccount !== this.settings.accountName) {
      throw new ConfigError(
        `The store path '${valid.path}' names account '${pathAccount}', but the credentials are for ` +
          `'${this.settings.accountName}' (${this.settings.source}): make them agree`,
        { flavor: FLAVOR, path: valid.path },
      );
    }
    this.#client = new AzureBlobClient({
      container,
      settings: this.settings,
      checksum: valid.checksum !== false,
      fetch: valid.fetch,
      retry: valid.retry,
      timeoutMs: valid.timeoutMs,
      idleTimeoutMs: valid.idleTimeoutMs,
    });
  }

  /** The root's first segment names a container. */
  protected override get bucketNoun(): string {
    return "container";
  }

  /** Azure stores append (append blobs) and enforce create-only writes; presign needs an account key. */
  override get capabilities(): Capabilities {
    return {
      ...super.capabilities,
      append: true,
      conditionalWrite: true,
      presign: this.settings.auth.kind === "sharedKey",
    };
  }

  // ------------------------------------------------------------ paths

  /** The root in canonical form: `abfs://` forms become `az://container/prefix`. */
  protected override normalizeRoot(path: string): string {
    return canonicalAzureUri(path.trim().replace(/^(["'])(.*)\1$/, "$2").trim()).uri;
  }

  /** `abfs://` forms become `az://`; a path naming another account is refused. */
  protected override normalizePath(path: string): string {
    if (typeof path !== "string") return path;
    const c = canonicalAzureUri(path);
    const mine = this.settings?.accountName;
    if (c.account && mine && c.account !== mine) {
      throw new InvalidPathError(
        `Path '${path}' is in storage account '${c.account}', but this store (root '${this.path}') ` +
          `uses account '${mine}': open a store for that account`,
        { path, flavor: FLAVOR },
      );
    }
    return c.uri;
  }

  /**
   * Tells whether a URI lies inside this store's root (any of the Azure forms).
   *
   * @param path the path
   * @returns true when every operation of this store accepts it
   */
  override contains(path: string): boolean {
    try {
      return super.contains(path);
    } catch {
      return false;
    }
  }

  // ------------------------------------------------------------ the core

  /** Get Blob Properties; a directory marker is not an object. */
  protected override async headObject(
    key: string,
    signal?: AbortSignal,
  ): Promise<ObjectMeta | null> {
    const p = await this.#client.getProperties(key, signal);
    return p && !p.isFolder ? p : null;
  }

  /** Get Blob, ranged with `x-ms-range`. */
  protected override getObject(
    key: string,
    range: { start: number; end?: number } | undefined,
    options: { ifMatch?: string; signal?: AbortSignal },
  ): Promise<GetResult> {
    return this.#client.getBlob(key, range, options);
  }

  /**
   * One List Blobs page. A directory marker `d` (`hdi_isfolder=true`) is reported
   * as the prefix `d/` with a delimiter, else as the object `d/` (with its
   * metadata), which the shared algorithms treat as a directory.
   */
  protected override async listPage(prefix: string, options: ListPageOptions): Promise<ListPage> {
    const page = await this.#client.listBlobs(prefix, {
      delimiter: options.delimiter,
      maxResults: options.limit,
      marker: options.token,
      signal: options.signal,
    });
    const objects: ObjectMeta[] = [];
    const prefixes = [...page.prefixes];
    for (const b of page.blobs) {
      if (b.isFolder) {
        if (options.delimiter) prefixes.push(`${b.key}/`);
        else objects.push({ ...b, key: `${b.key}/` });
      } else objects.push(b);
    }
    return { objects, prefixes, next: page.next };
  }

  /** Put Blob (a block blob), with `Content-MD5` and `If-None-Match: *` for create-only writes. */
  protected override putObject(key: string, data: Uint8Array, options: PutOptions): Promise<void> {
    return this.#client.putBlob(key, data, options);
  }

  /**
   * Put Block (equal-length ids unique to this upload, `Content-MD5` on each) and
   * Put Block List on commit; an abort commits nothing. Blocks cannot be staged on
   * an append blob: one in the way is deleted when the first block meets it.
   */
  protected override createMultipartUpload(
    key: string,
    options: PutOptions,
  ): Promise<MultipartUpload> {
    return Promise.resolve(blockUpload(this.#client, key, options, this.partSize));
  }

  /** Deletes a blob; a key ending in `/` also removes the directory marker it stands for. */
  protected override async deleteObject(key: string): Promise<void> {
    if (key.endsWith("/")) {
      const marker = await this.#client.getProperties(key.slice(0, -1));
      if (marker?.isFolder) await this.#client.deleteBlob(key.slice(0, -1));
    }
    await this.#client.deleteBlob(key);
  }

  /**
   * Deletes up to 256 blobs with one Blob Batch request and returns those it did
   * not delete, typed. A service that refuses Blob Batch (ADLS Gen2 accounts) gets
   * bounded parallel deletes from then on.
   */
  protected override async deleteObjects(keys: string[]): Promise<DeleteFailure[]> {
    const plain = keys.filter((k) => !k.endsWith("/"));
    const markers = keys.filter((k) => k.endsWith("/"));
    await mapLimit(markers, 8, (k) => this.deleteObject(k));
    if (plain.length === 0) return [];
    if (!this.#batch || plain.length === 1) {
      await mapLimit(plain, 16, (k) => this.#client.deleteBlob(k));
      return [];
    }
    let failures;
    try {
      failures = await this.#client.batchDelete(plain);
    } catch (err) {
      const status = (err as ArtifactStoreError).status ?? 0;
      const refused = status >= 400 && status < 500 && ![401, 403, 408, 429].includes(status);
      if (refused || status === 501 || err instanceof NotSupportedError) {
        // No Blob Batch here: delete one by one from now on.
        this.#batch = false;
        await mapLimit(plain, 16, (k) => this.#client.deleteBlob(k));
        return [];
      }
      throw err;
    }
    return failures.map((f) => ({
      key: f.key,
      error: mapAzureError({
        status: f.status,
        headers: new Headers(),
        body: "",
        request: { method: "DELETE", url: "", path: this.#client.uri(f.key), op: "delete" },
      }, { code: f.code }),
    }));
  }

  /**
   * Copies a blob with Copy Blob: done at once within an account in most cases,
   * else polled until the copy finishes; a failed or aborted copy is an error.
   */
  protected override async copyObject(
    src: string,
    dst: string,
    options: { ifNoneMatch?: boolean; srcMeta?: ObjectMeta },
  ): Promise<void> {
    await copyBlob(this.#client, src, dst, options.ifNoneMatch);
  }

  // ------------------------------------------------------------ directory markers

  /** True when anything lies below `rel`, or an ADLS directory marker is there. */
  protected override async isDirRel(rel: string): Promise<boolean> {
    if (rel === "") return true;
    // The marker's HEAD goes out beside the listing: one round trip, not two.
    const marker = this.#client.getProperties(this.key(rel));
    marker.catch(() => {});
    if (await super.isDirRel(rel)) return true;
    return !!(await marker)?.isFolder;
  }

  /** Lists one directory; an empty ADLS directory (only its marker) lists empty. */
  protected override async scandir(rel: string): Promise<{ dirs: string[]; files: string[] }> {
    try {
      return await super.scandir(rel);
    } catch (err) {
      if (
        err instanceof FileNotFoundError && rel !== "" &&
        (await this.#client.getProperties(this.key(rel)))?.isFolder
      ) {
        return { dirs: [], files: [] };
      }
      throw err;
    }
  }

  /**
   * Removes every blob below the directory in Blob Batch requests of 256, then the
   * directory markers, deepest first (ADLS Gen2 refuses to delete a directory
   * that is not empty), then the directory's own marker.
   *
   * @param path the directory
   */
  override async rmtree(path: string): Promise<void> {
    const rel = this.resolve(path);
    const files: string[] = [];
    const markers: string[] = [];
    for await (const page of this.listObjects(this.dirPrefix(rel), {})) {
      for (const o of page.objects) {
        if (o.key.endsWith("/") && o.metadata?.hdi_isfolder?.toLowerCase() === "true") {
          markers.push(o.key.slice(0, -1));
        } else files.push(o.key);
      }
    }
    const own = rel !== "" && (await this.#client.getProperties(this.key(rel)));
    if (own && !own.isFolder && files.length === 0 && markers.length === 0) {
      throw new NotADirectoryError(`Cannot rmtree '${this.uri(rel)}': it is a file; use remove`, {
        path: this.uri(rel),
        flavor: FLAVOR,
      });
    }
    if (files.length === 0 && markers.length === 0 && !(own && own.isFolder)) {
      if (rel === "") return;
      throw this.notFound(rel);
    }
    await this.deleteKeys(files);
    const depth = (k: string) => k.split("/").length;
    const levels = [...new Set(markers.map(depth))].sort((a, b) => b - a);
    for (const level of levels) await this.deleteKeys(markers.filter((k) => depth(k) === level));
    if (own && own.isFolder) await this.#client.deleteBlob(this.key(rel));
  }

  // ------------------------------------------------------------ append

  /**
   * An appending writer on an append blob. The appended bytes are kept in memory
   * until `close()`, which creates the append blob if it is missing and appends
   * them in blocks of up to 4 MiB, each pinned to the blob's current size
   * (`x-ms-blob-condition-appendpos`) so that a retry never appends twice;
   * `abort()` appends nothing. A block blob (written with `w`/`x`) cannot be
   * appended to: `NotSupportedError`, the blob unchanged.
   */
  protected override async openAppend(
    rel: string,
    options: WriteOptions,
  ): Promise<WritableStream<Uint8Array>> {
    const key = this.key(rel);
    const uri = this.uri(rel);
    const client = this.#client;
    const props = await client.getProperties(key, options.signal);
    if (props?.isFolder || (!props && await super.isDirRel(rel))) {
      throw new IsADirectoryError(`Cannot append to '${uri}': it is a directory`, {
        path: uri,
        flavor: FLAVOR,
      });
    }
    return appendWriter(client, key, uri, props, options);
  }

  // ------------------------------------------------------------ presign

  /**
   * A URL that grants `method` on one blob for `expiresIn` seconds without
   * credentials: a service SAS signed with the account key (`GET`/`HEAD` → `r`,
   * `PUT` → `cw`, `DELETE` → `d`). A presigned `PUT` must send
   * `x-ms-blob-type: BlockBlob`. Needs an account key (SharedKey credentials).
   *
   * `presign` checks the arguments first.
   *
   * @param rel the file, relative to the root
   * @param method GET, PUT, HEAD or DELETE
   * @param expiresIn seconds, at most 365 days
   * @returns the URL
   *
   * @example
   * ```ts
   * import { AzureArtifactStore } from "./store.ts";
   * const store = new AzureArtifactStore({ path: "az://data", accountName: "acct", accountKey: btoa("key") });
   * const url = await store.presign("az://data/report.pdf", { expiresIn: 600 });
   * console.assert(url.startsWith("https://acct.blob.core.windows.net/data/report.pdf?sv="));
   * ```
   */
  protected override async signUrl(
    rel: string,
    method: string,
    expiresIn: number,
  ): Promise<string> {
    const auth = this.settings.auth;
    if (auth.kind !== "sharedKey") {
      throw new NotSupportedError(
        `Cannot presign '${this.uri(rel)}': presigned URLs need the account key (SharedKey), ` +
          `and this store uses ${this.settings.source}`,
        { path: this.uri(rel), flavor: FLAVOR },
      );
    }
    const permissions = ({ GET: "r", HEAD: "r", PUT: "cw", DELETE: "d" } as Record<string, string>)[
      method
    ];
    const key = this.key(rel);
    const sas = await generateBlobSas({
      accountName: auth.accountName,
      accountKey: auth.accountKey,
      container: this.bucket,
      blob: key,
      permissions,
      expiresOn: new Date(Date.now() + expiresIn * 1000),
    });
    return `${this.#client.url(key)}?${sas}`;
  }
}

/**
 * The `azure` flavor object (`az://`, `abfs://`), as the registry loads it.
 *
 * @example
 * ```ts
 * import { azureFlavor } from "./store.ts";
 * const store = await azureFlavor.create({ path: "abfs://data/runs", accountName: "acct", sasToken: "sv=x&sig=y" });
 * console.assert(store.flavor === "azure" && store.path === "az://data/runs");
 * ```
 */
export const azureFlavor: Flavor<AzureStoreConfig> = {
  name: "azure",
  type: "artifact_store",
  supportedSchemes: AzureArtifactStore.SUPPORTED_SCHEMES,
  configSchema: azureConfigSchema,
  description: BUILTINS.azure.description,
  create: (config: AzureStoreConfig) => new AzureArtifactStore(config),
};
