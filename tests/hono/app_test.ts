// The Hono adapter without a socket: every route through `app.request()`, the
// options (tokens, authorize, read-only, base path, CORS, redirect, host guard) and
// the error answers.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AuthenticationError,
  ConfigError,
  MemoryArtifactStore,
  type PresignOptions,
} from "../../mod.ts";
import { Hono } from "hono";
import {
  artifactStoreApp,
  type ArtifactStoreAppOptions,
  isLoopbackHost,
} from "../../src/hono/mod.ts";

let n = 0;
function fresh(): MemoryArtifactStore {
  return new MemoryArtifactStore({
    path: `memory://hono-app-${Date.now()}-${++n}`,
  });
}

const TOKEN = "app-test-token";
const AUTH = { authorization: `Bearer ${TOKEN}` };

function setup(options: ArtifactStoreAppOptions = {}) {
  const store = fresh();
  const app = artifactStoreApp(store, { tokens: [TOKEN], ...options });
  const req = (path: string, init: RequestInit = {}) =>
    app.request(path, {
      ...init,
      headers: { ...AUTH, ...(init.headers as Record<string, string>) },
    });
  return { store, app, req };
}

async function put(
  req: (p: string, i?: RequestInit) => Response | Promise<Response>,
  path: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
) {
  const res = await req(path, {
    method: "PUT",
    body: body as BodyInit,
    headers,
  });
  assert.equal(res.status, 201, await res.clone().text());
  return res;
}

async function errorOf(res: Response) {
  const body = await res.json();
  assert.equal(typeof body.error?.code, "string");
  assert.equal(typeof body.error?.message, "string");
  assert.doesNotMatch(body.error.message, /\n\s+at /, "no stack trace");
  assert.equal(res.headers.get("x-stowage-error"), body.error.code);
  return body.error as { code: string; message: string };
}

const enc = new TextEncoder();

test("PUT then GET round trip, Content-Length, ETag, Last-Modified", async () => {
  const { req } = setup();
  const data = enc.encode("0123456789");
  const created = await put(req, "/files/dir/a.bin", data);
  assert.deepEqual(await created.json(), { path: "dir/a.bin", size: 10 });
  const res = await req("/files/dir/a.bin");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-length"), "10");
  assert.equal(res.headers.get("accept-ranges"), "bytes");
  assert.ok(res.headers.get("etag"));
  assert.ok(res.headers.get("last-modified"));
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), data);
});

test("Content-Type: stored type wins, else guessed from the name", async () => {
  const { req } = setup();
  await put(req, "/files/x.json", enc.encode("{}"));
  await put(req, "/files/page.html", enc.encode("<b>"));
  await put(req, "/files/noext", enc.encode("?"));
  await put(req, "/files/typed.bin", enc.encode("t"), {
    "content-type": "text/x-custom",
  });
  const type = async (p: string) => (await req(p)).headers.get("content-type");
  assert.equal(await type("/files/x.json"), "application/json");
  assert.equal(await type("/files/page.html"), "text/html; charset=utf-8");
  assert.equal(await type("/files/noext"), "application/octet-stream");
  assert.equal(await type("/files/typed.bin"), "text/x-custom");
  // Stored HTML cannot run scripts with the server's origin.
  assert.equal(
    (await req("/files/page.html")).headers.get("content-security-policy"),
    "sandbox",
  );
});

test("If-None-Match → 304 (exact, weak, list, *); If-Modified-Since → 304", async () => {
  const { req } = setup();
  await put(req, "/files/c.txt", enc.encode("cache me"));
  const first = await req("/files/c.txt");
  const etag = first.headers.get("etag")!;
  const lastModified = first.headers.get("last-modified")!;
  await first.body?.cancel();
  for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, "*"]) {
    const res = await req("/files/c.txt", {
      headers: { "if-none-match": inm },
    });
    assert.equal(res.status, 304, inm);
    assert.equal(res.headers.get("etag"), etag);
    assert.equal(await res.text(), "");
  }
  const other = await req("/files/c.txt", {
    headers: { "if-none-match": '"other"' },
  });
  assert.equal(other.status, 200);
  assert.equal(await other.text(), "cache me");
  const ims = await req("/files/c.txt", {
    headers: { "if-modified-since": lastModified },
  });
  assert.equal(ims.status, 304);
  const old = await req("/files/c.txt", {
    headers: { "if-modified-since": new Date(0).toUTCString() },
  });
  assert.equal(old.status, 200);
  await old.body?.cancel();
});

