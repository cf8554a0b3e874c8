/**
 * The `memory` flavor (`memory://`): one process-wide in-memory file system, like
 * fsspec's. It behaves like a local file system (empty directories exist, renames
 * are atomic) and uses no runtime APIs, so it works on the edge too.
 *
 * Its parts, in `memory/`: the process-wide tree of nodes (`tree.ts`), the store class
 * (`store.ts`), and its writer (`writer.ts`).
 *
 * @example
 * ```ts
 * import { MemoryArtifactStore } from "./mod.ts";
 *
 * const store = new MemoryArtifactStore({ path: "memory://example" });
 * await store.makedirs("memory://example/a/b");
 * console.assert(await store.isdir("memory://example/a"));
 * ```
 *
 * @module
 */

import { BUILTINS } from "../../src/builtins.ts";
import {
  type Flavor,
  flavorFromClass,
  plainConfigSchema,
  type StandardSchemaV1,
} from "../../src/flavor.ts";
import { MemoryArtifactStore, type MemoryStoreConfig } from "./store.ts";

export { MemoryArtifactStore, type MemoryStoreConfig };

/**
 * The `memory` flavor object.
 *
 * @example
 * ```ts
 * import { memoryFlavor } from "./mod.ts";
 * const store = await memoryFlavor.create({ path: "memory://flavor-doc" });
 * console.assert(store.flavor === "memory");
 * ```
 */
export const memoryFlavor: Flavor<MemoryStoreConfig> = {
  ...flavorFromClass<MemoryStoreConfig>(
    MemoryArtifactStore,
    plainConfigSchema as StandardSchemaV1<unknown, MemoryStoreConfig>,
  ),
  description: BUILTINS.memory.description,
};
