/**
 * The `azure` flavor: Azure Blob Storage (and ADLS Gen2 accounts through their
 * Blob endpoint) behind Stowage's artifact-store API, over `fetch` and SharedKey
 * signatures computed with WebCrypto, SAS tokens or Microsoft Entra tokens — no
 * Azure SDK. Importing it loads no other cloud's code.
 *
 * Paths: `az://container/prefix`, `abfs://container/prefix` and
 * `abfs://container@account.dfs.core.windows.net/prefix` address the same blobs;
 * the store reports every path in the canonical `az://container/…` form.
 *
 * Credentials come from the configuration, else from the environment the way
 * ZenML and the Azure tools read them: `AZURE_STORAGE_CONNECTION_STRING`,
 * `AZURE_STORAGE_ACCOUNT_NAME` + `AZURE_STORAGE_ACCOUNT_KEY`,
 * `AZURE_STORAGE_SAS_TOKEN`, a service principal (`AZURE_TENANT_ID`,
 * `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`), then a managed identity.
 *
 * @example A store with credentials from the environment
 * ```ts ignore
 * import { createArtifactStore } from "@stowage/stowage";
 *
 * const store = await createArtifactStore("az://my-container/artifacts");
 * console.log(await store.listdir("az://my-container/artifacts"));
 * ```
 *
 * @example A store on Azurite
 * ```ts
 * import { AzureArtifactStore } from "./mod.ts";
 *
 * const store = new AzureArtifactStore({
 *   path: "az://artifacts",
 *   connectionString: "UseDevelopmentStorage=true",
 * });
 * console.assert(store.capabilities.presign && store.capabilities.append);
 * ```
 *
 * @module
 */

export { AzureArtifactStore, azureFlavor } from "./store.ts";
export { canonicalAzureUri } from "./uri.ts";
export {
  type AccessToken,
  azureConfigSchema,
  type AzureStoreConfig,
  type ClientSecretCredential,
  DEFAULT_BLOCK_SIZE,
  type ManagedIdentityOptions,
  MAX_BLOCK_SIZE,
  type TokenCredential,
} from "./config.ts";
export {
  type AzureAuth,
  type AzureSettings,
  resolveAzureSettings,
  type ResolveOptions,
} from "./credentials.ts";
export type { ChecksumAlgorithm, ChecksumSetting } from "../../src/digest.ts";
export { type ConnectionString, parseConnectionString } from "./connection_string.ts";
export { TokenCache } from "./entra.ts";
export { API_VERSION, type BlobSasOptions, generateBlobSas } from "./auth.ts";

import { registerBuiltin } from "../../src/flavor_registry.ts";
import { azureFlavor as flavor } from "./store.ts";

// Importing this subpath registers the flavor: its URIs work with createArtifactStore and fileio.
registerBuiltin(flavor);
