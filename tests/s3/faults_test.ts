// The shared fault suite (tests/conformance/fault_suite.ts) for the s3 flavor, through
// the fault proxy in front of the real emulators, under the default retry policy, with
// 5 MiB parts so that the large writes are two-part multipart uploads:
//
// - on fauxqs (fast; it cannot list multipart uploads, so no leftover check there);
// - on Ceph RGW, fewer operations, and at the end no multipart upload may be pending
//   below the run's root (ListMultipartUploads).

import { test } from "node:test";
import assert from "node:assert/strict";
import { faultSuite } from "../conformance/fault_suite.ts";
import { startFaultProxy } from "../conformance/fault_proxy.ts";
import { getBytes, patternBytes, putBytes } from "../conformance/suite.ts";
import { S3ArtifactStore } from "../../flavors/s3/mod.ts";
import { listMultipartUploads } from "../../flavors/s3/multipart.ts";
import { MiB, s3Config, s3Emulator, TestS3Store } from "./_s3.ts";

/** Short time limits, so that stalls cost seconds; retries as by default. */
const TIMEOUTS = { retry: undefined, timeoutMs: 3_000, idleTimeoutMs: 1_500 };

const cephEmulator = s3Emulator("ceph");

for (const name of ["fauxqs", "ceph"] as const) {
  const e = s3Emulator(name);
  const config = typeof e === "string" ? e : s3Config(e, "faults", TIMEOUTS);
  faultSuite({
    name: `s3 (${name})`,
    store: typeof config === "string"
      ? config
      : (fetch) => new S3ArtifactStore({ ...config, fetch }),
    proxy: typeof config === "string" || typeof e === "string" ? undefined : {
      upstream: e.endpoint,
      store: (origin) => new TestS3Store({ ...config, endpoint: origin }),
    },
    leftovers: name === "ceph"
      ? async (clean, base) => {
        const raw = (clean as TestS3Store).raw;
        const prefix = base.replace(/^s3:\/\/[^/]+\//, "");
        const pending = await listMultipartUploads(raw, `${prefix}/`);
        return pending.map((u) => `pending multipart upload of '${u.key}' (${u.uploadId})`);
      }
      : undefined,
    largeBytes: 5 * MiB + 12_345,
    operations: name === "ceph" ? 60 : undefined,
  });
}

// A CreateMultipartUpload whose answer is lost made an upload that nobody will
// finish; the retry makes a second. Ceph lists uploads: none may be left.
test("s3 (ceph): a lost CreateMultipartUpload answer leaves no upload behind", {
  skip: typeof cephEmulator === "string" ? cephEmulator : undefined,
}, async () => {
  const e = cephEmulator as Exclude<typeof cephEmulator, string>;
  const proxy = await startFaultProxy({
    upstream: e.endpoint,
    seed: 1,
    rate: 1,
    kinds: ["lost-response"],
    match: /^POST \S*\?uploads/,
    limit: 1,
  });
  try {
    const config = s3Config(e, "lost-create", TIMEOUTS);
    const store = new TestS3Store({ ...config, endpoint: proxy.endpoint });
    const data = patternBytes(6 * MiB, 9);
    await putBytes(store, `${store.path}/big.bin`, data);
    assert.equal(proxy.injected["lost-response"], 1, "the first create's answer was lost");
    assert.deepEqual(await store.pendingUploads(), [], "no upload is left pending");
    assert.deepEqual(await getBytes(store, `${store.path}/big.bin`), data);
    await store.rmtree(store.path);
  } finally {
    await proxy.close();
  }
});
