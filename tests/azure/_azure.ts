// Shared by the Azure test files: stores on the Azurite emulator the runner started.

import { emulator, type EmulatorInfo, runtimeName } from "../_env.ts";
import { AzureArtifactStore, type AzureStoreConfig } from "../../flavors/azure/mod.ts";

/** One mebibyte. */
export const MiB = 1024 * 1024;

/** Small backoffs so that retried requests in tests are quick. */
export const FAST_RETRY = {
  maxRetries: 4,
  initialBackoffMs: 5,
  maxBackoffMs: 50,
  totalTimeoutMs: 30_000,
};

/** Azurite as the runner started it, or a skip reason. */
export function azurite(): EmulatorInfo | string {
  return emulator("azurite");
}

/** A unique root prefix for one test run. */
export function uniquePrefix(label: string): string {
  return `${label}-${runtimeName()}-${Date.now().toString(36)}-${
    Math.random().toString(36).slice(2, 8)
  }`;
}

/** The store config on Azurite (account name + key), below a fresh prefix. */
export function azureConfig(
  e: EmulatorInfo,
  label: string,
  extra: Partial<AzureStoreConfig> = {},
): AzureStoreConfig {
  return {
    path: `az://${e.env.STOWAGE_TEST_AZURE_CONTAINER}/${uniquePrefix(label)}`,
    endpoint: e.env.STOWAGE_TEST_AZURE_ENDPOINT,
    accountName: e.env.STOWAGE_TEST_AZURE_ACCOUNT,
    accountKey: e.env.STOWAGE_TEST_AZURE_KEY,
    retry: FAST_RETRY,
    ...extra,
  };
}

/** A store on Azurite, or the reason it cannot run. */
export function azureStore(
  label: string,
  extra: Partial<AzureStoreConfig> = {},
): AzureArtifactStore | string {
  const e = azurite();
  if (typeof e === "string") return e;
  return new AzureArtifactStore(azureConfig(e, label, extra));
}
