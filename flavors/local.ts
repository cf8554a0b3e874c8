/**
 * The `local` flavor: a directory on the local disk (absolute paths and `file://`
 * URIs), on Deno, Bun and Node through `node:fs`, loaded only when first used so
 * that importing Stowage on the edge does not pull it in.
 *
 * Writes go to a hidden temporary file beside the target (`.stowage-*.partial`,
 * never listed) and are renamed into place on `close()`, so a half-written file is
 * never visible; create-only writes publish with `link()`, which fails atomically
 * when the target exists.
 *
 * @example
 * ```ts
 * import { LocalArtifactStore } from "./local.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const store = new LocalArtifactStore({ path: dir });
 * await store.makedirs(`${dir}/a/b`);
 * console.assert(await store.isdir(`${dir}/a`));
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

import { BUILTINS } from "../src/builtins.ts";
import type * as NodeFs from "node:fs/promises";
import { BaseArtifactStore } from "../src/base.ts";
import type { WriteKind } from "../src/open_mode.ts";
import { clampRange } from "../src/range.ts";
import type {
  Capabilities,
  CopyOptions,
  DirEntries,
  ReadOptions,
  StatResult,
  WriteOptions,
} from "../src/types.ts";
import {
  type ArtifactStoreError,
  FileExistsError,
  FileNotFoundError,
  InvalidArgumentError,
  IsADirectoryError,
  mapLocalError,
  NotADirectoryError,
} from "../src/errors.ts";
import { cwd } from "../src/_runtime.ts";
import {
  type Flavor,
  flavorFromClass,
  parseConfig,
  plainConfigSchema,
  type StandardSchemaV1,
} from "../src/flavor.ts";
import { parentKey } from "../src/keys.ts";
import { sortNames } from "../src/order.ts";
import { splitScheme, stripQuotes } from "../src/uri.ts";

type Fs = typeof NodeFs;
let fsModule: Promise<Fs> | undefined;
function loadFs(): Promise<Fs> {
  return fsModule ??= import("node:fs/promises");
}

const TEMP_RE = /^\.stowage-[0-9a-f]{16}\.partial$/;
const READ_CHUNK = 256 * 1024;

function tempName(): string {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return `.stowage-${Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")}.partial`;
}

/** Configuration of a local store. */
export interface LocalStoreConfig {
  /** The root directory: absolute, `file://`, or relative to the working directory. */
  path: string;
  /** The flavor name (`"local"`), as stored configurations carry it. */
  flavor?: string;
  /** Other fields are refused with a `ConfigError`. */
  [key: string]: unknown;
}

/**
 * A store in a local directory.
 *
 * @example
 * ```ts
 * import { LocalArtifactStore } from "./local.ts";
 * const s = new LocalArtifactStore({ path: "/tmp/stowage-doc" });
 * console.assert(s.flavor === "local" && s.path === "/tmp/stowage-doc");
 * ```
 */
export class LocalArtifactStore extends BaseArtifactStore {
  /** The flavor name. */
  static override FLAVOR: string = BUILTINS.local.name;
  /** The schemes served (plain absolute paths are served too). */
  static override SUPPORTED_SCHEMES: readonly string[] = BUILTINS.local.supportedSchemes;

  #rootReady?: Promise<void>;

  /**
   * Creates a store in a directory (made on first use).
   *
   * @param config `path` is the root directory
   */
  constructor(config: LocalStoreConfig) {
    super(parseConfig(plainConfigSchema, config, "local") as LocalStoreConfig);
  }

  /** Local stores append, rename atomically, enforce create-only, and keep empty directories. */
  override get capabilities(): Capabilities {
    return {
      append: true,
      atomicRename: true,
      conditionalWrite: true,
      presign: false,
      directories: true,
    };
  }

  /** Makes a relative root absolute against the working directory. */
  protected override normalizeRoot(path: string): string {
    const p = stripQuotes(String(path ?? "")).replaceAll("\\", "/");
    if (p === "" || splitScheme(p) || p.startsWith("/")) return p;
    const base = cwd();
    return base ? `${base}/${p}` : p;
  }

