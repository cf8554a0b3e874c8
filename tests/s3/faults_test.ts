// The shared fault suite (tests/conformance/fault_suite.ts) on fauxqs: faults injected
// at a 10% rate under the default retry policy, with 5 MiB parts so that the large
// writes are two-part multipart uploads.

import { faultSuite } from "../conformance/fault_suite.ts";
import { S3ArtifactStore } from "../../flavors/s3/mod.ts";
import { MiB, s3Config, s3Emulator } from "./_s3.ts";

const e = s3Emulator("fauxqs");
const config = typeof e === "string" ? e : s3Config(e, "faults", { retry: undefined });

faultSuite({
  name: "s3 (fauxqs)",
  store: typeof config === "string" ? config : (fetch) => new S3ArtifactStore({ ...config, fetch }),
  largeBytes: 5 * MiB + 12_345,
});
