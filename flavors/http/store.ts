/**
 * The `http` flavor's store: every operation one request to a Stowage server (the
 * routes of `src/http_wire.ts`), reads resumed with a ranged `GET` and `If-Match`,
 * writes buffered or streamed (`./upload.ts`).
 *
 * @module
 */

import { BUILTINS } from "../../src/builtins.ts";
import { BaseArtifactStore } from "../../src/base.ts";
import type { WriteKind } from "../../src/open_mode.ts";
import type {
  Capabilities,
  CopyOptions,
  ReadOptions,
  StatResult,
  WalkEntry,
  WalkOptions,
  WriteOptions,
} from "../../src/types.ts";
import {
  type ArtifactStoreError,
  ConfigError,
  FileNotFoundError,
  IsADirectoryError,
  NotADirectoryError,
  NotSupportedError,
} from "../../src/errors.ts";
import { type Flavor, parseConfig } from "../../src/flavor.ts";
import {
  type BodyPart,
  defaultFetch,
  HttpClient,
  type HttpRequest,
  rangedAnswer,
  rangeHeader,
  resumableBody,
} from "../../src/http/mod.ts";
import {
  encodeWirePath,
  type ExistsJson,
  KEYLESS_ROUTES,
  metadataToHeaders,
  type MoveJson,
  QUERY,
  readWalkLines,
  type Route,
  statFromJson,
  type StatJson,
} from "../../src/http_wire.ts";
import { joinKey } from "../../src/keys.ts";
import { stripQuotes } from "../../src/uri.ts";
import { emptyBody } from "../../src/streams.ts";
import { getEnv } from "../../src/_runtime.ts";
import { httpConfigSchema, type HttpStoreConfig } from "./config.ts";
import { wireError } from "./errors.ts";
import { uploadStream } from "./upload.ts";

/** A request's options besides its method, route and key. */
type SendInit = Partial<HttpRequest> & { query?: Record<string, string> };

