/**
 * The backends the bench measures (an emulator each) and, per backend, the three
 * clients compared side by side: Stowage's store, the official SDK, and raw
 * signed `fetch`. Every client module is imported lazily, so a child process
 * loads only what it measures (an SDK never inflates Stowage's RSS).
 *
 * @module
 */

import { existsSync } from "node:fs";
import type { BaseArtifactStore } from "../../src/base.ts";
import { ROOT } from "./spawn.ts";

/** A backend: an emulator and the variables its launcher reported. */
export interface BackendInfo {
  /** `s3-fauxqs`, `s3-ceph`, `azure`, `gcs`. */
  id: string;
  /** The protocol family. */
  kind: "s3" | "azure" | "gcs";
  /** The emulator's name. */
  emulator: string;
  /** The launcher's env (endpoint, keys, bucket). */
  env: Record<string, string>;
}

/** Which emulator serves which backend. */
export const BACKEND_EMULATOR: Record<
  string,
  { kind: BackendInfo["kind"]; emulator: string }
> = {
  "s3-fauxqs": { kind: "s3", emulator: "fauxqs" },
  "s3-ceph": { kind: "s3", emulator: "ceph" },
  "azure": { kind: "azure", emulator: "azurite" },
  "gcs": { kind: "gcs", emulator: "gcs" },
};

/** The Stowage module of each backend family (relative to the project root). */
export const FLAVOR_MODULE: Record<BackendInfo["kind"], string> = {
  s3: "flavors/s3/mod.ts",
  azure: "flavors/azure/mod.ts",
  gcs: "flavors/gcs/mod.ts",
};

/**
 * Why Stowage's flavor for `kind` cannot be measured, or undefined when its
 * module exists.
 *
 * @param kind the family
 * @returns a reason, or undefined
 */
export function flavorMissing(kind: BackendInfo["kind"]): string | undefined {
  const file = FLAVOR_MODULE[kind];
  return existsSync(`${ROOT}/${file}`)
    ? undefined
    : `the ${kind} flavor is not in the tree yet (${file} missing)`;
}

/** Upload settings: part size and parts in flight; `undefined` = the client's defaults. */
export interface Tuning {
  /** Bytes per part. */
  partSize: number;
  /** Parts in flight. */
  concurrency: number;
}

/** What the small-object and listing sections need from a client. */
export interface Client {
  /** Writes `data` at `key`. */
  put(key: string, data: Uint8Array): Promise<void>;
  /** Reads `key` and returns its size. */
  get(key: string): Promise<number>;
  /** Stats `key` and returns its size. */
  stat(key: string): Promise<number>;
  /** Walks `prefix` directory by directory (one delimiter listing per directory); returns the files seen. */
  walk(prefix: string): Promise<number>;
  /** Keys below `prefix` whose key matches `re`, found with one flat listing; returns how many. */
  glob(prefix: string, re: RegExp): Promise<number>;
  /** Deletes everything below `prefix`; returns how many were deleted. */
  rmtree(prefix: string): Promise<number>;
  /** Streams `total` bytes to `key`. */
  upload(key: string, total: number, tuning?: Tuning): Promise<void>;
  /** Streams `key` and returns the bytes read. */
  download(key: string): Promise<number>;
}

/** A flavor module's flavor object. */
interface FlavorLike {
  name: string;
  create(
    config: Record<string, unknown>,
  ): BaseArtifactStore | Promise<BaseArtifactStore>;
}

/**
 * Finds the flavor object a flavor module exports (`s3Flavor`, `azureFlavor`, …).
 *
 * @param mod the module namespace
 * @returns the flavor
 */
export function findFlavor(mod: Record<string, unknown>): FlavorLike {
  for (const [k, v] of Object.entries(mod)) {
    const f = v as FlavorLike;
    if (k.endsWith("Flavor") && f && typeof f.create === "function") return f;
  }
  throw new Error(
    `the module exports no flavor object (one named like 's3Flavor')`,
  );
}

/**
 * The Stowage store configuration for a backend, rooted at `prefix` in the
 * emulator's bucket.
 *
 * @param b the backend
 * @param prefix key prefix of the root
 * @param tuning part size and concurrency (defaults when absent)
 * @returns the config
 */
