/**
 * The Azure URI forms: `az://container/path`, `abfs://container/path` and
 * `abfs://container@account.dfs.core.windows.net/path` mapped onto one canonical
 * `az://` form, and the container-name rule.
 *
 * @module
 */

const SCHEME_RE = /^(az|abfs):\/\//i;

/**
 * Maps the Azure URI forms onto the canonical `az://container/path`:
 * `abfs://container/path` and `abfs://container@account.dfs.core.windows.net/path`
 * (or `…blob.core.windows.net`) address the same blobs. Other strings pass
 * through unchanged.
 *
 * @param path a URI
 * @returns the canonical URI and the account named in it, if any
 *
 * @example
 * ```ts
 * import { canonicalAzureUri } from "./uri.ts";
 * const c = canonicalAzureUri("abfs://data@acct.dfs.core.windows.net/runs/1");
 * console.assert(c.uri === "az://data/runs/1" && c.account === "acct");
 * ```
 */
export function canonicalAzureUri(path: string): { uri: string; account?: string } {
  const m = SCHEME_RE.exec(path);
  if (!m) return { uri: path };
  const rest = path.slice(m[0].length);
  const end = rest.search(/[/\\]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const tail = end < 0 ? "" : rest.slice(end);
  const at = authority.indexOf("@");
  if (at < 0) return { uri: `az://${authority}${tail}` };
  const host = authority.slice(at + 1).toLowerCase();
  return { uri: `az://${authority.slice(0, at)}${tail}`, account: host.split(".")[0] || undefined };
}

/** Azure's container names: 3 to 63 lower-case letters, digits and single dashes, or a system container. */
export const CONTAINER_RE = /^(\$root|\$web|\$logs|[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62})$/;
