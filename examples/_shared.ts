// Shared bits of the example servers: which store to serve, the token, the banner.

import "../flavors/all.ts"; // any URI: every built-in flavor, loaded on first use
import { ArtifactStoreError, type BaseArtifactStore, createArtifactStore } from "../mod.ts";
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
  try {
    return await createArtifactStore(args[0] ?? `${stowageHome()}/local`);
  } catch (err) {
    if (err instanceof ArtifactStoreError) exitWith(`stowage: ${err.message}`, 2);
    throw err;
  }
}

/** `STOWAGE_TOKEN`, else a random token for this run. */
export function tokenFromEnv(): string {
  const t = getEnv("STOWAGE_TOKEN");
  if (t) return t;
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-")
    .replaceAll("/", "_").replace(/=+$/, "");
}

/** Prints one line to stderr and ends the process with `code` (a usage error is 2). */
export function exitWith(message: string, code: number): never {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  console.error(message);
  if (g.Deno) g.Deno.exit(code);
  g.process.exit(code);
  throw new Error("unreachable");
}

/** `PORT`, default 8000; anything else than 0-65535 ends the process with one line (exit 2). */
export function portFromEnv(): number {
  const raw = getEnv("PORT");
  const port = raw === undefined || raw.trim() === "" ? 8000 : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    exitWith(`PORT '${raw}' is not a port number: use 0-65535 (PORT=8080 deno task start)`, 2);
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
