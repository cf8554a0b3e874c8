/**
 * What every cloud entry of the size section does with its store: `PUT /key`
 * writes the request body to the file, any other method streams the file back.
 * Imports no Stowage code itself (the store's type only), so each bundle holds
 * just what its subpath pulls in.
 *
 * @module
 */

import type { BaseArtifactStore } from "@stowage/stowage";

/**
 * Serves one file of `store` under `root`.
 *
 * @param store the store
 * @param root its root URI
 * @param request the request
 * @returns the response
 */
export async function serveFile(
  store: BaseArtifactStore,
  root: string,
  request: Request,
): Promise<Response> {
  const path = `${root}${new URL(request.url).pathname}`;
  if (request.method === "PUT" && request.body) {
    await request.body.pipeTo(await store.open(path, "wb"));
    return new Response(null, { status: 201 });
  }
  return new Response(await store.open(path, "rb"));
}
