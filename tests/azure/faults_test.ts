// The shared fault suite (tests/conformance/fault_suite.ts) on Azurite, through the
// fault proxy, under the default retry policy, with 1 MiB blocks so that the large
// writes are Put Block + Put Block List. At the end no blob below the run's root may
// hold uncommitted blocks only (a failed or aborted write's blocks on a key with no
// blob); uncommitted blocks beside a committed blob, which only that blob's next
// commit (or Azure, after a week) can discard, are counted in the log.

import { faultSuite } from "../conformance/fault_suite.ts";
import { AzureArtifactStore } from "../../flavors/azure/mod.ts";
import { azuriteFetch } from "../emulators/azurite.ts";
import { parseXml } from "../../src/xml.ts";
import { azureConfig, azurite, MiB } from "./_azure.ts";

const e = azurite();
const config = typeof e === "string" ? e : azureConfig(e, "faults", {
  partSize: MiB,
  retry: undefined,
  timeoutMs: 3_000,
  idleTimeoutMs: 1_500,
});

/** Blob names below a prefix, with the uncommitted-only ones or without. */
async function names(container: string, prefix: string, uncommitted: boolean): Promise<string[]> {
  const q = `restype=container&comp=list&prefix=${encodeURIComponent(prefix)}` +
    (uncommitted ? "&include=uncommittedblobs" : "");
  const res = await azuriteFetch("GET", `${container}?${q}`);
  const doc = parseXml(await res.text());
  return (doc.child("Blobs")?.all("Blob") ?? []).map((b) => b.text("Name") ?? "");
}

faultSuite({
  name: "azure (azurite)",
  store: typeof config === "string"
    ? config
    : (fetch) => new AzureArtifactStore({ ...config, fetch }),
  proxy: typeof config === "string" || typeof e === "string" ? undefined : {
    upstream: e.endpoint,
    store: (origin) =>
      new AzureArtifactStore({
        ...config,
        endpoint: config.endpoint!.replace(new URL(e.endpoint).origin, origin),
      }),
  },
  leftovers: typeof config === "string" ? undefined : async (_clean, base) => {
    const container = `${config.endpoint}/${base.split("/")[2]}`;
    const prefix = `${base.split("/").slice(3).join("/")}/`;
    const committed = new Set(await names(container, prefix, false));
    const all = await names(container, prefix, true);
    let beside = 0;
    for (const name of committed) {
      const res = await azuriteFetch(
        "GET",
        `${container}/${
          name.split("/").map(encodeURIComponent).join("/")
        }?comp=blocklist&blocklisttype=uncommitted`,
      );
      beside += parseXml(await res.text()).child("UncommittedBlocks")?.all("Block").length ?? 0;
    }
    console.log(
      `azure leftovers: ${beside} uncommitted blocks beside ${committed.size} committed blobs ` +
        "(discarded by each blob's next commit, or by Azure after a week)",
    );
    return all.filter((n) => !committed.has(n)).map((n) => `uncommitted blocks only: '${n}'`);
  },
  largeBytes: 2 * MiB + 12_345,
});
