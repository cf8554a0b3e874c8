// What ObjectBackend runs once for every object-store flavor, on a store over a Map
// whose backend calls can be made to misbehave as services do: pages with repeated
// prefixes, repeated tokens, truncated pages without a token, batch deletes that
// fail some keys for a passing reason and some for good, copies past one part
// (range by range, pinned to the source's entity tag), presign argument checks and
// the bucket check.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ArtifactStoreError,
  ConfigError,
  type DeleteFailure,
  FileNotFoundError,
  type GetResult,
  InvalidArgumentError,
  InvalidPathError,
  type ListPage,
  type ListPageOptions,
  NotSupportedError,
  type ObjectMeta,
  ObjectStore,
  PermissionDeniedError,
  PreconditionFailedError,
} from "../../mod.ts";

interface Entry {
  data: Uint8Array;
  etag: string;
}

/** A store on a Map; `pages` splits listings into pages of that many objects. */
class MapStore extends ObjectStore {
  static override FLAVOR = "maptest";
  static override SUPPORTED_SCHEMES = ["maptest://"];
  readonly map = new Map<string, Entry>();
  pages = 2;
  /** Called for every listing page; may rewrite it (a misbehaving service). */
  onPage?: (page: ListPage, token: string | undefined) => ListPage;
  /** Decides each key's batch delete failure (undefined: deleted). */
  failDelete?: (key: string) => ArtifactStoreError | undefined;
  readonly calls = {
    deleteObject: [] as string[],
    getRanges: [] as string[],
    signed: [] as string[],
  };
  #n = 0;

  protected headObject(key: string): Promise<ObjectMeta | null> {
    const e = this.map.get(key);
    return Promise.resolve(e ? { key, size: e.data.length, mtime: null, etag: e.etag } : null);
  }

  protected getObject(
    key: string,
    range: { start: number; end?: number } | undefined,
    options: { ifMatch?: string },
  ): Promise<GetResult> {
    const e = this.map.get(key);
    if (!e) return Promise.reject(new FileNotFoundError(`no ${key}`));
    if (options.ifMatch && options.ifMatch !== e.etag) {
      return Promise.reject(new PreconditionFailedError(`${key} changed`));
    }
    if (range) this.calls.getRanges.push(`${range.start}-${range.end} ${options.ifMatch}`);
    const bytes = e.data.slice(range?.start ?? 0, range?.end);
    return Promise.resolve({ body: new Response(bytes).body!, length: bytes.length, etag: e.etag });
  }

  protected listPage(prefix: string, options: ListPageOptions): Promise<ListPage> {
    const keys = [...this.map.keys()].filter((k) => k.startsWith(prefix)).sort();
    const start = Number(options.token ?? 0);
    const size = Math.min(this.pages, options.limit ?? Infinity);
    const slice = keys.slice(start, start + size);
    let page: ListPage = {
      objects: slice.map((key) => ({ key, size: this.map.get(key)!.data.length, mtime: null })),
      prefixes: [],
      next: start + size < keys.length ? String(start + size) : undefined,
    };
    if (this.onPage) page = this.onPage(page, options.token);
    return Promise.resolve(page);
  }

  protected putObject(key: string, data: Uint8Array): Promise<void> {
    this.map.set(key, { data: data.slice(), etag: `"${++this.#n}"` });
    return Promise.resolve();
  }

  protected deleteObject(key: string): Promise<void> {
    this.calls.deleteObject.push(key);
    this.map.delete(key);
    return Promise.resolve();
  }

  protected override deleteObjects(keys: string[]): Promise<DeleteFailure[]> {
    const failures: DeleteFailure[] = [];
    for (const key of keys) {
      const error = this.failDelete?.(key);
      if (error) failures.push({ key, error });
      else this.map.delete(key);
    }
    return Promise.resolve(failures);
  }

  protected override signUrl(rel: string, method: string, expiresIn: number): Promise<string> {
    this.calls.signed.push(`${method} ${rel} ${expiresIn}`);
    return Promise.resolve(`https://signed/${rel}`);
  }

  /** The pages `listObjects` yields for `prefix`. */
  async listed(prefix: string, limit?: number): Promise<ListPage[]> {
    const out: ListPage[] = [];
    for await (const page of this.listObjects(prefix, { delimiter: true, limit })) out.push(page);
    return out;
  }

  put(key: string, data: Uint8Array): Promise<void> {
    return this.putObject(key, data);
  }
}

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);

test("listing: pages walked in order; a prefix repeated on a later page is dropped", async () => {
  const s = new MapStore({ path: "maptest://b/root" });
  for (const k of ["a/1", "a/2", "b/1", "c"]) await s.put(`root/${k}`, bytes(1));
  // The firebase emulator repeats the common prefixes on every page.
  s.onPage = (page) => ({ ...page, prefixes: ["root/a/"] });
  const pages = await s.listed("root/");
  assert.deepEqual(pages.map((p) => p.objects.length), [2, 2]);
  assert.deepEqual(pages.map((p) => p.prefixes), [["root/a/"], []]);
  assert.deepEqual(await s.listdir("maptest://b/root"), ["a", "b", "c"]);
  s.onPage = undefined;
  // With a limit, the listing stops once that many entries arrived.
  for (let i = 0; i < 6; i++) await s.put(`root/z${i}`, bytes(1));
  assert.equal((await s.listed("root/")).length, 5);
  assert.deepEqual((await s.listed("root/", 3)).map((p) => p.objects.length), [2, 2]);
});