/**
 * A store served by a Stowage server over HTTP.
 *
 * @example
 * ```ts
 * import { HttpArtifactStore } from "./mod.ts";
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
    this.#fetch = config.fetch ?? defaultFetch;
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
      idleTimeoutMs: config.idleTimeoutMs,
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

  #url(route: Route, rel: string, query?: Record<string, string>): string {
    let url = `${this.root.uri}/${route}`;
    if (!KEYLESS_ROUTES.includes(route)) url += `/${encodeWirePath(rel)}`;
    if (query) url += `?${new URLSearchParams(query)}`;
    return url;
  }

  #error(
    status: number,
    headers: Headers,
    body: string,
    req: HttpRequest | undefined,
  ): ArtifactStoreError {
    return wireError(status, headers, body, req, this.path);
  }

  #send(method: string, route: Route, rel: string, init: SendInit = {}): Promise<Response> {
    return this.#client.send(this.#request(method, route, rel, init));
  }

  #request(method: string, route: Route, rel: string, init: SendInit): HttpRequest {
    return {
      method,
      url: this.#url(route, rel, init.query),
      headers: { ...this.#headers, ...(init.headers ?? {}) },
      body: init.body,
      signal: init.signal,
      accept: init.accept,
      retry: init.retry,
      path: init.path ?? this.uri(rel),
      op: init.op,
    };
  }

  #json<T>(method: string, route: Route, rel: string, init: SendInit = {}): Promise<T> {
    return this.#client.sendAndRead(
      this.#request(method, route, rel, init),
      (text) => JSON.parse(text) as T,
    );
  }

  async #noContent(method: string, route: Route, rel: string, init: SendInit = {}): Promise<void> {
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
        const next = await this.#get(rel, start + offset, end, first.etag, options.signal);
        if (!next) throw new Error("the file shrank while resuming");
        return next;
      },
      { path: this.uri(rel), flavor: "http", idleMs: this.#client.options.idleTimeoutMs },
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
    metadataToHeaders(options.metadata, headers);
    if (kind === "create") headers["if-none-match"] = "*";
    return Promise.resolve(uploadStream({
      fetch: this.#fetch,
      url: this.#url("files", rel),
      headers,
      path: this.uri(rel),
      bufferBytes: this.#bufferBytes,
      signal: options.signal,
      onProgress: options.onProgress,
      mapError: (status, h, body, req) => this.#error(status, h, body, req),
      sendWhole: (body) =>
        this.#noContent("PUT", "files", rel, {
          headers,
          body,
          signal: options.signal,
          op: "write",
          // A repeated create-only PUT could report its own first success as a conflict.
          retry: kind !== "create",
        }),
    }));
  }

  // ------------------------------------------------------------ operations

  /** Copies a file on the server. */
  override async copyfile(src: string, dst: string, options: CopyOptions = {}): Promise<void> {
    await this.#move("copy", src, dst, options);
  }

  /** Renames a file or directory on the server (atomic where the served store is). */
  override async rename(src: string, dst: string, options: CopyOptions = {}): Promise<void> {
    await this.#move("rename", src, dst, options);
  }

  async #move(route: "copy" | "rename", src: string, dst: string, options: CopyOptions) {
    const s = this.resolve(src);
    const move: MoveJson = {
      src: s,
      dst: this.resolve(dst),
      overwrite: options.overwrite ?? false,
    };
    await this.#noContent("POST", route, "", {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(move),
      path: this.uri(s),
      op: route,
      retry: false,
    });
  }

  /** Tells whether a file or directory exists. */
  override async exists(path: string): Promise<boolean> {
    const r = await this.#json<ExistsJson>("GET", "exists", this.resolve(path), { op: "check" });
    return r.exists === true;
  }

  /** Tells whether the path is a directory. */
  override async isdir(path: string): Promise<boolean> {
    const rel = this.resolve(path);
    try {
      const st = await this.#json<StatJson>("GET", "stat", rel, { op: "stat" });
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
    return await this.#json<string[]>("GET", "list", this.resolve(path), { op: "list" });
  }

  /** Creates a directory and its parents. */
  override async makedirs(path: string): Promise<void> {
    await this.#mkdir(path, { [QUERY.parents]: "true" });
  }

  /** Creates a directory (as the served store does). */
  override async mkdir(path: string): Promise<void> {
    await this.#mkdir(path);
  }

  #mkdir(path: string, query?: Record<string, string>): Promise<void> {
    return this.#noContent("POST", "mkdir", this.resolve(path), { query, op: "create directory" });
  }

  /** Removes a file. */
  override async remove(path: string): Promise<void> {
    await this.#delete(path);
  }

  /** Removes a directory tree. */
  override async rmtree(path: string): Promise<void> {
    await this.#delete(path, { [QUERY.recursive]: "true" });
  }

  #delete(path: string, query?: Record<string, string>): Promise<void> {
    return this.#noContent("DELETE", "files", this.resolve(path), { query, op: "remove" });
  }

  /** Describes a file or directory. */
  override async stat(path: string): Promise<StatResult> {
    const rel = this.resolve(path);
    const j = await this.#json<StatJson>("GET", "stat", rel, { op: "stat" });
    return statFromJson(j, this.uri(typeof j.path === "string" ? j.path : rel));
  }

  /** Finds paths matching a pattern, on the server. */
  override async glob(pattern: string): Promise<string[]> {
    const dirsOnly = /[/\\]$/.test(pattern);
    const rel = this.resolve(pattern);
    const found = await this.#json<string[]>("GET", "glob", "", {
      query: { [QUERY.pattern]: rel + (dirsOnly && rel !== "" ? "/" : "") },
      path: this.uri(rel),
      op: "glob",
    });
    return found.map((r) => this.uri(r));
  }

  /**
   * Walks the tree on the server, streamed as NDJSON. Pruning `dirnames` (top-down)
   * skips the pruned subtrees here; the server still lists them.
   */
  override async *walk(top: string, options: WalkOptions = {}): AsyncGenerator<WalkEntry> {
    const rel = this.resolve(top);
    const topdown = options.topdown ?? true;
    const res = await this.#send("GET", "walk", rel, {
      query: { [QUERY.topdown]: String(topdown) },
      op: "walk",
    });
    const pruned: string[] = [];
    const isPruned = (d: string) => pruned.some((p) => d === p || d.startsWith(p + "/"));
    for await (const item of readWalkLines(res.body ?? emptyBody())) {
      if (!Array.isArray(item)) {
        options.onerror?.(
          this.#error(404, new Headers(), JSON.stringify(item), {
            method: "GET",
            url: "",
            path: this.uri(rel),
            op: "walk",
          }),
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
  }
}

function lowerHost(path: string): string {
  return path.replace(
    /^(https?:\/\/)([^/\\]*)/i,
    (_, scheme: string, host: string) => scheme.toLowerCase() + host.toLowerCase(),
  );
}

/**
 * The `http` flavor object.
 *
 * @example
 * ```ts
 * import { httpFlavor } from "./mod.ts";
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
