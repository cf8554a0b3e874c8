/**
 * The `gcp` flavor: Google Cloud Storage (`gs://bucket/prefix`) behind Stowage's
 * artifact-store API, over `fetch` and the GCS JSON API, with no Google SDK: a
 * service account's RS256 JWT and V4 signed URLs are signed with WebCrypto.
 * Importing it loads no other cloud's code.
 *
 * Credentials come from the configuration, else from the environment the way
 * Google's own clients read them: `STORAGE_EMULATOR_HOST` (anonymous),
 * `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's application-default credentials,
 * the metadata server.
 *
 * @example A store with credentials from the environment
 * ```ts ignore
 * import { createArtifactStore } from "@stowage/stowage";
 *
 * const store = await createArtifactStore("gs://my-bucket/artifacts");
 * console.log(await store.listdir("gs://my-bucket/artifacts"));
 * ```
 *
 * @example A store with an inline service-account key
 * ```ts ignore
 * import { GcsArtifactStore } from "@stowage/stowage/gcs";
 *
 * const store = new GcsArtifactStore({
 *   path: "gs://my-bucket/artifacts",
 *   credentials: await Deno.readTextFile("/secrets/service-account.json"),
 * });
 * const url = await store.presign("gs://my-bucket/artifacts/model.bin", { expiresIn: 600 });
 * ```
 *
 * @example A store on a local emulator
 * ```ts
 * import { GcsArtifactStore } from "./mod.ts";
 *
 * const store = new GcsArtifactStore({ path: "gs://bucket/prefix", endpoint: "http://127.0.0.1:9023" });
 * console.assert(store.capabilities.append);
 * ```
 *
 * @module
 */

export { GcsArtifactStore, gcsFlavor } from "./store.ts";
export {
  type AccessTokenProvider,
  type AuthorizedUserKey,
  CHUNK_GRANULARITY,
  DEFAULT_PART_SIZE,
  gcsConfigSchema,
  type GcsCredentials,
  type GcsRetryStrategy,
  type GcsStoreConfig,
  MAX_PART_SIZE,
  type ServiceAccountKey,
} from "./config.ts";
export {
  type GcsAuth,
  type GcsCredentialSource,
  resolveGcsAuth,
  type ResolveGcsAuthOptions,
} from "./credentials.ts";
export type { SigningKey } from "./key_file.ts";
export { type SignedUrlV4, signUrlV4, type SignUrlV4Input } from "./signer.ts";
export type { RetryOptions } from "../../src/http/mod.ts";
export type { ChecksumAlgorithm, ChecksumSetting } from "../../src/digest.ts";

import { registerBuiltin } from "../../src/flavor_registry.ts";
import { gcsFlavor as flavor } from "./store.ts";

// Importing this subpath registers the flavor: its URIs work with createArtifactStore and fileio.
registerBuiltin(flavor);
