// The smoke subset the runtime tests share: write (small, and past the 8 MiB part
// size), range read, list, walk, 304, 401, delete — through the http flavor and
// plain fetch against a served store.

import assert from "node:assert/strict";
import { HttpArtifactStore } from "../../flavors/http/mod.ts";
import { readAllBytes } from "../../src/streams.ts";
import { patternBytes, sha256 } from "../conformance/suite.ts";

const MiB = 1024 * 1024;

/** The smoke subset: write, range read, list, walk, delete, 304, 401. */
/**
 * Runs the smoke subset against a server.
 *
 * @param url the server's base URL
 * @param token its bearer token
 * @param label for messages
 */
export async function smoke(
  url: string,
  token: string,
  label: string,
): Promise<void> {
  const TOKEN = token;
  const store = new HttpArtifactStore({ path: url, token: TOKEN });
  const base = `${url}/smoke-${crypto.randomUUID().slice(0, 8)}`;
  const auth = { authorization: `Bearer ${TOKEN}` };

  // write: a small file and one past the 8 MiB part size (a multipart upload
  // inside the worker), streamed by the client.
  const small = new TextEncoder().encode("hello from workerd");
  const w = (await store.open(`${base}/a/hello.txt`, "wb")).getWriter();
  await w.write(small);
  await w.close();
  const big = patternBytes(9 * MiB + 123, 11);
  const wb = (await store.open(`${base}/big.bin`, "wb")).getWriter();
  for (let i = 0; i < big.length; i += MiB) {
    await wb.write(big.subarray(i, i + MiB));
  }
  await wb.close();
  assert.equal((await store.stat(`${base}/big.bin`)).size, big.length);
  assert.equal(
    await sha256(await readAllBytes(await store.open(`${base}/big.bin`, "rb"))),
    await sha256(big),
    `${label}: big file round trip`,
  );

  // range read, through the flavor and raw.
  const part = await readAllBytes(
    await store.open(`${base}/big.bin`, "rb", {
      range: { start: 8 * MiB - 5, end: 8 * MiB + 5 },
    }),
  );
  assert.deepEqual(part, big.slice(8 * MiB - 5, 8 * MiB + 5));
  const rel = base.slice(url.length + 1);
  const ranged = await fetch(`${url}/files/${rel}/a/hello.txt`, {
    headers: { ...auth, range: "bytes=6-9" },
  });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.headers.get("content-range"), "bytes 6-9/18");
  assert.equal(await ranged.text(), "from");

  // list and walk.
  assert.deepEqual(await store.listdir(base), ["a", "big.bin"]);
  const walked: string[] = [];
  for await (const [dir, dirs, files] of store.walk(base)) {
    walked.push(`${dir.slice(base.length)}|${dirs}|${files}`);
  }
  assert.deepEqual(walked, ["|a|big.bin", "/a||hello.txt"]);

  // 304 on a matching ETag.
  const first = await fetch(`${url}/files/${rel}/a/hello.txt`, {
    headers: auth,
  });
  const etag = first.headers.get("etag");
  assert.ok(etag, `${label}: an ETag`);
  await first.body?.cancel();
  const again = await fetch(`${url}/files/${rel}/a/hello.txt`, {
    headers: { ...auth, "if-none-match": etag! },
  });
  assert.equal(again.status, 304);
  await again.body?.cancel();

  // 401 without or with a wrong token.
  const anon = await fetch(`${url}/list/${rel}`);
  assert.equal(anon.status, 401);
  await anon.body?.cancel();
  const wrong = new HttpArtifactStore({ path: url, token: "wrong" });
  await assert.rejects(
    wrong.listdir(base),
    (e: Error) => e.name === "AuthenticationError",
  );

  // delete.
  await store.remove(`${base}/a/hello.txt`);
  assert.equal(await store.exists(`${base}/a/hello.txt`), false);
  await store.rmtree(base);
  assert.equal(await store.exists(base), false);
}
