// The http flavor beyond the conformance suite: the smoke subset over this
// runtime's server, server errors mapped back to the typed classes, resumed
// downloads, how uploads are sent, the token from STOWAGE_TOKEN, base paths,
// metadata, and the registry entry.

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import {
  ArtifactStoreError,
  AuthenticationError,
  ConfigError,
  createArtifactStore,
  FileExistsError,
  FileNotFoundError,
  InvalidArgumentError,
  InvalidPathError,
  IsADirectoryError,
  MemoryArtifactStore,
  NotADirectoryError,
  NotSupportedError,
  PermissionDeniedError,
  PreconditionFailedError,
} from "../../mod.ts";
import { artifactStoreApp } from "../../src/hono/mod.ts";
import { HttpArtifactStore } from "../../flavors/http/mod.ts";
import { readAllBytes, readAllText } from "../../src/streams.ts";
import { patternBytes } from "../conformance/suite.ts";
import { serveOnRuntime } from "../hono/_serve.ts";
import { smoke } from "../hono/_smoke.ts";

const TOKEN = `client-${crypto.randomUUID()}`;
const MiB = 1024 * 1024;
const FAST = { maxRetries: 3, initialBackoffMs: 1, maxBackoffMs: 5 };

function memory(): MemoryArtifactStore {
  return new MemoryArtifactStore({
    path: `memory://http-client-${crypto.randomUUID().slice(0, 8)}`,
  });
}

/** An http store whose fetch is the app itself (no socket). */
function inProcess(
  store = memory(),
  wrap?: (res: Response, req: Request) => Response | Promise<Response>,
  seen: Request[] = [],
) {
  const app = artifactStoreApp(store, { tokens: [TOKEN] });
  const url = "http://stowage.test";
  const client = new HttpArtifactStore({
    path: url,
    token: TOKEN,
    retry: FAST,
    fetch: async (input, init) => {
      const req = new Request(input, init);
      seen.push(req.clone());
      const res = await app.fetch(req);
      return wrap ? await wrap(res, req) : res;
    },
  });
  return { store, client, url, seen };
}

async function write(
  s: HttpArtifactStore,
  path: string,
  data: Uint8Array | string,
) {
  const w = (await s.open(path, "wb")).getWriter();
  await w.write(
    typeof data === "string" ? new TextEncoder().encode(data) : data,
  );
  await w.close();
}

test("smoke subset over this runtime's server (write, range, list, walk, 304, 401, delete)", async () => {
  const server = await serveOnRuntime(
    artifactStoreApp(memory(), { tokens: [TOKEN], hostname: "127.0.0.1" })
      .fetch,
  );
  try {
    await smoke(server.url, TOKEN, server.kind);
  } finally {
    await server.close();
  }
});

test("a create-only streamed upload onto an existing file fails with FileExistsError (real socket)", async () => {
  const store = memory();
  const server = await serveOnRuntime(
    artifactStoreApp(store, { tokens: [TOKEN], hostname: "127.0.0.1" })
      .fetch,
  );
  try {
    const client = new HttpArtifactStore({ path: server.url, token: TOKEN });
    await write(client, `${server.url}/once.bin`, "original");
    const attempt = async () => {
      const w = (await client.open(`${server.url}/once.bin`, "xb")).getWriter();
      for (let i = 0; i < 4; i++) await w.write(new Uint8Array(MiB));
      await w.close();
    };
    await assert.rejects(attempt(), FileExistsError);
    assert.equal(
      await readAllText(await client.open(`${server.url}/once.bin`, "r")),
      "original",
    );
  } finally {
    await server.close();
  }
});

