// The commands that work on files: ls, cat, cp, mv, rm, stat, tree, glob, mkdir, serve.

import { UsageError } from "./args.ts";
import { humanSize } from "./output.ts";
import type { BaseArtifactStore } from "../base.ts";
import { ConfigError, FileExistsError, FileNotFoundError, NotADirectoryError } from "../errors.ts";
import { baseName } from "../keys.ts";
import {
  child,
  type Command,
  FORCE,
  fullPath,
  hasDirectories,
  isDir,
  JSON_OPT,
  storeNamed,
  type Target,
  target,
} from "./context.ts";
import { checkParent, copyOne, copyTree, destinations, eachSource, report } from "./copy.ts";
export const FILE_COMMANDS: Record<string, Command> = {
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
      await eachSource(ctx, sources.length, "copied", async (i) => {
        const [src, to] = [sources[i], tos[i]];
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
      });
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
      await eachSource(ctx, sources.length, "moved", async (i) => {
        const [src, to] = [sources[i], tos[i]];
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
      });
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
export function portOption(flag: string | true | undefined, env: string | undefined): number {
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
