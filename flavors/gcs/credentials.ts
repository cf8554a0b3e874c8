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
 * A service-account key is turned into access tokens with an RS256 JWT signed
 * by WebCrypto and exchanged at the key's `token_uri`; user credentials
 * (`authorized_user`) with their refresh token. Tokens are cached and refreshed
 * before they expire (five minutes before, or half their lifetime for short
 * ones); parallel requests share one refresh.
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

import { getEnv, homeDir } from "../../src/_runtime.ts";
import { type ArtifactStoreError, AuthenticationError, ConfigError } from "../../src/errors.ts";
import {
  errorForStatus,
  type ErrorResponse,
  HttpClient,
  type RetryOptions,
  TokenCache,
} from "../../src/http/mod.ts";
import type {
  AccessTokenProvider,
  AuthorizedUserKey,
  GcsCredentials,
  GcsStoreConfig,
  ServiceAccountKey,
} from "./config.ts";
import { FLAVOR, parseGcsError } from "./errors.ts";
import { base64url, importPrivateKey, rsaSign } from "./signer.ts";

/** Google's API root. */
export const GOOGLE_ENDPOINT = "https://storage.googleapis.com";
/** Google's OAuth token endpoint. */
export const GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";
/** The default OAuth scope: read and write objects. */
export const DEFAULT_SCOPE = "https://www.googleapis.com/auth/devstorage.read_write";
const METADATA_PATH = "/computeMetadata/v1/instance/service-accounts/default/token";

/** Where a store's credentials come from. */
export type GcsCredentialSource =
  | "emulator"
  | "anonymous"
  | "access-token"
  | "service-account"
  | "authorized-user"
  | "key-file"
  | "application-default";

/** A service account's signing identity (for signed URLs). */
export interface SigningKey {
  /** The account's e-mail. */
  clientEmail: string;
  /** Its private key. */
  key: CryptoKey;
}

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
 * Normalizes an API root: adds `http://` to a bare `host:port` (the
 * `STORAGE_EMULATOR_HOST` form), drops a trailing `/` and `/storage/v1`.
 *
 * @param raw the endpoint
 * @returns the API root
 *
 * @example
 * ```ts
 * import { normalizeEndpoint } from "./credentials.ts";
 * console.assert(normalizeEndpoint("localhost:4443/storage/v1/") === "http://localhost:4443");
 * ```
 */
