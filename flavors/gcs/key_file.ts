/**
 * Google key files: reading them (inline JSON, `keyFilename`,
 * `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's application-default credentials
 * file), checking that they are a usable service-account key or user
 * credentials, and the signing identity a service-account key gives signed URLs.
 *
 * @example
 * ```ts
 * import { gcloudCredentialsFile } from "./key_file.ts";
 * const file = gcloudCredentialsFile((n) => n === "CLOUDSDK_CONFIG" ? "/etc/gcloud" : undefined);
 * console.assert(file === "/etc/gcloud/application_default_credentials.json");
 * ```
 *
 * @module
 */

import { homeDir } from "../../src/_runtime.ts";
import { ConfigError } from "../../src/errors.ts";
import type { AuthorizedUserKey, GcsCredentials, ServiceAccountKey } from "./config.ts";
import { FLAVOR } from "./errors.ts";
import { importPrivateKey } from "./signer.ts";

/** A service account's signing identity (for signed URLs). */
export interface SigningKey {
  /** The account's e-mail. */
  clientEmail: string;
  /** Its private key. */
  key: CryptoKey;
}

/**
 * Reads a text file through `node:fs/promises`, imported lazily (edge runtimes have none).
 *
 * @param path the file
 * @returns its text
 * @throws {ConfigError} when the runtime has no file system
 */
export async function readTextFile(path: string): Promise<string> {
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
 * import { parseKeyFile } from "./key_file.ts";
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

/**
 * Loads a key file on demand: read with `readFile`, then checked with
 * {@linkcode parseKeyFile}.
 *
 * @param readFile reads a text file
 * @param path the file
 * @param what the setting that named it, for messages (`"keyFilename"`)
 * @returns a function that reads and parses the file
 */
export function keyFileLoader(
  readFile: (path: string) => Promise<string>,
  path: string,
  what: string,
): () => Promise<GcsCredentials> {
  return async () => {
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
}

/**
 * Where gcloud keeps the application-default credentials:
 * `$CLOUDSDK_CONFIG`, else `%APPDATA%/gcloud`, else `~/.config/gcloud`.
 *
 * @param env reads an environment variable
 * @returns the file, or `undefined` when there is no home directory
 */
export function gcloudCredentialsFile(
  env: (name: string) => string | undefined,
): string | undefined {
  const dir = env("CLOUDSDK_CONFIG") ??
    (env("APPDATA")
      ? `${env("APPDATA")}/gcloud`
      : homeDir()
      ? `${homeDir()}/.config/gcloud`
      : undefined);
  return dir ? `${dir}/application_default_credentials.json` : undefined;
}

/**
 * The signing identity of a key: a service-account key's e-mail and private
 * key, `null` for user credentials.
 *
 * @param key the parsed key
 * @returns the identity, or `null`
 */
export async function signingKeyOf(key: GcsCredentials): Promise<SigningKey | null> {
  return key.type === "service_account"
    ? { clientEmail: key.client_email, key: await importPrivateKey(key.private_key) }
    : null;
}
