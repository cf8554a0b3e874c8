// The CLI's commands. Each takes parsed arguments and the I/O object, and throws typed
// errors (UsageError for usage, ArtifactStoreError for failed work) that `main` prints.

import { type ArgSpec, parseArgs, suggest, UsageError } from "./args.ts";
import {
  type CliConfig,
  DEFAULT_STORE,
  loadConfig,
  maskSecrets,
  saveConfig,
  stowageHome,
} from "./config.ts";
import { humanSize, progressBar, table } from "./output.ts";
import { type SchemaField, schemaFields } from "./schema.ts";
import { VERSION } from "./version.ts";
import type { BaseArtifactStore } from "../base.ts";
import { posix } from "node:path";
import {
  ArtifactStoreError,
  ConfigError,
  FileExistsError,
  FileNotFoundError,
  NotADirectoryError,
} from "../errors.ts";
import type { Flavor } from "../flavor.ts";
import { validateConfig } from "../flavor.ts";
import {
  getFlavor,
  getFlavorForScheme,
  listFlavors,
  registerFlavor,
  type StoreConfig,
  unregisterFlavor,
} from "../registry.ts";
import { BaseArtifactStore as Base } from "../base.ts";
import * as fileio from "../fileio.ts";
import { baseName, splitScheme } from "../path.ts";

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

interface Ctx {
  io: CliIO;
  home: string;
  cfg: CliConfig;
  stores: Map<string, BaseArtifactStore>;
  /** Options of the command line being run. */
  json: boolean;
  /** Reports retries of the cloud flavors' HTTP requests on stderr. */
  fetch: typeof fetch;
}

