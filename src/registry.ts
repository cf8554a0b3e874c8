/**
 * The flavor registry: built-in flavors (cloud ones loaded lazily, on first use),
 * flavors users register, and {@linkcode createArtifactStore}.
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

import type { ArtifactStoreConfig, BaseArtifactStore } from "./base.ts";
import { BaseArtifactStore as Base } from "./base.ts";
import { ConfigError, NotSupportedError } from "./errors.ts";
import { type ArtifactStoreClass, type Flavor, flavorFromClass, validateConfig } from "./flavor.ts";
import { bareScheme, splitScheme, stripQuotes } from "./path.ts";
import { localFlavor } from "../flavors/local.ts";
import { memoryFlavor } from "../flavors/memory.ts";

/** A built-in flavor whose code loads only when it is first used. */
interface LazyFlavor {
  name: string;
  supportedSchemes: readonly string[];
  description: string;
  load: () => Promise<Flavor>;
}

/**
 * Built-in cloud flavors, loaded on first use so that importing the core pulls in
 * no cloud code. Each flavor module exports its flavor object as `flavor`.
 */
const LAZY: LazyFlavor[] = [
  {
    name: "s3",
    supportedSchemes: ["s3://"],
    description: "Amazon S3 and S3-compatible services (R2, MinIO, Ceph) over signed REST calls",
    load: async () => (await import("../flavors/s3/mod.ts")).s3Flavor as Flavor,
  },
  {
    name: "azure",
    supportedSchemes: ["az://", "abfs://"],
    description: "Azure Blob Storage and ADLS Gen2 (az://, abfs://) over signed REST calls",
    load: async () => (await import("../flavors/azure/mod.ts")).azureFlavor as Flavor,
  },
  {
    name: "gcp",
    supportedSchemes: ["gs://"],
    description:
      "Google Cloud Storage over its JSON API (service-account JWT, metadata server, emulator)",
    load: async () => (await import("../flavors/gcs/mod.ts")).gcsFlavor as Flavor,
  },
  {
    name: "http",
    supportedSchemes: ["http://", "https://"],
    description: "A store served by a Stowage server (the Hono adapter) over http:// or https://",
    load: async () => (await import("../flavors/http.ts")).httpFlavor as Flavor,
  },
  {
    name: "r2",
    supportedSchemes: ["r2://"],
    description: "A Cloudflare R2 bucket through a Workers binding (r2://BINDING/prefix)",
    load: async () => (await import("../flavors/r2.ts")).r2Flavor as Flavor,
  },
];

const EAGER = new Map<string, Flavor>(
  ([localFlavor, memoryFlavor] as Flavor[]).map((f) => [f.name, f]),
);
const registered = new Map<string, Flavor>(EAGER);
const loaded = new Map<string, Flavor>();

function isBuiltinName(name: string): boolean {
  return EAGER.has(name) || LAZY.some((l) => l.name === name);
}

/** What `listFlavors` reports for each flavor. */
export interface FlavorInfo {
  /** The flavor name. */
  name: string;
  /** Its URI schemes. */
  supportedSchemes: readonly string[];
  /** True for flavors that ship with Stowage. */
  builtin: boolean;
  /** One line describing it. */
  description: string;
}

/** Options for {@linkcode registerFlavor}. */
export interface RegisterFlavorOptions {
  /** Replace a flavor already registered under the same name. */
  replace?: boolean;
}

function isStoreClass(x: unknown): x is ArtifactStoreClass {
  return typeof x === "function" && x.prototype instanceof Base;
}

function isFlavor(x: unknown): x is Flavor {
  const f = x as Flavor;
  return typeof f === "object" && f !== null && typeof f.name === "string" &&
    typeof f.create === "function" && Array.isArray(f.supportedSchemes) &&
    typeof f.configSchema?.["~standard"]?.validate === "function";
}

/**
 * Registers a flavor: a flavor object or a `BaseArtifactStore` subclass with
 * static `FLAVOR` and `SUPPORTED_SCHEMES`.
 *
 * @param flavor the flavor or store class
 * @param options `replace` to replace an existing flavor of that name
 * @returns the registered flavor object
 * @throws {ConfigError} when it is neither, or the name is taken
 *
 * @example
 * ```ts
 * import { registerFlavor, unregisterFlavor } from "./registry.ts";
 * import { MemoryArtifactStore } from "../flavors/memory.ts";
 *
 * class Scratch extends MemoryArtifactStore {
 *   static override FLAVOR = "scratch-doc";
 *   static override SUPPORTED_SCHEMES = ["scratchdoc://"];
 * }
 * registerFlavor(Scratch);
 * unregisterFlavor("scratch-doc");
 * ```
 */
export function registerFlavor(
  flavor: Flavor | ArtifactStoreClass,
  options: RegisterFlavorOptions = {},
): Flavor {
  let f: Flavor;
  if (isStoreClass(flavor)) f = flavorFromClass(flavor);
  else if (isFlavor(flavor)) f = flavor;
  else {
    throw new ConfigError(
      "Not a flavor: pass a BaseArtifactStore subclass with static FLAVOR and SUPPORTED_SCHEMES, " +
        "or an object { name, type, supportedSchemes, configSchema, create }",
    );
  }
  if (!options.replace && (registered.has(f.name) || isBuiltinName(f.name))) {
    throw new ConfigError(
      `A flavor named '${f.name}' is already registered: pick another name or pass { replace: true }`,
      { flavor: f.name },
    );
  }
  registered.set(f.name, f);
  return f;
}

