// Runs fauxqs (npm `fauxqs`, an in-memory S3/SQS/SNS emulator) in this Node
// process for tests/emulators/fauxqs.ts:
//
//   node tests/emulators/fauxqs_server.mjs [BUCKET]
//
// Listens on 127.0.0.1 with an OS-chosen port (fauxqs's own CLI binds
// 0.0.0.0), accepts request bodies up to BODY_LIMIT (fauxqs's default is
// 11 MiB), creates BUCKET (default "stowage-test"), then prints one line
// {"port":N} on stdout. Exits when its stdin closes (the launcher is gone) or
// on SIGTERM/SIGINT.

import process from "node:process";
// fauxqs lives in the test tooling (tests/tooling/node_modules), off Node's resolution path.
const fauxqs = new URL("../tooling/node_modules/fauxqs/dist/app.js", import.meta.url).href;
const { buildApp } = await import(fauxqs);

const BODY_LIMIT = 256 * 1024 * 1024;
const bucket = process.argv[2] ?? "stowage-test";

const app = buildApp({ logger: false, defaultRegion: "us-east-1" });

// buildApp fixes Fastify's bodyLimit at 11 MiB and registers its parsers
// (JSON for SQS, form-urlencoded for SNS, raw bytes for everything else)
// with that limit. Replace them all with one catch-all parser with a higher
// limit that hands S3 its raw bytes whatever the Content-Type — fauxqs's own
// form parser would turn an S3 object PUT with Content-Type
// application/x-www-form-urlencoded into an object — and parses only the
// SQS/SNS calls (POST /) as before.
app.removeAllContentTypeParsers();
app.addContentTypeParser(
  "*",
  { parseAs: "buffer", bodyLimit: BODY_LIMIT },
  (req, body, done) => {
    const path = (req.url ?? "/").split("?")[0];
    const type = String(req.headers["content-type"] ?? "");
    if (req.method !== "POST" || path !== "/") return done(null, body);
    try {
      if (type.includes("application/x-amz-json-1.0")) {
        return done(null, JSON.parse(body.toString("utf8")));
      }
      if (type.includes("application/x-www-form-urlencoded")) {
        const fields = {};
        for (const [k, v] of new URLSearchParams(body.toString("utf8"))) {
          fields[k] = v;
        }
        return done(null, fields);
      }
    } catch (err) {
      return done(err);
    }
    done(null, body);
  },
);

await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
const port = typeof address === "object" && address ? address.port : 0;

const res = await app.inject({ method: "PUT", url: `/${bucket}` });
if (res.statusCode !== 200) {
  process.stderr.write(
    `fauxqs: CreateBucket ${bucket} returned ${res.statusCode}: ${res.body}\n`,
  );
  process.exit(1);
}

let closing = false;
function shutdown() {
  if (closing) return;
  closing = true;
  const force = setTimeout(() => process.exit(0), 2000);
  force.unref();
  app.close().then(() => process.exit(0), () => process.exit(0));
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
process.stdin.on("end", shutdown);
process.stdin.on("error", shutdown);
process.stdin.resume();

process.stdout.write(JSON.stringify({ port }) + "\n");
