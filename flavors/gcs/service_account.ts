/**
 * Access tokens of a service-account key: an RS256 JWT assertion (`iss`, the
 * scope, `aud` the key's `token_uri`, an hour's lifetime) signed with WebCrypto
 * and exchanged at the key's token endpoint.
 *
 * @module
 */

import type { HttpClient } from "../../src/http/mod.ts";
import type { ServiceAccountKey } from "./config.ts";
import { base64url, importPrivateKey, rsaSign } from "./signer.ts";
import { exchangeToken, GOOGLE_TOKEN_URI, type TokenSource } from "./token_exchange.ts";

/**
 * The token source of a service-account key: a signed JWT exchanged for an
 * access token on every call (the caller caches). The private key is imported
 * once, on first use.
 *
 * @param sa the service-account key
 * @param scope the OAuth scope asked for
 * @param http the client of the token endpoint
 * @param now the clock, ms since the epoch
 * @returns the token source
 */
export function serviceAccountTokenSource(
  sa: ServiceAccountKey,
  scope: string,
  http: HttpClient,
  now: () => number,
): TokenSource {
  const uri = sa.token_uri || GOOGLE_TOKEN_URI;
  let cryptoKey: Promise<CryptoKey> | undefined;
  return async (signal) => {
    cryptoKey ??= importPrivateKey(sa.private_key);
    const iat = Math.floor(now() / 1000);
    const header: Record<string, string> = { alg: "RS256", typ: "JWT" };
    if (typeof sa.private_key_id === "string" && sa.private_key_id) header.kid = sa.private_key_id;
    const claims = { iss: sa.client_email, scope, aud: uri, iat, exp: iat + 3600 };
    const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const jwt = `${unsigned}.${base64url(await rsaSign(await cryptoKey, unsigned))}`;
    return await exchangeToken(
      http,
      uri,
      {
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion: jwt,
      },
      "exchange the service-account JWT",
      signal,
    );
  };
}
