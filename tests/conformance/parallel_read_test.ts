// Parallel ranged reads on the emulators (fauxqs, Azurite, the GCS emulator): the
// requests a read sends (a first ranged GET, then ranges pinned to its version, no
// more in flight than readConcurrency), ranged reads, a range cut mid-body, an object
// replaced mid-read (not on the GCS emulator: it ignores ifGenerationMatch), cancel,
// and GCS's whole-object CRC32C check on the stitched stream.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ArtifactStoreError,
  type BaseArtifactStore,
  concatBytes,
  PreconditionFailedError,
} from "../../mod.ts";
import { S3ArtifactStore } from "../../flavors/s3/mod.ts";
import { AzureArtifactStore } from "../../flavors/azure/mod.ts";
import { GcsArtifactStore } from "../../flavors/gcs/mod.ts";
import { emulator, type EmulatorInfo } from "../_env.ts";
import { s3Config } from "../s3/_s3.ts";
import { azureConfig } from "../azure/_azure.ts";
import { corruptBody, emulatorConfig, wrapFetch } from "../gcs/_gcs.ts";
import { cutBody } from "./faults.ts";
import { getBytes, patternBytes, putBytes } from "./suite.ts";

const KiB = 1024;
const PART = 64 * KiB;

/** One GET a store sent: its range header (null: none) and whether it was pinned. */
interface Get {
  range: string | null;
  pinned: boolean;
}

/** What the injected fetch sees and does. */
interface Wire {
  gets: Get[];
  /** GETs whose response body is still being read. */
  live: number;
  maxLive: number;
  /** Rewrites the nth GET's response (cut, corrupt) or runs something before it. */
  onGet?: (n: number, res: Response) => Response | Promise<Response>;
  /** Runs before the nth GET is sent. */
  beforeGet?: (n: number) => Promise<void> | void;
}

interface Cloud {
  name: string;
  emulator: string;
  /** A store with the wire's fetch and the given read settings; `plain` without it. */
  make(wire: Wire | undefined, label: string, extra: Record<string, unknown>): BaseArtifactStore;
  /** The service pins ranges to the version (If-Match / ifGenerationMatch). */
  pins: boolean;
}

function wireFetch(wire: Wire): typeof fetch {
  return wrapFetch((_url, init, real) => {
    // A request whose signal is already aborted sends nothing: fetch rejects it at once.
    if ((init?.method ?? "GET") !== "GET" || init?.signal?.aborted) return undefined;
    const h = new Headers(init?.headers);
    const range = h.get("range") ?? h.get("x-ms-range");
    const n = wire.gets.length;
    wire.gets.push({ range, pinned: h.has("if-match") || /ifGenerationMatch=/.test(_url) });
    return (async () => {
      await wire.beforeGet?.(n);
      let res = await real(_url, init);
      if (wire.onGet) res = await wire.onGet(n, res);
      if (!res.body) return res;
      wire.live++;
      wire.maxLive = Math.max(wire.maxLive, wire.live);
      let done = false;
      const end = () => {
        if (!done) wire.live--;
        done = true;
      };
      const body = res.body.pipeThrough(new TransformStream({ flush: end }));
      const reader = body.getReader();
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(c) {
            try {
              const r = await reader.read();
              if (r.done) {
                end();
                c.close();
              } else c.enqueue(r.value);
            } catch (err) {
              end();
              c.error(err);
            }
          },
          cancel(reason) {
            end();
            return reader.cancel(reason);
          },
        }),
        { status: res.status, statusText: res.statusText, headers: res.headers },
      );
    })();
  });
}

/** A cloud whose stores take the wire's fetch and the given settings. */
function cloud(
  name: string,
  emulatorName: string,
  pins: boolean,
  build: (e: EmulatorInfo, label: string, extra: Record<string, unknown>) => BaseArtifactStore,
): Cloud {
  return {
    name,
    emulator: emulatorName,
    pins,
    make: (wire, label, extra) => {
      const e = emulator(emulatorName);
      if (typeof e === "string") throw new Error(e);
      return build(e, label, { ...extra, ...(wire ? { fetch: wireFetch(wire) } : {}) });
    },
  };
}

const CLOUDS: Cloud[] = [
  cloud("s3 (fauxqs)", "fauxqs", true, (e, l, x) => new S3ArtifactStore(s3Config(e, l, x))),
  cloud(
    "azure (azurite)",
    "azurite",
    true,
    (e, l, x) => new AzureArtifactStore(azureConfig(e, l, x)),
  ),
  // The GCS emulator ignores ifGenerationMatch: a replaced object is not detected there.
  cloud("gcs (emulator)", "gcs", false, (e, l, x) => new GcsArtifactStore(emulatorConfig(e, l, x))),
];

const newWire = (): Wire => ({ gets: [], live: 0, maxLive: 0 });
const settings = { readPartSize: PART, readConcurrency: 3 };

