/**
 * The `http` flavor (`http://`, `https://`): a store whose root is the URL of a
 * Stowage server — the Hono adapter (`./hono`, {@linkcode artifactStoreApp}) serving
 * any store, on any runtime. Every operation is one request; reads and writes
 * stream both ways.
 *
 * The root is the server's base URL (its `basePath` included): with the server at
 * `http://127.0.0.1:8000`, `http://127.0.0.1:8000/runs/1/model.bin` is the file
 * `runs/1/model.bin` of the served store. The bearer token comes from the `token`
 * field, else from `STOWAGE_TOKEN`.
 *
 * Writes up to `bufferBytes` (1 MiB) go as one request with a length, retried on
 * failures; bigger writes stream as one chunked `PUT` (with `redirect: "error"`,
 * which keeps Node's `fetch` from holding the whole body in memory). Reads resume
 * after a broken connection with a ranged `GET` and `If-Match`. Appending is not
 * offered over HTTP.
 *
 * @example
 * ```ts ignore
 * import { HttpArtifactStore } from "./http.ts";
 *
 * const store = new HttpArtifactStore({ path: "http://127.0.0.1:8000", token: "s3cret" });
 * const w = (await store.open("http://127.0.0.1:8000/hello.txt", "w")).getWriter();
 * await w.write("hello");
 * await w.close();
 * console.log(await store.listdir("http://127.0.0.1:8000"));
 * ```
 *
 * @module
 */

import { BUILTINS } from "../src/builtins.ts";
import { registerBuiltin } from "../src/registry.ts";
import * as v from "valibot";
import {
  type ArtifactStoreConfig,
  BaseArtifactStore,
  type Capabilities,
  type CopyOptions,
  type ReadOptions,
  type StatResult,
  type WalkEntry,
  type WalkOptions,
  type WriteKind,
  type WriteOptions,
} from "../src/base.ts";
import {
  ArtifactStoreError,
  type ArtifactStoreErrorOptions,
  AuthenticationError,
  ConfigError,
  FileExistsError,
  FileNotFoundError,
  InvalidArgumentError,
  InvalidPathError,
  IsADirectoryError,
  NotADirectoryError,
  NotSupportedError,
  PermissionDeniedError,
  PreconditionFailedError,
} from "../src/errors.ts";
import { closedConfig, type Flavor, parseConfig, type StandardSchemaV1 } from "../src/flavor.ts";
import {
  type BodyPart,
  errorForStatus,
  HttpClient,
  type HttpRequest,
  isRetryableStatus,
  rangedAnswer,
  rangeHeader,
  readLimited,
  resumableBody,
  type RetryOptions,
} from "../src/http/mod.ts";
import { joinKey, stripQuotes } from "../src/path.ts";
import { concatBytes, emptyBody } from "../src/streams.ts";
import { getEnv } from "../src/_runtime.ts";

/** Configuration of an http store. */
export interface HttpStoreConfig extends ArtifactStoreConfig {
  /** The server's base URL, e.g. `http://127.0.0.1:8000` or `https://host/store`. */
  path: string;
  /** The bearer token; default: the `STOWAGE_TOKEN` environment variable. */
  token?: string;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
  /** The `fetch` to use (tests, workers, proxies). */
  fetch?: typeof fetch;
  /** Retry settings for requests that can be repeated. */
  retry?: RetryOptions;
  /** Time limit until response headers arrive, ms (default 60 000; not for streamed uploads). */
  timeoutMs?: number;
  /** Writes up to this many bytes are sent as one retryable request (default 1 MiB). */
  bufferBytes?: number;
  /** What the served store can do, when known (the defaults assume an object store). */
  capabilities?: Partial<Capabilities>;
}

const ERROR_CLASSES: Record<
  string,
  new (message: string, options?: ArtifactStoreErrorOptions) => ArtifactStoreError