  /** The OS path of a relative key. */
  #fsPath(rel: string): string {
    const r = this.root.uri;
    if (rel === "") return r;
    return r === "/" ? `/${rel}` : `${r}/${rel}`;
  }

  #map(err: unknown, rel: string, op: string): ArtifactStoreError {
    return mapLocalError(err, { path: this.uri(rel), flavor: this.flavor, op });
  }

  /** Creates the root directory on first use. */
  async #fs(): Promise<Fs> {
    const fs = await loadFs();
    this.#rootReady ??= fs.mkdir(this.root.uri, { recursive: true }).then(
      () => {},
      (err) => {
        this.#rootReady = undefined;
        throw this.#map(err, "", "create the store root");
      },
    );
    await this.#rootReady;
    return fs;
  }

  async #statOrNull(rel: string) {
    const fs = await this.#fs();
    try {
      return await fs.stat(this.#fsPath(rel));
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "ENOENT" || code === "ENOTDIR") return null;
      throw this.#map(err, rel, "stat");
    }
  }

  /** Streams the bytes of a file (or a range of it); the flavor core of `open` for reading. */
  protected override async openRead(
    rel: string,
    options: ReadOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    const fs = await this.#fs();
    let fh: NodeFs.FileHandle;
    try {
      fh = await fs.open(this.#fsPath(rel), "r");
    } catch (err) {
      throw this.#map(err, rel, "read");
    }
    let pos: number;
    let end: number;
    try {
      const st = await fh.stat();
      if (st.isDirectory()) {
        throw new IsADirectoryError(
          `Cannot read '${this.uri(rel)}': it is a directory`,
          {
            path: this.uri(rel),
            flavor: this.flavor,
          },
        );
      }
      [pos, end] = clampRange(options.range, st.size);
    } catch (err) {
      await fh.close();
      throw this.#map(err, rel, "read");
    }
    const signal = options.signal;
    let closed = false;
    const close = async () => {
      if (!closed) {
        closed = true;
        await fh.close();
      }
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          signal?.throwIfAborted();
          const want = Math.min(READ_CHUNK, end - pos);
          if (want <= 0) {
            await close();
            controller.close();
            return;
          }
          const buf = new Uint8Array(want);
          const { bytesRead } = await fh.read(buf, 0, want, pos);
          if (bytesRead === 0) {
            await close();
            controller.close();
            return;
          }
          pos += bytesRead;
          controller.enqueue(
            bytesRead === want ? buf : buf.subarray(0, bytesRead),
          );
        } catch (err) {
          await close().catch(() => {});
          controller.error(
            signal?.aborted ? signal.reason : this.#map(err, rel, "read"),
          );
        }
      },
      cancel: close,
    }, { highWaterMark: 1 });
  }

  /** A sink committed on close and discarded on abort; the flavor core of `open` for writing. */
  protected override async openWrite(
    rel: string,
    kind: WriteKind,
    options: WriteOptions,
  ): Promise<WritableStream<Uint8Array>> {
    const fs = await this.#fs();
    const target = this.#fsPath(rel);
    const st = await this.#statOrNull(rel);
    if (st?.isDirectory()) {
      throw new IsADirectoryError(
        `Cannot write '${this.uri(rel)}': it is a directory`,
        {
          path: this.uri(rel),
          flavor: this.flavor,
        },
      );
    }
    if (kind === "create" && st) throw this.#existsError(rel);
    await this.#ensureParent(rel);
    const tmp = `${this.#fsPath(parentKey(rel))}/${tempName()}`;
    let fh: NodeFs.FileHandle;
    try {
      if (kind === "append" && st) {
        await fs.copyFile(target, tmp, fs.constants.COPYFILE_EXCL);
      }
      fh = await fs.open(tmp, kind === "append" ? "a" : "wx");
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw this.#map(err, rel, "write");
    }
    let written = 0;
    let done = false;
    // One discard, however many callers (the signal, the stream's abort, a failed write):
    // each awaits the same removal, so an aborted write returns only once nothing is left.
    let discarding: Promise<void> | undefined;
    const discard = (): Promise<void> => {
      if (done && !discarding) return Promise.resolve();
      done = true;
      discarding ??= (async () => {
        await fh.close().catch(() => {});
        await fs.rm(tmp, { force: true }).catch(() => {});
      })();
      return discarding;
    };
    const signal = options.signal;
    const onAbort = () => void discard();
    signal?.addEventListener("abort", onAbort, { once: true });
    return new WritableStream<Uint8Array>({
      write: async (chunk) => {
        try {
          signal?.throwIfAborted();
          let off = 0;
          while (off < chunk.length) {
            const { bytesWritten } = await fh.write(
              chunk,
              off,
              chunk.length - off,
            );
            off += bytesWritten;
          }
          written += chunk.length;
          options.onProgress?.(written);
        } catch (err) {
          await discard();
          throw signal?.aborted ? signal.reason : this.#map(err, rel, "write");
        }
      },
      close: async () => {
        try {
          signal?.throwIfAborted();
          await fh.close();
          done = true;
          if (kind === "create") {
            await fs.link(tmp, target);
            await fs.rm(tmp, { force: true });
          } else {
            await fs.rename(tmp, target);
          }
        } catch (err) {
          done = false;
          await discard();
          throw signal?.aborted ? signal.reason : this.#map(err, rel, "write");
        } finally {
          signal?.removeEventListener("abort", onAbort);
        }
      },
      abort: async () => {
        signal?.removeEventListener("abort", onAbort);
        await discard();
      },
    });
  }

  #existsError(rel: string): FileExistsError {
    return new FileExistsError(
      `File '${this.uri(rel)}' already exists: open it with 'w' to overwrite`,
      { path: this.uri(rel), flavor: this.flavor },
    );
  }

  async #ensureParent(rel: string): Promise<void> {
    const fs = await this.#fs();
    const parent = parentKey(rel);
    if (parent === "") return;
    try {
      await fs.mkdir(this.#fsPath(parent), { recursive: true });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "EEXIST" || code === "ENOTDIR") {
        throw new NotADirectoryError(
          `Cannot write '${this.uri(rel)}': a parent in the path is a file, not a directory`,
          { path: this.uri(rel), flavor: this.flavor, cause: err },
        );
      }
      throw this.#map(err, rel, "create the parent directory of");
    }
  }

  /** Copies a file, publishing it atomically. */
  override async copyfile(
    src: string,
    dst: string,
    options: CopyOptions = {},
  ): Promise<void> {
    const s = this.resolve(src);
    const d = this.resolve(dst);
    const fs = await this.#fs();
    const st = await this.#statOrNull(s);
    if (!st) throw this.#notFound(s);
    if (st.isDirectory()) {
      throw new IsADirectoryError(
        `Cannot copy '${this.uri(s)}': it is a directory`,
        {
          path: this.uri(s),
          flavor: this.flavor,
        },
      );
    }
    const dst_ = await this.#statOrNull(d);
    if (dst_?.isDirectory()) {
      throw new IsADirectoryError(
        `Cannot copy onto '${this.uri(d)}': it is a directory`,
        {
          path: this.uri(d),
          flavor: this.flavor,
        },
      );
    }
    const overwrite = options.overwrite ?? false;
    this.checkOverwrite(d, !!dst_, overwrite);
    await this.#ensureParent(d);
    const tmp = `${this.#fsPath(parentKey(d))}/${tempName()}`;
    try {
      await fs.copyFile(this.#fsPath(s), tmp);
      if (overwrite) await fs.rename(tmp, this.#fsPath(d));
      else await fs.link(tmp, this.#fsPath(d));
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "EEXIST") this.checkOverwrite(d, true, false);
      throw this.#map(err, d, "copy to");
    } finally {
      await fs.rm(tmp, { force: true }).catch(() => {});
    }
  }

  #notFound(rel: string): FileNotFoundError {
    return new FileNotFoundError(
      `No such file or directory: '${this.uri(rel)}'`,
      {
        path: this.uri(rel),
        flavor: this.flavor,
      },
    );
  }

  /** Tells whether a file or directory exists. */
  override async exists(path: string): Promise<boolean> {
    return (await this.#statOrNull(this.resolve(path))) !== null;
  }

  /** Tells whether the path is a directory. */
  override async isdir(path: string): Promise<boolean> {
    return (await this.#statOrNull(this.resolve(path)))?.isDirectory() ?? false;
  }

  /** Lists a directory (temporary files of writes in progress are hidden). */
  override async listdir(path: string): Promise<string[]> {
    const rel = this.resolve(path);
    const fs = await this.#fs();
    try {
      const names = await fs.readdir(this.#fsPath(rel));
      return sortNames(names.filter((n) => !TEMP_RE.test(n)));
    } catch (err) {
      throw this.#map(err, rel, "list");
    }
  }

  /** Lists one directory as subdirectory and file names, in one call. */
  protected override async scandir(rel: string): Promise<DirEntries> {
    const fs = await this.#fs();
    let entries;
    try {
      entries = await fs.readdir(this.#fsPath(rel), { withFileTypes: true });
    } catch (err) {
      throw this.#map(err, rel, "list");
    }
    const dirs: string[] = [];
    const files: string[] = [];
    for (const e of entries) {
      if (TEMP_RE.test(e.name)) continue;
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        isDir = (await fs.stat(`${this.#fsPath(rel)}/${e.name}`).catch(() => null))
          ?.isDirectory() ?? false;
      }
      (isDir ? dirs : files).push(e.name);
    }
    return { dirs, files };
  }

  /** Creates a directory and its parents. */
  override async makedirs(path: string): Promise<void> {
    const rel = this.resolve(path);
    const fs = await this.#fs();
    try {
      await fs.mkdir(this.#fsPath(rel), { recursive: true });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "EEXIST" || code === "ENOTDIR") {
        throw new FileExistsError(
          `Cannot create directory '${this.uri(rel)}': a file is in the way`,
          { path: this.uri(rel), flavor: this.flavor, cause: err },
        );
      }
      throw this.#map(err, rel, "create directory");
    }
  }

  /** Creates a directory whose parent exists. */
  override async mkdir(path: string): Promise<void> {
    const rel = this.resolve(path);
    const fs = await this.#fs();
    try {
      await fs.mkdir(this.#fsPath(rel));
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "EEXIST") {
        if ((await this.#statOrNull(rel))?.isDirectory()) return;
        throw new FileExistsError(
          `Cannot create directory '${this.uri(rel)}': a file is there`,
          {
            path: this.uri(rel),
            flavor: this.flavor,
          },
        );
      }
      if (code === "ENOENT") {
        throw new FileNotFoundError(
          `Parent directory of '${this.uri(rel)}' does not exist: create it with makedirs`,
          { path: this.uri(rel), flavor: this.flavor },
        );
      }
      throw this.#map(err, rel, "create directory");
    }
  }

  /** Removes a file. */
  override async remove(path: string): Promise<void> {
    const rel = this.resolve(path);
    const fs = await this.#fs();
    const st = await this.#statOrNull(rel);
    if (!st) throw this.#notFound(rel);
    if (st.isDirectory()) {
      throw new IsADirectoryError(
        `Cannot remove '${this.uri(rel)}': it is a directory; use rmtree`,
        { path: this.uri(rel), flavor: this.flavor },
      );
    }
    try {
      await fs.unlink(this.#fsPath(rel));
    } catch (err) {
      throw this.#map(err, rel, "remove");
    }
  }

  /** Renames a file or directory atomically. */
  override async rename(
    src: string,
    dst: string,
    options: CopyOptions = {},
  ): Promise<void> {
    const s = this.resolve(src);
    const d = this.resolve(dst);
    const fs = await this.#fs();
    const st = await this.#statOrNull(s);
    if (!st) throw this.#notFound(s);
    if (s === d) return;
    if (st.isDirectory() && d.startsWith(s + "/")) {
      throw new InvalidArgumentError(
        `Cannot move directory '${this.uri(s)}' into itself ('${this.uri(d)}')`,
        { path: this.uri(s), flavor: this.flavor },
      );
    }
    const overwrite = options.overwrite ?? false;
    const target = await this.#statOrNull(d);
    if (target?.isDirectory() && !st.isDirectory()) {
      throw new IsADirectoryError(
        `Cannot replace directory '${this.uri(d)}' with a file`,
        {
          path: this.uri(d),
          flavor: this.flavor,
        },
      );
    }
    this.checkOverwrite(d, !!target, overwrite);
    await this.#ensureParent(d);
    try {
      if (!overwrite && !st.isDirectory()) {
        // link() fails atomically if the destination appeared meanwhile.
        await fs.link(this.#fsPath(s), this.#fsPath(d));
        await fs.unlink(this.#fsPath(s));
      } else {
        await fs.rename(this.#fsPath(s), this.#fsPath(d));
      }
    } catch (err) {
      if ((err as { code?: string }).code === "EEXIST") {
        this.checkOverwrite(d, true, false);
      }
      throw this.#map(err, d, "rename to");
    }
  }

  /** Removes a directory tree. */
  override async rmtree(path: string): Promise<void> {
    const rel = this.resolve(path);
    const fs = await this.#fs();
    let st;
    try {
      st = await fs.lstat(this.#fsPath(rel));
    } catch (err) {
      throw this.#map(err, rel, "remove");
    }
    if (!st.isDirectory()) {
      throw new NotADirectoryError(
        `Cannot rmtree '${this.uri(rel)}': it is not a directory`,
        {
          path: this.uri(rel),
          flavor: this.flavor,
        },
      );
    }
    try {
      await fs.rm(this.#fsPath(rel), { recursive: true });
    } catch (err) {
      throw this.#map(err, rel, "remove");
    }
    if (rel === "") this.#rootReady = undefined;
  }

  /** Describes a file or directory. */
  override async stat(path: string): Promise<StatResult> {
    const rel = this.resolve(path);
    const st = await this.#statOrNull(rel);
    if (!st) throw this.#notFound(rel);
    return {
      path: this.uri(rel),
      size: st.isDirectory() ? 0 : st.size,
      isDirectory: st.isDirectory(),
      mtime: st.mtime,
    };
  }
}

/**
 * The `local` flavor object.
 *
 * @example
 * ```ts
 * import { localFlavor } from "./local.ts";
 * const store = await localFlavor.create({ path: "/tmp/stowage-flavor-doc" });
 * console.assert(store.flavor === "local");
 * ```
 */
export const localFlavor: Flavor<LocalStoreConfig> = {
  ...flavorFromClass<LocalStoreConfig>(
    LocalArtifactStore,
    plainConfigSchema as StandardSchemaV1<unknown, LocalStoreConfig>,
  ),
  description: BUILTINS.local.description,
};
