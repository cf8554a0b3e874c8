/**
 * The AWS credential providers the chain picks from: fixed keys, and the
 * temporary credentials of web identity (STS `AssumeRoleWithWebIdentity`),
 * ECS/EKS containers and EC2 instance metadata (IMDSv2), cached and fetched
 * again before they expire.
 *
 * @example
 * ```ts
 * import { staticCredentials } from "./providers.ts";
 * const p = staticCredentials({ accessKeyId: "A", secretAccessKey: "S" }, "env");
 * console.assert(p.source === "env" && (await p.get()).secretAccessKey === "S");
 * ```
 *
 * @module
 */

import { AuthenticationError, ConfigError } from "../../src/errors.ts";
import { HttpClient, TokenCache } from "../../src/http/mod.ts";
import { parseXml } from "../../src/xml.ts";
import { FLAVOR } from "./errors.ts";
import { defaultReadTextFile } from "./profile.ts";

/** A set of AWS credentials. */
export interface AwsCredentials {
  /** The access key id. */
  accessKeyId: string;
  /** The secret access key. */
  secretAccessKey: string;
  /** The session token of temporary credentials. */
  sessionToken?: string;
  /** When temporary credentials expire. */
  expiration?: Date;
}

/** Hands out current credentials, fetching temporary ones again before they expire. */
export interface CredentialProvider {
  /** Where the credentials come from (`config`, `env`, `profile:NAME`, `web-identity`, `container`, `imds`). */
  readonly source: string;
  /**
   * The current credentials.
   *
   * @returns credentials valid for a while yet
   */
  get(): Promise<AwsCredentials>;
  /** Forgets cached credentials (the service said they expired): the next `get` fetches. */
  invalidate(): void;
}

/**
 * Credentials that never change.
 *
 * @param creds the credentials
 * @param source where they come from
 * @returns the provider
 *
 * @example
 * ```ts
 * import { staticCredentials } from "./providers.ts";
 * const p = staticCredentials({ accessKeyId: "A", secretAccessKey: "S" }, "config");
 * console.assert((await p.get()).accessKeyId === "A");
 * ```
 */
export function staticCredentials(
  creds: AwsCredentials,
  source: string,
): CredentialProvider {
  return {
    source,
    get: () => Promise.resolve(creds),
    invalidate: () => {},
  };
}

/**
 * Caches temporary credentials from `load` and fetches new ones before they
 * expire: five minutes before, or a quarter of their lifetime before when they
 * live shorter than twenty minutes (the shared {@linkcode TokenCache}). Concurrent
 * callers share one fetch; when a refresh fails while the old credentials are
 * still valid, those are used.
 *
 * @param load fetches fresh credentials
 * @param source where they come from
 * @returns the provider
 *
 * @example
 * ```ts
 * import { refreshingCredentials } from "./providers.ts";
 * let calls = 0;
 * const p = refreshingCredentials(() => {
 *   calls++;
 *   return Promise.resolve({ accessKeyId: "A", secretAccessKey: "S", expiration: new Date(Date.now() + 3_600_000) });
 * }, "test");
 * await p.get();
 * await p.get();
 * console.assert(calls === 1);
 * ```
 */
export function refreshingCredentials(
  load: () => Promise<AwsCredentials>,
  source: string,
): CredentialProvider {
  const cache = new TokenCache(async () => {
    const c = await load();
    return { value: c, expiresAt: c.expiration?.getTime() };
  }, { marginFraction: 1 / 4, staleFallbackMs: 0 });
  return { source, get: () => cache.get(), invalidate: () => cache.invalidate() };
}

function credentialsClient(
  what: string,
  fetchFn: typeof fetch | undefined,
  timeoutMs: number,
  maxRetries: number,
): HttpClient {
  return new HttpClient({
    flavor: FLAVOR,
    fetch: fetchFn,
    timeoutMs,
    retry: { maxRetries, initialBackoffMs: 100, maxBackoffMs: 1000 },
    mapError: (res) =>
      new AuthenticationError(
        `Cannot get AWS credentials from ${what}: HTTP ${res.status}${
          res.body ? ` (${res.body.slice(0, 300).trim()})` : ""
        }`,
        {
          flavor: FLAVOR,
          status: res.status,
          retryable: res.status === 429 || res.status >= 500,
        },
      ),
  });
}

