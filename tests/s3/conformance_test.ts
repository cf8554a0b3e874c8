// The shared conformance suite against two S3 servers: Ceph RGW (checks SigV4,
// real error codes and preconditions) and fauxqs (in-memory, every runtime).

import { conformance } from "../conformance/suite.ts";
import { MiB, s3Store } from "./_s3.ts";

const common = { bigFileBytes: 12 * MiB + 12_345, manyKeys: 1100 };

conformance({ name: "s3 (ceph)", store: s3Store("ceph", "conf"), ...common });
conformance({
  name: "s3 (fauxqs)",
  store: s3Store("fauxqs", "conf"),
  ...common,
});