/**
 * Removes a flavor that was registered with {@linkcode registerFlavor}.
 *
 * @param name the flavor name
 * @returns true when it was registered
 *
 * @example
 * ```ts
 * import { unregisterFlavor } from "./registry.ts";
 * console.assert(unregisterFlavor("no-such-flavor") === false);
 * ```
 */
export function unregisterFlavor(name: string): boolean {
  const current = registered.get(name);
  const original = EAGER.get(name);
  if (!current || current === original) return false;
  if (original) registered.set(name, original);
  else registered.delete(name);
  return true;
}

/**
 * The flavor of a name, loading a built-in cloud flavor on first use.
 *
 * @param name the flavor name
 * @returns the flavor
 * @throws {ConfigError} for an unknown name, listing the known ones
 *
 * @example
 * ```ts
 * import { getFlavor } from "./registry.ts";
 * console.assert((await getFlavor("memory")).name === "memory");
 * ```
 */
export async function getFlavor(name: string): Promise<Flavor> {
  const f = registered.get(name) ?? loaded.get(name);
  if (f) return f;
  const lazy = LAZY.find((l) => l.name === name);
  if (lazy) {
    const flavor = await lazy.load();
    loaded.set(name, flavor);
    return flavor;
  }
  throw new ConfigError(
    `Unknown flavor '${name}': use one of ${listFlavors().map((i) => `'${i.name}'`).join(", ")}`,
    { flavor: name },
  );
}

/**
 * The flavor that serves a URI scheme.
 *
 * @param scheme the scheme, with or without `://`
 * @returns the flavor
 * @throws {NotSupportedError} when no flavor serves it, listing the schemes that are served
 *
 * @example
 * ```ts
 * import { getFlavorForScheme } from "./registry.ts";
 * console.assert((await getFlavorForScheme("memory://")).name === "memory");
 * ```
 */
export function getFlavorForScheme(scheme: string): Promise<Flavor> {
  const s = bareScheme(scheme);
  for (const info of listFlavors().reverse()) {
    if (info.supportedSchemes.some((x) => bareScheme(x) === s)) {
      return getFlavor(info.name);
    }
  }
  const known = listFlavors().flatMap((i) => i.supportedSchemes).map((x) => `'${x}'`).join(", ");
  return Promise.reject(
    new NotSupportedError(
      `No flavor serves '${s}://' paths: the registered schemes are ${known}; ` +
        "register a flavor for it with registerFlavor",
    ),
  );
}

/**
 * Lists every flavor, built-in and registered, without loading any.
 *
 * @returns one entry per flavor, built-ins first
 *
 * @example
 * ```ts
 * import { listFlavors } from "./registry.ts";
 * console.assert(listFlavors().some((f) => f.name === "local"));
 * ```
 */
export function listFlavors(): FlavorInfo[] {
  const out: FlavorInfo[] = [];
  const seen = new Set<string>();
  for (const f of registered.values()) {
    seen.add(f.name);
    out.push({
      name: f.name,
      supportedSchemes: f.supportedSchemes,
      builtin: EAGER.get(f.name) === f,
      description: f.description ?? "",
    });
  }
  for (const l of LAZY) {
    if (seen.has(l.name)) continue;
    out.push({
      name: l.name,
      supportedSchemes: l.supportedSchemes,
      builtin: true,
      description: l.description,
    });
  }
  return out;
}

/** A store configuration naming its flavor. */
export interface StoreConfig extends ArtifactStoreConfig {
  /** The flavor name; inferred from the path's scheme when omitted. */
  flavor?: string;
}

/**
 * Creates a store from a configuration (`{ flavor, path, …fields }`), or from a
 * bare URI or absolute path, in which case credentials come from the environment
 * the way the cloud's own tools read them. The configuration is validated by the
 * flavor's schema.
 *
 * @param config a configuration or a URI
 * @returns the store
 * @throws {ConfigError} for an invalid configuration or a path the flavor does not serve
 * @throws {NotSupportedError} for a scheme no flavor serves
 *
 * @example
 * ```ts
 * import { createArtifactStore } from "./registry.ts";
 * const s = await createArtifactStore({ flavor: "memory", path: "memory://doc-cfg" });
 * console.assert(s.path === "memory://doc-cfg");
 * ```
 */
export async function createArtifactStore(
  config: StoreConfig | string,
): Promise<BaseArtifactStore> {
  const cfg: StoreConfig = typeof config === "string" ? { path: config } : { ...config };
  if (typeof cfg !== "object" || cfg === null) {
    throw new ConfigError(
      "A store configuration must be an object { flavor, path, … } or a URI",
    );
  }
  let flavor: Flavor;
  if (cfg.flavor !== undefined) {
    flavor = await getFlavor(String(cfg.flavor));
  } else {
    if (typeof cfg.path !== "string") {
      throw new ConfigError(
        "The store configuration has no 'path': give the root URI of the store",
      );
    }
    const path = stripQuotes(cfg.path);
    const split = splitScheme(path.replaceAll("\\", "/"));
    if (split) flavor = await getFlavorForScheme(split[0]);
    else if (path.startsWith("/") || path.startsWith("\\")) {
      flavor = await getFlavor("local");
    } else {
      throw new ConfigError(
        `Cannot tell the flavor of '${cfg.path}': use a URI such as 's3://bucket/prefix', ` +
          "an absolute path, or name the flavor",
      );
    }
  }
  const valid = await validateConfig(flavor, cfg);
  return await flavor.create(valid);
}