interface Command {
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
interface Target {
  store: BaseArtifactStore;
  path: string;
  /** The argument as typed. */
  raw: string;
  /** It ends with `/` (or names a store root): "into that directory". */
  slash: boolean;
  /** It is a plain local path (cwd-relative or absolute), not a URI or NAME:path. */
  local: boolean;
}

async function storeFromConfig(ctx: Ctx, config: StoreConfig): Promise<BaseArtifactStore> {
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

async function storeNamed(ctx: Ctx, name: string): Promise<BaseArtifactStore> {
  let s = ctx.stores.get(`name:${name}`);
  if (s) return s;
  const cfg = ctx.cfg.stores[name];
  if (!cfg) {
    const hint = suggest(name, Object.keys(ctx.cfg.stores));
    throw new ConfigError(
      `No artifact store named '${name}'${hint ? `: did you mean '${hint}'?` : ""} ` +
        "(see 'stowage artifact-store list')",
    );
  }
  s = await storeFromConfig(ctx, cfg);
  ctx.stores.set(`name:${name}`, s);
  return s;
}

/** The store of a URI that no registered store contains: built from the environment. */
async function storeForUri(ctx: Ctx, uri: string): Promise<BaseArtifactStore> {
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
async function registeredFor(ctx: Ctx, path: string): Promise<BaseArtifactStore | undefined> {
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
async function target(ctx: Ctx, spec: string): Promise<Target> {
  if (spec === "") throw new UsageError("A path is empty: give a URI, NAME:path or a path");
  const slash = spec.endsWith("/");
  if (splitScheme(spec)) {
    const store = await registeredFor(ctx, spec) ?? await storeForUri(ctx, spec);
    return { store, path: spec, raw: spec, slash, local: false };
  }
  const named = /^([A-Za-z0-9_.-]+):(.*)$/.exec(spec);
  if (named && !spec.startsWith(".")) {
    if (!ctx.cfg.stores[named[1]]) {
      const hint = suggest(named[1], Object.keys(ctx.cfg.stores));
      throw new ConfigError(
        `No artifact store named '${named[1]}'${hint ? `: did you mean '${hint}'?` : ""} ` +
          `(see 'stowage artifact-store list'); for a local file of that name write './${spec}'`,
      );
    }
    const store = await storeNamed(ctx, named[1]);
    const rel = named[2].replace(/^\/+/, "");
    return { store, path: rel, raw: spec, slash: slash || rel === "", local: false };
  }
  const abs = posix.resolve(ctx.io.cwd(), spec);
  const store = await registeredFor(ctx, abs) ?? await fileio.storeFor(abs);
  return { store, path: abs, raw: spec, slash, local: true };
}

function fullPath(store: BaseArtifactStore, path: string): string {
  if (splitScheme(path) || path.startsWith("/")) return path;
  return path === "" ? store.path : `${store.path.replace(/\/$/, "")}/${path}`;
}

/** `t` joined with a child name. */
function child(t: Target, name: string): Target {
  const base = t.path.replace(/\/+$/, "");
  const path = base === "" ? name : `${base}/${name}`;
  return { ...t, path, raw: `${t.raw.replace(/\/+$/, "")}/${name}`, slash: false };
}

/** The parent of a target's path (its store root when at the top). */
function parentOf(t: Target): string {
  const full = fullPath(t.store, t.path).replace(/\/+$/, "");
  const i = full.lastIndexOf("/");
  return i <= 0 ? "/" : full.slice(0, i);
}

/** Whether a store has real directories that must exist before a file goes in them. */
function hasDirectories(store: BaseArtifactStore): boolean {
  return store.flavor === "local";
}

async function isDir(t: Target): Promise<boolean> {
  return await t.store.isdir(t.path).catch(() => false);
}

// ------------------------------------------------------------------ retries

/** The reason of a failed fetch, in words (connection refused, host not found, …). */
function networkReason(err: unknown): string {
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
function reportingFetch(io: CliIO): typeof fetch {
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
      const res = await fetch(input, init);
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

// ------------------------------------------------------------------ copying

/** Aborts `write` after the pipe has settled (or a second after the interrupt, if it hangs). */
function writeSignal(signal: AbortSignal | undefined): {
  signal?: AbortSignal;
  settle(): void;
} {
  if (!signal) return { settle() {} };
  // The pipe sees the interrupt first: it aborts the sink, which discards what was
  // written and waits for that to finish. The sink's own signal follows after the pipe has
  // settled, so an interrupted copy returns only once nothing is left behind.
  const ac = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => {
    timer = setTimeout(() => ac.abort(signal.reason), 1000);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  return {
    signal: ac.signal,
    settle() {
      signal.removeEventListener("abort", onAbort);
      clearTimeout(timer);
      if (signal.aborted) ac.abort(signal.reason);
    },
  };
}

/** Copies one file (or stdin/stdout for `-`); returns the bytes copied. */
async function copyOne(
  ctx: Ctx,
  src: Target | "-",
  dst: Target | "-",
  o: { overwrite: boolean; progress: boolean },
): Promise<number> {
  const signal = ctx.io.signal;
  signal?.throwIfAborted();
  if (src !== "-" && dst !== "-") {
    if (
      src.store === dst.store && fullPath(src.store, src.path) === fullPath(dst.store, dst.path)
    ) {
      throw new FileExistsError(`'${src.raw}' and '${dst.raw}' are the same file`, {
        path: fullPath(src.store, src.path),
      });
    }
  }
  const size = src === "-" ? undefined : (await src.store.stat(src.path)).size;
  // Inside one object store, a server-side copy; local files stream through (progress, and
  // an interrupt discards the staged write).
  if (src !== "-" && dst !== "-" && src.store === dst.store && !hasDirectories(src.store)) {
    await src.store.copyfile(src.path, dst.path, { overwrite: o.overwrite });
    return size!;
  }
  if (dst !== "-" && !o.overwrite && await dst.store.exists(dst.path)) {
    throw new FileExistsError(
      `Destination '${fullPath(dst.store, dst.path)}' already exists: pass --force to replace it`,
      { path: dst.path },
    );
  }
  const label = src === "-" ? "stdin" : baseName(src.path);
  const bar = progressBar(label, size, ctx.io.isTTY ? "bar" : o.progress ? "lines" : "off", {
    write: ctx.io.errRaw,
    force: o.progress,
  });
  let bytes = 0;
  const count = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, c) {
      bytes += chunk.length;
      bar.update(bytes);
      c.enqueue(chunk);
    },
  });
  const ws = writeSignal(signal);
  try {
    const source = src === "-" ? ctx.io.stdin() : await src.store.open(src.path, "rb", { signal });
    const sink = dst === "-" ? ctx.io.stdout() : await dst.store.open(
      dst.path,
      o.overwrite ? "wb" : "xb",
      { signal: ws.signal },
    );
    await source.pipeThrough(count).pipeTo(sink, { signal, preventClose: dst === "-" });
  } finally {
    ws.settle();
    bar.done();
  }
  return bytes;
}

/** Copies a tree; every worker finishes (or discards) its file before this returns. */
async function copyTree(
  ctx: Ctx,
  src: Target,
  dst: Target,
  o: { overwrite: boolean; progress: boolean },
  copied: { from: string; to: string; bytes: number }[],
): Promise<{ files: number; bytes: number }> {
  const base = fullPath(src.store, src.path).replace(/\/$/, "");
  const jobs: [string, Target][] = [];
  const dirs: Target[] = [];
  for await (const [dir, , files] of src.store.walk(src.path)) {
    const rel = dir.slice(base.length).replace(/^\//, "");
    const into = rel === "" ? dst : rel.split("/").reduce(child, dst);
    dirs.push(into);
    for (const f of files) jobs.push([`${dir}/${f}`, child(into, f)]);
  }
  // Local trees keep their empty directories, as cp -r does.
  if (hasDirectories(dst.store)) { for (const d of dirs) await dst.store.makedirs(d.path); }
  let bytes = 0;
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < jobs.length && failure === undefined) {
      const [from, to] = jobs[next++];
      try {
        // Await first, then add: `bytes += await …` reads `bytes` before the await, so
        // concurrent workers would overwrite each other's sums.
        const n = await copyOne(
          ctx,
          { store: src.store, path: from, raw: from, slash: false, local: src.local },
          to,
          o,
        );
        bytes += n;
        copied.push({ from, to: fullPath(to.store, to.path), bytes: n });
        if (!ctx.io.isTTY) {
          const line = `copied ${from} -> ${fullPath(to.store, to.path)}`;
          if (ctx.json) ctx.io.err(line);
          else ctx.io.out(line);
        }
      } catch (err) {
        failure ??= err;
      }
    }
  };
  // allSettled-like: wait for every worker, so no write is still being discarded on return.
  await Promise.all(Array.from({ length: Math.min(4, jobs.length) }, worker));
  if (failure !== undefined) throw failure;
  return { files: jobs.length, bytes };
}

/**
 * Where each source goes, GNU cp/mv style: several sources need an existing directory
 * (each goes to `DIR/<basename>`); one source goes into `DST` when it is a directory or is
 * written with a trailing `/`, else to `DST` itself. On a local target a trailing `/` on a
 * missing directory is refused, as GNU does; object stores have no empty directories, so
 * there `DST/` is a prefix to copy into.
 */
async function destinations(
  ctx: Ctx,
  cmd: "cp" | "mv",
  sources: Target[],
  dst: Target,
  recursive: boolean,
): Promise<Target[]> {
  const dstIsDir = await isDir(dst);
  if (sources.length > 1) {
    const prefixOk = !hasDirectories(dst.store) && dst.slash &&
      !(await dst.store.exists(dst.path).catch(() => false));
    if (!dstIsDir && !prefixOk) {
      throw new UsageError(
        `Target '${dst.raw}' is not a directory: ${cmd} of several sources needs an existing directory`,
      );
    }
    return sources.map((s) => child(dst, baseName(fullPath(s.store, s.path).replace(/\/+$/, ""))));
  }
  const src = sources[0];
  const name = baseName(fullPath(src.store, src.path).replace(/\/+$/, ""));
  if (dstIsDir) return [child(dst, name)];
  if (dst.slash) {
    if (hasDirectories(dst.store)) {
      // GNU: `cp -r dir new/` makes new; a file cannot go into a directory that is not there.
      const srcIsDir = await isDir(src);
      if (!(srcIsDir && (recursive || cmd === "mv"))) {
        throw new NotADirectoryError(
          `Cannot ${cmd === "cp" ? "copy" : "move"} '${src.raw}' to '${dst.raw}': Not a directory`,
          { path: fullPath(dst.store, dst.path) },
        );
      }
      return [{ ...dst, slash: false }];
    }
    return [child(dst, name)];
  }
  void ctx;
  return [dst];
}

/** On a local target, the parent directory must exist (GNU: No such file or directory). */
async function checkParent(cmd: "cp" | "mv", src: Target, to: Target): Promise<void> {
  if (!hasDirectories(to.store)) return;
  const parent = parentOf(to);
  // A store creates its own root on first use.
  if (parent === to.store.path.replace(/\/+$/, "") || `${parent}/` === to.store.path) return;
  if (!(await to.store.isdir(parent).catch(() => false))) {
    throw new FileNotFoundError(
      `Cannot ${
        cmd === "cp" ? "copy" : "move"
      } '${src.raw}' to '${to.raw}': No such file or directory ('${parent}')`,
      { path: parent },
    );
  }
}

// ------------------------------------------------------------------ flavor modules

function exportedFlavors(mod: Record<string, unknown>): (Flavor | typeof Base)[] {
  const out: (Flavor | typeof Base)[] = [];
  for (const v of Object.values(mod)) {
    if (typeof v === "function" && v.prototype instanceof Base) {
      const cls = v as unknown as { FLAVOR?: string; SUPPORTED_SCHEMES?: unknown };
      if (typeof cls.FLAVOR === "string" && cls.FLAVOR && Array.isArray(cls.SUPPORTED_SCHEMES)) {
        out.push(v as unknown as typeof Base);
      }
    } else if (
      v && typeof v === "object" && typeof (v as Flavor).create === "function" &&
      typeof (v as Flavor).name === "string" && Array.isArray((v as Flavor).supportedSchemes)
    ) out.push(v as Flavor);
  }
  return out;
}

async function importModule(
  spec: string,
  cwd: string | undefined,
): Promise<Record<string, unknown>> {
  let url = spec;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(spec)) {
    const abs = spec.startsWith("/") ? spec : `${cwd ?? ""}/${spec}`;
    url = new URL(`file://${abs}`).href;
  }
  try {
    return await import(url);
  } catch (err) {
    if (spec.startsWith("npm:")) {
      // Node and Bun resolve bare names from node_modules, not npm: specifiers.
      const bare = spec.slice(4).replace(/^(@[^/]+\/[^@/]+|[^@/]+)@[^/]+/, "$1");
      try {
        return await import(bare);
      } catch { /* report the first error */ }
    }
    throw new ConfigError(`Cannot load module '${spec}': ${(err as Error).message}`);
  }
}

async function loadRegisteredFlavors(ctx: Ctx): Promise<void> {
  for (const f of ctx.cfg.flavors) {
    try {
      const mod = await importModule(f.module, undefined);
      for (const x of exportedFlavors(mod)) registerFlavor(x as Flavor, { replace: true });
    } catch (err) {
      ctx.io.err(
        `stowage: warning: flavor '${f.name}' from '${f.module}' not loaded: ${
          (err as Error).message
        }`,
      );
    }
  }
}

function coerce(v: string | true): unknown {
  if (v === true) return true;
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (v === "true" || v === "false") return v === "true";
  return v;
}

/** Sets `key` on `config`; a dotted key (`retry.maxRetries`) sets a field of a nested object. */
function setField(config: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split(".");
  let obj = config;
  for (const p of parts.slice(0, -1)) {
    const next = obj[p];
    if (!next || typeof next !== "object") obj[p] = {};
    obj = obj[p] as Record<string, unknown>;
  }
  obj[parts[parts.length - 1]] = value;
}

// ------------------------------------------------------------------ the commands

const PATHS_NOTE = [
  "Paths: a URI (s3://bucket/key, gs://, az://, memory://, file://), NAME:path inside a",
  "registered store ('default:' is the embedded store in $STOWAGE_HOME/local), or a local",
  "path: relative paths (a.txt, ./a.txt, ../a.txt) resolve against the working directory.",
];

const FORCE: [string, string] = [
  "-f, --force",
  "replace a destination file that exists (without it, refuse)",
];
const JSON_OPT: [string, string] = [
  "--json",
  "print one JSON document on stdout (notices go to stderr)",
];

const COMMANDS: Record<string, Command> = {
  "flavor list": {
    summary: "List the flavors: name, schemes, where they come from, config fields",
    usage: "stowage flavor list [--json]",
    description: [
      "Lists every flavor, built-in and registered, with the URI schemes it serves and every",
      "configuration field its schema declares (nested ones as retry.maxRetries).",
    ],
    options: [JSON_OPT],
    examples: ["stowage flavor list", "stowage flavor list --json | jq '.[].name'"],
    args: [0, 0],
    json: true,
    spec: {},
    async run(ctx) {
      const infos = listFlavors();
      const rows: { name: string; schemes: string[]; source: string; fields: SchemaField[] }[] = [];
      for (const i of infos) {
        const mod = ctx.cfg.flavors.find((f) => f.name === i.name);
        const fl = await getFlavor(i.name).catch(() => undefined);
        rows.push({
          name: i.name,
          schemes: [...i.supportedSchemes],
          source: mod ? mod.module : i.builtin || !mod ? "built-in" : "registered",
          fields: fl ? schemaFields(fl.configSchema) : [],
        });
      }
      if (ctx.json) return ctx.io.out(JSON.stringify(rows, null, 2));
      for (
        const l of table(
          ["NAME", "SCHEMES", "SOURCE", "CONFIG FIELDS"],
          rows.map((r) => [
            r.name,
            r.schemes.join(" ") || "(paths)",
            r.source,
            r.fields.map((f) => f.name).join(", "),
          ]),
        )
      ) ctx.io.out(l);
    },
  },
  "flavor register": {
    summary: "Register the flavors a module exports (file path, URL or npm: specifier)",
    usage: "stowage flavor register [--json] MODULE",
    description: [
      "Imports MODULE and registers every flavor it exports: a flavor object",
      "{ name, type, supportedSchemes, configSchema, create } or a BaseArtifactStore subclass",
      "with static FLAVOR and SUPPORTED_SCHEMES. Later invocations load it again.",
    ],
    options: [JSON_OPT],
    examples: ["stowage flavor register ./examples/custom_flavor.ts"],
    args: [1, 1],
    json: true,
    spec: {},
    async run(ctx, a) {
      const spec = a.positionals[0];
      const cwd = ctx.io.cwd();
      const mod = await importModule(spec, cwd);
      const found = exportedFlavors(mod);
      if (found.length === 0) {
        throw new ConfigError(
          `Module '${spec}' exports no flavor: export a BaseArtifactStore subclass with static ` +
            "FLAVOR and SUPPORTED_SCHEMES, or a flavor object { name, type, supportedSchemes, configSchema, create }",
        );
      }
      const resolved = /^[a-z][a-z0-9+.-]*:/i.test(spec)
        ? spec
        : new URL(`file://${posix.resolve(cwd, spec)}`).href;
      const done: { name: string; schemes: string[]; module: string }[] = [];
      for (const x of found) {
        const f = registerFlavor(x as Flavor, { replace: true });
        ctx.cfg.flavors = ctx.cfg.flavors.filter((e) => e.name !== f.name);
        ctx.cfg.flavors.push({ name: f.name, module: resolved });
        done.push({ name: f.name, schemes: [...f.supportedSchemes], module: resolved });
      }
      await saveConfig(ctx.home, ctx.cfg);
      if (ctx.json) return ctx.io.out(JSON.stringify({ registered: done }, null, 2));
      for (const f of done) {
        ctx.io.out(`Registered flavor '${f.name}' (${f.schemes.join(", ")}) from ${f.module}`);
      }
    },
  },
  "flavor delete": {
    summary: "Forget a flavor registered from a module",
    usage: "stowage flavor delete [--json] NAME",
    description: ["Forgets a flavor registered with 'flavor register'; built-in flavors stay."],
    options: [JSON_OPT],
    examples: ["stowage flavor delete kv"],
    args: [1, 1],
    json: true,
    spec: {},
    async run(ctx, a) {
      const name = a.positionals[0];
      if (!ctx.cfg.flavors.some((f) => f.name === name)) {
        throw new ConfigError(
          `No registered flavor module named '${name}' (built-in flavors stay)`,
        );
      }
      ctx.cfg.flavors = ctx.cfg.flavors.filter((f) => f.name !== name);
      unregisterFlavor(name);
      await saveConfig(ctx.home, ctx.cfg);
      if (ctx.json) return ctx.io.out(JSON.stringify({ deleted: name }));
      ctx.io.out(`Deleted flavor '${name}'`);
    },
  },
  "artifact-store register": {
    summary: "Register a store: a name, a flavor, a root path and flavor fields",
    usage: "stowage artifact-store register NAME --flavor F --path URI [--FIELD=VALUE …] [--json]",
    description: [
      "Saves a store under NAME in $STOWAGE_HOME/config.json, after checking the fields",
      "against the flavor's schema ('stowage flavor list' shows them). Numbers and true/false",
      "are converted; a dotted field sets a nested one (--retry.maxRetries=2). Paths inside",
      "it are then written NAME:path.",
    ],
    options: [
      ["--flavor F", "the flavor (local, memory, s3, gcp, azure, http, r2, or a registered one)"],
      ["--path URI", "the store's root (s3://bucket/prefix, an absolute path, …)"],
      ["--FIELD=VALUE", "any configuration field of the flavor (--region=eu-west-1)"],
      JSON_OPT,
    ],
    examples: [
      "stowage artifact-store register models --flavor s3 --path s3://bucket/models --region=eu-west-1",
    ],
    args: [1, 1],
    json: true,
    spec: { strings: ["flavor", "path"], passThrough: true },
    async run(ctx, a) {
      const name = a.positionals[0];
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
        throw new UsageError(
          "Give the store a name of letters, digits, '.', '_' or '-'",
        );
      }
      if (ctx.cfg.stores[name] && name !== DEFAULT_STORE) {
        throw new ConfigError(
          `An artifact store named '${name}' exists: delete it first or pick another name`,
        );
      }
      const { flavor: fl, path, json: _j, help: _h, ...rest } = a.options;
      if (typeof fl !== "string") {
        throw new UsageError("Name the flavor: --flavor s3 (see 'stowage flavor list')");
      }
      if (typeof path !== "string") {
        throw new UsageError("Give the root: --path s3://bucket/prefix");
      }
      const flavor = await getFlavor(fl);
      const config: StoreConfig = { flavor: fl, path };
      for (const [k, v] of Object.entries(rest)) setField(config, k, coerce(v));
      const valid = await validateConfig(flavor, config);
      ctx.cfg.stores[name] = { ...config, path: valid.path };
      await saveConfig(ctx.home, ctx.cfg);
      if (ctx.json) {
        return ctx.io.out(JSON.stringify({ name, flavor: fl, path: valid.path }));
      }
      ctx.io.out(`Registered artifact store '${name}' (flavor ${fl}, path ${valid.path})`);
    },
  },
  "artifact-store list": {
    summary: "List the registered stores",
    usage: "stowage artifact-store list [--json]",
    description: ["Lists the registered stores; '*' marks the default one (what serve serves)."],
    options: [JSON_OPT],
    examples: ["stowage artifact-store list"],
    args: [0, 0],
    json: true,
    spec: {},
    run(ctx) {
      const rows = Object.entries(ctx.cfg.stores).map(([n, c]) => ({
        name: n,
        flavor: String(c.flavor),
        path: String(c.path),
        default: n === ctx.cfg.defaultStore,
      }));
      if (ctx.json) ctx.io.out(JSON.stringify(rows, null, 2));
      else {
        for (
          const l of table(
            ["", "NAME", "FLAVOR", "PATH"],
            rows.map((r) => [r.default ? "*" : "", r.name, r.flavor, r.path]),
          )
        ) ctx.io.out(l);
      }
      return Promise.resolve();
    },
  },
  "artifact-store describe": {
    summary: "Show a store's configuration (secrets masked)",
    usage: "stowage artifact-store describe [--json] [NAME]",
    description: [
      "Shows a store's configuration and capabilities (default: the default store). Secrets",
      "(key ids, secret keys, tokens, account keys, SAS, connection strings, service-account",
      "JSON) are masked, showing at most their last 4 characters.",
    ],
    options: [JSON_OPT],
    examples: ["stowage artifact-store describe models"],
    args: [0, 1],
    json: true,
    spec: {},
    async run(ctx, a) {
      const name = a.positionals[0] ?? ctx.cfg.defaultStore;
      const s = await storeNamed(ctx, name);
      const shown = {
        name,
        default: name === ctx.cfg.defaultStore,
        ...maskSecrets(ctx.cfg.stores[name]),
        capabilities: s.capabilities,
      };
      if (ctx.json) return ctx.io.out(JSON.stringify(shown, null, 2));
      for (const [k, v] of Object.entries(shown)) {
        ctx.io.out(`${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`);
      }
    },
  },
  "artifact-store delete": {
    summary: "Forget a registered store (its data stays)",
    usage: "stowage artifact-store delete [--json] NAME",
    description: ["Removes NAME from the configuration; no file in the store is touched."],
    options: [JSON_OPT],
    examples: ["stowage artifact-store delete models"],
    args: [1, 1],
    json: true,
    spec: {},
    async run(ctx, a) {
      const name = a.positionals[0];
      if (!ctx.cfg.stores[name]) throw new ConfigError(`No artifact store named '${name}'`);
      if (name === DEFAULT_STORE) {
        throw new ConfigError(`The embedded store '${DEFAULT_STORE}' cannot be deleted`);
      }
      if (name === ctx.cfg.defaultStore) {
        throw new ConfigError(
          `'${name}' is the default store: set another default first (artifact-store set-default)`,
        );
      }
      delete ctx.cfg.stores[name];
      await saveConfig(ctx.home, ctx.cfg);
      if (ctx.json) return ctx.io.out(JSON.stringify({ deleted: name }));
      ctx.io.out(`Deleted artifact store '${name}' (its files were not touched)`);
    },
  },
  "artifact-store set-default": {
    summary: "Make a store the default (what serve and describe use without a name)",
    usage: "stowage artifact-store set-default [--json] NAME",
    description: [
      "Makes NAME the default store: 'stowage serve' serves it and 'artifact-store describe'",
      "shows it when no name is given. Paths still name their store (NAME:path).",
    ],
    options: [JSON_OPT],
    examples: ["stowage artifact-store set-default models"],
    args: [1, 1],
    json: true,
    spec: {},
    async run(ctx, a) {
      const name = a.positionals[0];
      if (!ctx.cfg.stores[name]) throw new ConfigError(`No artifact store named '${name}'`);
      ctx.cfg.defaultStore = name;
      await saveConfig(ctx.home, ctx.cfg);
      if (ctx.json) return ctx.io.out(JSON.stringify({ default: name }));
      ctx.io.out(`Default artifact store is now '${name}'`);
    },
  },
  ls: {
    summary: "List a directory (-l: sizes and times)",
    usage: "stowage ls [-l] [--json] [PATH]",
    description: ["Lists the entries of PATH (default: the working directory), sorted."],
    options: [["-l, --long", "show sizes and modification times"], JSON_OPT],
    examples: ["stowage ls -l models:runs", "stowage ls s3://bucket/prefix/"],
    args: [0, 1],
    json: true,
    spec: { booleans: ["long"], aliases: { l: "long" } },
    async run(ctx, a) {
      const t = await target(ctx, a.positionals[0] ?? ".");
      const st = await t.store.stat(t.path);
      const entries = st.isDirectory
        ? await Promise.all(
          (await t.store.listdir(t.path)).map(async (n) =>
            a.options.long || ctx.json
              ? {
                name: n,
                ...await t.store.stat(`${fullPath(t.store, t.path).replace(/\/$/, "")}/${n}`),
              }
              : { name: n }
          ),
        )
        : [{ ...st, name: baseName(st.path) }];
      if (ctx.json) return ctx.io.out(JSON.stringify(entries, null, 2));
      for (const e of entries) {
        const s = e as { name: string; size?: number; isDirectory?: boolean; mtime?: Date | null };
        if (!a.options.long) ctx.io.out(s.name);
        else {
          const when = s.mtime
            ? new Date(s.mtime).toISOString().slice(0, 19).replace("T", " ")
            : "-".padEnd(19);
          ctx.io.out(
            `${(s.isDirectory ? "-" : humanSize(s.size ?? 0)).padStart(10)}  ${when}  ${s.name}${
              s.isDirectory ? "/" : ""
            }`,
          );
        }
      }
    },
  },
  cat: {
    summary: "Write files to stdout",
    usage: "stowage cat PATH…",
    description: ["Streams each file to stdout, in order."],
    options: [],
    examples: ["stowage cat models:runs/1/metrics.json"],
    args: [1, Infinity],
    abortable: true,
    spec: {},
    async run(ctx, a) {
      for (const p of a.positionals) {
        const t = await target(ctx, p);
        const src = await t.store.open(t.path, "rb", { signal: ctx.io.signal });
        await src.pipeTo(ctx.io.stdout(), { preventClose: true, signal: ctx.io.signal });
      }
    },
  },
  cp: {
    summary: "Copy files (or trees with -r), across stores, streamed",
    usage: "stowage cp [-r] [-f] [--progress] [--json] SRC… DST",
    description: [
      "Copies SRC to DST as GNU cp does: with several sources DST must be an existing",
      "directory and each source goes to DST/<basename>; one source goes into DST when DST is",
      "a directory or ends with '/', else to DST itself. On a local target a missing",
      "directory is refused ('Not a directory'); on an object store 'DST/' is a prefix.",
      "'-' is stdin as SRC and stdout as DST. Unlike GNU cp, an existing destination file is",
      "replaced only with -f. Ctrl-C stops the copy and leaves no partial file (exit 130).",
    ],
    options: [
      ["-r, --recursive", "copy directories and everything under them"],
      FORCE,
      ["--progress", "show progress on stderr even when it is not a terminal (a line a second)"],
      JSON_OPT,
    ],
    examples: [
      "stowage cp -r ./runs models:runs        # a local tree into a registered store",
      "stowage cp a.txt b.txt s3://bucket/in/  # several files into a prefix",
      "stowage cp models:runs/1/model.bin -    # to stdout",
    ],
    args: [2, Infinity],
    json: true,
    abortable: true,
    spec: {
      booleans: ["recursive", "force", "progress"],
      aliases: { r: "recursive", f: "force" },
    },
    async run(ctx, a) {
      const started = Date.now();
      const names = a.positionals.slice(0, -1);
      const d = a.positionals[a.positionals.length - 1];
      const o = { overwrite: !!a.options.force, progress: !!a.options.progress };
      if (names.includes("-") || d === "-") {
        if (names.length > 1) {
          throw new UsageError("'-' (stdin) can only be the one source: stowage cp - DST");
        }
        if (a.options.recursive) throw new UsageError("'-' cannot be copied with -r");
        if (d === "-" && ctx.json) {
          throw new UsageError("--json cannot be used when copying to stdout ('-')");
        }
        const src = names[0] === "-" ? "-" : await target(ctx, names[0]);
        let dst: Target | "-" = d === "-" ? "-" : await target(ctx, d);
        if (dst !== "-") {
          if (await isDir(dst) || (dst.slash && !hasDirectories(dst.store))) {
            if (src === "-") {
              throw new UsageError(`Name the file to write stdin to: '${d}' is a directory`);
            }
            dst = child(dst, baseName(fullPath(src.store, src.path)));
          } else if (dst.slash) {
            throw new NotADirectoryError(`Cannot copy to '${d}': Not a directory`);
          }
        }
        if (dst !== "-" && src !== "-") await checkParent("cp", src, dst);
        else if (dst !== "-") await checkParent("cp", { ...dst, raw: "-" }, dst);
        const bytes = await copyOne(ctx, src, dst, o);
        if (dst !== "-") {
          report(ctx, { files: 1, bytes, started, to: fullPath(dst.store, dst.path) });
        }
        return;
      }
      const sources = await Promise.all(names.map((n) => target(ctx, n)));
      const dst = await target(ctx, d);
      const tos = await destinations(ctx, "cp", sources, dst, !!a.options.recursive);
      let files = 0;
      let bytes = 0;
      const copied: { from: string; to: string; bytes: number }[] = [];
      const failures: unknown[] = [];
      for (let i = 0; i < sources.length; i++) {
        const [src, to] = [sources[i], tos[i]];
        try {
          if (await isDir(src)) {
            if (!a.options.recursive) {
              throw new UsageError(`'${src.raw}' is a directory: -r not given, not copied`);
            }
            if (await to.store.exists(to.path) && !(await isDir(to))) {
              throw new FileExistsError(
                `Cannot overwrite non-directory '${to.raw}' with directory '${src.raw}'`,
              );
            }
            await checkParent("cp", src, to);
            const r = await copyTree(ctx, src, to, o, copied);
            files += r.files;
            bytes += r.bytes;
          } else {
            await checkParent("cp", src, to);
            const n = await copyOne(ctx, src, to, o);
            files += 1;
            bytes += n;
            copied.push({
              from: fullPath(src.store, src.path),
              to: fullPath(to.store, to.path),
              bytes: n,
            });
          }
        } catch (err) {
          if (ctx.io.signal?.aborted) throw err;
          // GNU cp goes on with the other sources and fails at the end.
          failures.push(err);
          if (i < sources.length - 1 || failures.length > 1) {
            ctx.io.err(`stowage: ${(err as Error).message}`);
          }
        }
      }
      if (failures.length > 0) {
        if (failures.length === 1 && sources.length === 1) throw failures[0];
        throw failures.length === 1 ? failures[0] : new ArtifactStoreError(
          `${failures.length} of ${sources.length} sources were not copied (see above)`,
        );
      }
      report(ctx, {
        files,
        bytes,
        started,
        to: fullPath(dst.store, dst.path),
      });
    },
  },
  mv: {
    summary: "Move files or trees (rename inside a store, copy + delete across stores)",
    usage: "stowage mv [-f] [--progress] [--json] SRC… DST",
    description: [
      "Moves SRC to DST with GNU mv's rules for DST (see 'stowage help cp'); directories",
      "move whole. Inside one store it is the store's rename; across stores a copy, then",
      "the source is deleted. Unlike GNU mv, an existing destination file is replaced only",
      "with -f.",
    ],
    options: [
      FORCE,
      ["--progress", "show progress on stderr even when it is not a terminal"],
      JSON_OPT,
    ],
    examples: [
      "stowage mv runs/1 runs/2 models:archive/",
      "stowage mv models:tmp/model.bin models:runs/3/model.bin",
    ],
    args: [2, Infinity],
    json: true,
    abortable: true,
    spec: { booleans: ["force", "progress"], aliases: { f: "force" } },
    async run(ctx, a) {
      const names = a.positionals.slice(0, -1);
      const d = a.positionals[a.positionals.length - 1];
      if (names.includes("-") || d === "-") throw new UsageError("mv takes no '-': use cp");
      const o = { overwrite: !!a.options.force, progress: !!a.options.progress };
      const sources = await Promise.all(names.map((n) => target(ctx, n)));
      const dst = await target(ctx, d);
      const tos = await destinations(ctx, "mv", sources, dst, true);
      const moved: { from: string; to: string }[] = [];
      const failures: unknown[] = [];
      for (let i = 0; i < sources.length; i++) {
        const [src, to] = [sources[i], tos[i]];
        try {
          const from = fullPath(src.store, src.path);
          const toFull = fullPath(to.store, to.path);
          if (src.store === to.store && (toFull === from || toFull.startsWith(`${from}/`))) {
            throw new UsageError(`Cannot move '${src.raw}' into itself ('${to.raw}')`);
          }
          const srcIsDir = await isDir(src);
          if (!srcIsDir && !(await src.store.exists(src.path))) {
            throw new FileNotFoundError(`Cannot move '${src.raw}': No such file or directory`, {
              path: from,
            });
          }
          await checkParent("mv", src, to);
          if (src.store === to.store) {
            await src.store.rename(src.path, to.path, { overwrite: o.overwrite });
          } else if (srcIsDir) {
            await copyTree(ctx, src, to, o, []);
            await src.store.rmtree(src.path);
          } else {
            await copyOne(ctx, src, to, o);
            await src.store.remove(src.path);
          }
          moved.push({ from, to: toFull });
          if (!ctx.json) ctx.io.out(`moved ${from} -> ${toFull}`);
        } catch (err) {
          if (ctx.io.signal?.aborted) throw err;
          failures.push(err);
          if (i < sources.length - 1 || failures.length > 1) {
            ctx.io.err(`stowage: ${(err as Error).message}`);
          }
        }
      }
      if (failures.length > 0) {
        throw failures.length === 1 ? failures[0] : new ArtifactStoreError(
          `${failures.length} of ${sources.length} sources were not moved (see above)`,
        );
      }
      if (ctx.json) ctx.io.out(JSON.stringify({ moved }));
    },
  },
  rm: {
    summary: "Remove files (-r: directory trees)",
    usage: "stowage rm [-r] [--json] PATH…",
    description: ["Removes each PATH; a directory needs -r and goes with everything under it."],
    options: [["-r, --recursive", "remove directories and their contents"], JSON_OPT],
    examples: ["stowage rm -r models:runs/old"],
    args: [1, Infinity],
    json: true,
    spec: { booleans: ["recursive"], aliases: { r: "recursive" } },
    async run(ctx, a) {
      const removed: string[] = [];
      for (const p of a.positionals) {
        const t = await target(ctx, p);
        if (await t.store.isdir(t.path)) {
          if (!a.options.recursive) throw new UsageError(`'${p}' is a directory: use rm -r`);
          await t.store.rmtree(t.path);
        } else await t.store.remove(t.path);
        removed.push(fullPath(t.store, t.path));
        if (!ctx.json) ctx.io.out(`removed ${fullPath(t.store, t.path)}`);
      }
      if (ctx.json) ctx.io.out(JSON.stringify({ removed }));
    },
  },
  stat: {
    summary: "Describe a file or directory",
    usage: "stowage stat [--json] PATH",
    description: ["Prints size, type, modification time, ETag, content type and metadata."],
    options: [JSON_OPT],
    examples: ["stowage stat --json models:runs/1/model.bin"],
    args: [1, 1],
    json: true,
    spec: {},
    async run(ctx, a) {
      const t = await target(ctx, a.positionals[0]);
      const st = await t.store.stat(t.path);
      if (ctx.json) return ctx.io.out(JSON.stringify(st, null, 2));
      for (const [k, v] of Object.entries(st)) {
        if (v === undefined) continue;
        ctx.io.out(
          `${k}: ${
            v instanceof Date
              ? v.toISOString()
              : typeof v === "object" && v
              ? JSON.stringify(v)
              : String(v)
          }`,
        );
      }
    },
  },
  tree: {
    summary: "Show a directory tree",
    usage: "stowage tree [--json] [PATH]",
    description: [
      "Draws the tree under PATH (default: the working directory); --json prints the walk",
      "steps [dir, dirnames, filenames].",
    ],
    options: [JSON_OPT],
    examples: ["stowage tree models:runs"],
    args: [0, 1],
    json: true,
    spec: {},
    async run(ctx, a) {
      const t = await target(ctx, a.positionals[0] ?? ".");
      const base = fullPath(t.store, t.path).replace(/\/$/, "");
      const steps = [];
      for await (const step of t.store.walk(t.path)) steps.push(step);
      if (ctx.json) return ctx.io.out(JSON.stringify(steps));
      if (steps.length === 0) throw new ConfigError(`Nothing at '${base}'`);
      ctx.io.out(base);
      const byDir = new Map(steps.map(([d, ds, fs]) => [d, { ds, fs }]));
      const print = (dir: string, indent: string) => {
        const e = byDir.get(dir);
        if (!e) return;
        const items = [
          ...e.ds.map((n) => [n, true] as const),
          ...e.fs.map((n) => [n, false] as const),
        ];
        items.forEach(([n, isDir], i) => {
          const last = i === items.length - 1;
          ctx.io.out(`${indent}${last ? "└── " : "├── "}${n}${isDir ? "/" : ""}`);
          if (isDir) print(`${dir}/${n}`, indent + (last ? "    " : "│   "));
        });
      };
      print(steps[0][0], "");
    },
  },
  glob: {
    summary: "List the paths matching a pattern (*, ?, [abc], **)",
    usage: "stowage glob [--json] PATTERN",
    description: [
      "Lists the full URIs matching PATTERN: * ? [abc] [!a] within one level, ** across",
      "levels, a trailing / for directories only. Quote it so the shell leaves it alone.",
    ],
    options: [JSON_OPT],
    examples: ["stowage glob 's3://bucket/models/**/*.json' --json"],
    args: [1, 1],
    json: true,
    spec: {},
    async run(ctx, a) {
      const t = await target(ctx, a.positionals[0]);
      const found = await t.store.glob(t.path);
      if (ctx.json) return ctx.io.out(JSON.stringify(found));
      for (const f of found) ctx.io.out(f);
    },
  },
  mkdir: {
    summary: "Create a directory (-p: with its parents)",
    usage: "stowage mkdir [-p] [--json] PATH",
    description: [
      "Creates PATH; its parent must exist unless -p is given. Object stores have no empty",
      "directories: there it succeeds without writing anything (or writes a marker).",
    ],
    options: [["-p, --parents", "create missing parents too; no error if it exists"], JSON_OPT],
    examples: ["stowage mkdir -p ./runs/3"],
    args: [1, 1],
    json: true,
    spec: { booleans: ["parents"], aliases: { p: "parents" } },
    async run(ctx, a) {
      const t = await target(ctx, a.positionals[0]);
      if (a.options.parents) await t.store.makedirs(t.path);
      else await t.store.mkdir(t.path);
      if (ctx.json) ctx.io.out(JSON.stringify({ created: fullPath(t.store, t.path) }));
    },
  },
  serve: {
    summary: "Serve a store over HTTP (the Hono adapter)",
    usage:
      "stowage serve [--store NAME | --path URI] [--port N] [--host H] [--token T] [--read-only] [--allow-anonymous]",
    description: [
      "Serves a store (default: the default store) over HTTP with the Hono adapter and prints",
      "its URL, its bearer token and a curl line to try. Ctrl-C stops it.",
    ],
    options: [
      ["--store NAME", "the registered store to serve (default: the default store)"],
      ["--path URI", "serve the store of this path or URI instead"],
      ["--port N", "the port, 0-65535 (default PORT, else 8000; 0 picks a free one)"],
      ["--host H", "the address to bind (default 127.0.0.1)"],
      ["--token T", "the bearer token (default STOWAGE_TOKEN, else a new one for this run)"],
      ["--read-only", "refuse every write"],
      ["--allow-anonymous", "serve without a token on a non-loopback address"],
    ],
    examples: ["stowage serve --store models --port 8080 --read-only"],
    args: [0, 0],
    abortable: true,
    spec: {
      strings: ["store", "path", "port", "host", "token"],
      booleans: ["read-only", "allow-anonymous"],
    },
    async run(ctx, a) {
      const port = portOption(a.options.port, ctx.io.env("PORT"));
      const { serveCommand } = await import("./serve.ts");
      let store: BaseArtifactStore;
      if (typeof a.options.path === "string") store = (await target(ctx, a.options.path)).store;
      else {store = await storeNamed(
          ctx,
          typeof a.options.store === "string" ? a.options.store : ctx.cfg.defaultStore,
        );}
      await serveCommand(store, {
        port,
        hostname: typeof a.options.host === "string" ? a.options.host : undefined,
        token: typeof a.options.token === "string" ? a.options.token : ctx.io.env("STOWAGE_TOKEN"),
        readOnly: !!a.options["read-only"],
        allowAnonymous: !!a.options["allow-anonymous"],
        log: ctx.io.out,
        signal: ctx.io.signal,
      });
    },
  },
};

/**
 * The port `serve` binds: `--port`, else `PORT`, else 8000; anything but a whole number
 * 0–65535 is a usage error naming where it came from.
 */
function portOption(flag: string | true | undefined, env: string | undefined): number {
  const [raw, from] = flag !== undefined ? [flag, "--port"] : [env, "PORT"];
  if (raw === undefined || raw === "") return 8000;
  const text = String(raw).trim();
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new UsageError(
      `${from} '${raw}' is not a port: give a whole number from 0 to 65535 (0 picks a free port)`,
    );
  }
  return Number(text);
}

