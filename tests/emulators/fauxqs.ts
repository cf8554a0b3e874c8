/**
 * Launcher for fauxqs (npm `fauxqs`, devDependency), an in-memory S3 emulator,
 * run by `fauxqs_server.mjs` in a child `node` process on 127.0.0.1 with an
 * OS-chosen port.
 *
 * fauxqs checks no signatures (any key is accepted), refuses request bodies
 * over the server's limit (raised to 256 MiB here), has no
 * ListMultipartUploads and ignores `If-None-Match: *`: test those on Ceph RGW.
 *
 * Runs under Deno, Bun and Node: only `node:` built-ins and `fetch`; needs
 * `node` on PATH.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { access } from "node:fs/promises";
import { join } from "node:path";
import { type Emulator, EmulatorUnavailableError } from "./types.ts";

export type { Emulator } from "./types.ts";

/** Access key id reported in the env (fauxqs accepts any). */
export const FAUXQS_ACCESS_KEY_ID = "STOWAGETESTFAUXQS001";

/** Secret access key reported in the env (fauxqs checks no signature). */
export const FAUXQS_SECRET_ACCESS_KEY = "stowageTestFauxqsSecret0123456789abcdefAB";

/** The bucket {@link startFauxqs} creates and reports in its env. */
export const FAUXQS_BUCKET = "stowage-test";

/** Region reported in the env. */
export const FAUXQS_REGION = "us-east-1";

const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;

/** Directory of this module, from its URL. */
function hereDir(): string {
  let p = decodeURIComponent(new URL("./", import.meta.url).pathname);
  if (/^\/[A-Za-z]:\//.test(p)) p = p.slice(1); // file:///C:/… on Windows
  return p;
}

/**
 * Starts fauxqs in a child `node` process on 127.0.0.1 with an OS-chosen port
 * and creates the bucket {@link FAUXQS_BUCKET} (about 0.5 s).
 *
 * The returned env holds `STOWAGE_TEST_S3_ENDPOINT` (`http://127.0.0.1:PORT`,
 * path-style), `STOWAGE_TEST_S3_BUCKET`, `STOWAGE_TEST_S3_ACCESS_KEY_ID`,
 * `STOWAGE_TEST_S3_SECRET_ACCESS_KEY`, `STOWAGE_TEST_S3_REGION` (`us-east-1`)
 * and `STOWAGE_TEST_S3_KIND` (`fauxqs`). `stop()` sends SIGTERM (SIGKILL after
 * 5 s) and waits for the child to exit; the child also exits by itself when
 * this process dies (its stdin closes).
 *
 * @throws {EmulatorUnavailableError} when `node` is not on PATH or the
 *   `fauxqs` package is not installed (`npm install`)
 * @throws {Error} when the server does not report its port within 20 s or
 *   exits before that
 */
export async function startFauxqs(): Promise<Emulator> {
  const here = hereDir();
  const server = join(here, "fauxqs_server.mjs");
  const pkg = join(here, "..", "tooling", "node_modules", "fauxqs", "package.json");
  try {
    await access(pkg);
  } catch {
    throw new EmulatorUnavailableError(
      `fauxqs is not installed (no ${pkg}); run \`npm ci\` in tests/tooling/ ` +
        "(devDependency fauxqs@1.9.2; `deno task test` does it)",
    );
  }

  const child = spawn("node", [server, FAUXQS_BUCKET], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin?.on("error", () => {});
  let stdout = "";
  let stderr = "";
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", (e) => {
      spawnError = e;
      if (child.pid === undefined) resolve();
    });
  });
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (d: string) => {
    stderr = (stderr + d).slice(-8_192);
  });

  const stop = once(async () => {
    if (child.pid !== undefined && child.exitCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
  });

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `fauxqs: no {"port":N} line from ${server} within ` +
                `${READY_TIMEOUT_MS / 1000} s; stderr: ${stderr.trim()}`,
            ),
          ),
        READY_TIMEOUT_MS,
      );
      child.stdout?.on("data", (d: string) => {
        stdout += d;
        const line = stdout.split("\n").find((l) => l.startsWith("{"));
        if (line === undefined || !stdout.includes("\n")) return;
        clearTimeout(timer);
        try {
          const n = JSON.parse(line).port;
          if (typeof n === "number" && n > 0) resolve(n);
          else reject(new Error(`fauxqs: bad ready line ${line}`));
        } catch {
          reject(new Error(`fauxqs: bad ready line ${line}`));
        }
      });
      exited.then(() => {
        clearTimeout(timer);
        if (spawnError && child.pid === undefined) {
          reject(
            new EmulatorUnavailableError(
              `cannot run node (needed for fauxqs): ${spawnError.message}`,
            ),
          );
        } else {
          reject(
            new Error(
              `fauxqs server exited before it was ready ` +
                `(code ${child.exitCode}, signal ${child.signalCode}): ` +
                stderr.trim(),
            ),
          );
        }
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }

  const endpoint = `http://127.0.0.1:${port}`;
  return {
    name: "fauxqs",
    endpoint,
    env: {
      STOWAGE_TEST_S3_ENDPOINT: endpoint,
      STOWAGE_TEST_S3_BUCKET: FAUXQS_BUCKET,
      STOWAGE_TEST_S3_ACCESS_KEY_ID: FAUXQS_ACCESS_KEY_ID,
      STOWAGE_TEST_S3_SECRET_ACCESS_KEY: FAUXQS_SECRET_ACCESS_KEY,
      STOWAGE_TEST_S3_REGION: FAUXQS_REGION,
      STOWAGE_TEST_S3_KIND: "fauxqs",
    },
    stop,
  };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
