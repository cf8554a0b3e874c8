/**
 * {@linkcode ObjectStore}: the artifact-store operations written once for object
 * stores (S3, GCS, Azure Blob, R2, …) on top of a small core each backend fills in:
 * head, ranged get, paginated list, put, multipart upload, delete, batch delete and
 * server-side copy.
 *
 * Directories on object stores are prefixes: a path is a directory when at least one
 * object lies below it (or a `dir/` marker object exists). `makedirs` and `mkdir`
 * create nothing. `rename` is copy + delete (not atomic). Writes buffer equal-size
 * parts (`partSize`) and send them as byte arrays, up to `concurrency` at once, so
 * memory stays near `partSize × (concurrency + 1)` on every runtime; a write below
 * one part is a single PUT. Create-only writes carry the backend's precondition and,
 * for multipart uploads, are also checked just before the commit. With
 * `readConcurrency` above 1, reads past `readPartSize` fetch ranges that many at
 * once, pinned to the first answer's entity tag, and deliver them in order.
 *
 * @module
 */

import type { WriteKind } from "./open_mode.ts";
import type {
  Capabilities,
  CopyOptions,
  DirEntries,
  ReadOptions,
  StatResult,
  WriteOptions,
} from "./types.ts";
import {
  AuthenticationError,
  FileExistsError,
  FileNotFoundError,
  IsADirectoryError,
  NotADirectoryError,
  NotSupportedError,
  PermissionDeniedError,
} from "./errors.ts";
import { type CompiledGlob, literalPrefix } from "./glob.ts";
import { globListing } from "./traverse.ts";
import { joinKey } from "./keys.ts";
import { compareCodePoints } from "./order.ts";
import { mapLimit } from "./concurrency.ts";
import { partWriter } from "./part_writer.ts";
import { emptyBody } from "./streams.ts";
import { fileThereError, intoItselfError, isADirectoryError } from "./fs_errors.ts";
import { ObjectBackend } from "./object_backend.ts";
import { readObject } from "./object_read.ts";
import type { GetResult, ObjectMeta, PutOptions } from "./object_types.ts";

/**
 * Base class of the object-store flavors. Subclasses fill in the object calls of
 * {@linkcode ObjectBackend} (`headObject`, `getObject`, `listPage`, `putObject`,
 * `deleteObject`, and where the service has them multipart uploads, batch deletes
 * and server-side copies) and get every artifact-store operation.
 */
export abstract class ObjectStore extends ObjectBackend {
  /** Object stores keep no empty directories and rename by copy + delete. */
  override get capabilities(): Capabilities {
    return {
      append: false,
      atomicRename: false,
      conditionalWrite: true,
      presign: false,
      directories: false,
    };
  }

  // ------------------------------------------------------------ directories

  /** True when anything lies below `rel` (or it is the root). */
  protected async isDirRel(rel: string): Promise<boolean> {
    if (rel === "") return true;
    for await (
      const page of this.listObjects(this.dirPrefix(rel), { limit: 1 })
    ) {
      if (page.objects.length > 0 || page.prefixes.length > 0) return true;
    }
    return false;
  }

