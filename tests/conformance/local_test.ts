import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { test } from "node:test";
import assert from "node:assert/strict";
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

// The staged `.stowage-*.partial` file is hidden from listings, so only the disk can say
// whether an aborted write left it behind: every way to abort returns once it is gone.
test("local: an aborted write has removed its staged file when the abort returns", async () => {
  const store = new LocalArtifactStore({ path: `${root}/aborts` });
  const chunk = new Uint8Array(1 << 20).fill(7);
  const ways: Record<
    string,
    (w: WritableStreamDefaultWriter, ac: AbortController) => Promise<void>
  > = {
    "writer.abort": (w) => w.abort(new Error("stop")),
    "signal then writer.abort": (w, ac) => {
      ac.abort(new Error("stop"));
      return w.abort(new Error("stop"));
    },
    "signal, then a write fails": async (w, ac) => {
      ac.abort(new Error("stop"));
      await w.write(chunk).catch(() => {});
    },
  };
  for (const [name, abort] of Object.entries(ways)) {
    await store.makedirs(name);
    const ac = new AbortController();
    const w = (await store.open(`${name}/f.bin`, "wb", { signal: ac.signal })).getWriter();
    await w.write(chunk);
    assert.equal(readdirSync(`${root}/aborts/${name}`).length, 1, `${name}: staged`);
    await abort(w, ac);
    assert.deepEqual(readdirSync(`${root}/aborts/${name}`), [], `${name}: nothing left`);
  }
});