> = {
  NotFound: FileNotFoundError,
  AlreadyExists: FileExistsError,
  IsADirectory: IsADirectoryError,
  NotADirectory: NotADirectoryError,
  PermissionDenied: PermissionDeniedError,
  Unauthenticated: AuthenticationError,
  PreconditionFailed: PreconditionFailedError,
  NotSupported: NotSupportedError,
  InvalidPath: InvalidPathError,
  InvalidArgument: InvalidArgumentError,
  Config: ConfigError,
};

const META = "x-stowage-meta-";

/** Percent-encodes each segment of a relative key. */
function encodeKey(rel: string): string {
  return rel === "" ? "" : rel.split("/").map(encodeURIComponent).join("/");
}

/**
 * A store served by a Stowage server over HTTP.
 *
 * @example
 * ```ts
 * import { HttpArtifactStore } from "./http.ts";
 * const s = new HttpArtifactStore({ path: "http://127.0.0.1:8000", token: "t" });
 * console.assert(s.flavor === "http" && s.path === "http://127.0.0.1:8000");
 * ```
 */
export class HttpArtifactStore extends BaseArtifactStore {
  /** The flavor name. */
  static override FLAVOR: string = BUILTINS.http.name;
  /** The schemes served. */
  static override SUPPORTED_SCHEMES: readonly string[] = BUILTINS.http.supportedSchemes;

  readonly #client: HttpClient;
  readonly #fetch: typeof fetch;
  readonly #headers: Record<string, string>;
  readonly #bufferBytes: number;
  readonly #caps: Capabilities;

