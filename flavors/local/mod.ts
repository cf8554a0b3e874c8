/**
 * The `local` flavor: a directory on the local disk (absolute paths and `file://`
 * URIs), on Deno, Bun and Node through `node:fs`, loaded only when first used so
 * that importing Stowage on the edge does not pull it in.
 *
 * Writes go to a hidden temporary file beside the target (`.stowage-*.partial`,
 * never listed) and are renamed into place on `close()`, so a half-written file is
 * never visible; create-only writes publish with `link()`, which fails atomically
 * when the target exists.
 *
 * Its parts, in `local/`: the store class (`store.ts`), the read path (`read.ts`), the
 * atomic write path (`write.ts`), the directory listing (`list.ts`), the access to
 * `node:fs` (`fs.ts`), and the errno mapping `mkdir` needs (`errors.ts`).
 *
 * @example
 * ```ts
 * import { LocalArtifactStore } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const store = new LocalArtifactStore({ path: dir });
 * await store.makedirs(`${dir}/a/b`);
 * console.assert(await store.isdir(`${dir}/a`));
 * await Deno.remove(dir, { recursive: true });
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
import { LocalArtifactStore, type LocalStoreConfig } from "./store.ts";

export { LocalArtifactStore, type LocalStoreConfig };

/**
 * The `local` flavor object.
 *
 * @example
 * ```ts
 * import { localFlavor } from "./mod.ts";
 * const store = await localFlavor.create({ path: "/tmp/stowage-flavor-doc" });
 * console.assert(store.flavor === "local");
 * ```
 */
export const localFlavor: Flavor<LocalStoreConfig> = {
  ...flavorFromClass<LocalStoreConfig>(
    LocalArtifactStore,
    plainConfigSchema as StandardSchemaV1<unknown, LocalStoreConfig>,
  ),
  description: BUILTINS.local.description,
};
