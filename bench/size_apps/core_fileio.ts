/**
 * Size entry for `.`: an edge app that uses the core through `fileio` and
 * `createArtifactStore`, writing and reading a file on a `memory://` store.
 *
 * @module
 */

import { createArtifactStore, fileio } from "@stowage/stowage";

export default {
  /** Writes the request body to a file and answers with the file read back. */
  async fetch(request: Request): Promise<Response> {
    fileio.register(await createArtifactStore("memory://app"));
    await fileio.writeText("memory://app/hello.txt", await request.text());
    return new Response(await fileio.readText("memory://app/hello.txt"));
  },
};
