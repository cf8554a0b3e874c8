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

const SECRET = /secret|password|token|key$|^key|sas|connectionstring|credential|signature/i;

/**
 * A copy of a store configuration with secret-looking values masked, for printing.
 *
 * @param cfg the configuration
 * @returns the masked copy
 */
export function maskSecrets(cfg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (k === "path" || k === "flavor") out[k] = v;
    else if (SECRET.test(k)) out[k] = "********";
    else if (v && typeof v === "object") out[k] = maskSecrets(v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}