  /**
   * Creates a client of a Stowage server.
   *
   * @param config the server URL, token, fetch, retry and buffering settings
   */
  constructor(config: HttpStoreConfig) {
    super(parseConfig(httpConfigSchema, config, "http"));
    if (this.root.segments.length === 0 || this.root.segments[0] === "") {
      throw new ConfigError(
        `The http store path '${config.path}' has no host: use e.g. 'http://127.0.0.1:8000'`,
        { flavor: "http" },
      );
    }
    const token = config.token ?? getEnv("STOWAGE_TOKEN");
    this.#headers = { ...(config.headers ?? {}) };
    if (token) this.#headers["authorization"] = `Bearer ${token}`;
    this.#fetch = config.fetch ?? ((input, init) => fetch(input, init));
    this.#bufferBytes = config.bufferBytes ?? 1024 * 1024;
    this.#caps = {
      append: false,
      atomicRename: false,
      conditionalWrite: true,
      presign: false,
      directories: false,
      ...(config.capabilities ?? {}),
    };
    this.#caps.append = false;
    this.#caps.presign = false;
    this.#client = new HttpClient({
      flavor: "http",
      fetch: this.#fetch,
      timeoutMs: config.timeoutMs,
      retry: config.retry,
      mapError: (res) => this.#error(res.status, res.headers, res.body, res.request),
    });
  }

  /** No append or presign over HTTP; the rest as configured. */
  override get capabilities(): Capabilities {
    return { ...this.#caps };
  }

  /** Host names are case-insensitive: compare them in lower case. */
  protected override normalizeRoot(path: string): string {
    return lowerHost(stripQuotes(String(path ?? "")));
  }

  /** Accepts the root URL with or without a trailing slash. */
  protected override normalizePath(path: string): string {
    return typeof path === "string" ? lowerHost(path) : path;
  }

  // ------------------------------------------------------------ requests

  #url(route: string, rel: string, query?: Record<string, string>): string {
    let url = `${this.root.uri}/${route}`;
    if (route !== "glob" && route !== "copy" && route !== "rename") {
      url += `/${encodeKey(rel)}`;
    }
    if (query) url += `?${new URLSearchParams(query)}`;
    return url;
  }

  #error(
    status: number,
    headers: Headers,
    body: string,
    req: HttpRequest | undefined,
  ): ArtifactStoreError {
    let code = headers.get("x-stowage-error") ?? undefined;
    let message: string | undefined;
    try {
      const parsed = JSON.parse(body) as {
        error?: { code?: unknown; message?: unknown };
      };
      if (typeof parsed?.error?.code === "string") code = parsed.error.code;
      if (typeof parsed?.error?.message === "string") {
        message = parsed.error.message;
      }
    } catch {
      // Not a Stowage server's answer (a proxy's page): map the status alone.
    }
    const path = req?.path;
    const opts = {
      path,
      flavor: "http",
      status,
      retryable: isRetryableStatus(status),
    };
    const cls = code === undefined ? undefined : ERROR_CLASSES[code];
    if (status === 401) {
      return new AuthenticationError(
        `The server at '${this.path}' refused the request${
          message ? `: ${message}` : ""
        }; pass its token as 'token' or set STOWAGE_TOKEN`,
        opts,
      );
    }
    if (cls && message !== undefined) {
      return new cls(`${message} (on '${this.path}')`, opts);
    }
    if (cls) {
      return new cls(
        `Cannot ${req?.op ?? "access"} '${path ?? this.path}': ${code} (HTTP ${status})`,
        opts,
      );
    }
    return errorForStatus({
      status,
      path,
      flavor: "http",
      op: req?.op,
      message,
    });
  }

  #send(
    method: string,
    route: string,
    rel: string,
    init: Partial<HttpRequest> & { query?: Record<string, string> } = {},
  ): Promise<Response> {
    return this.#client.send({
      method,
      url: this.#url(route, rel, init.query),
      headers: { ...this.#headers, ...(init.headers ?? {}) },
      body: init.body,
      signal: init.signal,
      accept: init.accept,
      retry: init.retry,
      path: init.path ?? this.uri(rel),
      op: init.op,
    });
  }

  async #json<T>(
    method: string,
    route: string,
    rel: string,
    init: Partial<HttpRequest> & { query?: Record<string, string> } = {},
  ): Promise<T> {
    const res = await this.#send(method, route, rel, init);
    return await res.json() as T;
  }

  async #noContent(
    method: string,
    route: string,
    rel: string,
    init: Partial<HttpRequest> & { query?: Record<string, string> } = {},
  ): Promise<void> {
    const res = await this.#send(method, route, rel, init);
    await res.body?.cancel();
  }

  // ------------------------------------------------------------ reads

  /** Streams a file from the server (`GET /files/…` with `Range`), resuming with `If-Match`. */
  protected override async openRead(
    rel: string,
    options: ReadOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    const range = options.range;
    const start = range?.start ?? 0;
    const end = range?.end;
    if (end !== undefined && end <= start) {
      // Nothing to read, but it must still be a readable file.
      const st = await this.stat(this.uri(rel));
      if (st.isDirectory) {
        throw new IsADirectoryError(
          `Cannot read '${this.uri(rel)}': it is a directory`,
          { path: this.uri(rel), flavor: "http" },
        );
      }
      return emptyBody();
    }
    const first = await this.#get(rel, start, end, undefined, options.signal);
    if (!first) return emptyBody();
    return resumableBody(
      first,
      async (offset) => {
        const next = await this.#get(
          rel,
          start + offset,
          end,
          first.etag,
          options.signal,
        );
        if (!next) throw new Error("the file shrank while resuming");
        return next;
      },
      { path: this.uri(rel), flavor: "http" },
    );
  }

  /** A ranged GET; null when the range starts at or past the end (416). */
  async #get(
    rel: string,
    start: number,
    end: number | undefined,
    ifMatch: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<(BodyPart & { etag?: string }) | null> {
    // Always ranged, even from 0: a 206 names its length in Content-Range, which
    // survives servers that stream without Content-Length (Bun.serve does).
    const headers: Record<string, string> = { range: rangeHeader(start, end) };
    if (ifMatch) headers["if-match"] = ifMatch;
    const res = await this.#send("GET", "files", rel, {
      headers,
      signal,
      accept: [416],
      op: "read",
    });
    const etag = res.headers.get("etag") ?? undefined;
    const part = await rangedAnswer(res, { start, end }, { path: this.uri(rel), flavor: "http" });
    return part && { ...part, etag };
  }

  // ------------------------------------------------------------ writes

  /** Streams a file to the server (`PUT /files/…`); committed when the response arrives. */
  protected override openWrite(
    rel: string,
    kind: WriteKind,
    options: WriteOptions,
  ): Promise<WritableStream<Uint8Array>> {
    if (kind === "append") {
      return Promise.reject(
        new NotSupportedError(
          `The http store cannot append to '${this.uri(rel)}'`,
          { path: this.uri(rel), flavor: "http" },
        ),
      );
    }
    const headers: Record<string, string> = { ...this.#headers };
    if (options.contentType) headers["content-type"] = options.contentType;
    for (const [k, val] of Object.entries(options.metadata ?? {})) {
      headers[META + k.toLowerCase()] = encodeURIComponent(val);
    }
    if (kind === "create") headers["if-none-match"] = "*";
    const url = this.#url("files", rel);
    const path = this.uri(rel);
    const signal = options.signal;
    let buffered: Uint8Array[] = [];
    let bufferedBytes = 0;
    let total = 0;
    let upload: StreamedUpload | null = null;

    const startStream = () => {
      const ac = new AbortController();
      const onAbort = () => ac.abort(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      const pipe = new TransformStream<Uint8Array, Uint8Array>();
      const writer = pipe.writable.getWriter();
      const done = (async () => {
        try {
          const res = await this.#fetch(url, {
            method: "PUT",
            headers,
            body: pipe.readable,
            signal: ac.signal,
            // Node's fetch keeps a streamed body for redirects unless told there
            // are none; "error" lets it send the body in bounded memory.
            redirect: "error",
            duplex: "half",
          } as RequestInit);
          if (!res.ok) {
            throw this.#error(
              res.status,
              res.headers,
              await readLimited(res, 64 * 1024),
              { method: "PUT", url, path, op: "write" },
            );
          }
          await res.body?.cancel();
        } catch (err) {
          if (signal?.aborted) throw signal.reason;
          if (err instanceof ArtifactStoreError) throw err;
          throw new ArtifactStoreError(
            `The upload of '${path}' failed: ${
              (err as Error)?.message ?? err
            }; nothing was written`,
            { path, flavor: "http", retryable: true, cause: err },
          );
        } finally {
          signal?.removeEventListener("abort", onAbort);
        }
      })();
      // A failed request fails the writes still waiting for it.
      done.catch((err) => writer.abort(err).catch(() => {}));
      return { writer, done, ac };
    };

    return Promise.resolve(
      new WritableStream<Uint8Array>({
        write: async (chunk) => {
          signal?.throwIfAborted();
          total += chunk.length;
          if (upload) {
            await upload.writer.write(chunk.slice()).catch(async (err) => {
              throw await upload!.done.then(() => err, (e) => e);
            });
          } else {
            buffered.push(chunk.slice());
            bufferedBytes += chunk.length;
            if (bufferedBytes > this.#bufferBytes) {
              upload = startStream();
              const parts = buffered;
              buffered = [];
              bufferedBytes = 0;
              for (const part of parts) {
                await upload.writer.write(part).catch(async (err) => {
                  throw await upload!.done.then(() => err, (e) => e);
                });
              }
            }
          }
          options.onProgress?.(total);
        },
        close: async () => {
          signal?.throwIfAborted();
          if (upload) {
            await upload.writer.close().catch(() => {});
            await upload.done;
            return;
          }
          const body = concatBytes(buffered, bufferedBytes);
          buffered = [];
          await this.#noContent("PUT", "files", rel, {
            headers,
            body,
            signal,
            op: "write",
            // A repeated create-only PUT could report its own first success as a conflict.
            retry: kind !== "create",
          });
        },
        abort: async (reason) => {
          buffered = [];
          if (upload) {
            upload.ac.abort(reason);
            await upload.writer.abort(reason).catch(() => {});
            await upload.done.catch(() => {});
          }
        },
      }),
    );
  }

  // ------------------------------------------------------------ operations

  /** Copies a file on the server. */
  override async copyfile(
    src: string,
    dst: string,
    options: CopyOptions = {},
  ): Promise<void> {
    await this.#move("copy", src, dst, options);
  }

  /** Renames a file or directory on the server (atomic where the served store is). */
  override async rename(
    src: string,
    dst: string,
    options: CopyOptions = {},
  ): Promise<void> {
    await this.#move("rename", src, dst, options);
  }

  async #move(
    route: "copy" | "rename",
    src: string,
    dst: string,
    options: CopyOptions,
  ): Promise<void> {
    const s = this.resolve(src);
    const d = this.resolve(dst);
    await this.#noContent("POST", route, "", {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        src: s,
        dst: d,
        overwrite: options.overwrite ?? false,
      }),
      path: this.uri(s),
      op: route,
      retry: false,
    });
  }

  /** Tells whether a file or directory exists. */
  override async exists(path: string): Promise<boolean> {
    const rel = this.resolve(path);
    const r = await this.#json<{ exists: boolean }>("GET", "exists", rel, {
      op: "check",
    });
    return r.exists === true;
  }

  /** Tells whether the path is a directory. */
  override async isdir(path: string): Promise<boolean> {
    const rel = this.resolve(path);
    try {
      const st = await this.#json<{ isDirectory: boolean }>(
        "GET",
        "stat",
        rel,
        { op: "stat" },
      );
      return st.isDirectory === true;
    } catch (err) {
      if (
        err instanceof FileNotFoundError || err instanceof NotADirectoryError
      ) return false;
      throw err;
    }
  }

  /** Lists a directory: sorted basenames. */
  override async listdir(path: string): Promise<string[]> {
    const rel = this.resolve(path);
    return await this.#json<string[]>("GET", "list", rel, { op: "list" });
  }

  /** Creates a directory and its parents. */
  override async makedirs(path: string): Promise<void> {
    const rel = this.resolve(path);
    await this.#noContent("POST", "mkdir", rel, {
      query: { parents: "true" },
      op: "create directory",
    });
  }

  /** Creates a directory (as the served store does). */
  override async mkdir(path: string): Promise<void> {
    const rel = this.resolve(path);
    await this.#noContent("POST", "mkdir", rel, { op: "create directory" });
  }

  /** Removes a file. */
  override async remove(path: string): Promise<void> {
    const rel = this.resolve(path);
    await this.#noContent("DELETE", "files", rel, { op: "remove" });
  }

  /** Removes a directory tree. */
  override async rmtree(path: string): Promise<void> {
    const rel = this.resolve(path);
    await this.#noContent("DELETE", "files", rel, {
      query: { recursive: "true" },
      op: "remove",
    });
  }

  /** Describes a file or directory. */
  override async stat(path: string): Promise<StatResult> {
    const rel = this.resolve(path);
    const j = await this.#json<{
      path: string;
      size: number;
      isDirectory: boolean;
      mtime: string | null;
      etag?: string;
      contentType?: string;
      metadata?: Record<string, string>;
    }>("GET", "stat", rel, { op: "stat" });
    const out: StatResult = {
      path: this.uri(typeof j.path === "string" ? j.path : rel),
      size: j.size,
      isDirectory: j.isDirectory,
      mtime: j.mtime ? new Date(j.mtime) : null,
    };
    if (j.etag !== undefined) out.etag = j.etag;
    if (j.contentType !== undefined) out.contentType = j.contentType;
    if (j.metadata !== undefined) out.metadata = j.metadata;
    return out;
  }

  /** Finds paths matching a pattern, on the server. */
  override async glob(pattern: string): Promise<string[]> {
    const dirsOnly = /[/\\]$/.test(pattern);
    const rel = this.resolve(pattern);
    const found = await this.#json<string[]>("GET", "glob", "", {
      query: { pattern: rel + (dirsOnly && rel !== "" ? "/" : "") },
      path: this.uri(rel),
      op: "glob",
    });
    return found.map((r) => this.uri(r));
  }

  /**
   * Walks the tree on the server, streamed as NDJSON. Pruning `dirnames` (top-down)
   * skips the pruned subtrees here; the server still lists them.
   */
  override async *walk(
    top: string,
    options: WalkOptions = {},
  ): AsyncGenerator<WalkEntry> {
    const rel = this.resolve(top);
    const topdown = options.topdown ?? true;
    const res = await this.#send("GET", "walk", rel, {
      query: { topdown: String(topdown) },
      op: "walk",
    });
    const reader = (res.body ?? emptyBody()).pipeThrough(
      new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>,
    ).getReader();
    const pruned: string[] = [];
    const isPruned = (d: string) => pruned.some((p) => d === p || d.startsWith(p + "/"));
    let buf = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (value) buf += value;
        const lines = buf.split("\n");
        buf = done ? "" : lines.pop() ?? "";
        for (const line of lines) {
          if (line.trim() === "") continue;
          const item = JSON.parse(line) as
            | [string, string[], string[]]
            | { error: { code: string; message: string } };
          if (!Array.isArray(item)) {
            options.onerror?.(
              this.#error(
                404,
                new Headers(),
                JSON.stringify(item),
                { method: "GET", url: "", path: this.uri(rel), op: "walk" },
              ),
            );
            continue;
          }
          const [dRel, dirs, files] = item;
          if (topdown && isPruned(dRel)) continue;
          const entry: WalkEntry = [this.uri(dRel), dirs, files];
          const before = [...dirs];
          yield entry;
          if (topdown) {
            for (const d of before) {
              if (!entry[1].includes(d)) pruned.push(joinKey(dRel, d));
            }
          }
        }
        if (done) break;
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }
}

