/**
 * Self-check for the emulator launchers: starts each named emulator, does a
 * PUT/GET round trip against it, prints the start-up time and the RSS of its
 * processes, stops it, and verifies that no child process is left behind.
 *
 * ```sh
 * deno run -A tests/emulators/check.ts azurite gcs ceph fauxqs
 * node --import tsx tests/emulators/check.ts azurite     # or: bun …
 * ```
 *
 * Exits 1 if any check fails, 2 on an unknown name. Add a launcher by adding an
 * entry to `CHECKS` (a start function and a round trip).
 *
 * @module
 */

import process from "node:process";
import { readdir, readFile } from "node:fs/promises";
import type { Emulator } from "./types.ts";

interface Check {
  start(): Promise<Emulator>;
  /** PUT `body` under `key` and return what a GET of it yields. */
  roundTrip(e: Emulator, key: string, body: Uint8Array): Promise<Uint8Array>;
}

async function ok(res: Response, what: string): Promise<Response> {
  if (!res.ok) {
    throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  }
  return res;
}

const CHECKS: Record<string, () => Promise<Check>> = {
  azurite: async () => {
    const { startAzurite, azuriteFetch } = await import("./azurite.ts");
    return {
      start: startAzurite,
      async roundTrip(e, key, body) {
        const url = `${e.env.STOWAGE_TEST_AZURE_ENDPOINT}/` +
          `${e.env.STOWAGE_TEST_AZURE_CONTAINER}/${encodeURIComponent(key)}`;
        await (await ok(
          await azuriteFetch("PUT", url, body, {
            "x-ms-blob-type": "BlockBlob",
            "content-type": "application/octet-stream",
          }),
          "Put Blob",
        )).body?.cancel();
        const res = await ok(await azuriteFetch("GET", url), "Get Blob");
        return new Uint8Array(await res.arrayBuffer());
      },
    };
  },
  gcs: async () => {
    const { startGcs } = await import("./gcs.ts");
    return {
      start: startGcs,
      async roundTrip(e, key, body) {
        const base = e.env.STOWAGE_TEST_GCS_ENDPOINT;
        const bucket = e.env.STOWAGE_TEST_GCS_BUCKET;
        await (await ok(
          await fetch(
            `${base}/upload/storage/v1/b/${bucket}/o?uploadType=media` +
              `&name=${encodeURIComponent(key)}`,
            {
              method: "POST",
              headers: { "content-type": "application/octet-stream" },
              body: body as BodyInit,
            },
          ),
          "objects.insert",
        )).body?.cancel();
        const res = await ok(
          await fetch(
            `${base}/storage/v1/b/${bucket}/o/${encodeURIComponent(key)}` +
              "?alt=media",
          ),
          "objects.get alt=media",
        );
        return new Uint8Array(await res.arrayBuffer());
      },
    };
  },
  ceph: async () => {
    const { startCeph } = await import("./ceph.ts");
    return { start: startCeph, roundTrip: s3RoundTrip };
  },
  fauxqs: async () => {
    const { startFauxqs } = await import("./fauxqs.ts");
    return { start: startFauxqs, roundTrip: s3RoundTrip };
  },
};

/** S3 PUT then GET of `key`, signed with aws4fetch from the emulator's env. */
async function s3RoundTrip(
  e: Emulator,
  key: string,
  body: Uint8Array,
): Promise<Uint8Array> {
  const { AwsClient } = await import("aws4fetch");
  const aws = new AwsClient({
    accessKeyId: e.env.STOWAGE_TEST_S3_ACCESS_KEY_ID,
    secretAccessKey: e.env.STOWAGE_TEST_S3_SECRET_ACCESS_KEY,
    region: e.env.STOWAGE_TEST_S3_REGION,
    service: "s3",
  });
  const path = key.split("/").map(encodeURIComponent).join("/");
  const url = `${e.env.STOWAGE_TEST_S3_ENDPOINT}/` +
    `${e.env.STOWAGE_TEST_S3_BUCKET}/${path}`;
  await (await ok(
    await aws.fetch(url, {
      method: "PUT",
      body: body as BodyInit,
      headers: { "content-type": "application/octet-stream" },
    }),
    "PutObject",
  )).body?.cancel();
  const res = await ok(await aws.fetch(url), "GetObject");
  return new Uint8Array(await res.arrayBuffer());
}

/** Direct and indirect child processes of `root` (Linux /proc; else []). */
async function descendants(root: number): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return [];
  }
  const parent = new Map<number, number>();
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, "utf8");
      // pid (comm) state ppid …  — comm may contain spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue; // zombies hold no memory
      parent.set(Number(name), Number(fields[1]));
    } catch {
      // process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [pid, pp] of parent) {
      if (pp === p) {
        out.push(pid);
        walk(pid);
      }
    }
  };
  walk(root);
  return out;
}

async function rssMiB(pids: number[]): Promise<number | undefined> {
  let kib = 0;
  for (const pid of pids) {
    try {
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      kib += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return pids.length ? kib / 1024 : undefined;
}

async function runOne(name: string, check: Check): Promise<boolean> {
  const before = new Set(await descendants(process.pid));
  const t0 = performance.now();
  let emulator: Emulator | undefined;
  try {
    emulator = await check.start();
    const startMs = performance.now() - t0;
    const pids = (await descendants(process.pid)).filter((p) => !before.has(p));
    const rss = await rssMiB(pids);
    console.log(
      `${name}: started in ${startMs.toFixed(0)} ms at ${emulator.endpoint}` +
        (rss === undefined ? "" : `, RSS ${rss.toFixed(0)} MiB (pid ${pids.join(",")})`),
    );
    const body = new Uint8Array(70_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) & 0xff;
    const key = "check/sp ace+plus%pct&amp#hash?q=ü.bin";
    const t1 = performance.now();
    const got = await check.roundTrip(emulator, key, body);
    const same = got.length === body.length &&
      got.every((b, i) => b === body[i]);
    if (!same) {
      throw new Error(
        `round trip returned ${got.length} bytes, not the ${body.length} sent`,
      );
    }
    console.log(
      `${name}: PUT/GET round trip of ${body.length} bytes ok in ` +
        `${(performance.now() - t1).toFixed(0)} ms`,
    );
  } catch (err) {
    console.error(
      `${name}: FAILED: ${err instanceof Error ? err.message : err}`,
    );
    await emulator?.stop();
    return false;
  }
  const t2 = performance.now();
  await emulator.stop();
  await emulator.stop(); // must be safe twice
  const left = (await descendants(process.pid)).filter((p) => !before.has(p));
  if (left.length) {
    console.error(`${name}: FAILED: processes left after stop: ${left}`);
    return false;
  }
  console.log(
    `${name}: stopped in ${(performance.now() - t2).toFixed(0)} ms, ` +
      "no processes left",
  );
  return true;
}

const names = process.argv.slice(2).filter((a) => !a.startsWith("-"));
if (names.length === 0) {
  console.error(
    `usage: check.ts NAME…   (NAME: ${Object.keys(CHECKS).join(", ")})`,
  );
  process.exit(2);
}
let failed = false;
for (const name of names) {
  const load = CHECKS[name];
  if (!load) {
    console.error(
      `unknown emulator ${JSON.stringify(name)} ` +
        `(known: ${Object.keys(CHECKS).join(", ")})`,
    );
    process.exit(2);
  }
  if (!await runOne(name, await load())) failed = true;
}
process.exit(failed ? 1 : 0);
