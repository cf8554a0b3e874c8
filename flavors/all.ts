/**
 * Every built-in flavor, registered lazily: importing this module makes `s3://`,
 * `az://`/`abfs://`, `gs://`, `http(s)://` and `r2://` URIs work with
 * `createArtifactStore` and `fileio`, and loads each cloud's code only when a store of
 * it is first made. For the CLI, servers and scripts; an edge app imports just the
 * subpaths it uses (`@stowage/stowage/s3`), so its bundle holds no other cloud.
 *
 * @example
 * ```ts
 * import "./all.ts";
 * import { listFlavors } from "../mod.ts";
 * console.assert(listFlavors().some((f) => f.name === "s3"));
 * ```
 *
 * @module
 */

import { type BuiltinInfo, BUILTINS } from "../src/builtins.ts";
import type { Flavor } from "../src/flavor.ts";
import { registerBuiltin } from "../src/registry.ts";

const LOADERS: Partial<Record<string, () => Promise<Flavor>>> = {
  s3: async () => (await import("./s3/mod.ts")).s3Flavor as Flavor,
  azure: async () => (await import("./azure/mod.ts")).azureFlavor as Flavor,
  gcp: async () => (await import("./gcs/mod.ts")).gcsFlavor as Flavor,
  http: async () => (await import("./http/mod.ts")).httpFlavor as Flavor,
  r2: async () => (await import("./r2/mod.ts")).r2Flavor as Flavor,
};

for (const info of Object.values(BUILTINS) as BuiltinInfo[]) {
  const load = LOADERS[info.name];
  if (load) registerBuiltin({ ...info, load });
}
