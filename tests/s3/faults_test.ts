// The shared fault suite (tests/conformance/fault_suite.ts) for the s3 flavor, through
// the fault proxy in front of the real emulators, under the default retry policy, with
// 5 MiB parts so that the large writes are two-part multipart uploads:
//
// - on fauxqs (fast; it cannot list multipart uploads, so no leftover check there);
// - on Ceph RGW, fewer operations, and at the end no multipart upload may be pending
//   below the run's root (ListMultipartUploads).

import { faultSuite } from "../conformance/fault_suite.ts";
import { S3ArtifactStore } from "../../flavors/s3/mod.ts";
import { listMultipartUploads } from "../../flavors/s3/multipart.ts";
import { MiB, s3Config, s3Emulator, TestS3Store } from "./_s3.ts";

/** Short time limits, so that stalls cost seconds; retries as by default. */
const TIMEOUTS = { retry: undefined, timeoutMs: 5_000, idleTimeoutMs: 2_000 };

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
