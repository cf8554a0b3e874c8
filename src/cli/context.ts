// What every command shares: the I/O object, the context, the command shape, how a
// path argument becomes a store and a path, and the fetch that reports its retries.

import { type ArgSpec, type parseArgs, suggest, UsageError } from "./args.ts";
import type { CliConfig } from "./config.ts";
import { schemaFields } from "./schema.ts";
import type { BaseArtifactStore } from "../base.ts";
import { posix } from "node:path";
import { ConfigError } from "../errors.ts";
import { validateConfig } from "../flavor.ts";
import { getFlavor, getFlavorForScheme, type StoreConfig } from "../registry.ts";
import * as fileio from "../fileio.ts";
import { splitScheme } from "../uri.ts";
import { defaultFetch } from "../http/client.ts";
/** Where the CLI's output goes and where its environment comes from. */
export interface CliIO {
  /** Prints a line on stdout. */
  out: (line: string) => void;
  /** Prints a line on stderr. */
  err: (line: string) => void;
  /** Writes raw text on stderr (progress bars). */
  errRaw: (text: string) => void;
  /** A byte sink on stdout (for `cat` and `cp SRC -`). */
  stdout: () => WritableStream<Uint8Array>;
  /** A byte source on stdin (for `cp - DST`). */
  stdin: () => ReadableStream<Uint8Array>;
  /** Whether stderr is a terminal (progress bars). */
  isTTY: boolean;
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
  /** The working directory that relative local paths resolve against. */
  cwd: () => string;
  /** Aborts the running command (the program wires it to SIGINT); copies discard their writes. */
  signal?: AbortSignal;
}

export interface Ctx {
  io: CliIO;
  home: string;
  cfg: CliConfig;
  stores: Map<string, BaseArtifactStore>;
  /** Options of the command line being run. */
  json: boolean;
  /** Reports retries of the cloud flavors' HTTP requests on stderr. */
  fetch: typeof fetch;
}

export interface Command {
  /** One line, for the command list. */
  summary: string;
  /** The synopsis, after `Usage: `. */
  usage: string;
  /** What it does, a few lines. */
  description: string[];
  /** Every option: the flags and what they mean. */
  options: [string, string][];
  /** Example command lines (with a `# comment` each). */
  examples: string[];
  /** How many positional arguments it takes: [min, max]. */
  args: [number, number];
  /** Whether `--json` is accepted (stdout is then one JSON document). */
  json?: boolean;
  /** Whether the command watches `io.signal` itself (else an interrupt ends it at once). */
  abortable?: boolean;
  spec: ArgSpec;
  run: (ctx: Ctx, args: ReturnType<typeof parseArgs>) => Promise<void>;
}

// ------------------------------------------------------------------ targets

/** A resolved CLI path: its store, a path that store accepts, and how it was written. */
export interface Target {
  store: BaseArtifactStore;
  path: string;
  /** The argument as typed. */
  raw: string;
  /** It ends with `/` (or names a store root): "into that directory". */
  slash: boolean;
  /** It is a plain local path (cwd-relative or absolute), not a URI or NAME:path. */
  local: boolean;
}

export async function storeFromConfig(ctx: Ctx, config: StoreConfig): Promise<BaseArtifactStore> {
  const flavor = await getFlavor(String(config.flavor));
  const cfg: StoreConfig = { ...config };
  // Cloud flavors take an injectable fetch: the CLI's reports each retry on stderr and names
  // the endpoint when it cannot be reached.
  if (
    cfg.fetch === undefined &&
    schemaFields(flavor.configSchema, { all: true }).some((f) => f.name === "fetch")
  ) cfg.fetch = ctx.fetch;
  const valid = await validateConfig(flavor, cfg);
  return await flavor.create(valid);
}

/**
 * The configuration of the registered store `name`, or a `ConfigError` with the
 * closest name.
 *
 * @param ctx the command context
 * @param name the store's name
 * @param more what else to tell the user, appended to the message
 * @returns the store's configuration
 */
export function registeredStore(ctx: Ctx, name: string, more = ""): StoreConfig {
  const cfg = ctx.cfg.stores[name];
  if (cfg) return cfg;
  const hint = suggest(name, Object.keys(ctx.cfg.stores));
  throw new ConfigError(
    `No artifact store named '${name}'${hint ? `: did you mean '${hint}'?` : ""} ` +
      `(see 'stowage artifact-store list')${more}`,
  );
}

/** The registered store `name`, built once per command. */
export async function storeNamed(ctx: Ctx, name: string): Promise<BaseArtifactStore> {
  let s = ctx.stores.get(`name:${name}`);
  if (s) return s;
  s = await storeFromConfig(ctx, registeredStore(ctx, name));
  ctx.stores.set(`name:${name}`, s);
  return s;
}

/** The store of a URI that no registered store contains: built from the environment. */
export async function storeForUri(ctx: Ctx, uri: string): Promise<BaseArtifactStore> {
  const [scheme, rest] = splitScheme(uri)!;
  if (scheme === "file") return await fileio.storeFor(uri);
  const root = `${scheme}://${rest.split("/")[0]}`;
  let s = ctx.stores.get(`uri:${root}`);
  if (s) return s;
  const flavor = await getFlavorForScheme(scheme);
  s = await storeFromConfig(ctx, { flavor: flavor.name, path: root });
  ctx.stores.set(`uri:${root}`, s);
  return s;
}