test("Range → 206 with Content-Range; suffix, open end, clamping; 416; ignored forms", async () => {
  const { req } = setup();
  await put(req, "/files/r.txt", enc.encode("0123456789"));
  const range = async (r: string, extra: Record<string, string> = {}) => {
    const res = await req("/files/r.txt", { headers: { range: r, ...extra } });
    return {
      status: res.status,
      cr: res.headers.get("content-range"),
      len: res.headers.get("content-length"),
      body: await res.text(),
    };
  };
  assert.deepEqual(await range("bytes=2-5"), {
    status: 206,
    cr: "bytes 2-5/10",
    len: "4",
    body: "2345",
  });
  assert.deepEqual(await range("bytes=7-"), {
    status: 206,
    cr: "bytes 7-9/10",
    len: "3",
    body: "789",
  });
  assert.deepEqual(await range("bytes=-3"), {
    status: 206,
    cr: "bytes 7-9/10",
    len: "3",
    body: "789",
  });
  assert.deepEqual(await range("bytes=8-100"), {
    status: 206,
    cr: "bytes 8-9/10",
    len: "2",
    body: "89",
  });
  const unsat = await range("bytes=10-");
  assert.equal(unsat.status, 416);
  assert.equal(unsat.cr, "bytes */10");
  assert.equal(JSON.parse(unsat.body).error.code, "InvalidArgument");
  assert.equal((await range("bytes=-0")).status, 416);
  // Malformed and multi-range headers are ignored: the whole file.
  for (const r of ["bytes=5-2", "bytes=0-1,4-5", "items=0-1", "bytes=x-"]) {
    const res = await range(r);
    assert.equal(res.status, 200, r);
    assert.equal(res.body, "0123456789");
  }
  // If-Range with a stale ETag: the whole file.
  const stale = await range("bytes=0-1", { "if-range": '"stale"' });
  assert.equal(stale.status, 200);
  const etag = (await req("/files/r.txt", { method: "HEAD" })).headers.get(
    "etag",
  )!;
  assert.equal((await range("bytes=0-1", { "if-range": etag })).status, 206);
  // If-Match guards resumed reads.
  const moved = await req("/files/r.txt", {
    headers: { range: "bytes=1-", "if-match": '"other"' },
  });
  assert.equal(moved.status, 412);
  assert.equal((await errorOf(moved)).code, "PreconditionFailed");
});

test("empty file: 200 with no body, any range is 416", async () => {
  const { req } = setup();
  await put(req, "/files/empty", new Uint8Array(0));
  const res = await req("/files/empty");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-length"), "0");
  assert.equal(await res.text(), "");
  const r = await req("/files/empty", { headers: { range: "bytes=0-" } });
  assert.equal(r.status, 416);
  await r.body?.cancel();
});

test("HEAD answers the stat as headers, without a body", async () => {
  const { req } = setup();
  await put(req, "/files/h.csv", enc.encode("a,b\n1,2\n"), {
    "x-stowage-meta-run": encodeURIComponent("ünï 1"),
  });
  const res = await req("/files/h.csv", { method: "HEAD" });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-length"), "8");
  assert.equal(res.headers.get("content-type"), "text/csv; charset=utf-8");
  assert.equal(
    decodeURIComponent(res.headers.get("x-stowage-meta-run")!),
    "ünï 1",
  );
  assert.equal(await res.text(), "");
  const missing = await req("/files/nope.csv", { method: "HEAD" });
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get("x-stowage-error"), "NotFound");
});

test("PUT If-None-Match: * creates only; other If-None-Match values are refused", async () => {
  const { req, store } = setup();
  const once = { "if-none-match": "*" };
  await put(req, "/files/once.txt", enc.encode("first"), once);
  const again = await req("/files/once.txt", {
    method: "PUT",
    body: "second",
    headers: once,
  });
  assert.equal(again.status, 409);
  assert.equal((await errorOf(again)).code, "AlreadyExists");
  const odd = await req("/files/once.txt", {
    method: "PUT",
    body: "x",
    headers: { "if-none-match": '"abc"' },
  });
  assert.equal(odd.status, 400);
  await odd.body?.cancel();
  const text = await (await store.open(`${store.path}/once.txt`, "r"))
    .pipeThrough(new TextEncoderStream()).pipeThrough(new TextDecoderStream());
  let s = "";
  for await (const c of text) s += c;
  assert.equal(s, "first");
});

