/**
 * Flavors: a flavor is a plain object that names a backend, lists its URI schemes,
 * validates its configuration with a Standard Schema, and creates stores.
 *
 * @example A flavor from a store class
 * ```ts
 * import { flavorFromClass } from "./flavor.ts";
 * import { MemoryArtifactStore } from "../flavors/memory/mod.ts";
 *
 * const flavor = flavorFromClass(MemoryArtifactStore);
 * console.assert(flavor.name === "memory");
 * ```
 *
 * @module
 */

import * as v from "valibot";
import type { BaseArtifactStore } from "./base.ts";
import type { ArtifactStoreConfig } from "./types.ts";
import { ConfigError } from "./errors.ts";
import { CHECKSUM_ALGORITHMS, type ChecksumSetting } from "./digest.ts";
import { checkRootScheme, stripQuotes } from "./uri.ts";
import { closestName } from "./suggest.ts";

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

/** The settings of each closed schema (see {@linkcode closedConfig}). */
const CLOSED = new WeakMap<object, readonly string[]>();

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

/** An optional count of requests in flight, 1–64; `note` follows the minimum's message. */
function inFlight(name: string, note = "") {
  return v.optional(
    v.pipe(
      v.number(`'${name}' must be a number`),
      v.integer(`'${name}' must be a whole number`),
      v.minValue(1, `'${name}' must be at least 1${note}`),
      v.maxValue(64, `'${name}' must be at most 64`),
    ),
  );
}

/**
 * The valibot entries of parallel reads every object-store flavor shares:
 * `readPartSize` (bytes per range, at least 64 KiB) and `readConcurrency` (ranges
 * in flight, 1–64; 1 reads with one GET).
 */
export const readConfigEntries = {
  readPartSize: v.optional(
    v.pipe(
      v.number("'readPartSize' must be a number of bytes"),
      v.integer("'readPartSize' must be a whole number of bytes"),
      v.minValue(64 * 1024, "'readPartSize' must be at least 64 KiB (65536 bytes)"),
    ),
  ),
  readConcurrency: inFlight("readConcurrency", " (1 reads with one GET)"),
};

/** An optional time limit in ms, 1 ms to an hour. */
const timeLimit = (what: string) =>
  v.optional(
    v.pipe(
      v.number(`'${what}' must be a number of milliseconds`),
      v.integer(`'${what}' must be a whole number of milliseconds`),
      v.minValue(1, `'${what}' must be at least 1 ms`),
      v.maxValue(3_600_000, `'${what}' must be at most an hour (3600000 ms)`),
    ),
  );

/**
 * The valibot entries the cloud flavors share: `checksum` (`"auto"`, an algorithm
 * of {@linkcode CHECKSUM_ALGORITHMS}, `true` for `"auto"`, or `false`), `fetch` (an injected `fetch`), `retry` (the HTTP client's retry settings),
 * `concurrency` (requests in flight, 1–64), `timeoutMs` and `idleTimeoutMs` (the time
 * limits of a request's head and of each wait for its body's next bytes) and the {@linkcode readConfigEntries}.
 */
