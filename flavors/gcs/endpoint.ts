/**
 * The API root of a store: Google's, or a custom endpoint (an emulator, a
 * proxy) normalized from the forms users and `STORAGE_EMULATOR_HOST` give it.
 *
 * @example
 * ```ts
 * import { isGoogleHost, normalizeEndpoint } from "./endpoint.ts";
 * console.assert(normalizeEndpoint("127.0.0.1:9023") === "http://127.0.0.1:9023");
 * console.assert(isGoogleHost("https://storage.googleapis.com") && !isGoogleHost("http://127.0.0.1:9023"));
 * ```
 *
 * @module
 */

/** Google's API root. */
export const GOOGLE_ENDPOINT = "https://storage.googleapis.com";

/**
 * Normalizes an API root: adds `http://` to a bare `host:port` (the
 * `STORAGE_EMULATOR_HOST` form), drops a trailing `/` and `/storage/v1`.
 *
 * @param raw the endpoint
 * @returns the API root
 *
 * @example
 * ```ts
 * import { normalizeEndpoint } from "./endpoint.ts";
 * console.assert(normalizeEndpoint("localhost:4443/storage/v1/") === "http://localhost:4443");
 * ```
 */
export function normalizeEndpoint(raw: string): string {
  let e = raw.trim();
  if (!/^https?:\/\//i.test(e)) e = `http://${e}`;
  e = e.replace(/\/+$/, "").replace(/\/storage\/v1$/, "").replace(/\/+$/, "");
  return e;
}

/**
 * Whether an endpoint is on `googleapis.com` (a custom endpoint elsewhere is
 * taken for an emulator, anonymous unless credentials are given).
 *
 * @param endpoint the API root
 * @returns true for Google's hosts
 */
export function isGoogleHost(endpoint: string): boolean {
  try {
    const h = new URL(endpoint).hostname;
    return h === "googleapis.com" || h.endsWith(".googleapis.com");
  } catch {
    return false;
  }
}
