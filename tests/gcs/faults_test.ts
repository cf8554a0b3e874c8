// The shared fault suite (tests/conformance/fault_suite.ts) for the `gcp` flavor: faults
// at a 10% rate under the default retry policy, twice:
//
// - on the firebase emulator, through the fault proxy; its resumable sessions
//   finalize on the first chunk: the part size is above every write, so each is one
//   request;
// - on the protocol fixture (tests/gcs/fixture.ts), with 256 KiB chunks so that the
//   large writes are multi-chunk resumable sessions, and OAuth token requests that
//   meet faults too.

import { test } from "node:test";
import { faultSuite } from "../conformance/fault_suite.ts";
import { GcsArtifactStore } from "../../flavors/gcs/mod.ts";
import { emulatorConfig, fixtureSetup, gcsEmulator, MiB, uniquePrefix } from "./_gcs.ts";

const e = gcsEmulator();
const config = typeof e === "string" ? e : emulatorConfig(e, "faults", {
  partSize: 16 * MiB,
  retry: undefined,
  timeoutMs: 3_000,
  idleTimeoutMs: 1_500,
});

faultSuite({
  name: "gcp (firebase emulator)",
  store: typeof config === "string"
    ? config
    : (fetch) => new GcsArtifactStore({ ...config, fetch }),
  proxy: typeof config === "string" || typeof e === "string" ? undefined : {
    upstream: e.endpoint,
    store: (origin) => new GcsArtifactStore({ ...config, endpoint: origin }),
  },
  largeBytes: MiB + 12_345,
});

const setup = await fixtureSetup();
const path = `gs://fixture-bucket/${uniquePrefix("faults")}`;
faultSuite({
  name: "gcp (protocol fixture; 256 KiB resumable chunks)",
  store: (fetch) => setup.store("faults", { path, fetch, partSize: 256 * 1024, retry: undefined }),
  largeBytes: 600_000,
});

// Last: stop the fixture (top-level `after` hooks do not run under Deno).
test("gcp (protocol fixture): stop the fixture", () => setup.fixture.close());