export const cloudConfigEntries = {
  ...readConfigEntries,
  checksum: v.optional(
    v.union(
      [v.boolean(), v.picklist(["auto", ...CHECKSUM_ALGORITHMS])],
      `'checksum' must be "auto", ${
        CHECKSUM_ALGORITHMS.map((a) => `"${a}"`).join(", ")
      }, true (the same as "auto") or false`,
    ),
  ) as v.OptionalSchema<v.GenericSchema<unknown, ChecksumSetting>, undefined>,
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
  concurrency: inFlight("concurrency"),
  timeoutMs: timeLimit("timeoutMs"),
  idleTimeoutMs: timeLimit("idleTimeoutMs"),
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
 * The closed configuration schema of flavors with no settings of their own (local,
 * memory): `path` and `flavor`, anything else refused (see {@linkcode closedConfig}).
 *
 * @example
 * ```ts
 * import { parseConfig, plainConfigSchema } from "./flavor.ts";
 * console.assert(parseConfig(plainConfigSchema, { path: "`/x`" }, "local").path === "/x");
 * ```
 */
export const plainConfigSchema: StandardSchemaV1<unknown, ArtifactStoreConfig> = closedConfig(
  v.looseObject(baseConfigEntries),
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
 * import { MemoryArtifactStore } from "../flavors/memory/mod.ts";
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
 * import { memoryFlavor } from "../flavors/memory/mod.ts";
 * const c = await validateConfig(memoryFlavor, { path: "memory://x" });
 * console.assert(c.path === "memory://x");
 * ```
 */
export async function validateConfig<C extends ArtifactStoreConfig>(
  flavor: Flavor<C>,
  config: unknown,
): Promise<C> {
  checkKnownKeys(flavor.configSchema, config, flavor.name);
  const result = await flavor.configSchema["~standard"].validate(config);
  if (result.issues) throw configIssuesError(flavor.name, result.issues);
  const value = result.value;
  checkScheme(flavor, value.path);
  return value;
}

function checkScheme(flavor: Flavor<ArtifactStoreConfig>, path: string): void {
  checkRootScheme(flavor.name, flavor.supportedSchemes, path);
}

/** The entry names of a valibot object schema, or of every object schema in a pipe. */
function entryNames(schema: unknown): string[] {
  const s = schema as { entries?: object; pipe?: unknown[]; options?: unknown[] };
  const out = s?.entries ? Object.keys(s.entries) : [];
  for (const item of s?.pipe ?? []) if (item !== schema) out.push(...entryNames(item));
  return [...new Set(out)];
}

/**
 * Marks a configuration schema as closed: {@linkcode validateConfig} and
 * {@linkcode parseConfig} then refuse any setting it does not name with a
 * `ConfigError` that suggests the closest one (and ZenML's names their equivalent
 * here), instead of ignoring a typo such as `regoin`. Every built-in flavor's schema
 * is closed; a custom flavor may close its own.
 *
 * @param schema a valibot object schema (or a pipe of them), or any schema with `keys`
 * @param keys the settings, when they cannot be read from the schema
 * @returns the same schema
 *
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { closedConfig, parseConfig } from "./flavor.ts";
 * const schema = closedConfig(v.looseObject({ path: v.string(), region: v.optional(v.string()) }));
 * let message = "";
 * try {
 *   parseConfig(schema, { path: "kv://b", regoin: "x" }, "kv");
 * } catch (e) {
 *   message = (e as Error).message;
 * }
 * console.assert(message.includes("did you mean 'region'?"));
 * ```
 */
export function closedConfig<S extends object>(schema: S, keys?: readonly string[]): S {
  CLOSED.set(schema, keys ?? entryNames(schema));
  return schema;
}

/**
 * The settings a closed configuration schema names (see {@linkcode closedConfig}).
 *
 * @param schema the schema
 * @returns the setting names, or `undefined` for an open schema
 *
 * @example
 * ```ts
 * import { configKeys } from "./flavor.ts";
 * import { memoryFlavor } from "../flavors/memory/mod.ts";
 * console.assert(configKeys(memoryFlavor.configSchema)?.includes("path"));
 * ```
 */
export function configKeys(schema: object): readonly string[] | undefined {
  return CLOSED.get(schema);
}

/** ZenML's setting names (and their usual snake_case forms) and what they are here. */
const ZENML_NAMES: Record<string, string> = {
  key: "accessKeyId",
  secret: "secretAccessKey",
  token: "sessionToken",
  aws_access_key_id: "accessKeyId",
  aws_secret_access_key: "secretAccessKey",
  aws_session_token: "sessionToken",
  endpoint_url: "endpoint",
  region_name: "region",
  client_kwargs: "endpoint and region (client_kwargs.endpoint_url, client_kwargs.region_name)",
  config_kwargs: "partSize, concurrency and retry",
  authentication_secret: "the credentials themselves (or the environment the SDKs read)",
  project: "nothing: the bucket names the project",
};

function unknownKeyHint(key: string, known: readonly string[]): string {
  const camel = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  if (camel !== key && known.includes(camel)) return `'${key}': use '${camel}'`;
  const zen = ZENML_NAMES[key];
  if (zen) {
    const single = /^[a-z][A-Za-z]*$/.test(zen);
    // A single setting only where this flavor has it (ZenML's 'token' is S3's session token).
    if (!single || known.includes(zen)) {
      return `'${key}' is ZenML's name: use ${single ? `'${zen}'` : zen}`;
    }
  }
  const near = closestName(key, known);
  return near ? `'${key}': did you mean '${near}'?` : `'${key}'`;
}

/**
 * Refuses settings a closed schema does not name.
 *
 * @param schema the schema
 * @param config the raw configuration
 * @param flavor the flavor name, for the message
 * @throws {ConfigError} naming each unknown setting with a suggestion
 */
function checkKnownKeys(schema: object, config: unknown, flavor: string): void {
  const known = CLOSED.get(schema);
  if (!known || typeof config !== "object" || config === null) return;
  const record = config as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !known.includes(k) && record[k] !== undefined);
  if (unknown.length === 0) return;
  throw new ConfigError(
    `Unknown setting${unknown.length > 1 ? "s" : ""} for the '${flavor}' flavor: ` +
      `${unknown.map((k) => unknownKeyHint(k, known)).join("; ")}. ` +
      `Its settings: ${known.join(", ")}`,
    { flavor },
  );
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
  checkKnownKeys(schema, config, flavor);
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