for (const cloud of CLOUDS) {
  const e = emulator(cloud.emulator);
  const skip = typeof e === "string" ? e : undefined;
  const t = (name: string, fn: () => Promise<void>) =>
    test(`parallel reads, ${cloud.name}: ${name}`, { skip, timeout: 60_000 }, fn);
  /** A store on a fresh wire holding `size` pattern bytes at `p`; the wire forgets the write. */
  const setup = async (label: string, size: number, seed: number) => {
    const wire = newWire();
    const s = cloud.make(wire, label, settings);
    const p = `${s.path}/${label}.bin`;
    const data = patternBytes(size, seed);
    await putBytes(s, p, data);
    wire.gets.length = 0;
    return { wire, s, p, data };
  };

  t("a large object comes in ranges, in order, no more than readConcurrency at once", async () => {
    const { wire, s, p, data } = await setup("pread", 10 * PART + 1234, 3);
    assert.deepEqual(await getBytes(s, p), data);
    assert.equal(wire.gets.length, 11, JSON.stringify(wire.gets));
    assert.deepEqual(wire.gets[0], { range: `bytes=0-${PART - 1}`, pinned: false });
    assert.ok(wire.gets.slice(1).every((g) => g.pinned), JSON.stringify(wire.gets));
    // Ranges in flight reach fetch in any order (signing is asynchronous).
    const ranges = wire.gets.slice(1).map((g) => g.range).sort();
    const want = Array.from({ length: 10 }, (_, i) => {
      const from = (i + 1) * PART;
      return `bytes=${from}-${Math.min(from + PART, data.length) - 1}`;
    }).sort();
    assert.deepEqual(ranges, want);
    assert.ok(wire.maxLive <= 3, `${wire.maxLive} bodies at once`);
  });

  if (cloud.emulator === "fauxqs") {
    t(
      "with S3 flexible checksums, a read stays one unranged GET (the check needs it)",
      async () => {
        const wire = newWire();
        const s = cloud.make(wire, "pread-crc", { ...settings, checksum: "crc32" });
        const data = patternBytes(4 * PART + 7, 9);
        await putBytes(s, `${s.path}/crc.bin`, data); // one PUT: below the write part size
        wire.gets.length = 0;
        assert.deepEqual(await getBytes(s, `${s.path}/crc.bin`), data);
        assert.deepEqual(wire.gets, [{ range: null, pinned: false }]);
      },
    );
  }

  t("a small object is one GET; so is an empty one (but on Azure)", async () => {
    const wire = newWire();
    const s = cloud.make(wire, "pread-small", settings);
    await putBytes(s, `${s.path}/small.bin`, patternBytes(PART, 4));
    await putBytes(s, `${s.path}/empty.bin`, new Uint8Array());
    wire.gets.length = 0;
    assert.deepEqual(await getBytes(s, `${s.path}/small.bin`), patternBytes(PART, 4));
    assert.equal(wire.gets.length, 1);
    assert.deepEqual(await getBytes(s, `${s.path}/empty.bin`), new Uint8Array());
    // Azure answers a range of an empty blob with a 416 without metadata: the read asks
    // again without a range, so that a directory marker is told from an empty file.
    const empty = cloud.emulator === "azurite" ? 2 : 1;
    assert.equal(wire.gets.length, 1 + empty, JSON.stringify(wire.gets));
  });

  t("ranged reads over the parallel path", async () => {
    const { s, p, data } = await setup("pread-range", 6 * PART + 77, 5);
    for (
      const r of [
        { start: 1000, end: 5 * PART + 3 },
        { start: PART + 1 },
        { start: 0, end: 6 * PART + 77 },
        { start: 3 * PART, end: 100 * PART },
      ]
    ) {
      assert.deepEqual(await getBytes(s, p, r), data.slice(r.start, r.end), JSON.stringify(r));
    }
  });

  t("a range cut mid-body resumes", async () => {
    const { wire, s, p, data } = await setup("pread-cut", 5 * PART + 5, 6);
    wire.onGet = (n, res) => n === 2 || n === 4 ? cutBody(res, 1000) : res;
    assert.deepEqual(await getBytes(s, p), data);
    assert.ok(wire.gets.length >= 8, JSON.stringify(wire.gets));
  });

  t("cancel stops every range", async () => {
    const { wire, s, p } = await setup("pread-cancel", 20 * PART, 7);
    const reader = (await s.open(p, "rb")).getReader();
    await reader.read();
    await reader.cancel();
    const sent = wire.gets.length;
    assert.ok(sent <= 3, `${sent} GETs`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(wire.gets.length, sent, "no GET after cancel");
    assert.equal(wire.live, 0, "every body released");
  });

  if (cloud.pins) {
    t("an object replaced mid-read is a PreconditionFailedError, never mixed bytes", async () => {
      const { wire, s, p, data: old } = await setup("pread-replace", 8 * PART, 8);
      const plain = cloud.make(undefined, "unused", { path: s.path });
      wire.beforeGet = async (n) => {
        if (n === 4) await putBytes(plain, p, patternBytes(8 * PART, 9));
      };
      const reader = (await s.open(p, "rb")).getReader();
      const got: Uint8Array[] = [];
      const err = await (async () => {
        for (;;) {
          const r = await reader.read();
          if (r.done) return null;
          got.push(r.value);
        }
      })().catch((x) => x);
      assert.ok(err instanceof PreconditionFailedError, String(err));
      const bytes = concatBytes(got);
      assert.ok(bytes.length < old.length);
      assert.deepEqual(bytes, old.slice(0, bytes.length));
    });
  }

  if (cloud.emulator === "gcs") {
    t("a corrupted range fails the whole-object CRC32C check", async () => {
      const { wire, s, p, data } = await setup("pread-crc", 4 * PART, 10);
      let corrupt = true;
      wire.onGet = (n, res) => corrupt && n === 2 ? corruptBody(res, 10) : res;
      const err = await getBytes(s, p).then(() => null, (x) => x);
      assert.ok(err instanceof ArtifactStoreError, `${err}`);
      assert.match(err.message, /corrupt.*CRC32C/);
      // A range of it is not checked against the whole object's CRC32C.
      corrupt = false;
      assert.deepEqual(await getBytes(s, p, { start: 0, end: 3 * PART }), data.slice(0, 3 * PART));
    });
  }
}
