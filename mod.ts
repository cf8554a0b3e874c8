/**
 * Stowage: ZenML's artifact store in TypeScript. One filesystem API (`open`,
 * `copyfile`, `exists`, `glob`, `isdir`, `listdir`, `makedirs`, `mkdir`, `remove`,
 * `rename`, `rmtree`, `stat`, `walk`) over local disk, memory, S3, Google Cloud
 * Storage and Azure Blob, chosen by URI scheme, with flavors you can register. It
 * runs unchanged on Deno, Bun, Node and edge workers.
 *
 * This entry point holds the core, the `local` and `memory` flavors and `fileio`;
 * cloud flavors live in their own subpaths (`./s3`, `./gcs`, `./azure`, `./http`)
 * and load only when used.
 *
 * @example Write, list and read artifacts
 * ```ts
 * import { createArtifactStore, fileio } from "./mod.ts";
 *
 * const store = await createArtifactStore("memory://quick");
 * const w = (await store.open("memory://quick/runs/1/model.txt", "w")).getWriter();
 * await w.write("weights");
 * await w.close();
 * console.assert((await store.glob("memory://quick/**\/*.txt")).length === 1);
 * console.assert((await fileio.readText("memory://quick/runs/1/model.txt")) === "weights");
 * ```
 *
 * @module
 */

export { BaseArtifactStore } from "./src/base.ts";
export {
  type BinaryReadMode,
  type BinaryWriteMode,
  type OpenMode,
  type TextReadMode,
  type TextWriteMode,
  type WriteKind,
} from "./src/open_mode.ts";
export { type ByteRange, clampRange } from "./src/range.ts";
export {
  type ArtifactStoreConfig,
  type Capabilities,
  type CopyOptions,
  type DirEntries,
  type OpenOptions,
  type PresignOptions,
  type ReadOptions,
  type StatResult,
  type WalkEntry,
  type WalkOptions,
  type WriteOptions,
} from "./src/types.ts";
export * from "./src/errors.ts";
export {
  type ArtifactStoreClass,
  baseConfigSchema,
  closedConfig,
  configKeys,
  type Flavor,
  flavorFromClass,
  parseConfig,
  plainConfigSchema,
  type StandardResult,
  type StandardSchemaV1,
  validateConfig,
} from "./src/flavor.ts";
export {
  createArtifactStore,
  type FlavorInfo,
  getFlavor,
  getFlavorForScheme,
  listFlavors,
  registerFlavor,
  type RegisterFlavorOptions,
  type StoreConfig,
  unregisterFlavor,
} from "./src/registry.ts";
export * as fileio from "./src/fileio.ts";
export { LocalArtifactStore, localFlavor, type LocalStoreConfig } from "./flavors/local/mod.ts";
export { MemoryArtifactStore, memoryFlavor, type MemoryStoreConfig } from "./flavors/memory/mod.ts";
export { bytesToStream, concatBytes, readAllBytes, readAllText, writeAll } from "./src/streams.ts";
export { ObjectBackend } from "./src/object_backend.ts";
export {
  type DeleteFailure,
  type GetResult,
  type ListOptions,
  type ListPage,
  type ListPageOptions,
  type MultipartUpload,
  type ObjectMeta,
  type ObjectStoreConfig,
  type PutOptions,
} from "./src/object_types.ts";
export { ObjectStore } from "./src/object_store.ts";
export { partWriter, type PartWriterOptions } from "./src/part_writer.ts";
export { mapLimit } from "./src/concurrency.ts";
export type { StoreRoot } from "./src/path.ts";
export { intoDirectory } from "./src/keys.ts";
export type { CompiledGlob, GlobSegment } from "./src/glob.ts";
export type { BodyPart } from "./src/http/mod.ts";
