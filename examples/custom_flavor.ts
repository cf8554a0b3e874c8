// A custom flavor: an object store over any key-value API (here a Map). `ObjectStore` derives
// all 13 operations (listing, glob, walk, copy, rename, rmtree, streamed writes) from five calls.
import { FileNotFoundError, type ListPage, ObjectStore, registerFlavor } from "../mod.ts";
import type { GetResult, ObjectMeta } from "../mod.ts";

const kv = new Map<string, { data: Uint8Array; mtime: Date }>(); // "bucket/key" → value

/** A store on a key-value map, served under `kv://bucket/prefix`. */
export class KvArtifactStore extends ObjectStore {
  static override FLAVOR = "kv";
  static override SUPPORTED_SCHEMES = ["kv://"];
  #id = (key: string) => `${this.bucket}/${key}`;
  #meta = (key: string): ObjectMeta => {
    const v = kv.get(this.#id(key))!;
    return { key, size: v.data.length, mtime: v.mtime };
  };
  protected headObject = (key: string) =>
    Promise.resolve(kv.has(this.#id(key)) ? this.#meta(key) : null);
  protected getObject(key: string, range?: { start: number; end?: number }): Promise<GetResult> {
    const v = kv.get(this.#id(key));
    if (!v) return Promise.reject(new FileNotFoundError(`No such key '${key}'`));
    const bytes = v.data.slice(range?.start ?? 0, range?.end);
    return Promise.resolve({ body: new Response(bytes).body!, length: bytes.length });
  }
  protected listPage(prefix: string): Promise<ListPage> {
    const keys = [...kv.keys()].filter((k) => k.startsWith(this.#id(prefix))).sort();
    const objects = keys.map((k) => this.#meta(k.slice(this.bucket.length + 1)));
    return Promise.resolve({ objects, prefixes: [] }); // one page: no `next` token
  }
  protected putObject = (key: string, data: Uint8Array) =>
    Promise.resolve(void kv.set(this.#id(key), { data: data.slice(), mtime: new Date() }));
  protected deleteObject = (key: string) => Promise.resolve(void kv.delete(this.#id(key)));
}

if (import.meta.main) {
  registerFlavor(KvArtifactStore);
  console.log("registered the 'kv' flavor for kv:// paths");
}