  async #requireFile(rel: string, what: string): Promise<ObjectMeta> {
    const meta = rel === "" ? null : await this.headObject(this.key(rel));
    if (meta) return meta;
    if (await this.isDirRel(rel)) {
      throw isADirectoryError(this.at(rel), what);
    }
    throw this.notFound(rel);
  }

  /** Lists one directory as subdirectory and file names, in one call. */
  protected override async scandir(rel: string): Promise<DirEntries> {
    const prefix = this.dirPrefix(rel);
    const dirs = new Set<string>();
    const files: string[] = [];
    let any = false;
    for await (const page of this.listObjects(prefix, { delimiter: true })) {
      for (const o of page.objects) {
        any = true;
        const name = o.key.slice(prefix.length);
        const slash = name.indexOf("/");
        // Backends that ignore the delimiter list deeper keys: their first segment is a directory.
        if (slash > 0) dirs.add(name.slice(0, slash));
        else if (name !== "") files.push(name);
      }
      for (const p of page.prefixes) {
        any = true;
        const name = p.slice(prefix.length).replace(/\/$/, "");
        if (name !== "" && name !== "." && name !== "..") dirs.add(name);
      }
    }
    if (!any && rel !== "") {
      if (await this.headObject(this.key(rel))) {
        throw this.errorAt(NotADirectoryError, rel, `Cannot list '${this.uri(rel)}': it is a file`);
      }
      throw this.notFound(rel);
    }
    return { dirs: [...dirs], files };
  }

  /** Lists a directory (files and common prefixes). */
  override async listdir(path: string): Promise<string[]> {
    const { dirs, files } = await this.scandir(this.resolve(path));
    return [...new Set([...dirs, ...files])].sort(compareCodePoints);
  }

  /** Tells whether something exists at the path (an object, or objects below it). */
  override async exists(path: string): Promise<boolean> {
    const rel = this.resolve(path);
    if (rel !== "" && await this.headObject(this.key(rel))) return true;
    return await this.isDirRel(rel);
  }

  /** Tells whether the path is a prefix with objects below it. */
  override async isdir(path: string): Promise<boolean> {
    return await this.isDirRel(this.resolve(path));
  }

  /** Creates nothing (object stores have no empty directories); refuses a file in the way. */
  override async makedirs(path: string): Promise<void> {
    const rel = this.resolve(path);
    if (rel !== "" && await this.headObject(this.key(rel))) {
      throw fileThereError(this.at(rel));
    }
  }

  /** Same as `makedirs` on object stores (exist-ok, parents implied). */
  override mkdir(path: string): Promise<void> {
    return this.makedirs(path);
  }

  /** Describes an object, or a prefix as a directory. */
  override async stat(path: string): Promise<StatResult> {
    const rel = this.resolve(path);
    const meta = rel === "" ? null : await this.headObject(this.key(rel));
    if (meta) {
      return {
        path: this.uri(rel),
        size: meta.size,
        isDirectory: false,
        mtime: meta.mtime,
        etag: meta.etag,
        contentType: meta.contentType,
        metadata: meta.metadata,
      };
    }
    if (await this.isDirRel(rel)) {
      return { path: this.uri(rel), size: 0, isDirectory: true, mtime: null };
    }
    throw this.notFound(rel);
  }

  // ------------------------------------------------------------ glob and walk

  /** Globs with one flat listing below the pattern's literal prefix. */
  protected override async globKeys(g: CompiledGlob): Promise<string[]> {
    if (g.literal) return await super.globKeys(g);
    const lit = literalPrefix(g);
    const dirRel = g.literalDir;
    // List from the literal part (a raw prefix, may end mid-name) in one pass.
    const prefix = joinKey(this.rootPrefix, lit) +
      (lit === "" && this.rootPrefix ? "/" : "");
    const oneLevel = !g.recursive &&
      g.segments.length === (dirRel ? dirRel.split("/").length : 0) + 1;
    return await globListing(
      g,
      this.listObjects(prefix, { delimiter: oneLevel }),
      (key) => this.relOf(key),
    );
  }

  // ------------------------------------------------------------ reads

  /**
   * Streams the bytes of a file (or a range of it); the flavor core of `open` for
   * reading: one resumed GET, or with `readConcurrency` above 1 parallel ranges
   * pinned to the first answer's entity tag ({@linkcode readObject}).
   */
  protected override async openRead(
    rel: string,
    options: ReadOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    if (rel === "") throw this.#rootIsDir("read");
    const key = this.key(rel);
    const range = options.range;
    if (range?.end !== undefined && range.end <= range.start) {
      // Nothing to read, but it must be a file: checked here for every backend.
      await this.#requireFile(rel, "read");
      return emptyBody();
    }
    return readObject({
      range,
      partSize: this.readPartSize,
      concurrency: this.readConcurrency,
      idleMs: this.idleTimeoutMs,
      unrangedOnly: () => this.checksumOnlyUnranged(),
      first: (r) => this.#firstGet(rel, r, options.signal),
      get: (r, o) => this.getObject(key, r, o),
      signal: options.signal,
      path: this.uri(rel),
      flavor: this.flavor,
    });
  }

  /**
   * True when the backend checks a whole-object checksum only on an unranged GET
   * (its ranged answers carry no whole-object hash in `GetResult.verify`): reads
   * then stay one GET, so the check is kept. False here; S3 with flexible checksums
   * says true (GCS sends the whole object's `x-goog-hash` on ranged answers too).
   */
  protected checksumOnlyUnranged(): Promise<boolean> | boolean {
    return false;
  }

  /** The first GET of a read, with a missing key told apart from a directory. */
  async #firstGet(
    rel: string,
    range: { start: number; end?: number } | undefined,
    signal: AbortSignal | undefined,
  ): Promise<GetResult> {
    try {
      return await this.getObject(this.key(rel), range, { signal });
    } catch (err) {
      if (err instanceof FileNotFoundError && await this.isDirRel(rel)) {
        throw isADirectoryError(this.at(rel), "read");
      }
      if (err instanceof FileNotFoundError) throw this.notFound(rel);
      throw err;
    }
  }

  #rootIsDir(what: string): IsADirectoryError {
    return new IsADirectoryError(
      `Cannot ${what} the store root '${this.path}': it is a directory`,
      {
        path: this.path,
        flavor: this.flavor,
      },
    );
  }

  // ------------------------------------------------------------ writes

  /**
   * Opens an appending writer; flavors with append support override this.
   *
   * @param rel the relative key
   * @param options write options
   * @returns the sink
   */
  protected openAppend(
    rel: string,
    options: WriteOptions,
  ): Promise<WritableStream<Uint8Array>> {
    void options;
    return Promise.reject(
      this.errorAt(
        NotSupportedError,
        rel,
        `The ${this.flavor} store cannot append to '${this.uri(rel)}'`,
      ),
    );
  }

  /** A sink committed on close and discarded on abort; the flavor core of `open` for writing. */
  protected override async openWrite(
    rel: string,
    kind: WriteKind,
    options: WriteOptions,
  ): Promise<WritableStream<Uint8Array>> {
    if (kind === "append") return await this.openAppend(rel, options);
    const key = this.key(rel);
    const createOnly = kind === "create";
    // An object named like a directory (a prefix with objects below) would shadow it:
    // refused as on a file system. The listing runs while the data is sent and is
    // awaited before the commit, so the check adds no round trip to a large write.
    const notADir = this.refuseDirectory(rel, "write");
    notADir.catch(() => {});
    if (createOnly) {
      const [meta] = await Promise.all([this.headObject(key), notADir]);
      if (meta) throw this.existsError(rel);
    }
    const put: PutOptions = {
      ifNoneMatch: createOnly,
      contentType: options.contentType,
      metadata: options.metadata,
      signal: options.signal,
    };
    return partWriter({
      partSize: this.partSize,
      concurrency: this.concurrency,
      signal: options.signal,
      onProgress: options.onProgress,
      single: async (data) => {
        await notADir;
        await this.putObject(key, data, put);
      },
      start: () => this.createMultipartUpload(key, put),
      beforeComplete: async () => {
        await notADir;
        // Some services ignore the precondition on the commit (Ceph 16): check here too.
        if (createOnly && await this.headObject(key)) throw this.existsError(rel);
      },
    });
  }

  /**
   * Resolves when nothing lies below `rel` (it is no directory), else rejects with
   * `IsADirectoryError`. Credentials that may write but not list cannot tell: the
   * check is then skipped rather than refusing every write.
   *
   * @param rel the relative key about to be written
   * @param what the verb for the message (`"write"`, `"copy onto"`)
   */
  protected async refuseDirectory(rel: string, what: string): Promise<void> {
    let isDir: boolean;
    try {
      isDir = await this.isDirRel(rel);
    } catch (err) {
      if (err instanceof PermissionDeniedError || err instanceof AuthenticationError) return;
      throw err;
    }
    if (isDir) {
      throw this.errorAt(
        IsADirectoryError,
        rel,
        `Cannot ${what} '${this.uri(rel)}': it is a directory (objects lie below it); ` +
          `name a file inside it, e.g. '${this.uri(joinKey(rel, "file"))}'`,
      );
    }
  }

  // ------------------------------------------------------------ copy, rename, remove

  /** Copies an object server side. */
  override async copyfile(
    src: string,
    dst: string,
    options: CopyOptions = {},
  ): Promise<void> {
    const s = this.resolve(src);
    const d = this.resolve(dst);
    if (d === "") throw this.#rootIsDir("copy onto");
    const overwrite = options.overwrite ?? false;
    const [meta, dstMeta] = await Promise.all([
      this.#requireFile(s, "copy"),
      overwrite ? null : this.headObject(this.key(d)),
      s === d ? undefined : this.refuseDirectory(d, "copy onto"),
    ]);
    if (!overwrite) this.checkOverwrite(d, !!dstMeta, false);
    if (s === d) return;
    try {
      await this.copyObject(this.key(s), this.key(d), {
        ifNoneMatch: !overwrite,
        srcMeta: meta,
      });
    } catch (err) {
      if (err instanceof FileExistsError) this.checkOverwrite(d, true, false);
      throw err;
    }
  }

  /** Renames by copy + delete (not atomic); a directory moves object by object. */
  override async rename(
    src: string,
    dst: string,
    options: CopyOptions = {},
  ): Promise<void> {
    const s = this.resolve(src);
    const d = this.resolve(dst);
    if (s === d) {
      await this.stat(src);
      return;
    }
    const meta = s === "" ? null : await this.headObject(this.key(s));
    if (meta) {
      await this.copyfile(src, dst, options);
      await this.deleteObject(this.key(s));
      return;
    }
    if (!await this.isDirRel(s)) throw this.notFound(s);
    if (d === s || d.startsWith(s + "/") || s === "") {
      throw intoItselfError(this.at(s), this.uri(d));
    }
    const [dstFile, dstDir] = await Promise.all([
      d === "" ? null : this.headObject(this.key(d)),
      options.overwrite ? false : this.isDirRel(d),
    ]);
    if (dstFile) {
      // A directory does not replace a file (POSIX rename: ENOTDIR), with or without overwrite.
      if (!options.overwrite) this.checkOverwrite(d, true, false);
      throw this.errorAt(
        NotADirectoryError,
        d,
        `Cannot move directory '${this.uri(s)}' onto '${this.uri(d)}': it is a file`,
      );
    }
    if (dstDir) this.checkOverwrite(d, true, false);
    const keys = await this.#allKeys(this.dirPrefix(s));
    const from = this.dirPrefix(s);
    const to = this.dirPrefix(d);
    await mapLimit(
      keys,
      this.deleteConcurrency * 4,
      (k) => this.copyObject(k, to + k.slice(from.length), {}),
    );
    await this.deleteKeys(keys);
  }

  /** Removes one object. */
  override async remove(path: string): Promise<void> {
    const rel = this.resolve(path);
    if (rel === "") throw this.#rootIsDir("remove");
    await this.#requireFile(rel, "remove");
    await this.deleteObject(this.key(rel));
  }

  /** Removes every object below the directory, in parallel batches. */
  override async rmtree(path: string): Promise<void> {
    const rel = this.resolve(path);
    const keys = await this.#allKeys(this.dirPrefix(rel));
    if (keys.length === 0) {
      if (rel !== "" && await this.headObject(this.key(rel))) {
        throw this.errorAt(
          NotADirectoryError,
          rel,
          `Cannot rmtree '${this.uri(rel)}': it is a file; use remove`,
        );
      }
      if (rel === "") return;
      throw this.notFound(rel);
    }
    await this.deleteKeys(keys);
  }

  async #allKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of this.listObjects(prefix, {})) {
      for (const o of page.objects) keys.push(o.key);
    }
    return keys;
  }
}
