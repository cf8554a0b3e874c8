// A custom flavor: an object store over any key-value API (here a Map). `ObjectStore` derives
// all 13 operations (listing, glob, walk, copy, rename, rmtree, streamed writes) from five calls.
import { FileNotFoundError, type ListPage, ObjectStore, registerFlavor } from "../mod.ts";
import type { GetResult, ObjectMeta } from "../mod.ts";

const kv = new Map<string, { data: Uint8Array; mtime: Date }>();
const meta = (key: string): ObjectMeta => ({
  key,
  size: kv.get(key)!.data.length,
  mtime: kv.get(key)!.mtime,
});

/** A store on a key-value map, served under `kv://`. */
export class KvArtifactStore extends ObjectStore {
  static override FLAVOR = "kv";
  static override SUPPORTED_SCHEMES = ["kv://"];
  protected headObject = (key: string) => Promise.resolve(kv.has(key) ? meta(key) : null);
  protected getObject(key: string, range?: { start: number; end?: number }): Promise<GetResult> {
    if (!kv.has(key)) return Promise.reject(new FileNotFoundError(`No such key '${key}'`));
    const bytes = kv.get(key)!.data.slice(range?.start ?? 0, range?.end);
    return Promise.resolve({ body: new Response(bytes).body!, length: bytes.length });
  }
  protected async *listObjects(prefix: string): AsyncIterable<ListPage> {
    const keys = [...kv.keys()].filter((k) => k.startsWith(prefix)).sort();
    yield { objects: keys.map(meta), prefixes: [] };
  }
  protected putObject = (key: string, data: Uint8Array) =>
    Promise.resolve(void kv.set(key, { data: data.slice(), mtime: new Date() }));
  protected deleteObject = (key: string) => Promise.resolve(void kv.delete(key));
}

if (import.meta.main) {
  registerFlavor(KvArtifactStore);
  console.log("registered the 'kv' flavor for kv:// paths");
}
