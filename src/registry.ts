/**
 * The flavor registry as the core's entry (`.`) has it: the table of
 * `./flavor_registry.ts` with local and memory registered. Only this module and the
 * core's entry load those two flavors, so a cloud subpath, which registers itself in
 * the table, bundles neither.
 *
 * @example
 * ```ts
 * import { createArtifactStore } from "./registry.ts";
 *
 * const store = await createArtifactStore("memory://registry-doc");
 * console.assert(store.flavor === "memory");
 * ```
 *
 * @module
 */

import { localFlavor } from "../flavors/local/mod.ts";
import { memoryFlavor } from "../flavors/memory/mod.ts";
import { registerBuiltin } from "./flavor_registry.ts";

export * from "./flavor_registry.ts";

registerBuiltin(localFlavor);
registerBuiltin(memoryFlavor);
