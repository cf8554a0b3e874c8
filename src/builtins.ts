/**
 * The identity of every flavor that ships with Stowage — name, URI schemes, one line
 * of description and the subpath that holds its code — declared once: the store
 * classes, the flavor objects, `./all` and the registry's "add this import" errors all
 * read it. Data only, so the core can name a cloud flavor without loading it.
 *
 * @example
 * ```ts
 * import { BUILTINS } from "./builtins.ts";
 * console.assert(BUILTINS.s3.subpath === "./s3");
 * ```
 *
 * @module
 */

/** What every built-in flavor declares once. */
export interface BuiltinInfo {
  /** The flavor name. */
  readonly name: string;
  /** Its URI schemes, with `://`. */
  readonly supportedSchemes: readonly string[];
  /** One line describing it. */
  readonly description: string;
  /** The package subpath whose import registers it (`"."` for the core's own). */
  readonly subpath: string;
}

/** The built-in flavors, by name. */
export const BUILTINS = {
  local: {
    name: "local",
    supportedSchemes: ["file://"],
    description: "A directory on the local disk (absolute paths, file://)",
    subpath: ".",
  },
  memory: {
    name: "memory",
    supportedSchemes: ["memory://"],
    description: "Process-wide in-memory file system (memory://), for tests and the edge",
    subpath: ".",
  },
  s3: {
    name: "s3",
    supportedSchemes: ["s3://"],
    description: "Amazon S3 and S3-compatible services (R2, MinIO, Ceph) over signed REST calls",
    subpath: "./s3",
  },
  azure: {
    name: "azure",
    supportedSchemes: ["az://", "abfs://"],
    description: "Azure Blob Storage and ADLS Gen2 (az://, abfs://) over signed REST calls",
    subpath: "./azure",
  },
  gcp: {
    name: "gcp",
    supportedSchemes: ["gs://"],
    description:
      "Google Cloud Storage over its JSON API (service-account JWT, metadata server, emulator)",
    subpath: "./gcs",
  },
  http: {
    name: "http",
    supportedSchemes: ["http://", "https://"],
    description: "A store served by a Stowage server (the Hono adapter) over http:// or https://",
    subpath: "./http",
  },
  r2: {
    name: "r2",
    supportedSchemes: ["r2://"],
    description: "A Cloudflare R2 bucket through a Workers binding (r2://BINDING/prefix)",
    subpath: "./r2",
  },
} as const satisfies Record<string, BuiltinInfo>;

/** The package name, for import hints. */
export const PACKAGE = "@stowage/stowage";

/**
 * The import that registers a built-in flavor, for error messages.
 *
 * @param info the built-in
 * @returns e.g. `import "@stowage/stowage/s3"`
 *
 * @example
 * ```ts
 * import { BUILTINS, importHint } from "./builtins.ts";
 * console.assert(importHint(BUILTINS.gcp) === 'import "@stowage/stowage/gcs"');
 * ```
 */
export function importHint(info: BuiltinInfo): string {
  return `import "${PACKAGE}${info.subpath.slice(1)}"`;
}
