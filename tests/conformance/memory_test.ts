import { MemoryArtifactStore } from "../../mod.ts";
import { conformance } from "./suite.ts";

conformance({
  name: "memory",
  store: new MemoryArtifactStore({
    path: `memory://conformance-${Date.now()}`,
  }),
});