function wrapFailure(what: string, err: unknown): never {
  if (err instanceof AuthenticationError) throw err;
  throw new AuthenticationError(
    `Cannot get AWS credentials from ${what}: ${(err as Error)?.message ?? String(err)}`,
    { flavor: FLAVOR, cause: err, retryable: true },
  );
}

function parseExpiration(v: unknown): Date | undefined {
  if (typeof v !== "string" && typeof v !== "number") return undefined;
  const d = new Date(typeof v === "number" ? v * 1000 : v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Credentials from a JSON document with `AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`. */
function fromJson(what: string, body: unknown): AwsCredentials {
  const j = body as Record<string, unknown>;
  if (
    typeof j?.AccessKeyId !== "string" ||
    typeof j?.SecretAccessKey !== "string"
  ) {
    throw new AuthenticationError(
      `Cannot get AWS credentials from ${what}: the answer has no AccessKeyId/SecretAccessKey${
        typeof j?.Message === "string" ? ` (${j.Message})` : ""
      }`,
      { flavor: FLAVOR },
    );
  }
  return {
    accessKeyId: j.AccessKeyId,
    secretAccessKey: j.SecretAccessKey,
    sessionToken: typeof j.Token === "string" ? j.Token : undefined,
    expiration: parseExpiration(j.Expiration),
  };
}

const LOOPBACK_HOSTS = new Set([
  "127.0.0.1",
  "localhost",
  "[::1]",
  "169.254.170.2",
  "169.254.170.23",
  "[fd00:ec2::23]",
]);

/**
 * ECS/EKS container credentials (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or
 * `AWS_CONTAINER_CREDENTIALS_FULL_URI`), refreshed before they expire. A full URI
 * over plain HTTP must point at a loopback or the container-agent address.
 *
 * @param env reads the environment
 * @param fetchFn the fetch to use
 * @param readTextFile reads the authorization token file
 * @returns the provider, or undefined when neither variable is set
 *
 * @example
 * ```ts
 * import { containerCredentials } from "./providers.ts";
 * console.assert(containerCredentials(() => undefined) === undefined);
 * ```
 */
export function containerCredentials(
  env: (name: string) => string | undefined,
  fetchFn?: typeof fetch,
  readTextFile: (path: string) => Promise<string | undefined> = defaultReadTextFile,
): CredentialProvider | undefined {
  const relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (!relative && !full) return undefined;
  const url = relative ? `http://169.254.170.2${relative}` : full!;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      `AWS_CONTAINER_CREDENTIALS_FULL_URI '${url}' is not a URL: fix or unset it`,
      { flavor: FLAVOR },
    );
  }
  if (
    parsed.protocol !== "https:" &&
    !(parsed.protocol === "http:" && LOOPBACK_HOSTS.has(parsed.hostname))
  ) {
    throw new ConfigError(
      `Container credentials URI '${url}' must use https or a loopback host: fix AWS_CONTAINER_CREDENTIALS_FULL_URI`,
      { flavor: FLAVOR },
    );
  }
  const what = `the container credentials endpoint '${parsed.origin}'`;
  const client = credentialsClient(what, fetchFn, 5_000, 3);
  return refreshingCredentials(async () => {
    try {
      const headers: Record<string, string> = { Accept: "application/json" };
      const tokenFile = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
      const token = tokenFile
        ? (await readTextFile(tokenFile))?.trim()
        : env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
      if (token) headers.Authorization = token;
      return await client.sendAndRead(
        { method: "GET", url, headers },
        (text) => fromJson(what, JSON.parse(text)),
      );
    } catch (err) {
      wrapFailure(what, err);
    }
  }, "container");
}

/**
 * EC2 instance-profile credentials through IMDSv2 (a session token first, then
 * the role's credentials), refreshed before they expire.
 *
 * @param env reads the environment (`AWS_EC2_METADATA_SERVICE_ENDPOINT`)
 * @param fetchFn the fetch to use
 * @returns the provider
 *
 * @example
 * ```ts
 * import { instanceCredentials } from "./providers.ts";
 * console.assert(instanceCredentials(() => undefined).source === "imds");
 * ```
 */
