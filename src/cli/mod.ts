/**
 * The `stowage` command line: ZenML's flavor and artifact-store commands, file
 * commands over URIs and store names, and `serve`.
 *
 * ```sh
 * stowage flavor list
 * stowage artifact-store register models --flavor s3 --path s3://bucket/models --region=eu-west-1
 * stowage cp -r ./runs models:runs
 * stowage ls -l models:runs
 * ```
 *
 * Paths: a full URI (`s3://bucket/key`), `NAME:path` inside a registered store (`default:` is
 * the embedded local store in `$STOWAGE_HOME/local`), or a local path — relative ones resolve
 * against the working directory, as in every CLI. In `cp`, `-` is stdin (as the source) or
 * stdout (as the destination).
 *
 * @example Running a command in-process
 * ```ts
 * import { main } from "./mod.ts";
 *
 * const lines: string[] = [];
 * const code = await main(["flavor", "list", "--json"], { out: (l) => lines.push(l) });
 * console.assert(code === 0 && JSON.parse(lines.join("\n")).length > 0);
 * ```
 *
 * @module
 */

import "../../flavors/all.ts"; // every built-in flavor, loaded on first use
import { ArtifactStoreError } from "../errors.ts";
import { getEnv } from "../_runtime.ts";
import { type CliIO, runCommand } from "./commands.ts";
import { UsageError } from "./args.ts";

export type { CliIO } from "./commands.ts";

/**
 * Runs the CLI with `args` and returns its exit code: 0 on success, 1 when the work
 * failed, 2 for a usage error, 130 when `io.signal` aborted it (Ctrl-C). Errors are one
 * line on stderr saying what to do.
 *
 * @param args the arguments (without the program name)
 * @param io where output goes and where the environment comes from (default: the process)
 * @returns the exit code
 */
export async function main(args: readonly string[], io: Partial<CliIO> = {}): Promise<number> {
  const full = { ...defaultIO(), ...io };
  try {
    await runCommand(args, full);
    return 0;
  } catch (err) {
    if (full.signal?.aborted) {
      full.err("stowage: interrupted: nothing half-written was left");
      return 130;
    }
    if (err instanceof UsageError) {
      full.err(`stowage: ${err.message}`);
      return 2;
    }
    if (err instanceof ArtifactStoreError) {
      full.err(`stowage: ${err.message}`);
      return 1;
    }
    const e = err as Error;
    full.err(`stowage: ${e?.message ?? String(err)}`);
    if (full.env("STOWAGE_DEBUG")) full.err(String(e?.stack ?? ""));
    return 1;
  }
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

function defaultIO(): CliIO {
  const enc = new TextEncoder();
  const isDeno = !!g.Deno?.version?.deno;
  const writeErr = (text: string) => {
    if (isDeno) g.Deno.stderr.writeSync(enc.encode(text));
    else g.process.stderr.write(text);
  };
  const cwd = () => (isDeno ? g.Deno.cwd() : g.process.cwd()) as string;
  return {
    out: (line) => console.log(line),
    err: (line) => writeErr(line + "\n"),
    errRaw: writeErr,
    stdout: () => {
      if (isDeno) return g.Deno.stdout.writable;
      return new WritableStream<Uint8Array>({
        write: (chunk) =>
          new Promise<void>((resolve, reject) =>
            g.process.stdout.write(chunk, (e: Error | null) => (e ? reject(e) : resolve()))
          ),
      });
    },
    stdin: () => {
      if (isDeno) return g.Deno.stdin.readable;
      const stdin = g.process.stdin;
      return new ReadableStream<Uint8Array>({
        start(c) {
          stdin.on("data", (d: Uint8Array) => c.enqueue(new Uint8Array(d)));
          stdin.on("end", () => c.close());
          stdin.on("error", (e: Error) => c.error(e));
        },
        cancel: () => void stdin.destroy(),
      });
    },
    isTTY: isDeno ? g.Deno.stderr.isTerminal?.() ?? false : !!g.process?.stderr?.isTTY,
    env: getEnv,
    cwd,
  };
}

/** True when this module is the program (Deno and Bun set `import.meta.main`; Node 20 does not). */
function isMain(): boolean {
  const meta = import.meta as ImportMeta & { main?: boolean };
  if (typeof meta.main === "boolean") return meta.main;
  const script: string | undefined = g.process?.argv?.[1];
  if (!script) return false;
  const path = decodeURIComponent(new URL(import.meta.url).pathname);
  return path === script || path === script.replace(/\\/g, "/");
}

/**
 * An abort signal fired by the first Ctrl-C (SIGINT); a second one exits at once with 130.
 * Returns it and a function that removes the handler.
 */
function interruptSignal(): [AbortSignal, () => void] {
  const ac = new AbortController();
  const exit = (code: number) => (g.Deno ? g.Deno.exit(code) : g.process.exit(code));
  const onSigint = () => {
    if (ac.signal.aborted) exit(130);
    ac.abort(new DOMException("Interrupted (SIGINT)", "AbortError"));
  };
  if (g.Deno) {
    g.Deno.addSignalListener("SIGINT", onSigint);
    return [ac.signal, () => g.Deno.removeSignalListener("SIGINT", onSigint)];
  }
  g.process.on("SIGINT", onSigint);
  return [ac.signal, () => g.process.off("SIGINT", onSigint)];
}

if (isMain()) {
  const args: string[] = g.Deno?.args ?? g.process.argv.slice(2);
  const [signal, dispose] = interruptSignal();
  const code = await main(args, { signal });
  dispose();
  if (g.Deno) g.Deno.exit(code);
  else g.process.exit(code);
}
