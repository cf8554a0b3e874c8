/**
 * The shared AWS files, `~/.aws/credentials` and `~/.aws/config`: the INI dialect
 * they are written in and the profile the credential chain reads from them, over
 * a `node:fs/promises` imported only when needed (edge runtimes have none).
 *
 * @example
 * ```ts
 * import { parseIni } from "./profile.ts";
 * console.assert(parseIni("[default]\nregion = eu-west-1\n")["default"].region === "eu-west-1");
 * ```
 *
 * @module
 */

import type * as NodeFs from "node:fs/promises";

let fsModule: Promise<typeof NodeFs | null> | undefined;

/** Reads a text file through a lazily imported `node:fs/promises`; undefined where there is none. */
export async function defaultReadTextFile(path: string): Promise<string | undefined> {
  fsModule ??= import("node:fs/promises").catch(() => null);
  const fs = await fsModule;
  if (!fs) return undefined;
  try {
    return await fs.readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

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
 * import { parseIni } from "./profile.ts";
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

/** A profile of the shared files. */
export interface Profile {
  /** Its name (`default`, `dev`). */
  name: string;
  /** True when it was named (`profile`, `AWS_PROFILE`), not the default one. */
  explicit: boolean;
  /** Keys from `~/.aws/credentials` over those of `~/.aws/config`. */
  values: IniSection;
  /** True when either file has it. */
  found: boolean;
}

/**
 * Reads a profile from `AWS_SHARED_CREDENTIALS_FILE` (else `~/.aws/credentials`)
 * and `AWS_CONFIG_FILE` (else `~/.aws/config`); missing files are empty.
 *
 * @param name the profile
 * @param explicit whether it was named
 * @param env reads the environment
 * @param readTextFile reads a file, undefined when missing
 * @param home the home directory
 * @returns the profile's keys
 */
export async function loadProfile(
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
