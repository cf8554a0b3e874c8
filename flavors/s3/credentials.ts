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

import { getEnv } from "../../src/_runtime.ts";
import { AuthenticationError, ConfigError } from "../../src/errors.ts";
import type { S3StoreConfig } from "./config.ts";
import { FLAVOR } from "./errors.ts";
import { defaultReadTextFile, loadProfile } from "./profile.ts";
import {
  type AwsCredentials,
  containerCredentials,
  type CredentialProvider,
  instanceCredentials,
  staticCredentials,
  webIdentityCredentials,
} from "./providers.ts";

export type { AwsCredentials, CredentialProvider };

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
export type S3CredentialConfig = Pick<
  S3StoreConfig,
  "region" | "endpoint" | "accessKeyId" | "secretAccessKey" | "sessionToken" | "profile"
>;

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
  const keys = (
    accessKeyId: string,
    secretAccessKey: string,
    token: string | undefined,
    source: string,
  ) => staticCredentials({ accessKeyId, secretAccessKey, sessionToken: nonEmpty(token) }, source);
  const webIdentity = (
    roleArn: string,
    tokenFile: string,
    sessionName: string | undefined,
    region: string,
  ) =>
    webIdentityCredentials(
      {
        roleArn,
        tokenFile,
        sessionName: nonEmpty(sessionName),
        region,
        stsEndpoint: env("AWS_ENDPOINT_URL_STS") ?? env("AWS_ENDPOINT_URL"),
      },
      fetchFn,
      readTextFile,
    );

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
    credentials = keys(id, secret, config.sessionToken, "config");
  }

  // 2. environment (unless a profile was named in the configuration)
  const explicitProfile = nonEmpty(config.profile);
  if (!credentials && !explicitProfile) {
    const eid = env("AWS_ACCESS_KEY_ID");
    const esecret = env("AWS_SECRET_ACCESS_KEY");
    if (eid && esecret) {
      credentials = keys(eid, esecret, env("AWS_SESSION_TOKEN"), "env");
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
        credentials = keys(
          v.aws_access_key_id,
          v.aws_secret_access_key,
          v.aws_session_token,
          `profile:${name}`,
        );
      } else if (v.web_identity_token_file && v.role_arn) {
        credentials = webIdentity(
          v.role_arn,
          v.web_identity_token_file,
          v.role_session_name,
          region ?? DEFAULT_REGION,
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
      credentials = webIdentity(roleArn, tokenFile, env("AWS_ROLE_SESSION_NAME"), region);
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
