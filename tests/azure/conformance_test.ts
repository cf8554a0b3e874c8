// The shared conformance suite against Azurite, with 1 MiB blocks so that the
// big file goes up as Put Block + Put Block List.

import { conformance } from "../conformance/suite.ts";
import { azureStore, MiB } from "./_azure.ts";

conformance({
  name: "azure (azurite)",
  store: azureStore("conf", { partSize: 1 * MiB }),
  bigFileBytes: 5 * MiB + 12_345,
  manyKeys: 1100,
});