function report(
  ctx: Ctx,
  r: { files: number; bytes: number; started: number; to: string },
): void {
  const secs = (Date.now() - r.started) / 1000;
  if (ctx.json) {
    ctx.io.out(
      JSON.stringify({ files: r.files, bytes: r.bytes, seconds: secs, destination: r.to }),
    );
  } else {
    ctx.io.out(
      `copied ${r.files} file${r.files === 1 ? "" : "s"} (${humanSize(r.bytes)}) to ${r.to} in ${
        secs.toFixed(1)
      }s`,
    );
  }
}

/** A command's own help: usage, what it does, every option, examples. */
function commandHelp(name: string, cmd: Command): string[] {
  const lines = [`Usage: ${cmd.usage}`, "", ...cmd.description, ""];
  const opts: [string, string][] = [...cmd.options, ["-h, --help", "show this help"]];
  lines.push("Options:");
  const w = Math.max(...opts.map(([f]) => f.length));
  for (const [f, m] of opts) lines.push(`  ${f.padEnd(w)}  ${m}`);
  lines.push("", "Examples:", ...cmd.examples.map((e) => `  ${e}`));
  if (["cp", "mv", "ls", "cat", "rm", "stat", "tree", "glob", "mkdir"].includes(name)) {
    lines.push("", ...PATHS_NOTE);
  }
  return lines;
}

