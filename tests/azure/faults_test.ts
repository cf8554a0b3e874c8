// The shared fault suite (tests/conformance/fault_suite.ts) on Azurite: faults injected
// at a 10% rate under the default retry policy, with 1 MiB blocks so that the large
// writes are Put Block + Put Block List.

import { faultSuite } from "../conformance/fault_suite.ts";
import { AzureArtifactStore } from "../../flavors/azure/mod.ts";
import { azureConfig, azurite, MiB } from "./_azure.ts";

const e = azurite();
const config = typeof e === "string"
  ? e
  : azureConfig(e, "faults", { partSize: MiB, retry: undefined });

faultSuite({
  name: "azure (azurite)",
  store: typeof config === "string"
    ? config
    : (fetch) => new AzureArtifactStore({ ...config, fetch }),
  largeBytes: 2 * MiB + 12_345,
});