test("PUT metadata headers become stored metadata", async () => {
  const { req } = setup();
  await put(req, "/files/m.txt", enc.encode("m"), {
    "x-stowage-meta-owner": "alice",
    "x-stowage-meta-note": encodeURIComponent("é & ✓"),
  });
  const st = await (await req("/stat/m.txt")).json();
  assert.deepEqual(st.metadata, { owner: "alice", note: "é & ✓" });
});

test("DELETE removes a file, refuses a directory, ?recursive=true removes a tree", async () => {
  const { req } = setup();
  await put(req, "/files/t/a.txt", enc.encode("a"));
  await put(req, "/files/t/sub/b.txt", enc.encode("b"));
  const dir = await req("/files/t", { method: "DELETE" });
  assert.equal(dir.status, 409);
  assert.equal((await errorOf(dir)).code, "IsADirectory");
  assert.equal((await req("/files/t/a.txt", { method: "DELETE" })).status, 204);
  const gone = await req("/files/t/a.txt", { method: "DELETE" });
  assert.equal(gone.status, 404);
  assert.equal((await errorOf(gone)).code, "NotFound");
  const file = await req("/files/t/sub/b.txt?recursive=true", {
    method: "DELETE",
  });
  assert.equal(file.status, 409);
  assert.equal((await errorOf(file)).code, "NotADirectory");
  assert.equal(
    (await req("/files/t?recursive=true", { method: "DELETE" })).status,
    204,
  );
  assert.deepEqual(await (await req("/exists/t")).json(), { exists: false });
  const bad = await req("/files/t?recursive=maybe", { method: "DELETE" });
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
});

