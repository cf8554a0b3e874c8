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
import type { BaseArtifactStore } from "../base.ts";
import { ConfigError, FileExistsError } from "../errors.ts";
import type { Flavor } from "../flavor.ts";
import { validateConfig } from "../flavor.ts";
import {
  getFlavor,
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
  /** A byte sink on stdout (for `cat`). */
  stdout: () => WritableStream<Uint8Array>;
  /** Whether stdout is a terminal (progress bars, colours). */
  isTTY: boolean;
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
}

interface Ctx {
  io: CliIO;
  home: string;
  cfg: CliConfig;
  stores: Map<string, BaseArtifactStore>;
}

interface Command {
  summary: string;
  usage: string;
  spec: ArgSpec;
  run: (ctx: Ctx, args: ReturnType<typeof parseArgs>) => Promise<void>;
}

// ------------------------------------------------------------------ targets

async function storeNamed(ctx: Ctx, name: string): Promise<BaseArtifactStore> {
  let s = ctx.stores.get(name);
  if (s) return s;
  const cfg = ctx.cfg.stores[name];
  if (!cfg) {
    const hint = suggest(name, Object.keys(ctx.cfg.stores));
    throw new ConfigError(
      `No artifact store named '${name}'${hint ? `: did you mean '${hint}'?` : ""} ` +
        "(see 'stowage artifact-store list')",
    );
  }
  const flavor = await getFlavor(String(cfg.flavor));
  const valid = await validateConfig(flavor, cfg);
  s = await flavor.create(valid);
  ctx.stores.set(name, s);
  return s;
}

/** Resolves a CLI path to its store and a path that store accepts. */
async function target(ctx: Ctx, spec: string): Promise<{ store: BaseArtifactStore; path: string }> {
  if (spec === "") throw new UsageError("A path is empty: give a URI, NAME:path or a path");
  if (splitScheme(spec)) {
    let best: BaseArtifactStore | undefined;
    for (const name of Object.keys(ctx.cfg.stores)) {
      const cfgPath = String(ctx.cfg.stores[name].path ?? "");
      if (!splitScheme(cfgPath)) continue;
      const s = await storeNamed(ctx, name).catch(() => undefined);
      if (s?.contains(spec) && (!best || s.path.length > best.path.length)) best = s;
    }
    return { store: best ?? await fileio.storeFor(spec), path: spec };
  }
  const named = /^([A-Za-z0-9_.-]+):(.*)$/.exec(spec);
  if (named && ctx.cfg.stores[named[1]]) {
    const store = await storeNamed(ctx, named[1]);
    return { store, path: named[2] === "" || named[2] === "/" ? store.path : named[2] };
  }
  if (spec.startsWith("/")) {
    for (const name of Object.keys(ctx.cfg.stores)) {
      const s = await storeNamed(ctx, name).catch(() => undefined);
      if (s?.contains(spec)) return { store: s, path: spec };
    }
    return { store: await fileio.storeFor(spec), path: spec };
  }
  const store = await storeNamed(ctx, ctx.cfg.defaultStore);
  return { store, path: spec === "." || spec === "./" ? store.path : spec };
}

function fullPath(store: BaseArtifactStore, path: string): string {
  if (splitScheme(path) || path.startsWith("/")) return path;
  return path === "" ? store.path : `${store.path.replace(/\/$/, "")}/${path}`;
}

// ------------------------------------------------------------------ copying

async function copyOne(
  ctx: Ctx,
  src: { store: BaseArtifactStore; path: string },
  dst: { store: BaseArtifactStore; path: string },
  overwrite: boolean,
): Promise<number> {
  const size = (await src.store.stat(src.path)).size;
  if (src.store === dst.store) {
    await src.store.copyfile(src.path, dst.path, { overwrite });
    return size;
  }
  if (!overwrite && await dst.store.exists(dst.path)) {
    throw new FileExistsError(
      `Destination '${fullPath(dst.store, dst.path)}' already exists: pass --force to replace it`,
      { path: dst.path },
    );
  }
  const bar = progressBar(baseName(src.path), size, ctx.io.isTTY, ctx.io.errRaw);
  const source = await src.store.open(src.path, "rb");
  const sink = await dst.store.open(dst.path, overwrite ? "wb" : "xb", {
    onProgress: (n) => bar.update(n),
  });
  try {
    await source.pipeTo(sink);
  } finally {
    bar.done();
  }
  return size;
}

