/**
 * The flavor table, holding no flavor's code: local and memory (registered by
 * `./registry.ts`, which the core's entry imports), the cloud flavors whose
 * subpaths were imported (`import "@stowage/stowage/s3"` registers `s3`; importing
 * `@stowage/stowage/all` registers every built-in, each loaded on first use), flavors
 * users register, and {@linkcode createArtifactStore}. The core imports no cloud code:
 * a scheme whose flavor was not imported is a `NotSupportedError` that names the
 * import to add.
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

import type { ArtifactStoreConfig } from "./types.ts";
import type { BaseArtifactStore } from "./base.ts";
import { BaseArtifactStore as Base } from "./base.ts";
import { type BuiltinInfo, BUILTINS, importHint, PACKAGE } from "./builtins.ts";
import { ConfigError, NotSupportedError } from "./errors.ts";
import { type ArtifactStoreClass, type Flavor, flavorFromClass, validateConfig } from "./flavor.ts";
import { bareScheme, splitScheme, stripQuotes } from "./uri.ts";

/**
 * A flavor registered by name and schemes whose code loads only when first used
 * (`./all` registers the built-ins this way; a plugin may too).
 */
export interface LazyFlavor {
  /** The flavor name. */
  name: string;
  /** Its URI schemes, with `://`. */
  supportedSchemes: readonly string[];
  /** One line describing it. */
  description?: string;
  /** Loads the flavor object (called once, on first use). */
  load: () => Promise<Flavor>;
}

type Entry = Flavor | LazyFlavor;

const registered = new Map<string, Entry>();
/** The entries that ship with Stowage (eager, imported or lazy), by name. */
const builtin = new Map<string, Entry>();

function isLazy(e: Entry): e is LazyFlavor {
  return typeof (e as LazyFlavor).load === "function" && !("create" in e);
}

/**
 * Registers a flavor that ships with Stowage: called by each cloud subpath when it is
 * imported, and by `./all` (lazily). It replaces a lazy entry of the same name.
 *
 * @param entry the flavor, or its lazy form
 *
 * @example
 * ```ts
 * import { registerBuiltin } from "./registry.ts";
 * import { memoryFlavor } from "../flavors/memory/mod.ts";
 * registerBuiltin(memoryFlavor); // already there: a no-op
 * ```
 */
