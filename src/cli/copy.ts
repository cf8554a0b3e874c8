// Copying for cp and mv: one file (or stdin/stdout), a tree with bounded workers, where each
// source lands (GNU cp/mv rules), and the summary line.

import { UsageError } from "./args.ts";
import { humanSize, progressBar } from "./output.ts";
import {
  ArtifactStoreError,
  FileExistsError,
  FileNotFoundError,
  NotADirectoryError,
} from "../errors.ts";
import { baseName } from "../keys.ts";
import {
  child,
  type Ctx,
  fullPath,
  hasDirectories,
  isDir,
  parentOf,
  type Target,
} from "./context.ts";
// ------------------------------------------------------------------ copying

/** Aborts `write` after the pipe has settled (or a second after the interrupt, if it hangs). */
export function writeSignal(signal: AbortSignal | undefined): {
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
export async function copyOne(
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
export async function copyTree(
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
 * Runs `fn` for each of `count` sources as GNU cp and mv do: one source's failure
 * is printed and the others go on. One source: its error is thrown as it is; several:
 * each failure is printed once, as it happens, and the command then fails with one
 * summary (exit 1, as GNU's).
 *
 * @param ctx the command context (stderr, the interrupt signal)
 * @param count how many sources
 * @param verb `"copied"` or `"moved"`, for the summary
 * @param fn the work for source `i`
 */
export async function eachSource(
  ctx: Ctx,
  count: number,
  verb: string,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  if (count === 1) return await fn(0);
  let failed = 0;
  for (let i = 0; i < count; i++) {
    try {
      await fn(i);
    } catch (err) {
      if (ctx.io.signal?.aborted) throw err;
      failed++;
      ctx.io.err(`stowage: ${(err as Error).message}`);
    }
  }
  if (failed > 0) {
    throw new ArtifactStoreError(`${failed} of ${count} sources were not ${verb} (see above)`);
  }
}

/**
 * Where each source goes, GNU cp/mv style: several sources need an existing directory
 * (each goes to `DIR/<basename>`); one source goes into `DST` when it is a directory or is
 * written with a trailing `/`, else to `DST` itself. On a local target a trailing `/` on a
 * missing directory is refused, as GNU does; object stores have no empty directories, so
 * there `DST/` is a prefix to copy into.
 */
export async function destinations(
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
export async function checkParent(cmd: "cp" | "mv", src: Target, to: Target): Promise<void> {
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

export function report(
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