test("GET of a directory is 409 IsADirectory; of a missing file 404", async () => {
  const { req } = setup();
  await put(req, "/files/d/f.txt", enc.encode("f"));
  const d = await req("/files/d");
  assert.equal(d.status, 409);
  assert.equal((await errorOf(d)).code, "IsADirectory");
  const root = await req("/files/");
  assert.equal(root.status, 409);
  await root.body?.cancel();
  const m = await req("/files/d/missing.txt");
  assert.equal(m.status, 404);
  const e = await errorOf(m);
  assert.equal(e.code, "NotFound");
  // The server's own root does not show in messages: paths are relative.
  assert.match(e.message, /'d\/missing\.txt'/);
  assert.doesNotMatch(e.message, /memory:\/\//);
});

test("GET /stat, /exists, /list answer JSON with paths relative to the root", async () => {
  const { req } = setup();
  await put(req, "/files/s/b.txt", enc.encode("bb"));
  await put(req, "/files/s/a.txt", enc.encode("a"));
  await put(req, "/files/s/sub/c.txt", enc.encode("c"));
  const st = await (await req("/stat/s/b.txt")).json();
  assert.equal(st.path, "s/b.txt");
  assert.equal(st.size, 2);
  assert.equal(st.isDirectory, false);
  assert.ok(!Number.isNaN(Date.parse(st.mtime)));
  const sd = await (await req("/stat/s/sub")).json();
  assert.equal(sd.isDirectory, true);
  assert.equal((await (await req("/stat/")).json()).path, "");
  assert.deepEqual(await (await req("/exists/s/sub")).json(), { exists: true });
  assert.deepEqual(await (await req("/exists/s/zzz")).json(), {
    exists: false,
  });
  assert.deepEqual(await (await req("/list/s")).json(), [
    "a.txt",
    "b.txt",
    "sub",
  ]);
  assert.deepEqual(await (await req("/list")).json(), ["s"]);
  const missing = await req("/list/nothing");
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  const nd = await req("/list/s/a.txt");
  assert.equal((await errorOf(nd)).code, "NotADirectory");
});

test("GET /walk streams NDJSON, top-down or bottom-up; errors are lines too", async () => {
  const { req } = setup();
  await put(req, "/files/w/r.txt", enc.encode("r"));
  await put(req, "/files/w/a/x.txt", enc.encode("x"));
  await put(req, "/files/w/a/y/z.txt", enc.encode("z"));
  const lines = async (p: string) => {
    const res = await req(p);
    assert.equal(
      res.headers.get("content-type"),
      "application/x-ndjson; charset=utf-8",
    );
    return (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
  };
  assert.deepEqual(await lines("/walk/w"), [
    ["w", ["a"], ["r.txt"]],
    ["w/a", ["y"], ["x.txt"]],
    ["w/a/y", [], ["z.txt"]],
  ]);
  assert.deepEqual((await lines("/walk/w?topdown=false")).map((e) => e[0]), [
    "w/a/y",
    "w/a",
    "w",
  ]);
  const missing = await lines("/walk/w/missing");
  assert.equal(missing.length, 1);
  assert.equal(missing[0].error.code, "NotFound");
});

test("GET /glob?pattern= answers sorted relative paths", async () => {
  const { req } = setup();
  for (const k of ["g/a.txt", "g/b.txt", "g/c.csv", "g/sub/d.txt"]) {
    await put(req, `/files/${k}`, enc.encode(k));
  }
  const glob = async (p: string) =>
    await (await req(`/glob?pattern=${encodeURIComponent(p)}`)).json();
  assert.deepEqual(await glob("g/*.txt"), ["g/a.txt", "g/b.txt"]);
  assert.deepEqual(await glob("g/**/*.txt"), [
    "g/a.txt",
    "g/b.txt",
    "g/sub/d.txt",
  ]);
  assert.deepEqual(await glob("g/*/"), ["g/sub"]);
  const none = await req("/glob");
  assert.equal(none.status, 400);
  assert.equal((await errorOf(none)).code, "InvalidArgument");
  const out = await req(`/glob?pattern=${encodeURIComponent("../*")}`);
  assert.equal(out.status, 400);
  assert.equal((await errorOf(out)).code, "InvalidPath");
});

test("POST /copy and /rename with { src, dst, overwrite }", async () => {
  const { req } = setup();
  await put(req, "/files/c/src.txt", enc.encode("S"));
  await put(req, "/files/c/other.txt", enc.encode("O"));
  const post = (route: string, body: unknown) =>
    req(route, {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });
  assert.equal(
    (await post("/copy", { src: "c/src.txt", dst: "c/deep/copy.txt" })).status,
    204,
  );
  assert.equal(await (await req("/files/c/deep/copy.txt")).text(), "S");
  const exists = await post("/copy", { src: "c/src.txt", dst: "c/other.txt" });
  assert.equal(exists.status, 409);
  assert.equal((await errorOf(exists)).code, "AlreadyExists");
  assert.equal(
    (await post("/copy", {
      src: "c/src.txt",
      dst: "c/other.txt",
      overwrite: true,
    })).status,
    204,
  );
  assert.equal(await (await req("/files/c/other.txt")).text(), "S");
  assert.equal(
    (await post("/rename", { src: "c/src.txt", dst: "c/moved.txt" })).status,
    204,
  );
  assert.deepEqual(await (await req("/exists/c/src.txt")).json(), {
    exists: false,
  });
  const missing = await post("/rename", { src: "c/nope", dst: "c/x" });
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  for (
    const bad of [
      "not json",
      { src: "c/a" },
      { src: 1, dst: "x" },
      { src: "a", dst: "b", overwrite: "yes" },
    ]
  ) {
    const res = await post("/copy", bad);
    assert.equal(res.status, 400, JSON.stringify(bad));
    assert.equal((await errorOf(res)).code, "InvalidArgument");
  }
  const big = await post("/copy", JSON.stringify({ src: "x".repeat(70_000) }));
  assert.equal(big.status, 400);
  await big.body?.cancel();
});

test("POST /mkdir: parent must exist unless ?parents=true", async () => {
  const { req } = setup();
  const missing = await req("/mkdir/a/b/c", { method: "POST" });
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  assert.equal(
    (await req("/mkdir/a/b/c?parents=true", { method: "POST" })).status,
    204,
  );
  assert.equal((await req("/mkdir/a/b/d", { method: "POST" })).status, 204);
  assert.deepEqual(await (await req("/list/a/b")).json(), ["c", "d"]);
});

test("percent-encoded names are decoded exactly once", async () => {
  const { req, store } = setup();
  const names = ["with space.txt", "pct%20.txt", "q?&#.txt", "ünï 😀.txt"];
  for (const name of names) {
    await put(req, `/files/e/${encodeURIComponent(name)}`, enc.encode(name));
  }
  assert.deepEqual(
    [...await store.listdir(`${store.path}/e`)].sort(),
    [...names].sort(),
  );
  // `%2520` is the literal name `%20`, never a space.
  assert.equal(await (await req("/files/e/pct%2520.txt")).text(), "pct%20.txt");
  const space = await req("/files/e/pct%20.txt");
  assert.equal(space.status, 404);
  await space.body?.cancel();
  const bad = await req("/files/e/%zz");
  assert.equal(bad.status, 400);
  assert.equal((await errorOf(bad)).code, "InvalidPath");
});

test("unknown routes and methods answer a JSON 404", async () => {
  const { req } = setup();
  for (
    const [method, path] of [["GET", "/nope"], ["PATCH", "/files/x"], [
      "GET",
      "/",
    ]]
  ) {
    const res = await req(path, { method });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal((await errorOf(res)).code, "NotFound");
  }
});

test("tokens: missing or wrong → 401 with WWW-Authenticate; any listed token works", async () => {
  const store = fresh();
  const app = artifactStoreApp(store, { tokens: ["one", "two"] });
  const none = await app.request("/list/");
  assert.equal(none.status, 401);
  assert.match(none.headers.get("www-authenticate")!, /^Bearer/);
  assert.equal((await errorOf(none)).code, "Unauthenticated");
  for (const h of ["Bearer three", "Bearer on", "Basic b25lOg==", "Bearer"]) {
    const res = await app.request("/list/", { headers: { authorization: h } });
    assert.equal(res.status, 401, h);
    await res.body?.cancel();
  }
  for (const t of ["one", "two"]) {
    const res = await app.request("/list/", {
      headers: { authorization: `bearer ${t}` },
    });
    assert.equal(res.status, 200, t);
    await res.body?.cancel();
  }
});

test("authorize(c, operation, path) sees normalized relative paths; false → 403", async () => {
  const seen: string[] = [];
  const store = fresh();
  const app = artifactStoreApp(store, {
    authorize: (c, op, path) => {
      seen.push(`${op}:${path}`);
      return c.req.header("x-user") === "admin" || path.startsWith("public/");
    },
  });
  const as = (user: string) => ({ headers: { "x-user": user } });
  const w = await app.request("/files/public/./a/../b.txt", {
    method: "PUT",
    body: "b",
  });
  assert.equal(w.status, 201);
  assert.ok(seen.includes("write:public/b.txt"), seen.join());
  const denied = await app.request("/files/secret.txt", as("bob"));
  assert.equal(denied.status, 403);
  assert.equal((await errorOf(denied)).code, "PermissionDenied");
  const admin = await app.request("/files/public/b.txt", as("admin"));
  assert.equal(await admin.text(), "b");
  seen.length = 0;
  const copy = await app.request("/copy", {
    method: "POST",
    body: JSON.stringify({ src: "public/b.txt", dst: "private/b.txt" }),
  });
  assert.equal(copy.status, 403);
  await copy.body?.cancel();
  assert.deepEqual(seen, ["copy:public/b.txt", "copy:private/b.txt"]);
  // A hook that throws AuthenticationError answers 401.
  const strict = artifactStoreApp(fresh(), {
    authorize: (c) => {
      if (!c.req.header("x-user")) {
        throw new AuthenticationError("Who are you?");
      }
      return true;
    },
  });
  const anon = await strict.request("/list/");
  assert.equal(anon.status, 401);
  assert.match(anon.headers.get("www-authenticate")!, /^Bearer/);
  assert.equal((await errorOf(anon)).message, "Who are you?");
  assert.equal((await strict.request("/list/", as("ann"))).status, 200);
});

test("a backend refusing the server's own credentials is 502, not the client's 401", async () => {
  class Refused extends MemoryArtifactStore {
    override stat(): never {
      throw new AuthenticationError(
        "Cannot stat 'x': the credentials were refused",
        {
          flavor: "s3",
          status: 403,
        },
      );
    }
  }
  const app = artifactStoreApp(
    new Refused({ path: `memory://hono-refused-${Date.now()}` }),
    {
      tokens: [TOKEN],
    },
  );
  const res = await app.request("/stat/x", { headers: AUTH });
  assert.equal(res.status, 502);
  assert.equal((await errorOf(res)).code, "Unauthenticated");
});

test("readOnly: reads work, every write route is 403", async () => {
  const store = fresh();
  const w = (await store.open(`${store.path}/r.txt`, "w")).getWriter();
  await w.write("r");
  await w.close();
  const app = artifactStoreApp(store, { tokens: [TOKEN], readOnly: true });
  const ok = await app.request("/files/r.txt", { headers: AUTH });
  assert.equal(await ok.text(), "r");
  const writes: [string, string, string?][] = [
    ["PUT", "/files/x.txt", "x"],
    ["DELETE", "/files/r.txt"],
    ["DELETE", "/files/?recursive=true"],
    ["POST", "/copy", '{"src":"r.txt","dst":"c.txt"}'],
    ["POST", "/rename", '{"src":"r.txt","dst":"c.txt"}'],
    ["POST", "/mkdir/d"],
  ];
  for (const [method, path, body] of writes) {
    const res = await app.request(path, { method, body, headers: AUTH });
    assert.equal(res.status, 403, `${method} ${path}`);
    assert.equal((await errorOf(res)).code, "PermissionDenied");
  }
  assert.deepEqual(await store.listdir(store.path), ["r.txt"]);
});

test("basePath prefixes every route", async () => {
  const { req } = setup({ basePath: "/api/v1" });
  await put(req, "/api/v1/files/a.txt", enc.encode("A"));
  assert.equal(await (await req("/api/v1/files/a.txt")).text(), "A");
  assert.deepEqual(await (await req("/api/v1/list/")).json(), ["a.txt"]);
  const outside = await req("/files/a.txt");
  assert.equal(outside.status, 404);
  await outside.body?.cancel();
  assert.throws(
    () => artifactStoreApp(fresh(), { tokens: ["t"], basePath: "api" }),
    ConfigError,
  );
});

test("the app mounts inside another Hono app", async () => {
  const store = fresh();
  const parent = new Hono().route(
    "/mount",
    artifactStoreApp(store, { tokens: [TOKEN], basePath: "/b" }),
  );
  const put = await parent.request("/mount/b/files/a%20x.txt", {
    method: "PUT",
    body: "A",
    headers: AUTH,
  });
  assert.equal(put.status, 201);
  assert.deepEqual(await store.listdir(store.path), ["a x.txt"]);
  const get = await parent.request("/mount/b/files/a%20x.txt", {
    headers: AUTH,
  });
  assert.equal(await get.text(), "A");
});

test("CORS: preflight answered without a token; exposed headers", async () => {
  const store = fresh();
  const app = artifactStoreApp(store, {
    tokens: [TOKEN],
    cors: { origin: ["https://app.example"] },
  });
  const pre = await app.request("/files/a.txt", {
    method: "OPTIONS",
    headers: {
      origin: "https://app.example",
      "access-control-request-method": "PUT",
      "access-control-request-headers": "authorization, content-type",
    },
  });
  assert.equal(pre.status, 204);
  assert.equal(
    pre.headers.get("access-control-allow-origin"),
    "https://app.example",
  );
  assert.match(pre.headers.get("access-control-allow-methods")!, /PUT/);
  const get = await app.request("/list/", {
    headers: { ...AUTH, origin: "https://app.example" },
  });
  assert.equal(
    get.headers.get("access-control-allow-origin"),
    "https://app.example",
  );
  assert.match(get.headers.get("access-control-expose-headers")!, /ETag/i);
  await get.body?.cancel();
});

test("redirect: GET answers 302 to a presigned URL where the store can presign", async () => {
  class Presigning extends MemoryArtifactStore {
    override get capabilities() {
      return { ...super.capabilities, presign: true };
    }
    override presign(path: string, o: PresignOptions = {}): Promise<string> {
      return Promise.resolve(
        `https://signed.example/${encodeURIComponent(path)}?exp=${o.expiresIn}`,
      );
    }
  }
  const store = new Presigning({ path: `memory://hono-presign-${Date.now()}` });
  const app = artifactStoreApp(store, {
    tokens: [TOKEN],
    redirect: { expiresIn: 60 },
  });
  const res = await app.request("/files/a/b.txt", { headers: AUTH });
  assert.equal(res.status, 302);
  assert.equal(
    res.headers.get("location"),
    `https://signed.example/${encodeURIComponent(`${store.path}/a/b.txt`)}?exp=60`,
  );
  // A store without the capability streams as usual.
  const plain = artifactStoreApp(fresh(), { tokens: [TOKEN], redirect: true });
  const r2 = await plain.request("/files/a.txt", { headers: AUTH });
  assert.equal(r2.status, 404);
  await r2.body?.cancel();
});

test("unexpected errors: 500 with a generic message, reported to onError", async () => {
  class Broken extends MemoryArtifactStore {
    override stat(): never {
      throw new TypeError("secret internal detail");
    }
  }
  const reported: unknown[] = [];
  const app = artifactStoreApp(
    new Broken({ path: `memory://hono-broken-${Date.now()}` }),
    { tokens: [TOKEN], onError: (e) => reported.push(e) },
  );
  const res = await app.request("/stat/x", { headers: AUTH });
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.doesNotMatch(text, /secret internal detail|TypeError|at /);
  assert.equal(JSON.parse(text).error.code, "Unknown");
  assert.equal(reported.length, 1);
});

test("binding rules: no auth needs a loopback hostname or allowAnonymous", () => {
  const store = fresh();
  assert.throws(() => artifactStoreApp(store), ConfigError);
  assert.throws(
    () => artifactStoreApp(store, { hostname: "0.0.0.0" }),
    (e: Error) => e instanceof ConfigError && /0\.0\.0\.0/.test(e.message),
  );
  assert.throws(() => artifactStoreApp(store, { hostname: "::" }), ConfigError);
  assert.throws(
    () => artifactStoreApp(store, { hostname: "192.168.1.5" }),
    ConfigError,
  );
  artifactStoreApp(store, { hostname: "127.0.0.1" });
  artifactStoreApp(store, { hostname: "localhost" });
  artifactStoreApp(store, { hostname: "::1" });
  artifactStoreApp(store, { hostname: "0.0.0.0", tokens: ["t"] });
  artifactStoreApp(store, { hostname: "0.0.0.0", authorize: () => true });
  artifactStoreApp(store, { hostname: "0.0.0.0", allowAnonymous: true });
  assert.throws(() => artifactStoreApp(store, { tokens: [""] }), ConfigError);
});

test("DNS-rebinding guard: on a loopback bind, non-loopback Host names get 403", async () => {
  const store = fresh();
  const app = artifactStoreApp(store, {
    hostname: "127.0.0.1",
    allowedHosts: ["proxy.internal"],
  });
  const status = async (url: string, host?: string) => {
    const res = await app.request(url, {
      headers: host ? { host } : undefined,
    });
    await res.body?.cancel();
    return res.status;
  };
  assert.equal(await status("http://127.0.0.1:8000/list/"), 200);
  assert.equal(await status("http://localhost:8000/list/"), 200);
  assert.equal(await status("http://[::1]:8000/list/"), 200);
  assert.equal(await status("http://proxy.internal/list/"), 200);
  assert.equal(await status("http://evil.example:8000/list/"), 403);
  assert.equal(await status("http://127.0.0.1.nip.io/list/"), 403);
  assert.equal(
    await status("http://127.0.0.1:8000/list/", "attacker.example:8000"),
    403,
  );
  const res = await app.request("http://rebind.example/files/x", {
    method: "PUT",
    body: "x",
  });
  assert.equal(res.status, 403);
  assert.equal((await errorOf(res)).code, "PermissionDenied");
  assert.equal(await store.exists(`${store.path}/x`), false);
});

test("isLoopbackHost", () => {
  for (
    const h of [
      "localhost",
      "LOCALHOST:80",
      "app.localhost",
      "127.0.0.1",
      "127.1.2.3:9",
      "[::1]:8000",
      "::1",
      "[::ffff:127.0.0.1]",
    ]
  ) assert.ok(isLoopbackHost(h), h);
  for (
    const h of [
      "evil.example",
      "localhost.evil.example",
      "127.0.0.1.evil",
      "128.0.0.1",
      "0.0.0.0",
      "[::]",
      "127.0.0.256",
      "",
    ]
  ) assert.ok(!isLoopbackHost(h), h);
});