/** The registered store with the longest root containing `path`, if any. */
export async function registeredFor(
  ctx: Ctx,
  path: string,
): Promise<BaseArtifactStore | undefined> {
  let best: BaseArtifactStore | undefined;
  const absolute = !splitScheme(path);
  for (const name of Object.keys(ctx.cfg.stores)) {
    const cfgPath = String(ctx.cfg.stores[name].path ?? "");
    if (absolute !== !splitScheme(cfgPath)) continue;
    const s = await storeNamed(ctx, name).catch(() => undefined);
    if (s?.contains(path) && (!best || s.path.length > best.path.length)) best = s;
  }
  return best;
}

/**
 * Resolves a CLI path: a URI (`s3://bucket/key`), `NAME:path` inside a registered store
 * (`default:` is the embedded local store), or a local path — relative ones against the
 * working directory, as in every CLI.
 */
export async function target(ctx: Ctx, spec: string): Promise<Target> {
  if (spec === "") throw new UsageError("A path is empty: give a URI, NAME:path or a path");
  const slash = spec.endsWith("/");
  if (splitScheme(spec)) {
    const store = await registeredFor(ctx, spec) ?? await storeForUri(ctx, spec);
    return { store, path: spec, raw: spec, slash, local: false };
  }
  const named = /^([A-Za-z0-9_.-]+):(.*)$/.exec(spec);
  if (named && !spec.startsWith(".")) {
    registeredStore(ctx, named[1], `; for a local file of that name write './${spec}'`);
    const store = await storeNamed(ctx, named[1]);
    const rel = named[2].replace(/^\/+/, "");
    return { store, path: rel, raw: spec, slash: slash || rel === "", local: false };
  }
  const abs = posix.resolve(ctx.io.cwd(), spec);
  const store = await registeredFor(ctx, abs) ?? await fileio.storeFor(abs);
  return { store, path: abs, raw: spec, slash, local: true };
}

export function fullPath(store: BaseArtifactStore, path: string): string {
  if (splitScheme(path) || path.startsWith("/")) return path;
  return path === "" ? store.path : `${store.path.replace(/\/$/, "")}/${path}`;
}

/** `t` joined with a child name. */
export function child(t: Target, name: string): Target {
  const base = t.path.replace(/\/+$/, "");
  const path = base === "" ? name : `${base}/${name}`;
  return { ...t, path, raw: `${t.raw.replace(/\/+$/, "")}/${name}`, slash: false };
}

/** The parent of a target's path (its store root when at the top). */
export function parentOf(t: Target): string {
  const full = fullPath(t.store, t.path).replace(/\/+$/, "");
  const i = full.lastIndexOf("/");
  return i <= 0 ? "/" : full.slice(0, i);
}

/** Whether a store has real directories that must exist before a file goes in them. */
export function hasDirectories(store: BaseArtifactStore): boolean {
  return store.flavor === "local";
}

export async function isDir(t: Target): Promise<boolean> {
  return await t.store.isdir(t.path).catch(() => false);
}

// ------------------------------------------------------------------ retries

/** The reason of a failed fetch, in words (connection refused, host not found, …). */
export function networkReason(err: unknown): string {
  const parts: string[] = [];
  for (
    let e = err as { message?: string; code?: string; cause?: unknown } | undefined, i = 0;
    e && i < 5;
    e = e.cause as typeof e, i++
  ) parts.push(`${e.code ?? ""} ${e.message ?? ""}`);
  const text = parts.join(" ");
  if (/ECONNREFUSED|connection refused|ConnectionRefused/i.test(text)) return "connection refused";
  if (/ENOTFOUND|EAI_AGAIN|dns error|failed to lookup|getaddrinfo/i.test(text)) {
    return "host not found";
  }
  if (/ECONNRESET|connection reset|ConnectionReset/i.test(text)) return "connection reset";
  if (/ETIMEDOUT|timed out|TimeoutError|no response within/i.test(text)) return "timed out";
  const first = String((err as Error)?.message ?? err);
  return first.length > 160 ? `${first.slice(0, 157)}...` : first;
}

/**
 * A `fetch` that reports each repeat of a failed request (a retry of the HTTP client) on
 * stderr, naming the endpoint and the attempt, and turns network failures into errors that
 * name the endpoint and the reason.
 */
export function reportingFetch(io: CliIO): typeof fetch {
  const failed = new Map<string, { attempts: number; why: string }>();
  return async (input, init) => {
    const url = typeof input === "string"
      ? input
      : input instanceof URL
      ? input.href
      : (input as Request).url;
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    const origin = (() => {
      try {
        return new URL(url).origin;
      } catch {
        return url;
      }
    })();
    const key = `${method} ${url}`;
    const prev = failed.get(key);
    const attempt = (prev?.attempts ?? 0) + 1;
    if (prev) {
      io.err(`stowage: retrying ${method} ${origin} (attempt ${attempt}): ${prev.why}`);
    }
    try {
      const res = await defaultFetch(input, init);
      if (res.status === 408 || res.status === 429 || res.status >= 500) {
        failed.set(key, { attempts: attempt, why: `${origin} answered HTTP ${res.status}` });
      } else failed.delete(key);
      return res;
    } catch (err) {
      if (init?.signal?.aborted) throw err;
      const why = `cannot reach ${origin}: ${networkReason(err)}`;
      failed.set(key, { attempts: attempt, why });
      throw new TypeError(why, { cause: err });
    }
  };
}

export const PATHS_NOTE = [
  "Paths: a URI (s3://bucket/key, gs://, az://, memory://, file://), NAME:path inside a",
  "registered store ('default:' is the embedded store in $STOWAGE_HOME/local), or a local",
  "path: relative paths (a.txt, ./a.txt, ../a.txt) resolve against the working directory.",
];

export const FORCE: [string, string] = [
  "-f, --force",
  "replace a destination file that exists (without it, refuse)",
];
export const JSON_OPT: [string, string] = [
  "--json",
  "print one JSON document on stdout (notices go to stderr)",
];
