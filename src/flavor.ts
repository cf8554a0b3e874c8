/**
 * Flavors: a flavor is a plain object that names a backend, lists its URI schemes,
 * validates its configuration with a Standard Schema, and creates stores.
 *
 * @example A flavor from a store class
 * ```ts
 * import { flavorFromClass } from "./flavor.ts";
 * import { MemoryArtifactStore } from "../flavors/memory.ts";
 *
 * const flavor = flavorFromClass(MemoryArtifactStore);
 * console.assert(flavor.name === "memory");
 * ```
 *
 * @module
 */

import * as v from "valibot";
import type { ArtifactStoreConfig, BaseArtifactStore } from "./base.ts";
import { ConfigError } from "./errors.ts";
import { bareScheme, splitScheme, stripQuotes } from "./path.ts";

/**
 * The Standard Schema interface (https://standardschema.dev), which valibot, zod
 * and arktype schemas implement. Flavors validate their configuration with one.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly "~standard": {
    /** The version of the standard. */
    readonly version: 1;
    /** The library that made the schema. */
    readonly vendor: string;
    /** Validates a value. */
    readonly validate: (
      value: unknown,
    ) => StandardResult<Output> | Promise<StandardResult<Output>>;
    /** Inferred types. */
    readonly types?:
      | { readonly input: Input; readonly output: Output }
      | undefined;
  };
}

/** The result of a Standard Schema validation. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
    readonly issues: ReadonlyArray<
      {
        readonly message: string;
        readonly path?: ReadonlyArray<
          PropertyKey | { readonly key: PropertyKey }
        >;
      }
    >;
  };

/** A store flavor: what `registerFlavor` takes and `getFlavor` returns. */
export interface Flavor<C extends ArtifactStoreConfig = ArtifactStoreConfig> {
  /** The flavor name (`"s3"`, `"gcp"`, …). */
  readonly name: string;
  /** Always `"artifact_store"`, as in ZenML. */
  readonly type: "artifact_store";
  /** URI schemes with `://` (`["s3://"]`); empty for plain paths only. */
  readonly supportedSchemes: readonly string[];
  /** Validates (and may transform) the configuration. */
  readonly configSchema: StandardSchemaV1<unknown, C>;
  /** One line saying what the flavor is, for listings. */
  readonly description?: string;
  /** Creates a store from a validated configuration. */
  create(config: C): BaseArtifactStore | Promise<BaseArtifactStore>;
}

/** A store class usable as a flavor: static `FLAVOR` and `SUPPORTED_SCHEMES`. */
export interface ArtifactStoreClass {
  /** The flavor name. */
  FLAVOR: string;
  /** The schemes served. */
  SUPPORTED_SCHEMES: readonly string[];
  /** The constructor. */
  new (config: ArtifactStoreConfig): BaseArtifactStore;
}

/**
 * The valibot entries every flavor's configuration starts from: a non-empty `path`
 * (quotes stripped) and an optional `flavor` name. Flavors spread them into their own
 * schema: `v.looseObject({ ...baseConfigEntries, region: v.optional(v.string()) })`.
 */
export const baseConfigEntries = {
  path: v.pipe(
    v.string("'path' must be a string: the root URI of the store"),
    v.transform(stripQuotes),
    v.nonEmpty("'path' is empty: give the root URI of the store"),
  ),
  flavor: v.optional(v.string()),
};

/**
 * The valibot entries the cloud flavors share: `checksum` (verify with the service's
 * checksum), `fetch` (an injected `fetch`), `retry` (the HTTP client's retry settings)
 * and `concurrency` (requests in flight, 1–64).
 */
export const cloudConfigEntries = {
  checksum: v.optional(v.boolean("'checksum' must be true or false")),
  fetch: v.optional(
    v.custom<typeof fetch>(
      (f) => typeof f === "function",
      "'fetch' must be a function like globalThis.fetch",
    ),
  ),
  retry: v.optional(
    v.object({
      maxRetries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
      initialBackoffMs: v.optional(v.pipe(v.number(), v.minValue(0))),
      maxBackoffMs: v.optional(v.pipe(v.number(), v.minValue(0))),
      totalTimeoutMs: v.optional(v.pipe(v.number(), v.minValue(0))),
    }, "'retry' must be an object { maxRetries, initialBackoffMs, maxBackoffMs, totalTimeoutMs }"),
  ),
  concurrency: v.optional(
    v.pipe(
      v.number("'concurrency' must be a number"),
      v.integer("'concurrency' must be a whole number"),
      v.minValue(1, "'concurrency' must be at least 1"),
      v.maxValue(64, "'concurrency' must be at most 64"),
    ),
  ),
};

/**
 * The configuration schema of flavors without fields of their own: a non-empty
 * `path` (quotes stripped) and an optional `flavor` name; other fields pass through.
 *
 * @example
 * ```ts
 * import { baseConfigSchema } from "./flavor.ts";
 * const r = await baseConfigSchema["~standard"].validate({ path: "'/tmp/x'" });
 * console.assert(!r.issues && r.value.path === "/tmp/x");
 * ```
 */
