/**
 * What the cold-start section loads (and the size section, for the SDKs):
 * each Stowage subpath and each SDK, as a tiny ES module that imports it and
 * constructs a store (client).
 *
 * @module
 */

import { existsSync } from "node:fs";
import { ROOT } from "./spawn.ts";

/** One thing to import and construct. */
export interface Target {
  /** `.`, `./s3`, …, or the SDK's package name. */
  id: string;
  /** `stowage` or `sdk`. */
  kind: "stowage" | "sdk";
  /** The Stowage subpath this SDK compares with (`./s3` for the AWS SDK). */
  pairs?: string;
  /** The module file (Stowage, relative to the root), or the package (SDK). */
  module: string;
  /**
   * The body of the entry module, given the import specifier of `module`: it
   * imports, constructs, and exports what it made (so a bundler keeps it).
   */
  body(spec: string): string;
}

const FIND_FLAVOR =
  `const flavor = Object.entries(m).find(([k, v]) => k.endsWith("Flavor") && v && typeof v.create === "function")[1];`;

/** Stowage's subpaths and the SDKs. */
export const TARGETS: Target[] = [
  {
    id: ".",
    kind: "stowage",
    module: "mod.ts",
    body: (s) =>
      `import { MemoryArtifactStore } from "${s}";\n` +
      `export const store = new MemoryArtifactStore({ path: "memory://cold" });\n`,
  },
  {
    id: "./s3",
    kind: "stowage",
    module: "flavors/s3/mod.ts",
    body: (s) =>
      `import * as m from "${s}";\n${FIND_FLAVOR}\n` +
      `export const store = await flavor.create({ path: "s3://bucket/cold", endpoint: "http://127.0.0.1:9", ` +
      `region: "us-east-1", accessKeyId: "AKIDCOLD", secretAccessKey: "secretcold" });\n`,
  },
  {
    id: "./gcs",
    kind: "stowage",
    module: "flavors/gcs/mod.ts",
    body: (s) =>
      `import * as m from "${s}";\n${FIND_FLAVOR}\n` +
      `export const store = await flavor.create({ path: "gs://bucket/cold", endpoint: "http://127.0.0.1:9", anonymous: true });\n`,
  },
  {
    id: "./azure",
    kind: "stowage",
    module: "flavors/azure/mod.ts",
    body: (s) =>
      `import * as m from "${s}";\n${FIND_FLAVOR}\n` +
      `export const store = await flavor.create({ path: "az://container/cold", connectionString: "UseDevelopmentStorage=true" });\n`,
  },
  {
    id: "./hono",
    kind: "stowage",
    module: "src/hono/mod.ts",
    body: (s) =>
      `import { artifactStoreApp } from "${s}";\n` +
      `import { MemoryArtifactStore } from "${s.replace(/src\/hono\/mod\.ts$/, "mod.ts")}";\n` +
      `export const app = artifactStoreApp(new MemoryArtifactStore({ path: "memory://cold" }), ` +
      `{ tokens: "cold-start-token" });\n`,
  },
  {
    id: "@aws-sdk/client-s3",
    kind: "sdk",
    pairs: "./s3",
    module: "@aws-sdk/client-s3",
    body: (s) =>
      `import { S3Client } from "${s}";\n` +
      `export const client = new S3Client({ region: "us-east-1", endpoint: "http://127.0.0.1:9", ` +
      `forcePathStyle: true, credentials: { accessKeyId: "AKIDCOLD", secretAccessKey: "secretcold" } });\n`,
  },
  {
    id: "@google-cloud/storage",
    kind: "sdk",
    pairs: "./gcs",
    module: "@google-cloud/storage",
    body: (s) =>
      `import { Storage } from "${s}";\n` +
      `export const bucket = new Storage({ projectId: "demo-cold", apiEndpoint: "http://127.0.0.1:9" }).bucket("bucket");\n`,
  },
  {
    id: "@azure/storage-blob",
    kind: "sdk",
    pairs: "./azure",
    module: "@azure/storage-blob",
    body: (s) =>
      // A SAS URL: the browser build has no StorageSharedKeyCredential.
      `import { BlobServiceClient } from "${s}";\n` +
      `export const container = new BlobServiceClient("http://127.0.0.1:9/devstoreaccount1?sv=2025-11-05&ss=b&srt=sco&sp=rwdl&sig=c2ln") ` +
      `.getContainerClient("container");\n`,
  },
];

/**
 * Why a target cannot be loaded here, or undefined.
 *
 * @param t the target
 * @returns a reason, or undefined
 */
export function targetMissing(t: Target): string | undefined {
  if (t.kind === "stowage") {
    return existsSync(`${ROOT}/${t.module}`) ? undefined : `${t.module} is not in the tree yet`;
  }
  return existsSync(`${ROOT}/bench/node_modules/${t.module}/package.json`)
    ? undefined
    : `${t.module} is not installed in bench/node_modules`;
}

/** A file-name-safe name of a target. */
export function slug(t: Target): string {
  return t.id === "." ? "core" : t.id.replace(/^\.\//, "").replace(/[@/]/g, "_");
}
