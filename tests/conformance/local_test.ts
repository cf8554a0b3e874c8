import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { LocalArtifactStore } from "../../mod.ts";
import { conformance } from "./suite.ts";
import { getEnv } from "../../src/_runtime.ts";

// The test runner sets STOWAGE_TEST_TMP to a directory it removes afterwards.
const base = getEnv("STOWAGE_TEST_TMP") ?? tmpdir();
const root = mkdtempSync(`${base}/stowage-local-`);

conformance({ name: "local", store: new LocalArtifactStore({ path: `${root}/store` }) });