export const baseConfigSchema: StandardSchemaV1<unknown, ArtifactStoreConfig> = v.looseObject(
  baseConfigEntries,
);

/**
 * Makes a flavor object from a `BaseArtifactStore` subclass.
 *
 * @param cls the class, with static `FLAVOR` and `SUPPORTED_SCHEMES`
 * @param configSchema the schema for its configuration (default: `path` required)
 * @returns the flavor
 *
 * @example
 * ```ts
 * import { flavorFromClass } from "./flavor.ts";
 * import { MemoryArtifactStore } from "../flavors/memory.ts";
 * console.assert(flavorFromClass(MemoryArtifactStore).supportedSchemes[0] === "memory://");
 * ```
 */
export function flavorFromClass<C extends ArtifactStoreConfig>(
  cls: ArtifactStoreClass,
  configSchema?: StandardSchemaV1<unknown, C>,
): Flavor<C> {
  if (typeof cls.FLAVOR !== "string" || cls.FLAVOR === "") {
    throw new ConfigError(
      `Store class '${cls.name}' has no static FLAVOR name: add 'static FLAVOR = "my-flavor"'`,
    );
  }
  if (!Array.isArray(cls.SUPPORTED_SCHEMES)) {
    throw new ConfigError(
      `Store class '${cls.name}' has no static SUPPORTED_SCHEMES: add e.g. 'static SUPPORTED_SCHEMES = ["my://"]'`,
    );
  }
  return {
    name: cls.FLAVOR,
    type: "artifact_store",
    supportedSchemes: cls.SUPPORTED_SCHEMES,
    configSchema: (configSchema ?? baseConfigSchema) as StandardSchemaV1<
      unknown,
      C
    >,
    create: (config: C) => new cls(config),
  };
}

/**
 * Validates a configuration against a flavor's schema and checks that its path's
 * scheme is one the flavor serves.
 *
 * @param flavor the flavor
 * @param config the raw configuration
 * @returns the validated configuration
 * @throws {ConfigError} listing every problem and what to do
 *
 * @example
 * ```ts
 * import { validateConfig } from "./flavor.ts";
 * import { memoryFlavor } from "../flavors/memory.ts";
 * const c = await validateConfig(memoryFlavor, { path: "memory://x" });
 * console.assert(c.path === "memory://x");
 * ```
 */
export async function validateConfig<C extends ArtifactStoreConfig>(
  flavor: Flavor<C>,
  config: unknown,
): Promise<C> {
  const result = await flavor.configSchema["~standard"].validate(config);
  if (result.issues) throw configIssuesError(flavor.name, result.issues);
  const value = result.value;
  checkScheme(flavor, value.path);
  return value;
}

function checkScheme(flavor: Flavor<ArtifactStoreConfig>, path: string): void {
  const split = splitScheme(path.replaceAll("\\", "/"));
  const schemes = flavor.supportedSchemes.map(bareScheme);
  const plainOk = schemes.includes("file") || schemes.length === 0;
  const ok = split ? schemes.includes(split[0]) : plainOk;
  if (!ok) {
    const list = flavor.supportedSchemes.map((s) => `'${s}'`).join(", ") ||
      "plain paths";
    throw new ConfigError(
      `The '${flavor.name}' flavor takes paths starting with ${list}, not '${path}'`,
      { flavor: flavor.name, path },
    );
  }
}

/**
 * Validates a configuration synchronously, as a store's constructor must: the
 * schema's issues become one `ConfigError` naming each field and what is wrong.
 *
 * @param schema a synchronous Standard Schema (valibot, zod, …)
 * @param config the raw configuration
 * @param flavor the flavor name, for the message
 * @returns the validated (and transformed) configuration
 * @throws {ConfigError} listing every problem
 *
 * @example
 * ```ts
 * import { baseConfigSchema, parseConfig } from "./flavor.ts";
 * console.assert(parseConfig(baseConfigSchema, { path: "'/x'" }, "local").path === "/x");
 * ```
 */
export function parseConfig<C>(
  schema: StandardSchemaV1<unknown, C>,
  config: unknown,
  flavor: string,
): C {
  const result = schema["~standard"].validate(config);
  if (result instanceof Promise) {
    throw new ConfigError(
      `The '${flavor}' flavor's schema validates asynchronously: a store constructor needs a synchronous one`,
      { flavor },
    );
  }
  if (result.issues) throw configIssuesError(flavor, result.issues);
  return result.value;
}

function configIssuesError(
  flavor: string,
  issues: ReadonlyArray<
    { message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }
  >,
): ConfigError {
  const lines = issues.map((i) => {
    const where = (i.path ?? [])
      .map((p) => typeof p === "object" && p !== null && "key" in p ? String(p.key) : String(p))
      .join(".");
    return where ? `${where}: ${i.message}` : i.message;
  });
  return new ConfigError(
    `Invalid configuration for the '${flavor}' flavor: ${lines.join("; ")}`,
    { flavor },
  );
}
