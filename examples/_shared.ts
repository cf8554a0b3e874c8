// Shared bits of the example servers: which store to serve, the token, the banner.

import "../flavors/all.ts"; // any URI: every built-in flavor, loaded on first use
import { type BaseArtifactStore, createArtifactStore } from "../mod.ts";
import { getEnv, homeDir } from "../src/_runtime.ts";

/** `$STOWAGE_HOME` (default `~/.stowage`). */
export function stowageHome(): string {
  const home = getEnv("STOWAGE_HOME");
  if (home) return home.replace(/\/+$/, "");
  const user = homeDir();
  if (!user) {
    throw new Error("Cannot find the home directory: set STOWAGE_HOME");
  }
  return `${user.replace(/\/+$/, "")}/.stowage`;
}

/** The store to serve: a URI or path argument, else `$STOWAGE_HOME/local`. */
export async function storeFromArgs(
  args: readonly string[],
): Promise<BaseArtifactStore> {
  return await createArtifactStore(args[0] ?? `${stowageHome()}/local`);
}

/** `STOWAGE_TOKEN`, else a random token for this run. */
export function tokenFromEnv(): string {
  const t = getEnv("STOWAGE_TOKEN");
  if (t) return t;
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-")
    .replaceAll("/", "_").replace(/=+$/, "");
}

/** `PORT`, default 8000. */
export function portFromEnv(): number {
  const raw = getEnv("PORT");
  const port = raw === undefined || raw === "" ? 8000 : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT '${raw}' is not a port number: use 0-65535`);
  }
  return port;
}

/** The three lines a server prints when it is up. */
export function banner(root: string, port: number, token: string): string {
  const url = `http://127.0.0.1:${port}`;
  return [
    `Stowage serving ${root} at ${url}`,
    `Token: ${token}`,
    `curl -H "Authorization: Bearer ${token}" ${url}/files/README.md -T README.md`,
  ].join("\n");
}
