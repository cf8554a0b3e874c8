// Child process started by tests/emulators/gcs.ts (run with plain `node`).
//
// Serves the GCS JSON API through the firebase-tools Storage emulator, created
// in-process: no firebase CLI, no Java rules runtime. The Cloud (GCS) endpoints
// use the emulator's admin storage layer, which never consults security rules,
// so the inline allow-all ruleset is never even loaded.
//
// Listens on 127.0.0.1 with an OS-chosen port and prints one JSON line
// `{"port":N}` on stdout once it accepts connections. SIGTERM / SIGINT (or stdin
// closing, i.e. the parent went away) close the server, delete the blob files
// and exit.
//
// The emulator keeps object bytes in `${os.tmpdir()}/firebase/storage/blobs`
// and deletes that whole directory on stop, so the parent must give every
// instance its own TMPDIR.
//
// Verified gaps of firebase-tools 15.34.2 (GCS JSON API, raw fetch):
// - uploads only at /upload/storage/v1/b/{b}/o (POST /b/{b}/o -> 501);
//   PATCH, copyTo, rewriteTo only at /b/... (/storage/v1/... -> 501);
//   no bucket get/insert (buckets appear on first use), no compose (501).
// - resumable: every PUT to the session URL finalizes (no 308); a second
//   chunk -> 400 "Bad Request"; `Content-Range: bytes */*` finalizes an
//   empty object; DELETE of the session URL (cancel) -> 501.
// - ifGenerationMatch / ifGenerationNotMatch / ifMetagenerationMatch,
//   generation=, If-Match / If-None-Match headers: all ignored.
// - list: fields=, startOffset/endOffset, includeTrailingDelimiter ignored;
//   pageToken = name of the first object of the next page (unknown token
//   restarts from the beginning); prefixes are repeated on every page and not
//   counted by maxResults.
// - Range: unsatisfiable / inverted -> 200 with the whole object (no 416);
//   multi-range -> only the first range. alt=media 404 body is text/html
//   "No such object: b/o" (JSON error only without alt=media).
// - multipart: the media part's Content-Type is ignored (use contentType in
//   the metadata part, or X-Upload-Content-Type). Bodies over 130 MB -> 413.
// - generation = Date.now() (two writes in one millisecond share it).
"use strict";

const path = require("node:path");
const fs = require("node:fs");

const projectId = process.env.STOWAGE_GCS_PROJECT || "demo-stowage";
const root = path.resolve(__dirname, "..", "..");
const storageDir = path.join(
  root,
  "tests",
  "tooling",
  "node_modules",
  "firebase-tools",
  "lib",
  "emulator",
  "storage",
);

const { StorageEmulator } = require(path.join(storageDir, "index.js"));
const { createApp } = require(path.join(storageDir, "server.js"));
const { EmulatorRegistry } = require(
  path.join(storageDir, "..", "registry.js"),
);

const rules = {
  name: "inline.rules",
  content: "rules_version = '2';\n" +
    "service firebase.storage {\n" +
    "  match /b/{bucket}/o {\n" +
    "    match /{allPaths=**} { allow read, write: if true; }\n" +
    "  }\n" +
    "}\n",
};

async function main() {
  const emulator = new StorageEmulator({
    projectId,
    host: "127.0.0.1",
    port: 0,
    rules,
    auto_download: false,
  });
  // Not emulator.start(): that starts the Java rules runtime, and treats
  // port 0 as "use the default port 9199".
  const app = await createApp(projectId, emulator);
  const server = app.listen(0, "127.0.0.1");
  const sockets = new Set();
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const port = server.address().port;
  // Bucket metadata and upload URLs ask the registry for the emulator's
  // host:port ("Cannot determine host and port of storage" otherwise).
  emulator.args.port = port;
  EmulatorRegistry.set("storage", emulator);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => {});
    for (const s of sockets) s.destroy();
    try {
      fs.rmSync(emulator.storageLayer.dirPath ?? "", {
        recursive: true,
        force: true,
      });
    } catch { /* already gone */ }
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();

  process.stdout.write(JSON.stringify({ port }) + "\n");
}

main().catch((err) => {
  process.stderr.write(`gcs_server: ${err && err.stack || err}\n`);
  process.exit(1);
});
