import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { LocalArtifactStore } from "../../mod.ts";
import { conformance } from "./suite.ts";
import { testTmp } from "../_env.ts";

// The test runner sets STOWAGE_TEST_TMP to a directory it removes afterwards.
const base = testTmp() ?? tmpdir();
const root = mkdtempSync(`${base}/stowage-local-`);

conformance({
  name: "local",
  store: new LocalArtifactStore({ path: `${root}/store` }),
});