function help(io: CliIO): void {
  io.out("stowage — one filesystem API over local disk, memory, S3, GCS and Azure Blob");
  io.out("");
  io.out("Usage: stowage <command> [options]");
  io.out("       stowage help <command> | stowage <command> --help | stowage --version");
  io.out("");
  for (
    const l of table(
      ["COMMAND", "WHAT IT DOES"],
      Object.entries(COMMANDS).map(([n, c]) => [n, c.summary]),
    )
  ) {
    io.out(`  ${l}`);
  }
  io.out("");
  for (const l of PATHS_NOTE) io.out(l);
}

/** What a command accepts, for tests and completion: its name, options and argument counts. */
export interface CommandInfo {
  /** The command words (`cp`, `artifact-store list`). */
  name: string;
  /** Whether it takes `--json`. */
  json: boolean;
  /** Positional arguments it takes: [min, max] (`Infinity` for any number). */
  args: [number, number];
  /** Long option names it accepts (booleans and options with values). */
  options: string[];
  /** Its help text. */
  help: string[];
}

/**
 * Every command the CLI has.
 *
 * @returns one entry per command
 */
export function commands(): CommandInfo[] {
  return Object.entries(COMMANDS).map(([name, c]) => ({
    name,
    json: !!c.json,
    args: c.args,
    options: [...(c.spec.booleans ?? []), ...(c.spec.strings ?? [])],
    help: commandHelp(name, c),
  }));
}

