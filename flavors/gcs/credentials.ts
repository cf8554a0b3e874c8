/**
 * Credentials of the `gcp` flavor, looked up in this order (as Google's own
 * clients do, explicit configuration before the environment):
 *
 * 1. `STORAGE_EMULATOR_HOST` (`host:port` or a URL): the emulator, anonymous;
 *    it wins over every credential, like the official clients (an explicit
 *    `endpoint` in the configuration wins over it).
 * 2. `anonymous: true`.
 * 3. `accessToken` (a string, or a function called for every request).
 * 4. `credentials` (a key file's JSON, parsed or as text) or `keyFilename`.
 * 5. The file named by `GOOGLE_APPLICATION_CREDENTIALS`.
 * 6. A custom `endpoint` outside googleapis.com with none of the above: anonymous
 *    (emulators such as fake-gcs-server or firebase's).
 * 7. gcloud's application-default credentials file
 *    (`$CLOUDSDK_CONFIG` or `~/.config/gcloud/application_default_credentials.json`).
 * 8. The metadata server of Google Cloud (GCE, GKE, Cloud Run, Functions):
 *    `http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token`,
 *    its host overridable with `GCE_METADATA_HOST`.
 *
 * The sources live beside the chain: key files in `key_file.ts`, the
 * service-account JWT in `service_account.ts`, the token endpoint, the
 * refresh-token grant and the token cache in `token_exchange.ts`, the metadata
 * server in `metadata_server.ts`, the API root in `endpoint.ts`. Tokens are
 * cached and refreshed before they expire (five minutes before, or half their
 * lifetime for short ones); parallel requests share one refresh.
 *
 * @example
 * ```ts
 * import { resolveGcsAuth } from "./credentials.ts";
 * const auth = resolveGcsAuth({ path: "gs://b" }, { env: (n) => n === "STORAGE_EMULATOR_HOST" ? "127.0.0.1:9023" : undefined });
 * console.assert(auth.endpoint === "http://127.0.0.1:9023" && auth.source === "emulator");
 * console.assert((await auth.token()) === null);
 * ```
 *
 * @module
 */
import { getEnv } from "../../src/_runtime.ts";
import { AuthenticationError } from "../../src/errors.ts";
import { HttpClient, type RetryOptions } from "../../src/http/mod.ts";
import type { AccessTokenProvider, GcsCredentials, GcsStoreConfig } from "./config.ts";
import { GOOGLE_ENDPOINT, isGoogleHost, normalizeEndpoint } from "./endpoint.ts";
import { FLAVOR } from "./errors.ts";
import {
  gcloudCredentialsFile,
  keyFileLoader,
  parseKeyFile,
  readTextFile,
  type SigningKey,
  signingKeyOf,
} from "./key_file.ts";
import { metadataTokenSource } from "./metadata_server.ts";
import { serviceAccountTokenSource } from "./service_account.ts";
import { tokenCache, tokenError, type TokenSource, userTokenSource } from "./token_exchange.ts";

/** The default OAuth scope: read and write objects. */
export const DEFAULT_SCOPE = "https://www.googleapis.com/auth/devstorage.read_write";

/** Where a store's credentials come from. */
export type GcsCredentialSource =
  | "emulator"
  | "anonymous"
  | "access-token"
  | "service-account"
  | "authorized-user"
  | "key-file"
  | "application-default";

/** The endpoint and credentials of a store, resolved once when it is created. */
export interface GcsAuth {
  /** The API root without a trailing slash (`https://storage.googleapis.com`). */
  readonly endpoint: string;
  /** True when the endpoint is not Google's (an emulator or a proxy). */
  readonly customEndpoint: boolean;
  /** Where the credentials come from. */
  readonly source: GcsCredentialSource;
  /** True when the credentials may hold a service-account key (so URLs can be signed). */
  readonly maySign: boolean;
  /**
   * A valid access token, fetched or refreshed when needed; `null` for anonymous access.
   *
   * @param signal cancels a token request
   */
  token(signal?: AbortSignal): Promise<string | null>;
  /** Forgets a cached token (after the service refused it). */
  invalidate(): void;
  /** The service-account key, or `null` when the credentials have none. */
  signingKey(): Promise<SigningKey | null>;
}

/** Options of {@linkcode resolveGcsAuth}: injectable environment, fetch and clock (tests). */
export interface ResolveGcsAuthOptions {
  /** Reads an environment variable (default: the process environment). */
  env?: (name: string) => string | undefined;
  /** The `fetch` for token requests. */
  fetch?: typeof fetch;
  /** Retry settings of token requests. */
  retry?: RetryOptions;
  /** The clock, ms since the epoch (default `Date.now`). */
  now?: () => number;
  /** Reads a text file (default: `node:fs/promises`, imported when first needed). */
  readFile?: (path: string) => Promise<string>;
}

/**
 * The token source of a parsed key: the JWT grant for a service-account key,
 * the refresh-token grant for user credentials.
 */
function keyTokenSource(
  key: GcsCredentials,
  scope: string,
  http: HttpClient,
  now: () => number,
): TokenSource {
  return key.type === "authorized_user"
    ? userTokenSource(key, http)
    : serviceAccountTokenSource(key, scope, http, now);
}

