/**
 * The `s3` flavor: Amazon S3 and S3-compatible services (Cloudflare R2, MinIO,
 * Ceph RGW) behind Stowage's artifact-store API, over `fetch` and SigV4 signing
 * (aws4fetch), with no AWS SDK. Importing it loads no other cloud's code.
 *
 * Credentials, region and endpoint come from the configuration, else from the
 * environment the way the AWS CLI reads them (`AWS_*` variables, `~/.aws` files
 * and `AWS_PROFILE`, web identity, ECS container credentials, EC2 IMDSv2).
 *
 * @example A store on AWS with credentials from the environment
 * ```ts ignore
 * import { createArtifactStore } from "@stowage/stowage";
 * import "@stowage/stowage/s3";
 *
 * const store = await createArtifactStore("s3://my-bucket/artifacts");
 * console.log(await store.listdir("s3://my-bucket/artifacts"));
 * ```
 *
 * @example A store on an S3-compatible endpoint
 * ```ts
 * import { S3ArtifactStore } from "./mod.ts";
 *
 * const store = new S3ArtifactStore({
 *   path: "s3://my-bucket/artifacts",
 *   endpoint: "https://ACCOUNT_ID.r2.cloudflarestorage.com",
 *   region: "auto",
 *   accessKeyId: "R2_ACCESS_KEY_ID",
 *   secretAccessKey: "R2_SECRET_ACCESS_KEY",
 * });
 * console.assert(store.capabilities.presign);
 * ```
 *
 * @module
 */

export { S3ArtifactStore, s3Flavor } from "./store.ts";
export {
  DEFAULT_PART_SIZE,
  MAX_PART_SIZE,
  MIN_PART_SIZE,
  s3ConfigSchema,
  type S3StoreConfig,
} from "./config.ts";
export type { RetryOptions } from "../../src/http/mod.ts";
export type { ChecksumAlgorithm, ChecksumSetting } from "../../src/digest.ts";
export {
  type AwsCredentials,
  type CredentialProvider,
  type ResolveOptions,
  resolveS3Settings,
  type S3CredentialConfig,
  type S3Settings,
} from "./credentials.ts";

import { registerBuiltin } from "../../src/flavor_registry.ts";
import { s3Flavor as flavor } from "./store.ts";

// Importing this subpath registers the flavor: its URIs work with createArtifactStore and fileio.
registerBuiltin(flavor);