export function instanceCredentials(
  env: (name: string) => string | undefined,
  fetchFn?: typeof fetch,
): CredentialProvider {
  const base = (env("AWS_EC2_METADATA_SERVICE_ENDPOINT") ??
    "http://169.254.169.254").replace(/\/+$/, "");
  const what = `the EC2 instance metadata service '${base}'`;
  const client = credentialsClient(what, fetchFn, 1_000, 1);
  return refreshingCredentials(async () => {
    try {
      const token = await client.sendAndRead({
        method: "PUT",
        url: `${base}/latest/api/token`,
        headers: { "X-aws-ec2-metadata-token-ttl-seconds": "21600" },
      }, (text) => text.trim());
      const h = { "X-aws-ec2-metadata-token": token };
      const role = await client.sendAndRead({
        method: "GET",
        url: `${base}/latest/meta-data/iam/security-credentials/`,
        headers: h,
      }, (text) => text.split("\n")[0]?.trim());
      if (!role) {
        throw new AuthenticationError(
          `Cannot get AWS credentials from ${what}: the instance has no IAM role attached`,
          { flavor: FLAVOR },
        );
      }
      return await client.sendAndRead({
        method: "GET",
        url: `${base}/latest/meta-data/iam/security-credentials/${encodeURIComponent(role)}`,
        headers: h,
      }, (text) => fromJson(what, JSON.parse(text)));
    } catch (err) {
      wrapFailure(what, err);
    }
  }, "imds");
}

/**
 * Web-identity credentials (EKS IRSA, GitHub OIDC …): the token file is read on
 * every refresh and exchanged with STS `AssumeRoleWithWebIdentity`.
 *
 * @param opts role ARN, token file, session name, region, STS endpoint
 * @param fetchFn the fetch to use
 * @param readTextFile reads the token file
 * @returns the provider
 *
 * @example
 * ```ts
 * import { webIdentityCredentials } from "./providers.ts";
 * const p = webIdentityCredentials({ roleArn: "arn:aws:iam::1:role/r", tokenFile: "/t", region: "us-east-1" });
 * console.assert(p.source === "web-identity");
 * ```
 */
export function webIdentityCredentials(
  opts: {
    roleArn: string;
    tokenFile: string;
    sessionName?: string;
    region: string;
    stsEndpoint?: string;
  },
  fetchFn?: typeof fetch,
  readTextFile: (path: string) => Promise<string | undefined> = defaultReadTextFile,
): CredentialProvider {
  // https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
  const url = (opts.stsEndpoint ?? `https://sts.${opts.region}.amazonaws.com`)
    .replace(/\/+$/, "") + "/";
  const what = `STS AssumeRoleWithWebIdentity at '${url}'`;
  const client = credentialsClient(what, fetchFn, 10_000, 3);
  return refreshingCredentials(async () => {
    try {
      const token = (await readTextFile(opts.tokenFile))?.trim();
      if (!token) {
        throw new AuthenticationError(
          `Cannot read the web identity token file '${opts.tokenFile}' (AWS_WEB_IDENTITY_TOKEN_FILE): check that it exists`,
          { flavor: FLAVOR },
        );
      }
      const form = new URLSearchParams({
        Action: "AssumeRoleWithWebIdentity",
        Version: "2011-06-15",
        RoleArn: opts.roleArn,
        RoleSessionName: opts.sessionName ?? `stowage-${Date.now()}`,
        WebIdentityToken: token,
      });
      const doc = await client.sendAndRead({
        method: "POST",
        url,
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/xml",
        },
        body: form.toString(),
      }, parseXml);
      const c = doc.child("AssumeRoleWithWebIdentityResult")?.child(
        "Credentials",
      );
      const id = c?.text("AccessKeyId");
      const secret = c?.text("SecretAccessKey");
      if (!c || !id || !secret) {
        throw new AuthenticationError(
          `Cannot get AWS credentials from ${what}: the answer holds no credentials`,
          { flavor: FLAVOR },
        );
      }
      return {
        accessKeyId: id,
        secretAccessKey: secret,
        sessionToken: c.text("SessionToken"),
        expiration: parseExpiration(c.text("Expiration")),
      };
    } catch (err) {
      wrapFailure(what, err);
    }
  }, "web-identity");
}