test("server errors map back to the typed classes, with the client's path and flavor", async () => {
  const cases: [string, number, new (...a: never[]) => Error][] = [
    ["NotFound", 404, FileNotFoundError],
    ["AlreadyExists", 409, FileExistsError],
    ["IsADirectory", 409, IsADirectoryError],
    ["NotADirectory", 409, NotADirectoryError],
    ["PermissionDenied", 403, PermissionDeniedError],
    ["PreconditionFailed", 412, PreconditionFailedError],
    ["NotSupported", 501, NotSupportedError],
    ["InvalidPath", 400, InvalidPathError],
    ["InvalidArgument", 400, InvalidArgumentError],
    ["Config", 500, ConfigError],
    ["Unauthenticated", 502, AuthenticationError],
  ];
  for (const [code, status, cls] of cases) {
    const client = new HttpArtifactStore({
      path: "http://fake.test/base",
      retry: { maxRetries: 0 },
      fetch: () =>
        Promise.resolve(
          Response.json({ error: { code, message: `'x/y.txt': ${code}` } }, {
            status,
          }),
        ),
    });
    const err: ArtifactStoreError = await client.stat(
      "http://fake.test/base/x/y.txt",
    ).catch((e) => e);
    assert.ok(err instanceof cls, `${code} → ${err?.name}`);
    assert.equal(err.flavor, "http");
    assert.equal(err.status, status);
    assert.equal(err.path, "http://fake.test/base/x/y.txt");
    assert.match(err.message, new RegExp(code));
  }
  // 401 says where the token comes from.
  const anon = new HttpArtifactStore({
    path: "http://fake.test",
    fetch: () =>
      Promise.resolve(
        Response.json({
          error: { code: "Unauthenticated", message: "Missing bearer token" },
        }, { status: 401 }),
      ),
  });
  await assert.rejects(
    anon.exists("http://fake.test/a"),
    (e: Error) => e instanceof AuthenticationError && /STOWAGE_TOKEN/.test(e.message),
  );
  // A proxy's HTML error page: retried, then a retryable generic error.
  let calls = 0;
  const proxy = new HttpArtifactStore({
    path: "http://fake.test",
    retry: FAST,
    fetch: () => {
      calls++;
      return Promise.resolve(
        new Response("<html>Bad gateway</html>", { status: 502 }),
      );
    },
  });
  const err = await proxy.listdir("http://fake.test/d").catch((e) => e);
  assert.ok(err instanceof ArtifactStoreError);
  assert.equal(err.retryable, true);
  assert.equal(calls, 4);
});

test("a download cut short resumes with Range and If-Match", async () => {
  const data = patternBytes(3 * MiB + 17, 5);
  let cut = true;
  const seen: Request[] = [];
  const { client, store, url } = inProcess(memory(), (res, req) => {
    if (req.method !== "GET" || !cut || !res.body) return res;
    cut = false;
    // Deliver 1 MiB, then break the body.
    let sent = 0;
    const reader = res.body.getReader();
    const broken = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent >= MiB) {
          c.error(new TypeError("connection reset"));
          reader.cancel().catch(() => {});
          return;
        }
        const { value, done } = await reader.read();
        if (done) return c.close();
        const take = value.subarray(0, MiB - sent);
        sent += take.length;
        c.enqueue(take);
      },
    });
    return new Response(broken, { status: res.status, headers: res.headers });
  }, seen);
  const w = (await store.open(`${store.path}/big.bin`, "wb")).getWriter();
  await w.write(data);
  await w.close();
  const got = await readAllBytes(await client.open(`${url}/big.bin`, "rb"));
  assert.equal(got.length, data.length);
  assert.deepEqual(got, data);
  const gets = seen.filter((r) => r.method === "GET");
  assert.equal(gets.length, 2);
  assert.equal(gets[1].headers.get("range"), `bytes=${MiB}-`);
  assert.ok(gets[1].headers.get("if-match"));
});

test("a download whose file changed meanwhile fails instead of mixing versions", async () => {
  const store = memory();
  let first = true;
  const { client, url } = inProcess(store, async (res, req) => {
    if (req.method !== "GET" || !first || !res.body) return res;
    first = false;
    // Replace the file, then break the first body after 10 bytes.
    const w = (await store.open(`${store.path}/f.bin`, "wb")).getWriter();
    await w.write(patternBytes(2000, 9));
    await w.close();
    const reader = res.body.getReader();
    let n = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        async pull(c) {
          if (n > 0) return c.error(new TypeError("reset"));
          const { value } = await reader.read();
          n++;
          c.enqueue(value!.subarray(0, 10));
        },
      }),
      { status: res.status, headers: res.headers },
    );
  });
  const w = (await store.open(`${store.path}/f.bin`, "wb")).getWriter();
  await w.write(patternBytes(2000, 1));
  await w.close();
  await assert.rejects(
    readAllBytes(await client.open(`${url}/f.bin`, "rb")),
    ArtifactStoreError,
  );
});

