// The CLI's configuration in $STOWAGE_HOME (default ~/.stowage): config.json (written
// atomically: temp file + rename) and local/, the embedded default local store.

import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { ConfigError } from "../errors.ts";
import type { StoreConfig } from "../registry.ts";

/** The name of the embedded default store. */
export const DEFAULT_STORE = "default";

/** What config.json holds. */
export interface CliConfig {
  /** Format version. */
  version: 1;
  /** The store that relative paths go to. */
  defaultStore: string;
  /** Registered stores by name. */
  stores: Record<string, StoreConfig>;
  /** Flavor modules registered with `stowage flavor register`. */
  flavors: { name: string; module: string }[];
}

/**
 * The Stowage home directory: `$STOWAGE_HOME`, else `~/.stowage`.
 *
 * @param env reads an environment variable
 * @returns the directory
 */
export function stowageHome(env: (name: string) => string | undefined): string {
  const home = env("STOWAGE_HOME");
  if (home) return home.replace(/\/+$/, "") || "/";
  const user = env("HOME") ?? env("USERPROFILE");
  if (!user) {
    throw new ConfigError(
      "Cannot find a home directory: set STOWAGE_HOME to a directory for Stowage",
    );
  }
  return `${user.replace(/\/+$/, "")}/.stowage`;
}

function defaults(home: string): CliConfig {
  return {
    version: 1,
    defaultStore: DEFAULT_STORE,
    stores: { [DEFAULT_STORE]: { flavor: "local", path: `${home}/local` } },
    flavors: [],
  };
}

/**
 * Reads config.json, or the defaults when there is none yet; the default local store
 * is always present.
 *
 * @param home the Stowage home
 * @returns the configuration
 */
export async function loadConfig(home: string): Promise<CliConfig> {
  let text: string;
  try {
    text = await readFile(`${home}/config.json`, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return defaults(home);
    throw new ConfigError(`Cannot read '${home}/config.json': ${(err as Error).message}`);
  }
  let cfg: CliConfig;
  try {
    cfg = JSON.parse(text);
  } catch {
    throw new ConfigError(
      `'${home}/config.json' is not valid JSON: fix it or move it away to start afresh`,
    );
  }
  const d = defaults(home);
  return {
    version: 1,
    defaultStore: cfg.defaultStore ?? d.defaultStore,
    stores: { ...d.stores, ...(cfg.stores ?? {}) },
    flavors: cfg.flavors ?? [],
  };
}

/**
 * Writes config.json atomically (a temp file renamed over it).
 *
 * @param home the Stowage home
 * @param cfg the configuration
 */
export async function saveConfig(home: string, cfg: CliConfig): Promise<void> {
  await mkdir(home, { recursive: true });
  const tmp = `${home}/.config.json.${crypto.randomUUID()}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(cfg, null, 2) + "\n", { mode: 0o600 });
    await rename(tmp, `${home}/config.json`);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new ConfigError(`Cannot write '${home}/config.json': ${(err as Error).message}`);
  }
}

/**
 * Field names whose values are secrets, compared without case, `_` or `-`: access key ids,
 * secret keys, session and access tokens, account keys, SAS tokens, connection strings,
 * service-account JSON (`credentials`, `keyFilename` contents), client secrets, passwords.
 */
const SECRET_NAME =
  /secret|password|passwd|token|accesskey|accountkey|apikey|privatekey|^key$|sas|connectionstring|credential|serviceaccount|signature|^sig$|^auth/;

/** Values that are secrets whatever their field is called (a connection string, a SAS, a PEM key). */
const SECRET_VALUE =
  /AccountKey=|SharedAccessSignature=|[?&]sig=|-----BEGIN [A-Z ]*PRIVATE KEY-----|"private_key"/i;

/**
 * Masks one secret: the last 4 characters stay when the secret is long enough (16 or more) for
 * them to say nothing useful; shorter ones are masked whole.
 *
 * @param value the secret
 * @returns `****` followed by at most the last 4 characters
 */
export function maskValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  return text.length >= 16 ? `********${text.slice(-4)}` : "********";
}

/**
 * Tells whether a configuration field holds a secret, by its name or its value.
 *
 * @param key the field name
 * @param value its value
 * @returns true when it must not be printed in clear
 */
export function isSecretField(key: string, value: unknown): boolean {
  if (SECRET_NAME.test(key.toLowerCase().replace(/[_-]/g, ""))) return true;
  return typeof value === "string" && SECRET_VALUE.test(value);
}

/**
 * A copy of a store configuration with every secret masked (see {@linkcode maskValue}), for
 * printing; nested objects are masked field by field, a secret object as a whole.
 *
 * @param cfg the configuration
 * @returns the masked copy
 */
export function maskSecrets(cfg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (k === "flavor") out[k] = v;
    else if (v === undefined || v === null || typeof v === "boolean" || typeof v === "number") {
      out[k] = v;
    } else if (isSecretField(k, v)) out[k] = maskValue(v);
    else if (Array.isArray(v)) out[k] = v.map((x) => (isSecretField("", x) ? maskValue(x) : x));
    else if (typeof v === "object") out[k] = maskSecrets(v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}