/**
 * Resolves a store's endpoint and credentials from its configuration and the
 * environment. Environment variables are read now; key files, token requests and
 * the metadata server are used on the first request.
 *
 * @param config the store configuration
 * @param options injectable environment, fetch, clock and file reader
 * @returns the resolved endpoint and token source
 * @throws {ConfigError} for inline credentials that cannot be used
 *
 * @example
 * ```ts
 * import { resolveGcsAuth } from "./credentials.ts";
 * const auth = resolveGcsAuth({ path: "gs://b", accessToken: "ya29.token" }, { env: () => undefined });
 * console.assert(auth.source === "access-token" && (await auth.token()) === "ya29.token");
 * ```
 */
export function resolveGcsAuth(
  config: GcsStoreConfig,
  options: ResolveGcsAuthOptions = {},
): GcsAuth {
  const env = options.env ?? getEnv;
  const now = options.now ?? Date.now;
  const readFile = options.readFile ?? readTextFile;
  const scope = config.scope || DEFAULT_SCOPE;
  const emulatorHost = env("STORAGE_EMULATOR_HOST")?.trim() || undefined;
  const explicitEndpoint = config.endpoint?.trim() || undefined;
  const endpoint = explicitEndpoint
    ? normalizeEndpoint(explicitEndpoint)
    : emulatorHost
    ? normalizeEndpoint(emulatorHost)
    : GOOGLE_ENDPOINT;
  const customEndpoint = endpoint !== GOOGLE_ENDPOINT;
  const http = new HttpClient({
    flavor: FLAVOR,
    fetch: options.fetch ?? config.fetch,
    retry: options.retry ?? config.retry,
    timeoutMs: 30_000,
    mapError: tokenError("the token endpoint"),
  });

  const auth = (
    source: GcsCredentialSource,
    maySign: boolean,
    token: (signal?: AbortSignal) => Promise<string | null>,
    invalidate: () => void = () => {},
    signingKey: () => Promise<SigningKey | null> = () => Promise.resolve(null),
  ): GcsAuth => ({ endpoint, customEndpoint, source, maySign, token, invalidate, signingKey });
  /** Credentials whose tokens come from a source through the token cache. */
  const cached = (
    source: GcsCredentialSource,
    maySign: boolean,
    fetchToken: TokenSource,
    signingKey: () => Promise<SigningKey | null>,
  ): GcsAuth => {
    const cache = tokenCache(fetchToken, now);
    return auth(
      source,
      maySign,
      (signal) => cache.get(signal),
      () => cache.invalidate(),
      signingKey,
    );
  };
  const anonymous = (source: GcsCredentialSource) =>
    auth(source, false, () => Promise.resolve(null));

  if (!explicitEndpoint && emulatorHost) return anonymous("emulator");
  if (config.anonymous) return anonymous("anonymous");

  if (config.accessToken !== undefined) {
    const given = config.accessToken;
    const get: AccessTokenProvider = typeof given === "function" ? given : () => given;
    return auth("access-token", false, async () => {
      const t = await get();
      if (typeof t !== "string" || t === "") {
        throw new AuthenticationError(
          "The 'accessToken' function returned no token: return an OAuth 2 access token string",
          { flavor: FLAVOR },
        );
      }
      return t;
    });
  }

  /** Credentials from a parsed key (or a promise of one, for files). */
  const fromKey = (
    load: () => Promise<GcsCredentials>,
    source: GcsCredentialSource,
    maySign: boolean,
  ): GcsAuth => {
    let key: Promise<GcsCredentials> | undefined;
    const getKey = () => (key ??= load());
    let source$: TokenSource | undefined;
    let signing: Promise<SigningKey | null> | undefined;
    return cached(source, maySign, async (signal) => {
      source$ ??= keyTokenSource(await getKey(), scope, http, now);
      return await source$(signal);
    }, () => signing ??= getKey().then(signingKeyOf));
  };

  if (config.credentials !== undefined) {
    const key = parseKeyFile(config.credentials, "the 'credentials' option");
    return fromKey(
      () => Promise.resolve(key),
      key.type === "service_account" ? "service-account" : "authorized-user",
      key.type === "service_account",
    );
  }
  if (config.keyFilename) {
    return fromKey(keyFileLoader(readFile, config.keyFilename, "keyFilename"), "key-file", true);
  }
  const adcFile = env("GOOGLE_APPLICATION_CREDENTIALS")?.trim();
  if (adcFile) {
    return fromKey(
      keyFileLoader(readFile, adcFile, "GOOGLE_APPLICATION_CREDENTIALS"),
      "key-file",
      true,
    );
  }
  if (customEndpoint && !isGoogleHost(endpoint)) return anonymous("anonymous");

  // gcloud's application-default credentials, else the metadata server.
  const wellKnown = gcloudCredentialsFile(env);
  const fromMetadata = metadataTokenSource(env, options.fetch ?? config.fetch);
  let decided: Promise<TokenSource | null> | undefined;
  let userKey: GcsCredentials | null = null;
  const decide = () =>
    decided ??= (async () => {
      if (wellKnown) {
        let text: string | undefined;
        try {
          text = await readFile(wellKnown);
        } catch {
          text = undefined; // no gcloud credentials here
        }
        if (text !== undefined) {
          userKey = parseKeyFile(text, `'${wellKnown}'`);
          return keyTokenSource(userKey, scope, http, now);
        }
      }
      return null;
    })();
  return cached("application-default", false, async (signal) => {
    const fromFile = await decide();
    return fromFile ? await fromFile(signal) : await fromMetadata(signal);
  }, async () => {
    await decide();
    const k = userKey as GcsCredentials | null;
    return k ? await signingKeyOf(k) : null;
  });
}