test("uploads: small ones are one retried request with a length; big ones stream with duplex half and redirect error", async () => {
  let failures = 1;
  const seen: Request[] = [];
  const inits: RequestInit[] = [];
  const store = memory();
  const app = artifactStoreApp(store, { tokens: [TOKEN] });
  const client = new HttpArtifactStore({
    path: "http://up.test",
    token: TOKEN,
    retry: FAST,
    bufferBytes: 64 * 1024,
    fetch: (input, init) => {
      inits.push(init ?? {});
      const req = new Request(input, init);
      seen.push(req);
      if (req.method === "PUT" && failures-- > 0) {
        return Promise.resolve(new Response("busy", { status: 503 }));
      }
      return Promise.resolve(app.fetch(req));
    },
  });
  await write(client, "http://up.test/small.txt", "small");
  const puts = seen.filter((r) => r.method === "PUT");
  assert.equal(puts.length, 2, "the first PUT (503) was retried");
  assert.equal(
    await readAllText(await store.open(`${store.path}/small.txt`)),
    "small",
  );

  seen.length = 0;
  inits.length = 0;
  const big = patternBytes(300 * 1024, 3);
  const w = (await client.open("http://up.test/big.bin", "wb", {
    contentType: "application/x-test",
    metadata: { run: "42", note: "ünï" },
  })).getWriter();
  for (let i = 0; i < big.length; i += 10_000) {
    await w.write(big.subarray(i, i + 10_000));
  }
  await w.close();
  const init = inits.find((i) => i.method === "PUT")!;
  assert.ok(init.body instanceof ReadableStream, "a streamed body");
  assert.equal(init.redirect, "error");
  assert.equal((init as { duplex?: string }).duplex, "half");
  assert.deepEqual(
    await readAllBytes(await store.open(`${store.path}/big.bin`, "rb")),
    big,
  );
  const st = await client.stat("http://up.test/big.bin");
  assert.equal(st.contentType, "application/x-test");
  assert.deepEqual(st.metadata, { run: "42", note: "ünï" });
  assert.equal(st.path, "http://up.test/big.bin");
});

test("an aborted streamed upload leaves nothing behind", async () => {
  const { client, store, url } = inProcess();
  const w = (await client.open(`${url}/aborted.bin`, "wb")).getWriter();
  await w.write(new Uint8Array(2 * MiB));
  await w.abort(new Error("stop"));
  for (
    let i = 0;
    i < 20 && (await store.exists(`${store.path}/aborted.bin`));
    i++
  ) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(await store.exists(`${store.path}/aborted.bin`), false);
});

test("the token comes from STOWAGE_TOKEN when the config has none", async () => {
  const before = process.env.STOWAGE_TOKEN;
  process.env.STOWAGE_TOKEN = "from-env";
  try {
    let auth: string | null = null;
    const client = new HttpArtifactStore({
      path: "http://env.test",
      fetch: (input, init) => {
        auth = new Request(input, init).headers.get("authorization");
        return Promise.resolve(Response.json({ exists: false }));
      },
    });
    await client.exists("http://env.test/x");
    assert.equal(auth, "Bearer from-env");
  } finally {
    if (before === undefined) delete process.env.STOWAGE_TOKEN;
    else process.env.STOWAGE_TOKEN = before;
  }
});

test("a server with a base path; the registry builds http stores lazily", async () => {
  const store = memory();
  const server = await serveOnRuntime(
    artifactStoreApp(store, {
      tokens: [TOKEN],
      hostname: "127.0.0.1",
      basePath: "/store",
    }).fetch,
  );
  try {
    const root = `${server.url}/store`;
    const client = await createArtifactStore({ path: root, token: TOKEN });
    assert.equal(client.flavor, "http");
    assert.ok(client instanceof HttpArtifactStore);
    await write(client as HttpArtifactStore, `${root}/a/b.txt`, "b");
    assert.deepEqual(await client.listdir(`${root}/a`), ["b.txt"]);
    assert.deepEqual(await store.listdir(`${store.path}/a`), ["b.txt"]);
    assert.deepEqual(await client.glob(`${root}/**/*.txt`), [
      `${root}/a/b.txt`,
    ]);
    // Schemes and host names compare case-insensitively.
    const shouting = new HttpArtifactStore({
      path: root.replace("http://", "HTTP://"),
      token: TOKEN,
    });
    assert.equal(shouting.path, root);
    assert.equal(await shouting.exists(`${root}/a/b.txt`), true);
    assert.equal(
      await client.exists(root.replace("http://", "Http://") + "/a/b.txt"),
      true,
    );
    await assert.rejects(
      client.exists(`${server.url}/elsewhere/a`),
      InvalidPathError,
    );
  } finally {
    await server.close();
  }
  await assert.rejects(
    createArtifactStore({ path: "http://", token: "t" }),
    ConfigError,
  );
});
