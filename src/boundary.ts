/**
 * The public boundary of every store: what leaves an operation is a result or an
 * {@linkcode ArtifactStoreError}, whatever the flavor (built-in or registered by a
 * user) threw inside, and the argument rules shared by every flavor are applied
 * once, before the flavor sees them.
 *
 * {@linkcode BaseArtifactStore}'s constructor calls {@linkcode guardOperations} on
 * each new store, so a flavor writes its operations plainly and gets:
 *
 * - errors typed (see {@linkcode toStoreError}), also for errors raised later by
 *   the streams `open` returns and by the `walk` iterator; an abort reason passes on
 *   as given;
 * - a copy or rename destination ending in `/` resolved into that directory
 *   ({@linkcode intoDirectory});
 * - binary writable streams that refuse a chunk that is no `Uint8Array` with
 *   `InvalidArgumentError`, discarding the write so nothing is committed (text
 *   streams refuse non-strings in the text adapter).
 *
 * @module
 */

import type { BaseArtifactStore } from "./base.ts";
import type { OpenMode } from "./open_mode.ts";
import type { WalkEntry, WalkOptions } from "./types.ts";
import { type ErrorContext, isAbortReason, toStoreError } from "./errors.ts";
import { intoDirectory } from "./keys.ts";
import { wrongChunk } from "./streams.ts";

/** The operations guarded, with the verb their error messages use. */
const OPERATIONS = {
  open: "open",
  copyfile: "copy",
  exists: "check",
  glob: "glob",
  isdir: "check",
  listdir: "list",
  makedirs: "create directory",
  mkdir: "create directory",
  remove: "remove",
  rename: "rename",
  rmtree: "remove the tree",
  stat: "stat",
  size: "get the size of",
  presign: "presign",
} as const;

type Op = keyof typeof OPERATIONS;
// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

/**
 * Maps an error leaving the store: abort reasons as given, the rest typed.
 *
 * @param err what was thrown
 * @param ctx path, flavor and operation
 * @returns the error to throw
 */
function leaving(err: unknown, ctx: ErrorContext): unknown {
  return isAbortReason(err) ? err : toStoreError(err, ctx);
}

/**
 * Wraps the public operations of a store (own properties shadowing the prototype's
 * methods, so subclasses' overrides are wrapped too). Called once per store, by the
 * base constructor.
 *
 * @param store the store
 *
 * @example
 * ```ts
 * import { MemoryArtifactStore } from "../flavors/memory/mod.ts";
 * import { ArtifactStoreError } from "./errors.ts";
 * const store = new MemoryArtifactStore({ path: "memory://boundary-doc" });
 * const w = (await store.open("memory://boundary-doc/a.txt", "w")).getWriter();
 * // deno-lint-ignore no-explicit-any
 * const err = await w.write(1 as any).catch((e) => e);
 * console.assert(err instanceof ArtifactStoreError && err.code === "InvalidArgument");
 * console.assert(!(await store.exists("memory://boundary-doc/a.txt")));
 * ```
 */
export function guardOperations(store: BaseArtifactStore): void {
  const target = store as unknown as Record<string, AnyFn>;
  for (const op of Object.keys(OPERATIONS) as Op[]) {
    const fn = target[op];
    if (typeof fn !== "function") continue;
    const verb = OPERATIONS[op];
    const wrapped = async (...args: unknown[]) => {
      const path = typeof args[0] === "string" ? args[0] : undefined;
      const ctx = { path, flavor: store.flavor, op: verb };
      try {
        if ((op === "copyfile" || op === "rename") && typeof args[1] === "string") {
          args[1] = intoDirectory(args[0] as string, args[1]);
        }
        const result = await fn.apply(store, args);
        if (op === "open") return guardStream(result, (args[1] as OpenMode) ?? "r", ctx);
        return result;
      } catch (err) {
        throw leaving(err, ctx);
      }
    };
    Object.defineProperty(store, op, { value: wrapped, writable: true, configurable: true });
  }
  const walk = target.walk;
  if (typeof walk === "function") {
    Object.defineProperty(store, "walk", {
      value: (top: string, options: WalkOptions = {}) => {
        const ctx = { path: typeof top === "string" ? top : undefined, flavor: store.flavor };
        const onerror = options.onerror;
        const inner = walk.call(store, top, {
          ...options,
          onerror: onerror && ((e: Error) => onerror(leaving(e, { ...ctx, op: "list" }) as Error)),
        }) as AsyncGenerator<WalkEntry>;
        return guardedWalk(inner, { ...ctx, op: "walk" });
      },
      writable: true,
      configurable: true,
    });
  }
}

async function* guardedWalk(
  inner: AsyncGenerator<WalkEntry>,
  ctx: ErrorContext,
): AsyncGenerator<WalkEntry> {
  try {
    yield* inner;
  } catch (err) {
    throw leaving(err, ctx);
  }
}

function guardStream(result: unknown, mode: OpenMode, ctx: ErrorContext): unknown {
  if (result instanceof ReadableStream) {
    return guardReadable(result, { ...ctx, op: "read" });
  }
  if (result instanceof WritableStream) {
    return guardWritable(result, mode.endsWith("b"), { ...ctx, op: "write" });
  }
  return result;
}

/**
 * A readable stream that passes the chunks of `source` on and types its errors.
 *
 * @param source the flavor's stream
 * @param ctx path, flavor and operation for the errors
 * @returns the guarded stream (no extra buffering: it pulls only when asked)
 */
export function guardReadable<T>(
  source: ReadableStream<T>,
  ctx: ErrorContext,
): ReadableStream<T> {
  const reader = source.getReader();
  return new ReadableStream<T>({
    async pull(controller) {
      let step: ReadableStreamReadResult<T>;
      try {
        step = await reader.read();
      } catch (err) {
        throw leaving(err, ctx);
      }
      if (step.done) controller.close();
      else controller.enqueue(step.value);
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}

/**
 * A writable stream that passes chunks on to `sink` and types its errors; for a
 * binary sink it also refuses a chunk that is no `Uint8Array` (aborting the sink, so
 * nothing is committed). A text sink needs no check here: every one is the text
 * adapter (`binaryToTextWritable`), which refuses non-strings itself.
 *
 * @param sink the flavor's sink
 * @param binary whether the sink takes bytes
 * @param ctx path, flavor and operation for the errors
 * @returns the guarded sink
 */
export function guardWritable<T>(
  sink: WritableStream<T>,
  binary: boolean,
  ctx: ErrorContext,
): WritableStream<T> {
  const writer = sink.getWriter();
  return new WritableStream<T>({
    async write(chunk) {
      if (binary && !(chunk instanceof Uint8Array)) {
        const err = wrongChunk("bytes", chunk, ctx.path);
        await writer.abort(err).catch(() => {});
        throw err;
      }
      try {
        await writer.write(chunk);
      } catch (err) {
        throw leaving(err, ctx);
      }
    },
    async close() {
      try {
        await writer.close();
      } catch (err) {
        throw leaving(err, ctx);
      }
    },
    async abort(reason) {
      await writer.abort(reason).catch(() => {});
    },
  });
}
