// The one runtime switch: environment, working directory and home directory on
// Deno, Bun, Node and edge workers (where none of them exist).

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** True on Deno. */
export const isDeno: boolean = typeof g.Deno?.version?.deno === "string";

/** True on Node itself: not Deno or Bun (which define `process` too), nor a worker with Node compatibility. */
export const isNode: boolean = typeof g.process?.versions?.node === "string" && !g.Deno &&
  !g.Bun && g.navigator?.userAgent !== "Cloudflare-Workers";

/** Reads an environment variable; undefined where there is no environment or no permission. */
export function getEnv(name: string): string | undefined {
  try {
    if (isDeno) return g.Deno.env.get(name) ?? undefined;
    return g.process?.env?.[name] ?? undefined;
  } catch {
    return undefined;
  }
}

/** The working directory, or undefined where there is none (edge workers). */
export function cwd(): string | undefined {
  try {
    if (isDeno) return g.Deno.cwd();
    return typeof g.process?.cwd === "function" ? g.process.cwd() : undefined;
  } catch {
    return undefined;
  }
}

/** The user's home directory, or undefined. */
export function homeDir(): string | undefined {
  return getEnv("HOME") ?? getEnv("USERPROFILE");
}
