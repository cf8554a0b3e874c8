// The shared conformance suite for the `gcp` flavor, twice:
//
// - against the firebase Storage emulator (real GCS JSON API server, npm
//   firebase-tools): its resumable sessions finalize on the first chunk, so the
//   part size is set above the big file (every write is one multipart request),
//   and it has no objects.compose, so the append step is skipped there; 2,500
//   keys for listing and rmtree (its rmtree goes one by one: no batch endpoint).
// - against the protocol fixture (tests/gcs/fixture.ts), with 256 KiB chunks so
//   the big file is a 13-chunk resumable session, real preconditions, compose
//   append, atomic move, batch deletes and OAuth (service-account JWT).

import { test } from "node:test";
import { conformance } from "../conformance/suite.ts";
import { emulatorConfig, EmulatorGcsStore, fixtureSetup, gcsEmulator, MiB } from "./_gcs.ts";

const e = gcsEmulator();
conformance({
  name: "gcp (firebase emulator; part size 16 MiB > big file: single-request uploads)",
  store: typeof e === "string"
    ? e
    : new EmulatorGcsStore(emulatorConfig(e, "conf", { partSize: 16 * MiB })),
  bigFileBytes: 12 * MiB + 12_345,
  manyKeys: 2500,
});

const setup = await fixtureSetup();
conformance({
  name: "gcp (protocol fixture; 256 KiB resumable chunks, compose, move, batch, OAuth)",
  store: setup.store("conf", { partSize: 256 * 1024 }),
  bigFileBytes: 3 * MiB + 12_345,
  manyKeys: 1100,
});

// Last: stop the fixture (top-level `after` hooks do not run under Deno).
test("gcp (protocol fixture): stop the fixture", () => setup.fixture.close());