async function copyTree(
  ctx: Ctx,
  src: { store: BaseArtifactStore; path: string },
  dst: { store: BaseArtifactStore; path: string },
  overwrite: boolean,
): Promise<{ files: number; bytes: number }> {
  const base = fullPath(src.store, src.path).replace(/\/$/, "");
  const jobs: [string, string][] = [];
  for await (const [dir, , files] of src.store.walk(src.path)) {
    const rel = dir.slice(base.length).replace(/^\//, "");
    for (const f of files) {
      const from = `${dir}/${f}`;
      const to = [dst.path.replace(/\/$/, ""), rel, f].filter((x) => x !== "").join("/");
      jobs.push([from, to]);
    }
  }
  let bytes = 0;
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const [from, to] = jobs[next++];
      // Await first, then add: `bytes += await …` reads `bytes` before the await, so
      // concurrent workers would overwrite each other's sums.
      const n = await copyOne(
        ctx,
        { store: src.store, path: from },
        { store: dst.store, path: to },
        overwrite,
      );
      bytes += n;
      if (!ctx.io.isTTY) ctx.io.out(`copied ${from} -> ${fullPath(dst.store, to)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, jobs.length) }, worker));
  return { files: jobs.length, bytes };
}

/** `cp a dir/` or `cp a existing-dir` copies into the directory. */
async function intoDir(
  src: string,
  dst: { store: BaseArtifactStore; path: string },
  raw: string,
): Promise<{ store: BaseArtifactStore; path: string }> {
  if (raw.endsWith("/") || await dst.store.isdir(dst.path).catch(() => false)) {
    const name = baseName(src.replace(/\/+$/, ""));
    const base = dst.path.replace(/\/+$/, "");
    return { store: dst.store, path: base === "" ? name : `${base}/${name}` };
  }
  return dst;
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

const COMMANDS: Record<string, Command> = {
  "flavor list": {
    summary: "List the flavors: name, schemes, where they come from, config fields",
    usage: "stowage flavor list [--json]",
    spec: {},
    async run(ctx, a) {
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
      if (a.options.json) return ctx.io.out(JSON.stringify(rows, null, 2));
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
    usage: "stowage flavor register <module>",
    spec: {},
    async run(ctx, a) {
      const spec = a.positionals[0];
      if (!spec) throw new UsageError("Name the module: stowage flavor register ./my_flavor.ts");
      const cwd = ctx.io.env("PWD") ?? (globalThis as { Deno?: { cwd(): string } }).Deno?.cwd();
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
        : new URL(`file://${spec.startsWith("/") ? spec : `${cwd}/${spec}`}`).href;
      for (const x of found) {
        const f = registerFlavor(x as Flavor, { replace: true });
        ctx.cfg.flavors = ctx.cfg.flavors.filter((e) => e.name !== f.name);
        ctx.cfg.flavors.push({ name: f.name, module: resolved });
        ctx.io.out(
          `Registered flavor '${f.name}' (${f.supportedSchemes.join(", ")}) from ${resolved}`,
        );
      }
      await saveConfig(ctx.home, ctx.cfg);
    },
  },
  "flavor delete": {
    summary: "Forget a flavor registered from a module",
    usage: "stowage flavor delete <name>",
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
      ctx.io.out(`Deleted flavor '${name}'`);
    },
  },
  "artifact-store register": {
    summary: "Register a store: a name, a flavor, a root path and flavor fields",
    usage: "stowage artifact-store register NAME --flavor F --path URI [--key=value …]",
    spec: { strings: ["flavor", "path"], passThrough: true },
    async run(ctx, a) {
      const name = a.positionals[0];
      if (!name || !/^[A-Za-z0-9_.-]+$/.test(name)) {
        throw new UsageError("Give the store a name of letters, digits, '.', '_' or '-'");
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
      ctx.io.out(`Registered artifact store '${name}' (flavor ${fl}, path ${valid.path})`);
    },
  },
  "artifact-store list": {
    summary: "List the registered stores",
    usage: "stowage artifact-store list [--json]",
    spec: {},
    run(ctx, a) {
      const rows = Object.entries(ctx.cfg.stores).map(([n, c]) => ({
        name: n,
        flavor: String(c.flavor),
        path: String(c.path),
        default: n === ctx.cfg.defaultStore,
      }));
      if (a.options.json) ctx.io.out(JSON.stringify(rows, null, 2));
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
    usage: "stowage artifact-store describe NAME [--json]",
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
      if (a.options.json) return ctx.io.out(JSON.stringify(shown, null, 2));
      for (const [k, v] of Object.entries(shown)) {
        ctx.io.out(`${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`);
      }
    },
  },
  "artifact-store delete": {
    summary: "Forget a registered store (its data stays)",
    usage: "stowage artifact-store delete NAME",
    spec: {},
    async run(ctx, a) {
      const name = a.positionals[0];
      if (!name || !ctx.cfg.stores[name]) {
        throw new ConfigError(`No artifact store named '${name ?? ""}'`);
      }
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
      ctx.io.out(`Deleted artifact store '${name}' (its files were not touched)`);
    },
  },
  "artifact-store set-default": {
    summary: "Make a store the one relative paths go to",
    usage: "stowage artifact-store set-default NAME",
    spec: {},
    async run(ctx, a) {
      const name = a.positionals[0];
      if (!name || !ctx.cfg.stores[name]) {
        throw new ConfigError(`No artifact store named '${name ?? ""}'`);
      }
      ctx.cfg.defaultStore = name;
      await saveConfig(ctx.home, ctx.cfg);
      ctx.io.out(`Default artifact store is now '${name}'`);
    },
  },
  ls: {
    summary: "List a directory (-l: sizes and times)",
    usage: "stowage ls [-l] [--json] [PATH]",
    spec: { booleans: ["long"], aliases: { l: "long" } },
    async run(ctx, a) {
      const t = await target(ctx, a.positionals[0] ?? ".");
      const st = await t.store.stat(t.path);
      const entries = st.isDirectory
        ? await Promise.all(
          (await t.store.listdir(t.path)).map(async (n) =>
            a.options.long || a.options.json
              ? {
                name: n,
                ...await t.store.stat(`${fullPath(t.store, t.path).replace(/\/$/, "")}/${n}`),
              }
              : { name: n }
          ),
        )
        : [{ ...st, name: baseName(st.path) }];
      if (a.options.json) return ctx.io.out(JSON.stringify(entries, null, 2));
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
    summary: "Write a file to stdout",
    usage: "stowage cat PATH",
    spec: {},
    async run(ctx, a) {
      if (!a.positionals[0]) throw new UsageError("Name the file: stowage cat PATH");
      const t = await target(ctx, a.positionals[0]);
      const src = await t.store.open(t.path, "rb");
      await src.pipeTo(ctx.io.stdout(), { preventClose: true });
    },
  },
  cp: {
    summary: "Copy a file (or a tree with -r), across stores, streamed",
    usage: "stowage cp [-r] [-f] SRC DST",
    spec: { booleans: ["recursive", "force"], aliases: { r: "recursive", f: "force" } },
    async run(ctx, a) {
      const [s, d] = a.positionals;
      if (!s || !d) throw new UsageError("Give a source and a destination: stowage cp SRC DST");
      const src = await target(ctx, s);
      const dst = await target(ctx, d);
      const started = Date.now();
      if (await src.store.isdir(src.path)) {
        if (!a.options.recursive) throw new UsageError(`'${s}' is a directory: use cp -r`);
        const r = await copyTree(ctx, src, dst, !!a.options.force);
        report(ctx, a, {
          files: r.files,
          bytes: r.bytes,
          started,
          to: fullPath(dst.store, dst.path),
        });
        return;
      }
      const to = await intoDir(src.path, dst, d);
      const bytes = await copyOne(ctx, src, to, !!a.options.force);
      report(ctx, a, { files: 1, bytes, started, to: fullPath(to.store, to.path) });
    },
  },
  mv: {
    summary: "Move a file or tree (rename inside a store, copy + delete across stores)",
    usage: "stowage mv [-f] SRC DST",
    spec: { booleans: ["force"], aliases: { f: "force" } },
    async run(ctx, a) {
      const [s, d] = a.positionals;
      if (!s || !d) throw new UsageError("Give a source and a destination: stowage mv SRC DST");
      const src = await target(ctx, s);
      const dst0 = await target(ctx, d);
      const isDir = await src.store.isdir(src.path);
      const dst = isDir ? dst0 : await intoDir(src.path, dst0, d);
      if (src.store === dst.store) {
        await src.store.rename(src.path, dst.path, { overwrite: !!a.options.force });
      } else if (isDir) {
        await copyTree(ctx, src, dst, !!a.options.force);
        await src.store.rmtree(src.path);
      } else {
        await copyOne(ctx, src, dst, !!a.options.force);
        await src.store.remove(src.path);
      }
      ctx.io.out(`moved ${fullPath(src.store, src.path)} -> ${fullPath(dst.store, dst.path)}`);
    },
  },
  rm: {
    summary: "Remove a file (-r: a directory tree)",
    usage: "stowage rm [-r] PATH…",
    spec: { booleans: ["recursive"], aliases: { r: "recursive" } },
    async run(ctx, a) {
      if (a.positionals.length === 0) {
        throw new UsageError("Name what to remove: stowage rm [-r] PATH");
      }
      for (const p of a.positionals) {
        const t = await target(ctx, p);
        if (await t.store.isdir(t.path)) {
          if (!a.options.recursive) throw new UsageError(`'${p}' is a directory: use rm -r`);
          await t.store.rmtree(t.path);
        } else await t.store.remove(t.path);
        ctx.io.out(`removed ${fullPath(t.store, t.path)}`);
      }
    },
  },
  stat: {
    summary: "Describe a file or directory",
    usage: "stowage stat [--json] PATH",
    spec: {},
    async run(ctx, a) {
      if (!a.positionals[0]) throw new UsageError("Name the path: stowage stat PATH");
      const t = await target(ctx, a.positionals[0]);
      const st = await t.store.stat(t.path);
      if (a.options.json) return ctx.io.out(JSON.stringify(st, null, 2));
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
    spec: {},
    async run(ctx, a) {
      const t = await target(ctx, a.positionals[0] ?? ".");
      const base = fullPath(t.store, t.path).replace(/\/$/, "");
      const steps = [];
      for await (const step of t.store.walk(t.path)) steps.push(step);
      if (a.options.json) return ctx.io.out(JSON.stringify(steps));
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
    spec: {},
    async run(ctx, a) {
      if (!a.positionals[0]) throw new UsageError("Give a pattern: stowage glob 'runs/**/*.json'");
      const t = await target(ctx, a.positionals[0]);
      const found = await t.store.glob(t.path);
      if (a.options.json) return ctx.io.out(JSON.stringify(found));
      for (const f of found) ctx.io.out(f);
    },
  },
  mkdir: {
    summary: "Create a directory (-p: with its parents)",
    usage: "stowage mkdir [-p] PATH",
    spec: { booleans: ["parents"], aliases: { p: "parents" } },
    async run(ctx, a) {
      if (!a.positionals[0]) throw new UsageError("Name the directory: stowage mkdir [-p] PATH");
      const t = await target(ctx, a.positionals[0]);
      if (a.options.parents) await t.store.makedirs(t.path);
      else await t.store.mkdir(t.path);
    },
  },
  serve: {
    summary: "Serve a store over HTTP (the Hono adapter)",
    usage:
      "stowage serve [--store NAME | --path URI] [--port N] [--host H] [--token T] [--read-only]",
    spec: {
      strings: ["store", "path", "port", "host", "token"],
      booleans: ["read-only", "allow-anonymous"],
    },
    async run(ctx, a) {
      const { serveCommand } = await import("./serve.ts");
      let store: BaseArtifactStore;
      if (typeof a.options.path === "string") store = (await target(ctx, a.options.path)).store;
      else {store = await storeNamed(
          ctx,
          typeof a.options.store === "string" ? a.options.store : ctx.cfg.defaultStore,
        );}
      await serveCommand(store, {
        port: portOption(a.options.port, ctx.io.env("PORT")),
        hostname: typeof a.options.host === "string" ? a.options.host : undefined,
        token: typeof a.options.token === "string" ? a.options.token : ctx.io.env("STOWAGE_TOKEN"),
        readOnly: !!a.options["read-only"],
        allowAnonymous: !!a.options["allow-anonymous"],
        log: ctx.io.out,
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
  a: ReturnType<typeof parseArgs>,
  r: { files: number; bytes: number; started: number; to: string },
): void {
  const secs = (Date.now() - r.started) / 1000;
  if (a.options.json) {
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

function help(io: CliIO): void {
  io.out("stowage — one filesystem API over local disk, memory, S3, GCS and Azure Blob");
  io.out("");
  io.out("Usage: stowage <command> [options]   (each command takes --help)");
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
  io.out("Paths: a URI (s3://bucket/key), NAME:path in a registered store, an absolute path,");
  io.out(
    "or a path relative to the default store ($STOWAGE_HOME/local, default ~/.stowage/local).",
  );
}

/**
 * Runs one CLI invocation; throws on failure.
 *
 * @param argv the arguments
 * @param io output and environment
 */
export async function runCommand(argv: readonly string[], io: CliIO): Promise<void> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    help(io);
    return;
  }
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
      group.length && argv.length === 1
        ? `'${argv[0]}' needs a subcommand: ${group.map((g) => g.split(" ")[1]).join(", ")}`
        : `Unknown command '${argv.slice(0, 2).join(" ")}'${
          guess ? `: did you mean '${guess}'?` : ""
        } (see stowage --help)`,
    );
  }
  const args = parseArgs(rest, cmd.spec);
  if (args.options.help) {
    io.out(`Usage: ${cmd.usage}`);
    io.out(cmd.summary);
    return;
  }
  const home = stowageHome(io.env);
  const ctx: Ctx = { io, home, cfg: await loadConfig(home), stores: new Map() };
  await loadRegisteredFlavors(ctx);
  await cmd.run(ctx, args);
}
