/**
 * Launcher for Azurite's Blob service (npm `azurite`, devDependency) on
 * 127.0.0.1 with an OS-chosen port, in-memory storage, plus a SharedKey signer
 * for the well-known `devstoreaccount1` account.
 *
 * Runs under Deno, Bun and Node: it only uses `node:` built-ins, `fetch` and
 * WebCrypto, and spawns Azurite as a child `node` process.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, EmulatorUnavailableError } from "./types.ts";
import { once, processEnv, watchChild } from "./_child.ts";

export type { Emulator } from "./types.ts";

/** Azurite's well-known development account name (public, not a secret). */
export const AZURITE_ACCOUNT = "devstoreaccount1";

/** Azurite's well-known development account key (public, not a secret). */
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** The container {@link startAzurite} creates and reports in its env. */
export const AZURITE_CONTAINER = "stowage-test";

/** `x-ms-version` the launcher sends (the newest Azurite 3.35.0 knows). */
export const AZURITE_API_VERSION = "2025-11-05";

const READY_TIMEOUT_MS = 20_000;

/** Project root (`tests/emulators/../..`), from this module's URL. */
function projectRoot(): string {
  let p = decodeURIComponent(new URL("../../", import.meta.url).pathname);
  if (/^\/[A-Za-z]:\//.test(p)) p = p.slice(1); // file:///C:/… on Windows
  return p;
}

/**
 * Computes the `Authorization: SharedKey account:signature` header value for a
 * Blob service request (the "Shared Key" scheme for version 2015-02-21 and
 * later).
 *
 * `headers` must already hold every header that will be sent and is signed:
 * `x-ms-date` (or `Date`), `x-ms-version`, any other `x-ms-*`, and the standard
 * ones (`Content-Length` for a body, `Content-Type`, `Range`, `If-Match`, …).
 * For path-style URLs (emulators: `http://127.0.0.1:PORT/account/container/blob`)
 * the canonicalized resource holds the account name twice
 * (`/account/account/container/blob`); that falls out of using the URL path
 * as is.
 *
 * @param method HTTP method, e.g. `"PUT"`
 * @param url full request URL including the query string
 * @param headers the request headers (a `Headers` or a plain record)
 * @param account storage account name (default `devstoreaccount1`)
 * @param key base64 account key (default: the well-known Azurite key)
 * @returns the complete `Authorization` header value
 */
export async function sharedKeyAuthorization(
  method: string,
  url: string | URL,
  headers: Headers | Record<string, string>,
  account: string = AZURITE_ACCOUNT,
  key: string = AZURITE_KEY,
): Promise<string> {
  const h = new Headers(headers);
  const u = new URL(url);
  const get = (name: string) => h.get(name) ?? "";
  const contentLength = get("content-length");
  const xms = [...h.entries()]
    .filter(([k]) => k.startsWith("x-ms-"))
    .map(([k, v]) => [k, v.replace(/\s+/g, " ").trim()] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}:${v}\n`)
    .join("");
  let resource = `/${account}${u.pathname}`;
  const params = new Map<string, string[]>();
  for (const [k, v] of u.searchParams) {
    const name = k.toLowerCase();
    params.set(name, [...(params.get(name) ?? []), v]);
  }
  for (const name of [...params.keys()].sort()) {
    resource += `\n${name}:${params.get(name)!.sort().join(",")}`;
  }
  const stringToSign = [
    method.toUpperCase(),
    get("content-encoding"),
    get("content-language"),
    contentLength === "0" ? "" : contentLength,
    get("content-md5"),
    get("content-type"),
    h.has("x-ms-date") ? "" : get("date"),
    get("if-modified-since"),
    get("if-match"),
    get("if-none-match"),
    get("if-unmodified-since"),
    get("range"),
  ].join("\n") + "\n" + xms + resource;
  const raw = Uint8Array.from(atob(key), (c) => c.charCodeAt(0));
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    raw,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = new Uint8Array(
    await crypto.subtle.sign(
      "HMAC",
      cryptoKey,
      new TextEncoder().encode(stringToSign),
    ),
  );
  return `SharedKey ${account}:${btoa(String.fromCharCode(...sig))}`;
}

/**
 * Sends a SharedKey-signed request to a Blob endpoint (adds `x-ms-date`,
 * `x-ms-version` and `Authorization`). A small helper for launchers and
 * self-checks, not for the library under test.
 *
 * @param method HTTP method
 * @param url full request URL
 * @param body optional request body (bytes or text)
 * @param headers extra headers to send and sign
 * @returns the fetch `Response` (body not consumed)
 */
export async function azuriteFetch(
  method: string,
  url: string,
  body?: Uint8Array | string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const h = new Headers(headers);
  h.set("x-ms-date", new Date().toUTCString());
  h.set("x-ms-version", AZURITE_API_VERSION);
  if (bytes !== undefined || method === "PUT") {
    h.set("content-length", String(bytes?.byteLength ?? 0));
  }
  h.set("authorization", await sharedKeyAuthorization(method, url, h));
  return await fetch(url, {
    method,
    headers: h,
    body: bytes as BodyInit | undefined,
  });
}

// Started as `node -e WRAPPER main.js args…`: runs Azurite's own entry point,
// and additionally shuts Azurite down when its stdin closes, i.e. when the
// process that launched it dies without calling stop().
const WRAPPER = `
const main = process.env.STOWAGE_AZURITE_MAIN;
// node -e: argv = [node, main, ...]; Deno as node: [deno, "$deno$eval", main, ...]
process.argv = [process.argv[0], ...process.argv.slice(process.argv.indexOf(main))];
const quit = () => process.kill(process.pid, "SIGTERM");
process.stdin.on("end", quit);
process.stdin.on("error", quit);
process.stdin.resume();
// Let Azurite's own SIGTERM/SIGINT shutdown end the process: stdin must not
// keep the event loop alive (unref is missing when Deno stands in for node).
if (typeof process.stdin.unref === "function") process.stdin.unref();
process.once("SIGTERM", () => process.stdin.destroy());
process.once("SIGINT", () => process.stdin.destroy());
// Azurite's extent GC runs every 10 minutes and is quadratic in the number of
// deleted blobs (Loki findAndRemove per extent): after one round of the suites it
// stalls the emulator for minutes. Tests do not need it: push it out of the run.
try {
  const path = require("path");
  require(path.join(path.dirname(main), "utils", "constants.js")).DEFAULT_GC_INTERVAL_MS = 2 ** 31 - 1;
} catch {}
require(main);
`;

/**
 * Starts Azurite's Blob service (`azurite-blob`, in-memory, no telemetry) on
 * 127.0.0.1 with an OS-chosen port and creates the container
 * {@link AZURITE_CONTAINER}.
 *
 * The returned env holds `STOWAGE_TEST_AZURE_ENDPOINT` (blob endpoint with the
 * account path, `http://127.0.0.1:PORT/devstoreaccount1`),
 * `STOWAGE_TEST_AZURE_ACCOUNT`, `STOWAGE_TEST_AZURE_KEY`,
 * `STOWAGE_TEST_AZURE_CONTAINER` and `STOWAGE_TEST_AZURE_CONNECTION_STRING`.
 * `endpoint` is the bare `http://127.0.0.1:PORT`.
 *
 * @throws {EmulatorUnavailableError} when `azurite` is not in node_modules or
 *   `node` is not on PATH
 *   (Deno then substitutes itself as `node`, which also runs the emulator)
 * @throws {Error} when Azurite does not report its port within 20 s, exits
 *   early, or the container cannot be created
 */
export async function startAzurite(): Promise<Emulator> {
  const root = projectRoot();
  const main = join(
    root,
    "tests",
    "tooling",
    "node_modules",
    "azurite",
    "dist",
    "src",
    "blob",
    "main.js",
  );
  try {
    await access(main);
  } catch {
    throw new EmulatorUnavailableError(
      `Azurite not found at ${main}; run \`npm ci\` in ${root}/tests/tooling ` +
        "(devDependency azurite@3.35.0)",
    );
  }
  const workDir = await mkdtemp(join(tmpdir(), "stowage-azurite-"));
  // Azurite rejects --location together with --inMemoryPersistence; its
  // default location is the cwd, so the private temp dir is the cwd.
  const args = [
    "-e",
    WRAPPER,
    main,
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    "0",
    "--inMemoryPersistence",
    "--disableTelemetry",
    "--silent",
    "--skipApiVersionCheck",
  ];
  let child: ChildProcess;
  try {
    child = spawn("node", args, {
      cwd: workDir,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...processEnv(), STOWAGE_AZURITE_MAIN: main },
    });
  } catch (err) {
    await rm(workDir, { recursive: true, force: true });
    throw new EmulatorUnavailableError(`cannot run node: ${err}`);
  }
  const proc = watchChild(child);

  const stop = once(async () => {
    await proc.terminate();
    await rm(workDir, { recursive: true, force: true });
  });

  let port: number;
  try {
    const m = await proc.waitForLine(
      /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/,
      READY_TIMEOUT_MS,
      "Azurite blob service",
    );
    port = Number(m[1]);
  } catch (err) {
    await stop();
    throw err;
  }

  const endpoint = `http://127.0.0.1:${port}`;
  const blobEndpoint = `${endpoint}/${AZURITE_ACCOUNT}`;
  try {
    const res = await azuriteFetch(
      "PUT",
      `${blobEndpoint}/${AZURITE_CONTAINER}?restype=container`,
    );
    await res.body?.cancel();
    if (res.status !== 201) {
      throw new Error(
        `Azurite: creating container ${AZURITE_CONTAINER} returned ` +
          `${res.status} ${res.headers.get("x-ms-error-code") ?? ""}`,
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    name: "azurite",
    endpoint,
    env: {
      STOWAGE_TEST_AZURE_ENDPOINT: blobEndpoint,
      STOWAGE_TEST_AZURE_ACCOUNT: AZURITE_ACCOUNT,
      STOWAGE_TEST_AZURE_KEY: AZURITE_KEY,
      STOWAGE_TEST_AZURE_CONTAINER: AZURITE_CONTAINER,
      STOWAGE_TEST_AZURE_CONNECTION_STRING:
        `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};` +
        `AccountKey=${AZURITE_KEY};BlobEndpoint=${blobEndpoint};`,
    },
    stop,
  };
}
