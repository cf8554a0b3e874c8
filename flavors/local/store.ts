/**
 * The `local` flavor's store class: the operations of a store in a local directory,
 * on the file-system module of {@linkcode loadFs}, reading through
 * {@linkcode readFileStream}, writing through {@linkcode openAtomicWrite} and listing
 * through {@linkcode scanEntries}. The root directory is made on first use.
 *
 * @example
 * ```ts
 * import { LocalArtifactStore } from "./store.ts";
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

import { BUILTINS } from "../../src/builtins.ts";
import { BaseArtifactStore } from "../../src/base.ts";
import type {
  Capabilities,
  CopyOptions,
  DirEntries,
  ReadOptions,
  StatResult,
  WriteOptions,
} from "../../src/types.ts";
import type { WriteKind } from "../../src/open_mode.ts";
import {
  type ArtifactStoreError,
  IsADirectoryError,
  NotADirectoryError,
} from "../../src/errors.ts";
import {
  type At,
  fileExistsError,
  fileThereError,
  intoItselfError,
  isADirectoryError,
  notFoundError,
  parentMissingError,
} from "../../src/fs_errors.ts";
import { cwd } from "../../src/_runtime.ts";
import { parseConfig, plainConfigSchema } from "../../src/flavor.ts";
import { parentKey } from "../../src/keys.ts";
import { splitScheme, stripQuotes } from "../../src/uri.ts";
import { fsError, makedirsError, parentDirError } from "./errors.ts";
import { errnoCode, type Fs, loadFs, statOrNull, type Stats } from "./fs.ts";
import { listNames, scanEntries } from "./list.ts";
import { readFileStream } from "./read.ts";
import { openAtomicWrite, tempPath } from "./write.ts";

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
 * import { LocalArtifactStore } from "./store.ts";
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

  /** The full URI of a relative key and the flavor, for errors. */
  #at(rel: string): At {
    return { path: this.uri(rel), flavor: this.flavor };
  }

  #map(err: unknown, rel: string, op: string): ArtifactStoreError {
    return fsError(err, this.#at(rel), op);
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

  async #statOrNull(rel: string): Promise<Stats | null> {
    const fs = await this.#fs();
    try {
      return await statOrNull(fs, this.#fsPath(rel));
    } catch (err) {
      throw this.#map(err, rel, "stat");
    }
  }

  /** Streams the bytes of a file (or a range of it); the flavor core of `open` for reading. */
  protected override async openRead(
    rel: string,
    options: ReadOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    return readFileStream(await this.#fs(), this.#fsPath(rel), options, this.#at(rel));
  }

  /** A sink committed on close and discarded on abort; the flavor core of `open` for writing. */
  protected override async openWrite(
    rel: string,
    kind: WriteKind,
    options: WriteOptions,
  ): Promise<WritableStream<Uint8Array>> {
    const fs = await this.#fs();
    const st = await this.#statOrNull(rel);
    if (st?.isDirectory()) throw isADirectoryError(this.#at(rel), "write");
    if (kind === "create" && st) throw fileExistsError(this.#at(rel));
    await this.#ensureParent(rel);
    return openAtomicWrite(fs, {
      dir: this.#fsPath(parentKey(rel)),
      target: this.#fsPath(rel),
      kind,
      appendTo: kind === "append" && !!st,
      options,
      at: this.#at(rel),
    });
  }

  async #ensureParent(rel: string): Promise<void> {
    const fs = await this.#fs();
    const parent = parentKey(rel);
    if (parent === "") return;
    try {
      await fs.mkdir(this.#fsPath(parent), { recursive: true });
    } catch (err) {
      throw parentDirError(err, this.#at(rel));
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
    if (!st) throw notFoundError(this.#at(s));
    if (st.isDirectory()) throw isADirectoryError(this.#at(s), "copy");
    const dst_ = await this.#statOrNull(d);
    if (dst_?.isDirectory()) throw isADirectoryError(this.#at(d), "copy onto");
    const overwrite = options.overwrite ?? false;
    this.checkOverwrite(d, !!dst_, overwrite);
    await this.#ensureParent(d);
    const tmp = tempPath(this.#fsPath(parentKey(d)));
    try {
      await fs.copyFile(this.#fsPath(s), tmp);
      if (overwrite) await fs.rename(tmp, this.#fsPath(d));
      else await fs.link(tmp, this.#fsPath(d));
    } catch (err) {
      if (errnoCode(err) === "EEXIST") this.checkOverwrite(d, true, false);
      throw this.#map(err, d, "copy to");
    } finally {
      await fs.rm(tmp, { force: true }).catch(() => {});
    }
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
      return await listNames(fs, this.#fsPath(rel));
    } catch (err) {
      throw this.#map(err, rel, "list");
    }
  }

  /** Lists one directory as subdirectory and file names, in one call. */
  protected override async scandir(rel: string): Promise<DirEntries> {
    const fs = await this.#fs();
    try {
      return await scanEntries(fs, this.#fsPath(rel));
    } catch (err) {
      throw this.#map(err, rel, "list");
    }
  }

  /** Creates a directory and its parents. */
  override async makedirs(path: string): Promise<void> {
    const rel = this.resolve(path);
    const fs = await this.#fs();
    try {
      await fs.mkdir(this.#fsPath(rel), { recursive: true });
    } catch (err) {
      throw makedirsError(err, this.#at(rel));
    }
  }

  /** Creates a directory whose parent exists. */
  override async mkdir(path: string): Promise<void> {
    const rel = this.resolve(path);
    const fs = await this.#fs();
    try {
      await fs.mkdir(this.#fsPath(rel));
    } catch (err) {
      const code = errnoCode(err);
      if (code === "EEXIST") {
        if ((await this.#statOrNull(rel))?.isDirectory()) return;
        throw fileThereError(this.#at(rel));
      }
      if (code === "ENOENT") throw parentMissingError(this.#at(rel));
      throw this.#map(err, rel, "create directory");
    }
  }

  /** Removes a file. */
  override async remove(path: string): Promise<void> {
    const rel = this.resolve(path);
    const fs = await this.#fs();
    const st = await this.#statOrNull(rel);
    if (!st) throw notFoundError(this.#at(rel));
    if (st.isDirectory()) {
      throw new IsADirectoryError(
        `Cannot remove '${this.uri(rel)}': it is a directory; use rmtree`,
        this.#at(rel),
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
    if (!st) throw notFoundError(this.#at(s));
    if (s === d) return;
    if (st.isDirectory() && d.startsWith(s + "/")) throw intoItselfError(this.#at(s), this.uri(d));
    const overwrite = options.overwrite ?? false;
    const target = await this.#statOrNull(d);
    if (target?.isDirectory() && !st.isDirectory()) {
      throw new IsADirectoryError(
        `Cannot replace directory '${this.uri(d)}' with a file`,
        this.#at(d),
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
      if (errnoCode(err) === "EEXIST") this.checkOverwrite(d, true, false);
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
        this.#at(rel),
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
    if (!st) throw notFoundError(this.#at(rel));
    return {
      path: this.uri(rel),
      size: st.isDirectory() ? 0 : st.size,
      isDirectory: st.isDirectory(),
      mtime: st.mtime,
    };
  }
}
