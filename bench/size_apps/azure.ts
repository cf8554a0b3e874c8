/**
 * Size entry for `./azure`: a Worker that builds an `AzureArtifactStore` from
 * its bindings (account name and key) and writes or reads one file.
 *
 * @module
 */

import { AzureArtifactStore } from "@stowage/stowage/azure";
import { serveFile } from "./_serve.ts";

/** The bindings read. */
interface Env {
  AZURE_STORAGE_ACCOUNT: string;
  AZURE_STORAGE_KEY: string;
}

export default {
  /** Serves `az://container/app/<path>`. */
  fetch(request: Request, env: Env): Promise<Response> {
    const store = new AzureArtifactStore({
      path: "az://container/app",
      accountName: env.AZURE_STORAGE_ACCOUNT,
      accountKey: env.AZURE_STORAGE_KEY,
    });
    return serveFile(store, "az://container/app", request);
  },
};
