// Run as its own process by core_test.ts: imports only the core (`.`) and reports what
// is registered and what a cloud URI gives.
import { createArtifactStore, listFlavors } from "../../mod.ts";

const names = listFlavors().map((f) => f.name);
const errors: Record<string, { name: string; message: string }> = {};
for (const uri of ["s3://b/x", "gs://b/x", "az://c/x", "http://127.0.0.1:9", "r2://B"]) {
  try {
    await createArtifactStore(uri);
    errors[uri] = { name: "none", message: "" };
  } catch (e) {
    errors[uri] = { name: (e as Error).name, message: (e as Error).message };
  }
}
await import("../../flavors/s3/mod.ts");
const afterS3 = listFlavors().map((f) => f.name);
const s3 = (await createArtifactStore({
  path: "s3://b/x",
  endpoint: "http://127.0.0.1:9",
  region: "us-east-1",
  accessKeyId: "a",
  secretAccessKey: "b",
})).flavor;
await import("../../flavors/all.ts");
const afterAll = listFlavors().map((f) => f.name);
console.log(JSON.stringify({ names, errors, afterS3, s3, afterAll }));
