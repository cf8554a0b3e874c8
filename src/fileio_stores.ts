/**
 * The stores `fileio` sends paths to: those registered with {@linkcode register}
 * (the longest root containing a path wins), else one store per scheme and bucket,
 * made on first use with credentials from the environment; plain paths go to the
 * local file system, made absolute against the working directory.
 *
 * @example Which store serves a path
 * ```ts
 * import { register, storeFor, unregister } from "./fileio_stores.ts";
 * import { MemoryArtifactStore } from "../flavors/memory/mod.ts";
 *
 * const store = new MemoryArtifactStore({ path: "memory://stores-doc/runs" });
 * register(store);
 * console.assert((await storeFor("memory://stores-doc/runs/1")) === store);
 * unregister(store);
 * ```
 *
 * @module
 */

import type { BaseArtifactStore } from "./base.ts";
import { InvalidPathError } from "./errors.ts";
import { createArtifactStore } from "./registry.ts";
import { cwd } from "./_runtime.ts";
import { splitScheme } from "./uri.ts";

const stores: BaseArtifactStore[] = [];
const automatic = new Map<string, Promise<BaseArtifactStore>>();

/**
 * Makes `fileio` send paths inside `store.path` to this store.
 *
 * @param store the store
 *
 * @example
 * ```ts
 * import { fileio, MemoryArtifactStore } from "../mod.ts";
 * const store = new MemoryArtifactStore({ path: "memory://reg-doc" });
 * fileio.register(store);
 * fileio.unregister(store);
 * ```
 */
export function register(store: BaseArtifactStore): void {
  if (!stores.includes(store)) stores.push(store);
}

/**
 * Stops sending paths to a registered store.
 *
 * @param store the store
 * @returns true when it was registered
 *
 * @example
 * ```ts
 * import { fileio, MemoryArtifactStore } from "../mod.ts";
 * console.assert(!fileio.unregister(new MemoryArtifactStore({ path: "memory://u" })));
 * ```
 */
export function unregister(store: BaseArtifactStore): boolean {
  const i = stores.indexOf(store);
  if (i < 0) return false;
  stores.splice(i, 1);
  return true;
}

/**
 * Makes a plain relative path absolute against the working directory; URIs and
 * absolute paths are returned as given.
 *
 * @param path a URI or file path
 * @returns the path to hand to a store
 */
export function absolute(path: string): string {
  if (typeof path !== "string" || path === "") {
    throw new InvalidPathError(`Path is empty: pass a URI or a file path`, {
      path,
    });
  }
  const p = path.replaceAll("\\", "/");
  if (splitScheme(p) || p.startsWith("/")) return path;
  const base = cwd();
  if (!base) {
    throw new InvalidPathError(
      `Path '${path}' is relative and this runtime has no working directory: use a full URI`,
      { path },
    );
  }
  return `${base}/${p}`;
}

/**
 * The store that serves a path: the registered store with the longest root
 * containing it, else a store for its scheme (bucket-level root), else local.
 *
 * @param path a URI or file path
 * @returns the store
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * console.assert((await fileio.storeFor("memory://x/y")).flavor === "memory");
 * ```
 */
export async function storeFor(path: string): Promise<BaseArtifactStore> {
  const p = absolute(path);
  let best: BaseArtifactStore | undefined;
  for (const s of stores) {
    if (s.contains(p) && (!best || s.path.length > best.path.length)) best = s;
  }
  if (best) return best;
  const split = splitScheme(p.replaceAll("\\", "/"));
  const root = split ? `${split[0]}://${split[1].split("/")[0]}` : "/";
  let store = automatic.get(root);
  if (!store) {
    store = createArtifactStore(split && split[0] !== "file" ? root : "/");
    automatic.set(root, store);
    store.catch(() => automatic.delete(root));
  }
  return await store;
}