export function stowageConfig(
  b: BackendInfo,
  prefix: string,
  tuning?: Partial<Tuning>,
): Record<string, unknown> {
  const t = { partSize: tuning?.partSize, concurrency: tuning?.concurrency };
  if (b.kind === "s3") {
    return {
      path: `s3://${b.env.STOWAGE_TEST_S3_BUCKET}/${prefix}`,
      endpoint: b.env.STOWAGE_TEST_S3_ENDPOINT,
      region: b.env.STOWAGE_TEST_S3_REGION,
      accessKeyId: b.env.STOWAGE_TEST_S3_ACCESS_KEY_ID,
      secretAccessKey: b.env.STOWAGE_TEST_S3_SECRET_ACCESS_KEY,
      forcePathStyle: true,
      ...t,
    };
  }
  if (b.kind === "azure") {
    return {
      path: `az://${b.env.STOWAGE_TEST_AZURE_CONTAINER}/${prefix}`,
      connectionString: b.env.STOWAGE_TEST_AZURE_CONNECTION_STRING,
      ...t,
    };
  }
  return {
    path: `gs://${b.env.STOWAGE_TEST_GCS_BUCKET}/${prefix}`,
    endpoint: b.env.STOWAGE_TEST_GCS_ENDPOINT,
    anonymous: true,
    ...t,
  };
}

/**
 * Creates Stowage's store for a backend.
 *
 * @param b the backend
 * @param prefix key prefix of the root
 * @param tuning part size and concurrency
 * @returns the store
 */
export async function stowageStore(
  b: BackendInfo,
  prefix: string,
  tuning?: Partial<Tuning>,
): Promise<BaseArtifactStore> {
  const mod = await import(`../../${FLAVOR_MODULE[b.kind]}`);
  const cfg = stowageConfig(b, prefix, tuning);
  for (const k of Object.keys(cfg)) if (cfg[k] === undefined) delete cfg[k];
  return await findFlavor(mod).create(cfg);
}

/**
 * Stowage as a {@link Client}: keys are relative to a store rooted at `bench/`.
 *
 * @param b the backend
 * @param tuning part size and concurrency for uploads
 * @returns the client
 */
export async function stowageClient(
  b: BackendInfo,
  tuning?: Partial<Tuning>,
): Promise<Client> {
  const store = await stowageStore(b, "bench", tuning);
  const { drain, writeBytes } = await import("./data.ts");
  const root = store.path.replace(/\/$/, "");
  const uri = (key: string) => `${root}/${key}`;
  return {
    async put(key, data) {
      const w = (await store.open(uri(key), "wb")).getWriter();
      await w.write(data);
      await w.close();
    },
    async get(key) {
      return await drain(await store.open(uri(key), "rb"));
    },
    async stat(key) {
      return (await store.stat(uri(key))).size;
    },
    async walk(prefix) {
      let n = 0;
      for await (const [, , files] of store.walk(uri(prefix))) {
        n += files.length;
      }
      return n;
    },
    glob(prefix, re) {
      void re;
      return store.glob(uri(`${prefix}/**/f1*.bin`)).then((r) => r.length);
    },
    async rmtree(prefix) {
      await store.rmtree(uri(prefix));
      return -1;
    },
    async upload(key, total) {
      await writeBytes(await store.open(uri(key), "wb"), total);
    },
    async download(key) {
      return await drain(await store.open(uri(key), "rb"));
    },
  };
}

/**
 * The official SDK of a backend as a {@link Client} (keys below `bench/`).
 *
 * @param b the backend
 * @returns the client
 */
export async function sdkClient(b: BackendInfo): Promise<Client> {
  if (b.kind === "s3") return (await import("./clients/s3.ts")).sdk(b.env);
  if (b.kind === "azure") {
    return (await import("./clients/azure.ts")).sdk(b.env);
  }
  return (await import("./clients/gcs.ts")).sdk(b.env);
}

/**
 * Raw signed `fetch` for a backend as a {@link Client} (put, get, stat only).
 *
 * @param b the backend
 * @returns the client
 */
export async function rawClient(b: BackendInfo): Promise<Client> {
  if (b.kind === "s3") return (await import("./clients/s3.ts")).raw(b.env);
  if (b.kind === "azure") {
    return (await import("./clients/azure.ts")).raw(b.env);
  }
  return (await import("./clients/gcs.ts")).raw(b.env);
}

/** The glob pattern's regex equivalent (files `f1*.bin` at any depth). */
export const GLOB_RE: RegExp = /(^|\/)f1[^/]*\.bin$/;

/** Throws: the raw client does not do this. */
export function unsupported(what: string): never {
  throw new Error(`raw fetch client: ${what} not implemented`);
}