interface StreamedUpload {
  writer: WritableStreamDefaultWriter<Uint8Array>;
  done: Promise<void>;
  ac: AbortController;
}

function lowerHost(path: string): string {
  return path.replace(
    /^(https?:\/\/)([^/\\]*)/i,
    (_, scheme: string, host: string) => scheme.toLowerCase() + host.toLowerCase(),
  );
}

/** The configuration schema of the `http` flavor. */
export const httpConfigSchema: StandardSchemaV1<unknown, HttpStoreConfig> = closedConfig(
  v.looseObject({
    path: v.pipe(
      v.string("'path' must be a string: the URL of the Stowage server"),
      v.transform(stripQuotes),
      v.nonEmpty("'path' is empty: give the URL of the Stowage server"),
    ),
    flavor: v.optional(v.string()),
    token: v.optional(v.string("'token' must be a string")),
    headers: v.optional(
      v.record(v.string(), v.string(), "'headers' must map names to strings"),
    ),
    fetch: v.optional(v.function("'fetch' must be a function")),
    retry: v.optional(v.looseObject({})),
    timeoutMs: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(1, "'timeoutMs' must be at least 1"),
      ),
    ),
    bufferBytes: v.optional(
      v.pipe(
        v.number(),
        v.integer(),
        v.minValue(0, "'bufferBytes' must be at least 0"),
      ),
    ),
    capabilities: v.optional(v.looseObject({})),
  }),
) as unknown as
  & v.GenericSchema<unknown, HttpStoreConfig>
  & StandardSchemaV1<unknown, HttpStoreConfig>;

/**
 * The `http` flavor object.
 *
 * @example
 * ```ts
 * import { httpFlavor } from "./http.ts";
 * const store = await httpFlavor.create({ path: "http://127.0.0.1:8000", token: "t" });
 * console.assert(store.flavor === "http");
 * ```
 */
export const httpFlavor: Flavor<HttpStoreConfig> = {
  name: "http",
  type: "artifact_store",
  supportedSchemes: HttpArtifactStore.SUPPORTED_SCHEMES,
  configSchema: httpConfigSchema,
  description: BUILTINS.http.description,
  create: (config: HttpStoreConfig) => new HttpArtifactStore(config),
};

// Importing this subpath registers the flavor: its URIs work with createArtifactStore and fileio.
registerBuiltin(httpFlavor);
