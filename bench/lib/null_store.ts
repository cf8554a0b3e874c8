/**
 * A store for the "physical limit" section: Stowage's object-store core
 * (`ObjectStore`: partWriter, resumable reads) over the shared `HttpClient`,
 * with no signing and no checksums, talking to the null server. The difference
 * to raw `fetch` is the cost of the core itself.
 *
 * @module
 */

import { ObjectStore } from "../../src/object_store.ts";
import type {
  GetResult,
  ListPage,
  MultipartUpload,
  ObjectMeta,
  ObjectStoreConfig,
} from "../../src/object_types.ts";
import { errorForStatus, HttpClient } from "../../src/http/mod.ts";

/** The null store: `null://bucket/prefix` on the null server at `endpoint`. */
export class NullStore extends ObjectStore {
  /** The flavor name. */
  static override FLAVOR = "null";
  /** The scheme. */
  static override SUPPORTED_SCHEMES: readonly string[] = ["null://"];
  readonly #http: HttpClient;
  readonly #endpoint: string;

  /** @param config root, part size, concurrency and the server's endpoint */
  constructor(config: ObjectStoreConfig & { endpoint: string }) {
    super(config);
    this.#endpoint = config.endpoint;
    this.#http = new HttpClient({
      flavor: "null",
      mapError: (e) => errorForStatus({ status: e.status, flavor: "null" }),
    });
  }

  #url(key: string, q = ""): string {
    return `${this.#endpoint}/${this.bucket}/${key}${q}`;
  }

  protected override async headObject(key: string): Promise<ObjectMeta | null> {
    const res = await this.#http.send({ method: "HEAD", url: this.#url(key) });
    await res.body?.cancel();
    return {
      key,
      size: Number(res.headers.get("content-length")),
      mtime: null,
    };
  }

  protected override async getObject(
    key: string,
    range: { start: number; end?: number } | undefined,
    options: { signal?: AbortSignal },
  ): Promise<GetResult> {
    const headers: Record<string, string> = {};
    if (range) {
      headers.range = `bytes=${range.start}-${range.end === undefined ? "" : range.end - 1}`;
    }
    const res = await this.#http.send({
      method: "GET",
      url: this.#url(key),
      headers,
      signal: options.signal,
    });
    const len = res.headers.get("content-length");
    return {
      body: res.body!,
      length: len === null ? null : Number(len),
      etag: res.headers.get("etag") ?? undefined,
    };
  }

  protected override listPage(): Promise<ListPage> {
    return Promise.resolve({ objects: [], prefixes: [] });
  }

  protected override async putObject(
    key: string,
    data: Uint8Array,
  ): Promise<void> {
    const res = await this.#http.send({
      method: "PUT",
      url: this.#url(key),
      body: data,
    });
    await res.body?.cancel();
  }

  protected override createMultipartUpload(
    key: string,
  ): Promise<MultipartUpload> {
    const http = this.#http;
    const url = (q: string) => this.#url(key, q);
    return Promise.resolve({
      async uploadPart(n: number, data: Uint8Array, signal?: AbortSignal) {
        const res = await http.send({
          method: "PUT",
          url: url(`?partNumber=${n}&uploadId=null-upload`),
          body: data,
          signal,
        });
        await res.body?.cancel();
        return res.headers.get("etag") ?? "";
      },
      async complete() {
        const res = await http.send({
          method: "POST",
          url: url("?uploadId=null-upload"),
          body: "",
        });
        await res.body?.cancel();
      },
      async abort() {
        const res = await http.send({
          method: "DELETE",
          url: url("?uploadId=null-upload"),
        });
        await res.body?.cancel();
      },
    });
  }

  protected override async deleteObject(key: string): Promise<void> {
    const res = await this.#http.send({
      method: "DELETE",
      url: this.#url(key),
    });
    await res.body?.cancel();
  }
}