function resolveCommand(argv: readonly string[]): [string, Command, string[]] {
  let name = argv[0];
  let rest = argv.slice(1);
  if (!COMMANDS[name] && argv.length > 1 && COMMANDS[`${argv[0]} ${argv[1]}`]) {
    name = `${argv[0]} ${argv[1]}`;
    rest = argv.slice(2);
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    const words = Object.keys(COMMANDS);
    const guess = suggest(argv.length > 1 ? `${argv[0]} ${argv[1]}` : argv[0], words) ??
      suggest(argv[0], words.map((w) => w.split(" ")[0]));
    const group = words.filter((w) => w.startsWith(`${argv[0]} `));
    throw new UsageError(
      group.length && (argv.length === 1 || argv[1].startsWith("-"))
        ? `'${argv[0]}' needs a subcommand: ${group.map((g) => g.split(" ")[1]).join(", ")}`
        : `Unknown command '${argv.slice(0, 2).join(" ")}'${
          guess ? `: did you mean '${guess}'?` : ""
        } (see stowage --help)`,
    );
  }
  return [name, cmd, rest];
}

/**
 * Runs one CLI invocation; throws on failure.
 *
 * @param argv the arguments
 * @param io output and environment
 */
export async function runCommand(argv: readonly string[], io: CliIO): Promise<void> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h") {
    help(io);
    return;
  }
  if (argv[0] === "--version" || argv[0] === "-V" || argv[0] === "version") {
    if (argv.length > 1) throw new UsageError(`Unexpected argument '${argv[1]}' after --version`);
    io.out(`stowage ${VERSION}`);
    return;
  }
  if (argv[0] === "help") {
    if (argv.length === 1) return help(io);
    const [name, cmd, rest] = resolveCommand(argv.slice(1));
    if (rest.length > 0) {
      throw new UsageError(`Unexpected argument '${rest[0]}' after 'help ${name}'`);
    }
    for (const l of commandHelp(name, cmd)) io.out(l);
    return;
  }
  const [name, cmd, rest] = resolveCommand(argv);
  const spec: ArgSpec = {
    ...cmd.spec,
    booleans: [...(cmd.spec.booleans ?? []), ...(cmd.json ? ["json"] : [])],
  };
  const args = parseArgs(rest, spec);
  if (args.options.help) {
    for (const l of commandHelp(name, cmd)) io.out(l);
    return;
  }
  const [min, max] = cmd.args;
  if (args.positionals.length > max) {
    throw new UsageError(
      `Unexpected argument '${args.positionals[max]}': usage: ${cmd.usage}`,
    );
  }
  if (args.positionals.length < min) {
    throw new UsageError(`Missing arguments: usage: ${cmd.usage}`);
  }
  const home = stowageHome(io.env);
  const ctx: Ctx = {
    io,
    home,
    cfg: await loadConfig(home),
    stores: new Map(),
    json: !!args.options.json,
    fetch: reportingFetch(io),
  };
  await loadRegisteredFlavors(ctx);
  const signal = io.signal;
  if (cmd.abortable || !signal) return await cmd.run(ctx, args);
  // A command that does not watch the signal ends as soon as it fires.
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([cmd.run(ctx, args), aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
