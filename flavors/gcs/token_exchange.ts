/**
 * Google's OAuth token endpoint and the token cache: the one form POST that
 * exchanges a grant for an access token (a service-account JWT, a user's
 * refresh token), reading the answer, mapping a refusal to an
 * `AuthenticationError`, the shared token cache over a token source, and the
 * `authorized_user` refresh-token grant.
 *
 * @example
 * ```ts
 * import { HttpClient } from "../../src/http/mod.ts";
 * import { tokenError, userTokenSource } from "./token_exchange.ts";
 * const http = new HttpClient({
 *   flavor: "gcp",
 *   fetch: () => Promise.resolve(Response.json({ access_token: "ya29.u", expires_in: 60 })),
 *   mapError: tokenError("the token endpoint"),
 * });
 * const source = userTokenSource({ type: "authorized_user", client_id: "c", client_secret: "s", refresh_token: "r" }, http);
 * console.assert((await source()).token === "ya29.u");
 * ```
 *
 * @module
 */

import { type ArtifactStoreError, AuthenticationError } from "../../src/errors.ts";
import {
  errorForStatus,
  type ErrorResponse,
  type HttpClient,
  TokenCache,
} from "../../src/http/mod.ts";
import type { AuthorizedUserKey } from "./config.ts";
import { FLAVOR, parseGcsError } from "./errors.ts";

/** Google's OAuth token endpoint. */
export const GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";

/** An access token and how long it lives. */
export interface TokenResponse {
  /** The access token. */
  token: string;
  /** Its lifetime in seconds. */
  expiresIn: number;
}

/** Fetches a new access token. */
export type TokenSource = (signal?: AbortSignal) => Promise<TokenResponse>;

/**
 * Maps a failed token response: a refusal (400, 401, 403) to an
 * `AuthenticationError` that names the likely causes, anything else by status.
 *
 * @param what the endpoint, for messages (`"the token endpoint"`)
 * @returns the error mapper of an `HttpClient`
 */
export function tokenError(what: string): (res: ErrorResponse) => ArtifactStoreError {
  return (res) => {
    const { reason, message } = parseGcsError(res.body);
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      const detail = [reason, message].filter(Boolean).join(": ");
      return new AuthenticationError(
        `Cannot get a Google access token from ${what}: it refused the credentials ` +
          `(${res.status}${
            detail ? ` ${detail}` : ""
          }); check that the key is valid and not disabled, ` +
          "and that this machine's clock is right",
        { flavor: FLAVOR, status: res.status },
      );
    }
    return errorForStatus({
      status: res.status,
      code: reason,
      message,
      flavor: FLAVOR,
      op: `get an access token from ${what} for`,
      path: "the store",
    });
  };
}

/**
 * The shared token cache over a token source (five minutes early, or at half
 * the lifetime; no stale fallback).
 *
 * @param fetchToken fetches a new token
 * @param now the clock, ms since the epoch
 * @returns the cache
 */
export function tokenCache(fetchToken: TokenSource, now: () => number): TokenCache<string> {
  return new TokenCache(async (signal) => {
    const r = await fetchToken(signal);
    return { value: r.token, expiresAt: now() + r.expiresIn * 1000 };
  }, { now });
}

/**
 * Reads a token answer: `access_token` and `expires_in` (an hour when absent).
 *
 * @param res the answer
 * @param what the endpoint, for messages
 * @returns the token and its lifetime
 * @throws {AuthenticationError} when the answer is not JSON or holds no token
 */
export async function readTokenJson(res: Response, what: string): Promise<TokenResponse> {
  let j: { access_token?: unknown; expires_in?: unknown };
  try {
    j = await res.json();
  } catch (err) {
    throw new AuthenticationError(
      `Cannot get a Google access token from ${what}: the answer is not JSON`,
      {
        flavor: FLAVOR,
        cause: err,
      },
    );
  }
  if (typeof j.access_token !== "string" || j.access_token === "") {
    throw new AuthenticationError(
      `Cannot get a Google access token from ${what}: the answer has no 'access_token'`,
      {
        flavor: FLAVOR,
      },
    );
  }
  const expiresIn = Number(j.expires_in ?? 3600);
  return { token: j.access_token, expiresIn: Number.isFinite(expiresIn) ? expiresIn : 3600 };
}

/**
 * Exchanges a grant at a token endpoint: one form-encoded POST, its answer read.
 *
 * @param http the client of the token endpoint
 * @param uri the endpoint
 * @param form the grant's fields
 * @param op what the request does, for messages
 * @param signal cancels the request
 * @returns the token and its lifetime
 */
export async function exchangeToken(
  http: HttpClient,
  uri: string,
  form: Record<string, string>,
  op: string,
  signal?: AbortSignal,
): Promise<TokenResponse> {
  const res = await http.send({
    method: "POST",
    url: uri,
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
    signal,
    op,
  });
  return await readTokenJson(res, `'${uri}'`);
}

/**
 * The token source of user credentials (`authorized_user`, what
 * `gcloud auth application-default login` writes): the refresh-token grant at
 * the key's `token_uri`.
 *
 * @param key the user credentials
 * @param http the client of the token endpoint
 * @returns the token source
 */
export function userTokenSource(key: AuthorizedUserKey, http: HttpClient): TokenSource {
  const uri = key.token_uri || GOOGLE_TOKEN_URI;
  return (signal) =>
    exchangeToken(
      http,
      uri,
      {
        grant_type: "refresh_token",
        client_id: key.client_id,
        client_secret: key.client_secret,
        refresh_token: key.refresh_token,
      },
      "refresh user credentials",
      signal,
    );
}