test("listing: a repeated token or a truncated page without one is an error, never a loop or a cut", async () => {
  const s = new MapStore({ path: "maptest://b" });
  for (let i = 0; i < 6; i++) await s.put(`k${i}`, bytes(1));
  s.onPage = (page) => ({ ...page, next: page.next === undefined ? undefined : "2" });
  await assert.rejects(s.listdir("maptest://b"), (e) => {
    assert.ok(e instanceof ArtifactStoreError, String(e));
    return /repeated continuation token '2'/.test(e.message);
  });
  s.onPage = (page) => ({ ...page, next: undefined, truncated: true });
  await assert.rejects(s.listdir("maptest://b"), /said more results follow but sent no/);
});

test("batch delete: retryable failures are deleted again one by one; any other is thrown, typed", async () => {
  const s = new MapStore({ path: "maptest://b" });
  for (let i = 0; i < 7; i++) await s.put(`d/k${i}`, bytes(1));
  s.failDelete = (key) =>
    /k[13]$/.test(key)
      ? new ArtifactStoreError(`slow down on ${key}`, { status: 503, retryable: true })
      : undefined;
  await s.rmtree("maptest://b/d");
  assert.deepEqual(s.calls.deleteObject.sort(), ["d/k1", "d/k3"]);
  assert.equal(s.map.size, 0);

  for (let i = 0; i < 3; i++) await s.put(`e/k${i}`, bytes(1));
  s.calls.deleteObject.length = 0;
  s.failDelete = (key) =>
    key.endsWith("k0")
      ? new ArtifactStoreError("busy", { retryable: true })
      : key.endsWith("k2")
      ? new PermissionDeniedError(`no delete of ${key}`, { status: 403 })
      : undefined;
  await assert.rejects(s.rmtree("maptest://b/e"), (e) => {
    assert.ok(e instanceof PermissionDeniedError, String(e));
    return /e\/k2/.test(e.message);
  });
  assert.ok(s.map.has("e/k2"), "the refused key is still there");
});

test("copy past one part goes range by range, each read pinned to the source's entity tag", async () => {
  const s = new MapStore({ path: "maptest://b", partSize: 1000 });
  const data = bytes(2500);
  await s.put("big", data);
  await s.copyfile("maptest://b/big", "maptest://b/copy");
  const etag = s.map.get("big")!.etag;
  assert.deepEqual(s.calls.getRanges.sort(), [
    `0-1000 ${etag}`,
    `1000-2000 ${etag}`,
    `2000-2500 ${etag}`,
  ]);
  assert.deepEqual(s.map.get("copy")!.data, data);
  // Create-only onto an existing file: refused, the destination unchanged.
  await assert.rejects(s.copyfile("maptest://b/big", "maptest://b/copy"), /already exists/);
  assert.deepEqual(s.map.get("copy")!.data, data);
});

test("presign: the root, an unknown method and a lifetime out of range are refused before signing", async () => {
  const s = new MapStore({ path: "maptest://b/p" });
  await assert.rejects(s.presign("maptest://b/p"), InvalidPathError);
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    s.presign("maptest://b/p/f", { method: "POST" as any }),
    InvalidArgumentError,
  );
  await assert.rejects(s.presign("maptest://b/p/f", { expiresIn: 0 }), InvalidArgumentError);
  await assert.rejects(
    s.presign("maptest://b/p/f", { expiresIn: 604_801 }),
    /from 1 to 604800 \(7 days\)/,
  );
  assert.deepEqual(s.calls.signed, []);
  assert.equal(
    await s.presign("maptest://b/p/f", { method: "PUT", expiresIn: 60 }),
    "https://signed/f",
  );
  assert.deepEqual(s.calls.signed, ["PUT f 60"]);
});

test("a store whose flavor signs nothing says so; a root without a bucket is a ConfigError", async () => {
  class Plain extends ObjectStore {
    static override FLAVOR = "plaintest";
    static override SUPPORTED_SCHEMES = ["plaintest://"];
    protected headObject = () => Promise.resolve(null);
    protected getObject = () => Promise.reject(new FileNotFoundError("none"));
    protected listPage = () => Promise.resolve({ objects: [], prefixes: [] });
    protected putObject = () => Promise.resolve();
    protected deleteObject = () => Promise.resolve();
  }
  await assert.rejects(
    new Plain({ path: "plaintest://b" }).presign("plaintest://b/f"),
    NotSupportedError,
  );
  assert.throws(() => new Plain({ path: "plaintest://" }), (e) => {
    assert.ok(e instanceof ConfigError, String(e));
    return /names no bucket: use 'plaintest:\/\/bucket'/.test(e.message);
  });
});
