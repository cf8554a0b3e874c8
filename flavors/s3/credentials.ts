/**
 * AWS credentials, region and endpoint, read the way the AWS CLI and SDKs read
 * them, in this order:
 *
 * 1. explicit configuration (`accessKeyId`, `secretAccessKey`, `sessionToken`);
 * 2. environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`;
 * 3. `~/.aws/credentials` and `~/.aws/config` (`AWS_SHARED_CREDENTIALS_FILE`,
 *    `AWS_CONFIG_FILE`), profile `profile` / `AWS_PROFILE` / `default`, where a
 *    file system exists (`node:fs/promises`, imported only when needed);
 * 4. web identity: `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` through STS
 *    `AssumeRoleWithWebIdentity`;
 * 5. ECS/EKS container credentials: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or
 *    `AWS_CONTAINER_CREDENTIALS_FULL_URI` (+ `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`);
 * 6. EC2 instance metadata (IMDSv2; off with `AWS_EC2_METADATA_DISABLED=true`,
 *    endpoint `AWS_EC2_METADATA_SERVICE_ENDPOINT`).
 *
 * Temporary credentials are cached and fetched again before they expire.
 * Region: `region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, `auto` for an R2
 * endpoint, the profile's `region`, else `us-east-1`. Endpoint: `endpoint`,
 * `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's `endpoint_url`, else AWS.
 *
 * @example
 * ```ts
 * import { resolveS3Settings } from "./credentials.ts";
 * const s = await resolveS3Settings(
 *   { accessKeyId: "AKID", secretAccessKey: "secret", region: "eu-west-1" },
 * );
 * console.assert(s.region === "eu-west-1" && s.credentials.source === "config");
 * console.assert((await s.credentials.get()).accessKeyId === "AKID");
 * ```
 *
 * @module
 */

import type * as NodeFs from "node:fs/promises";
import { getEnv } from "../../src/_runtime.ts";
import { AuthenticationError, ConfigError } from "../../src/errors.ts";
import { HttpClient } from "../../src/http/mod.ts";
import { FLAVOR } from "./errors.ts";
import { parseXml } from "../../src/xml.ts";

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

/** The settings a store needs, resolved from configuration and environment. */
export interface S3Settings {
  /** The signing region. */
  region: string;
  /** A custom endpoint (R2, MinIO, Ceph, emulators), or undefined for AWS. */
  endpoint?: string;
  /** The credentials. */
  credentials: CredentialProvider;
}

/** What {@linkcode resolveS3Settings} reads from the store configuration. */
export interface S3CredentialConfig {
  /** Signing region. */
  region?: string;
  /** Custom endpoint URL. */
  endpoint?: string;
  /** Access key id. */
  accessKeyId?: string;
  /** Secret access key. */
  secretAccessKey?: string;
  /** Session token. */
  sessionToken?: string;
  /** Profile of the shared AWS files. */
  profile?: string;
}

/** Where {@linkcode resolveS3Settings} reads the environment and files from (tests override). */
export interface ResolveOptions {
  /** Reads an environment variable (default: the process environment). */
  env?: (name: string) => string | undefined;
  /** The `fetch` for STS, container and instance-metadata calls. */
  fetch?: typeof fetch;
  /** Reads a text file, undefined when missing (default: `node:fs/promises`, if present). */
  readTextFile?: (path: string) => Promise<string | undefined>;
}

const DEFAULT_REGION = "us-east-1";
const FIVE_MINUTES = 5 * 60_000;

// ------------------------------------------------------------------ files

let fsModule: Promise<typeof NodeFs | null> | undefined;