export function registerBuiltin(entry: Entry): void {
  const current = registered.get(entry.name);
  const mine = builtin.get(entry.name);
  // A loaded flavor is never demoted to a lazy entry.
  if (mine && !isLazy(mine) && isLazy(entry)) return;
  builtin.set(entry.name, entry);
  // A user's replacement stays registered; unregistering it restores this one.
  if (!current || current === mine) registered.set(entry.name, entry);
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

function isLazyFlavor(x: unknown): x is LazyFlavor {
  const f = x as LazyFlavor;
  return typeof f === "object" && f !== null && typeof f.name === "string" &&
    typeof f.load === "function" && Array.isArray(f.supportedSchemes) && !("create" in f);
}

/**
 * Registers a flavor: a flavor object, a `BaseArtifactStore` subclass with static
 * `FLAVOR` and `SUPPORTED_SCHEMES`, or a {@linkcode LazyFlavor} whose code loads on
 * first use.
 *
 * @param flavor the flavor, store class or lazy flavor
 * @param options `replace` to replace an existing flavor of that name
 * @returns the registered flavor object (or the lazy entry)
 * @throws {ConfigError} when it is none of these, or the name is taken
 *
 * @example
 * ```ts
 * import { registerFlavor, unregisterFlavor } from "./registry.ts";
 * import { MemoryArtifactStore } from "../flavors/memory/mod.ts";
 *
 * class Scratch extends MemoryArtifactStore {
 *   static override FLAVOR = "scratch-doc";
 *   static override SUPPORTED_SCHEMES = ["scratchdoc://"];
 * }
 * registerFlavor(Scratch);
 * unregisterFlavor("scratch-doc");
 * ```
 */
export function registerFlavor<F extends Flavor | LazyFlavor>(
  flavor: F | ArtifactStoreClass,
  options: RegisterFlavorOptions = {},
): F {
  let f: Entry;
  if (isStoreClass(flavor)) f = flavorFromClass(flavor);
  else if (isFlavor(flavor) || isLazyFlavor(flavor)) f = flavor;
  else {
    throw new ConfigError(
      "Not a flavor: pass a BaseArtifactStore subclass with static FLAVOR and SUPPORTED_SCHEMES, " +
        "an object { name, type, supportedSchemes, configSchema, create }, " +
        "or a lazy one { name, supportedSchemes, load }",
    );
  }
  const taken = registered.has(f.name) || f.name in BUILTINS;
  if (!options.replace && taken) {
    throw new ConfigError(
      `A flavor named '${f.name}' is already registered: pick another name or pass { replace: true }`,
      { flavor: f.name },
    );
  }
  registered.set(f.name, f);
  return f as F;
}

/**
 * Removes a flavor that was registered with {@linkcode registerFlavor} (a built-in
 * it replaced comes back).
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
  const original = builtin.get(name);
  if (!current || current === original) return false;
  if (original) registered.set(name, original);
  else registered.delete(name);
  return true;
}

function builtinInfo(name: string): BuiltinInfo | undefined {
  return (BUILTINS as Record<string, BuiltinInfo>)[name];
}

function notImported(info: BuiltinInfo, what: string): NotSupportedError {
  return new NotSupportedError(
    `The '${info.name}' flavor (${what}) is not loaded: add ${importHint(info)} ` +
      `(or import "${PACKAGE}/all" for every built-in flavor, loaded on first use)`,
    { flavor: info.name },
  );
}

/**
 * The flavor of a name, loading a lazily registered one on first use.
 *
 * @param name the flavor name
 * @returns the flavor
 * @throws {NotSupportedError} for a built-in whose subpath was not imported, naming the import
 * @throws {ConfigError} for an unknown name, listing the known ones
 *
 * @example
 * ```ts
 * import { getFlavor } from "./registry.ts";
 * console.assert((await getFlavor("memory")).name === "memory");
 * ```
 */
export async function getFlavor(name: string): Promise<Flavor> {
  const entry = registered.get(name);
  if (entry && !isLazy(entry)) return entry;
  if (entry) {
    const flavor = await entry.load();
    // Keep the loaded flavor unless a registration replaced the entry meanwhile.
    if (registered.get(name) === entry) registered.set(name, flavor);
    if (builtin.get(name) === entry) builtin.set(name, flavor);
    return flavor;
  }
  const info = builtinInfo(name);
  if (info) throw notImported(info, `'${name}'`);
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
 * @throws {NotSupportedError} when no flavor serves it: naming the import for a built-in
 *   scheme, else listing the schemes that are served
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
  const known = (Object.values(BUILTINS) as BuiltinInfo[]).find((b) =>
    b.supportedSchemes.some((x) => bareScheme(x) === s)
  );
  if (known) return Promise.reject(notImported(known, `'${s}://'`));
  const schemes = listFlavors().flatMap((i) => i.supportedSchemes).map((x) => `'${x}'`).join(
    ", ",
  );
  return Promise.reject(
    new NotSupportedError(
      `No flavor serves '${s}://' paths: the registered schemes are ${schemes}; ` +
        "register a flavor for it with registerFlavor",
    ),
  );
}

/**
 * Lists every registered flavor (lazy ones included) without loading any.
 *
 * @returns one entry per flavor, in registration order
 *
 * @example
 * ```ts
 * import { listFlavors } from "./registry.ts";
 * console.assert(listFlavors().some((f) => f.name === "local"));
 * ```
 */
export function listFlavors(): FlavorInfo[] {
  return [...registered.values()].map((f) => ({
    name: f.name,
    supportedSchemes: f.supportedSchemes,
    builtin: builtin.get(f.name) === f,
    description: f.description ?? "",
  }));
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