export function normalizeEndpoint(raw: string): string {
  let e = raw.trim();
  if (!/^https?:\/\//i.test(e)) e = `http://${e}`;
  e = e.replace(/\/+$/, "").replace(/\/storage\/v1$/, "").replace(/\/+$/, "");
  return e;
}

function isGoogleHost(endpoint: string): boolean {
  try {
    const h = new URL(endpoint).hostname;
    return h === "googleapis.com" || h.endsWith(".googleapis.com");
  } catch {
    return false;
  }
}

/** Reads a text file through `node:fs/promises`, imported lazily (edge runtimes have none). */
async function readTextFile(path: string): Promise<string> {
  let fs: { readFile(p: string, enc: "utf8"): Promise<string> };
  try {
    fs = await import("node:fs/promises");
  } catch (err) {
    throw new ConfigError(
      `Cannot read '${path}': this runtime has no file system; pass the key inline as 'credentials'`,
      { flavor: FLAVOR, cause: err },
    );
  }
  return await fs.readFile(path, "utf8");
}

/**
 * Parses and checks a key file's content.
 *
 * @param raw the parsed JSON or its text
 * @param where where it came from, for messages
 * @returns the key
 * @throws {ConfigError} when it is not a usable service-account or user key
 *
 * @example
 * ```ts
 * import { parseKeyFile } from "./credentials.ts";
 * try { parseKeyFile("{}", "inline"); } catch (e) { console.assert((e as Error).name === "ConfigError"); }
 * ```
 */
export function parseKeyFile(
  raw: GcsCredentials | string | unknown,
  where: string,
): GcsCredentials {
  let obj: Record<string, unknown>;
  if (typeof raw === "string") {
    try {
      obj = JSON.parse(raw);
    } catch (err) {
      throw new ConfigError(
        `The Google credentials from ${where} are not valid JSON: use the key file as downloaded`,
        { flavor: FLAVOR, cause: err },
      );
    }
  } else obj = raw as Record<string, unknown>;
  if (typeof obj !== "object" || obj === null) {
    throw new ConfigError(`The Google credentials from ${where} are not a JSON object`, {
      flavor: FLAVOR,
    });
  }
  const missing = (fields: string[]) =>
    fields.filter((f) => typeof obj[f] !== "string" || obj[f] === "");
  if (obj.type === "service_account") {
    const m = missing(["client_email", "private_key"]);
    if (m.length) {
      throw new ConfigError(
        `The service-account key from ${where} lacks ${
          m.map((f) => `'${f}'`).join(" and ")
        }: use the key file as downloaded`,
        { flavor: FLAVOR },
      );
    }
    return obj as ServiceAccountKey;
  }
  if (obj.type === "authorized_user") {
    const m = missing(["client_id", "client_secret", "refresh_token"]);
    if (m.length) {
      throw new ConfigError(
        `The user credentials from ${where} lack ${
          m.map((f) => `'${f}'`).join(", ")
        }: run 'gcloud auth application-default login' again`,
        { flavor: FLAVOR },
      );
    }
    return obj as AuthorizedUserKey;
  }
  throw new ConfigError(
    `The Google credentials from ${where} have type '${
      String(obj.type)
    }', which Stowage does not support: ` +
      "use a service-account key ('service_account'), user credentials ('authorized_user'), an access token, " +
      "or the metadata server",
    { flavor: FLAVOR },
  );
}

/** Maps a failed token response. */
function tokenError(what: string): (res: ErrorResponse) => ArtifactStoreError {
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

interface TokenResponse {
  token: string;
  expiresIn: number;
}

/** The shared token cache over a token source (five minutes early, or at half the lifetime; no stale fallback). */
function tokenCache(
  fetchToken: (signal?: AbortSignal) => Promise<TokenResponse>,
  now: () => number,
): TokenCache<string> {
  return new TokenCache(async (signal) => {
    const r = await fetchToken(signal);
    return { value: r.token, expiresAt: now() + r.expiresIn * 1000 };
  }, { now });
}

async function readTokenJson(res: Response, what: string): Promise<TokenResponse> {
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

/** Makes the token function of a parsed key. */
function keyTokenSource(
  key: GcsCredentials,
  scope: string,
  http: HttpClient,
  now: () => number,
): (signal?: AbortSignal) => Promise<TokenResponse> {
  if (key.type === "authorized_user") {
    const uri = key.token_uri || GOOGLE_TOKEN_URI;
    return async (signal) => {
      const body = new URLSearchParams({
        grant_type: "refresh_token",
        client_id: key.client_id,
        client_secret: key.client_secret,
        refresh_token: key.refresh_token,
      }).toString();
      const res = await http.send({
        method: "POST",
        url: uri,
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body,
        signal,
        op: "refresh user credentials",
      });
      return await readTokenJson(res, `'${uri}'`);
    };
  }
  const sa = key as ServiceAccountKey;
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
    const body = new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: jwt,
    }).toString();
    const res = await http.send({
      method: "POST",
      url: uri,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body,
      signal,
      op: "exchange the service-account JWT",
    });
    return await readTokenJson(res, `'${uri}'`);
  };
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

  const anonymous = (source: GcsCredentialSource): GcsAuth => ({
    endpoint,
    customEndpoint,
    source,
    maySign: false,
    token: () => Promise.resolve(null),
    invalidate: () => {},
    signingKey: () => Promise.resolve(null),
  });

  if (!explicitEndpoint && emulatorHost) return anonymous("emulator");
  if (config.anonymous) return anonymous("anonymous");

  if (config.accessToken !== undefined) {
    const given = config.accessToken;
    const get: AccessTokenProvider = typeof given === "function" ? given : () => given;
    return {
      endpoint,
      customEndpoint,
      source: "access-token",
      maySign: false,
      token: async () => {
        const t = await get();
        if (typeof t !== "string" || t === "") {
          throw new AuthenticationError(
            "The 'accessToken' function returned no token: return an OAuth 2 access token string",
            { flavor: FLAVOR },
          );
        }
        return t;
      },
      invalidate: () => {},
      signingKey: () => Promise.resolve(null),
    };
  }

  /** Credentials from a parsed key (or a promise of one, for files). */
  const fromKey = (
    load: () => Promise<GcsCredentials>,
    source: GcsCredentialSource,
    maySign: boolean,
  ): GcsAuth => {
    let key: Promise<GcsCredentials> | undefined;
    const getKey = () => (key ??= load());
    let source$: ((signal?: AbortSignal) => Promise<TokenResponse>) | undefined;
    const cache = tokenCache(async (signal) => {
      source$ ??= keyTokenSource(await getKey(), scope, http, now);
      return await source$(signal);
    }, now);
    let signing: Promise<SigningKey | null> | undefined;
    return {
      endpoint,
      customEndpoint,
      source,
      maySign,
      token: (signal) => cache.get(signal),
      invalidate: () => cache.invalidate(),
      signingKey: () =>
        signing ??= getKey().then(async (k) =>
          k.type === "service_account"
            ? { clientEmail: k.client_email, key: await importPrivateKey(k.private_key) }
            : null
        ),
    };
  };

  const fileKey = (path: string, what: string) => async () => {
    let text: string;
    try {
      text = await readFile(path);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(
        `Cannot read the Google credentials file '${path}' (${what}): ${
          (err as Error)?.message ?? err
        }`,
        { flavor: FLAVOR, cause: err },
      );
    }
    return parseKeyFile(text, `'${path}'`);
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
    return fromKey(fileKey(config.keyFilename, "keyFilename"), "key-file", true);
  }
  const adcFile = env("GOOGLE_APPLICATION_CREDENTIALS")?.trim();
  if (adcFile) {
    return fromKey(fileKey(adcFile, "GOOGLE_APPLICATION_CREDENTIALS"), "key-file", true);
  }
  if (customEndpoint && !isGoogleHost(endpoint)) return anonymous("anonymous");

  // gcloud's application-default credentials, else the metadata server.
  const gcloudDir = env("CLOUDSDK_CONFIG") ??
    (env("APPDATA")
      ? `${env("APPDATA")}/gcloud`
      : homeDir()
      ? `${homeDir()}/.config/gcloud`
      : undefined);
  const wellKnown = gcloudDir ? `${gcloudDir}/application_default_credentials.json` : undefined;
  const metadataHost = env("GCE_METADATA_HOST")?.trim() || env("GCE_METADATA_IP")?.trim() ||
    "metadata.google.internal";
  const metadataUrl = `${normalizeEndpoint(metadataHost)}${METADATA_PATH}`;
  const metadataHttp = new HttpClient({
    flavor: FLAVOR,
    fetch: options.fetch ?? config.fetch,
    retry: { maxRetries: 2, initialBackoffMs: 100, maxBackoffMs: 1000, totalTimeoutMs: 15_000 },
    timeoutMs: 5_000,
    mapError: tokenError(`the metadata server '${metadataUrl}'`),
  });
  const fromMetadata = async (signal?: AbortSignal): Promise<TokenResponse> => {
    let res: Response;
    try {
      res = await metadataHttp.send({
        method: "GET",
        url: metadataUrl,
        headers: { "Metadata-Flavor": "Google" },
        signal,
        op: "get a token from the metadata server for",
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new AuthenticationError(
        "No Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, " +
          "pass 'credentials', 'keyFilename' or 'accessToken', run 'gcloud auth application-default login', " +
          `or run on Google Cloud (the metadata server '${metadataUrl}' did not answer: ${
            (err as Error)?.message ?? err
          })`,
        { flavor: FLAVOR, cause: err },
      );
    }
    return await readTokenJson(res, `the metadata server '${metadataUrl}'`);
  };

  let decided: Promise<((signal?: AbortSignal) => Promise<TokenResponse>) | null> | undefined;
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
  const cache = tokenCache(async (signal) => {
    const fromFile = await decide();
    return fromFile ? await fromFile(signal) : await fromMetadata(signal);
  }, now);
  return {
    endpoint,
    customEndpoint,
    source: "application-default",
    maySign: false,
    token: (signal) => cache.get(signal),
    invalidate: () => cache.invalidate(),
    signingKey: async () => {
      await decide();
      const k = userKey as GcsCredentials | null;
      return k?.type === "service_account"
        ? { clientEmail: k.client_email, key: await importPrivateKey(k.private_key) }
        : null;
    },
  };
}