/** Reads a text file through a lazily imported `node:fs/promises`; undefined where there is none. */
async function defaultReadTextFile(path: string): Promise<string | undefined> {
  fsModule ??= import("node:fs/promises").catch(() => null);
  const fs = await fsModule;
  if (!fs) return undefined;
  try {
    return await fs.readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

/** One section of an INI file: its keys, lower-cased. */
export type IniSection = Record<string, string>;

/**
 * Parses the AWS shared-file INI dialect: `[section]`, `key = value`, `#`/`;`
 * comments; indented continuation lines (nested service settings) are skipped.
 *
 * @param text the file text
 * @returns the sections by name (as written between the brackets, trimmed)
 *
 * @example
 * ```ts
 * import { parseIni } from "./credentials.ts";
 * const ini = parseIni("[default]\naws_access_key_id = AKID # key\n[profile dev]\nregion=eu-west-1\n");
 * console.assert(ini["default"].aws_access_key_id === "AKID");
 * console.assert(ini["profile dev"].region === "eu-west-1");
 * ```
 */
export function parseIni(text: string): Record<string, IniSection> {
  const out: Record<string, IniSection> = {};
  let section: IniSection | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*([#;]|$)/.test(raw)) continue;
    if (/^\s/.test(raw) && section) continue; // a nested sub-setting
    const line = raw.trim();
    const head = /^\[([^\]]+)\]/.exec(line);
    if (head) {
      const name = head[1].trim();
      section = out[name] ??= {};
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0 || !section) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).replace(/\s+[#;].*$/, "").trim();
    section[key] = value;
  }
  return out;
}

interface Profile {
  name: string;
  explicit: boolean;
  /** Keys from `~/.aws/credentials` over those of `~/.aws/config`. */
  values: IniSection;
  found: boolean;
}

async function loadProfile(
  name: string,
  explicit: boolean,
  env: (n: string) => string | undefined,
  readTextFile: (p: string) => Promise<string | undefined>,
  home: string | undefined,
): Promise<Profile> {
  const credFile = env("AWS_SHARED_CREDENTIALS_FILE") ??
    (home ? `${home}/.aws/credentials` : undefined);
  const confFile = env("AWS_CONFIG_FILE") ??
    (home ? `${home}/.aws/config` : undefined);
  const [credText, confText] = await Promise.all([
    credFile ? readTextFile(credFile) : undefined,
    confFile ? readTextFile(confFile) : undefined,
  ]);
  const cred = credText ? parseIni(credText) : {};
  const conf = confText ? parseIni(confText) : {};
  const fromConf = conf[name === "default" ? "default" : `profile ${name}`] ??
    (name === "default" ? conf["profile default"] : undefined);
  const fromCred = cred[name];
  return {
    name,
    explicit,
    values: { ...fromConf, ...fromCred },
    found: fromConf !== undefined || fromCred !== undefined,
  };
}

// ------------------------------------------------------------------ providers

/**
 * Credentials that never change.
 *
 * @param creds the credentials
 * @param source where they come from
 * @returns the provider
 *
 * @example
 * ```ts
 * import { staticCredentials } from "./credentials.ts";
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
 * live shorter than twenty minutes. Concurrent callers share one fetch; when a
 * refresh fails while the old credentials are still valid, those are used.
 *
 * @param load fetches fresh credentials
 * @param source where they come from
 * @returns the provider
 *
 * @example
 * ```ts
 * import { refreshingCredentials } from "./credentials.ts";
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
  let current: AwsCredentials | undefined;
  let refreshAt = 0;
  let pending: Promise<AwsCredentials> | undefined;
  const fetchNew = () =>
    pending ??= (async () => {
      try {
        const fetchedAt = Date.now();
        const c = await load();
        current = c;
        if (c.expiration) {
          const expires = c.expiration.getTime();
          const margin = Math.min(FIVE_MINUTES, (expires - fetchedAt) / 4);
          refreshAt = expires - Math.max(0, margin);
        } else refreshAt = Infinity;
        return c;
      } finally {
        pending = undefined;
      }
    })();
  return {
    source,
    async get() {
      const now = Date.now();
      if (current && now < refreshAt) return current;
      const still = current?.expiration && current.expiration.getTime() > now ? current : undefined;
      try {
        return await fetchNew();
      } catch (err) {
        if (still) return still;
        throw err;
      }
    },
    invalidate() {
      current = undefined;
      refreshAt = 0;
    },
  };
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
 * import { containerCredentials } from "./credentials.ts";
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
      const res = await client.send({ method: "GET", url, headers });
      return fromJson(what, await res.json());
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
 * import { instanceCredentials } from "./credentials.ts";
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
      const tok = await client.send({
        method: "PUT",
        url: `${base}/latest/api/token`,
        headers: { "X-aws-ec2-metadata-token-ttl-seconds": "21600" },
      });
      const token = (await tok.text()).trim();
      const h = { "X-aws-ec2-metadata-token": token };
      const list = await client.send({
        method: "GET",
        url: `${base}/latest/meta-data/iam/security-credentials/`,
        headers: h,
      });
      const role = (await list.text()).split("\n")[0]?.trim();
      if (!role) {
        throw new AuthenticationError(
          `Cannot get AWS credentials from ${what}: the instance has no IAM role attached`,
          { flavor: FLAVOR },
        );
      }
      const res = await client.send({
        method: "GET",
        url: `${base}/latest/meta-data/iam/security-credentials/${encodeURIComponent(role)}`,
        headers: h,
      });
      return fromJson(what, await res.json());
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
 * import { webIdentityCredentials } from "./credentials.ts";
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
      const res = await client.send({
        method: "POST",
        url,
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/xml",
        },
        body: form.toString(),
      });
      const doc = parseXml(await res.text());
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

// ------------------------------------------------------------------ the chain

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

/**
 * Resolves region, endpoint and credentials from the configuration, then the
 * environment, then the shared AWS files, then web identity, container and
 * instance credentials (see the module doc for the order).
 *
 * @param config the store's credential fields
 * @param options where the environment and files are read from, and the fetch for credential endpoints
 * @returns the settings
 * @throws {ConfigError} for half-given keys or a named profile that does not exist
 *
 * @example
 * ```ts
 * import { resolveS3Settings } from "./credentials.ts";
 * const env: Record<string, string> = {
 *   AWS_ACCESS_KEY_ID: "AKID",
 *   AWS_SECRET_ACCESS_KEY: "secret",
 *   AWS_ENDPOINT_URL_S3: "http://127.0.0.1:9000",
 * };
 * const s = await resolveS3Settings({}, { env: (n) => env[n] });
 * console.assert(s.credentials.source === "env" && s.endpoint === "http://127.0.0.1:9000");
 * ```
 */
export async function resolveS3Settings(
  config: S3CredentialConfig,
  options: ResolveOptions = {},
): Promise<S3Settings> {
  const env = (n: string) => nonEmpty((options.env ?? getEnv)(n));
  const readTextFile = options.readTextFile ?? defaultReadTextFile;
  const fetchFn = options.fetch;

  let region = nonEmpty(config.region) ?? env("AWS_REGION") ??
    env("AWS_DEFAULT_REGION");
  let endpoint = nonEmpty(config.endpoint) ?? env("AWS_ENDPOINT_URL_S3") ??
    env("AWS_ENDPOINT_URL");

  // Cloudflare R2 signs with the region 'auto'.
  if (!region && endpoint && /\.r2\.cloudflarestorage\.com(:\d+)?(\/|$)/i.test(endpoint)) {
    region = "auto";
  }

  // 1. explicit configuration
  let credentials: CredentialProvider | undefined;
  const id = nonEmpty(config.accessKeyId);
  const secret = nonEmpty(config.secretAccessKey);
  if (id || secret) {
    if (!id || !secret) {
      throw new ConfigError(
        `Give both 'accessKeyId' and 'secretAccessKey', not only '${
          id ? "accessKeyId" : "secretAccessKey"
        }'`,
        { flavor: FLAVOR },
      );
    }
    credentials = staticCredentials({
      accessKeyId: id,
      secretAccessKey: secret,
      sessionToken: nonEmpty(config.sessionToken),
    }, "config");
  }

  // 2. environment (unless a profile was named in the configuration)
  const explicitProfile = nonEmpty(config.profile);
  if (!credentials && !explicitProfile) {
    const eid = env("AWS_ACCESS_KEY_ID");
    const esecret = env("AWS_SECRET_ACCESS_KEY");
    if (eid && esecret) {
      credentials = staticCredentials({
        accessKeyId: eid,
        secretAccessKey: esecret,
        sessionToken: env("AWS_SESSION_TOKEN"),
      }, "env");
    }
  }

  // 3. the shared files, when credentials or region are still missing (a profile's
  // endpoint_url is honoured then too)
  if (!credentials || !region) {
    const name = explicitProfile ?? env("AWS_PROFILE") ?? "default";
    const explicit = explicitProfile !== undefined ||
      env("AWS_PROFILE") !== undefined;
    const home = env("HOME") ?? env("USERPROFILE");
    const profile = await loadProfile(name, explicit, env, readTextFile, home);
    const v = profile.values;
    region ??= nonEmpty(v.region);
    endpoint ??= nonEmpty(v.endpoint_url);
    if (!credentials) {
      if (v.aws_access_key_id && v.aws_secret_access_key) {
        credentials = staticCredentials({
          accessKeyId: v.aws_access_key_id,
          secretAccessKey: v.aws_secret_access_key,
          sessionToken: nonEmpty(v.aws_session_token),
        }, `profile:${name}`);
      } else if (v.web_identity_token_file && v.role_arn) {
        credentials = webIdentityCredentials(
          {
            roleArn: v.role_arn,
            tokenFile: v.web_identity_token_file,
            sessionName: nonEmpty(v.role_session_name),
            region: region ?? DEFAULT_REGION,
            stsEndpoint: env("AWS_ENDPOINT_URL_STS") ?? env("AWS_ENDPOINT_URL"),
          },
          fetchFn,
          readTextFile,
        );
      } else if (profile.explicit) {
        if (!profile.found) {
          throw new ConfigError(
            `AWS profile '${name}' was not found in ~/.aws/credentials or ~/.aws/config: ` +
              "create it (aws configure --profile) or unset AWS_PROFILE",
            { flavor: FLAVOR },
          );
        }
        if (v.source_profile || v.credential_process || v.sso_session) {
          throw new ConfigError(
            `AWS profile '${name}' uses source_profile, credential_process or SSO, which Stowage does not read: ` +
              "export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN (e.g. from `aws configure export-credentials`)",
            { flavor: FLAVOR },
          );
        }
      }
    }
  }
  region ??= DEFAULT_REGION;

  // 4. web identity
  if (!credentials) {
    const tokenFile = env("AWS_WEB_IDENTITY_TOKEN_FILE");
    const roleArn = env("AWS_ROLE_ARN");
    if (tokenFile && roleArn) {
      credentials = webIdentityCredentials(
        {
          roleArn,
          tokenFile,
          sessionName: env("AWS_ROLE_SESSION_NAME"),
          region,
          stsEndpoint: env("AWS_ENDPOINT_URL_STS") ?? env("AWS_ENDPOINT_URL"),
        },
        fetchFn,
        readTextFile,
      );
    }
  }

  // 5. container credentials, 6. instance metadata
  credentials ??= containerCredentials(env, fetchFn, readTextFile);
  if (!credentials) {
    if (env("AWS_EC2_METADATA_DISABLED")?.toLowerCase() === "true") {
      credentials = noCredentials();
    } else {
      const imds = instanceCredentials(env, fetchFn);
      credentials = {
        source: imds.source,
        invalidate: imds.invalidate,
        get: () =>
          imds.get().catch((err) => {
            throw new AuthenticationError(
              `${NO_CREDENTIALS} (the instance metadata service did not answer: ${
                (err as Error).message
              })`,
              { flavor: FLAVOR, cause: err },
            );
          }),
      };
    }
  }

  return { region, endpoint: endpoint?.replace(/\/+$/, ""), credentials };
}

const NO_CREDENTIALS =
  "No AWS credentials found: pass 'accessKeyId' and 'secretAccessKey', set AWS_ACCESS_KEY_ID and " +
  "AWS_SECRET_ACCESS_KEY, or configure a profile in ~/.aws/credentials";

function noCredentials(): CredentialProvider {
  return {
    source: "none",
    get: () => Promise.reject(new AuthenticationError(NO_CREDENTIALS, { flavor: FLAVOR })),
    invalidate: () => {},
  };
}
