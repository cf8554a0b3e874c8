// Security of the adapter over a real socket (the runtime's own server): every
// path-traversal form, tokens, read-only mode, the bind rule, the DNS-rebinding
// guard, and interrupted uploads leaving nothing behind. Raw requests go through
// node:net so that the request targets reach the server exactly as written.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { ConfigError, LocalArtifactStore } from "../../mod.ts";
import { artifactStoreApp } from "../../src/hono/mod.ts";
import { testTmp } from "../_env.ts";
import { serveOnRuntime } from "./_serve.ts";
import { abandonUpload, rawRequest } from "./_raw.ts";

const TOKEN = `sec-${crypto.randomUUID()}`;
const base = mkdtempSync(`${testTmp() ?? tmpdir()}/stowage-sec-`);
const rootDir = `${base}/root`;
mkdirSync(rootDir);
mkdirSync(`${base}/root-sibling`);
writeFileSync(`${base}/secret.txt`, "TOP-SECRET");
writeFileSync(`${base}/root-sibling/s.txt`, "SIBLING-SECRET");
writeFileSync(`${rootDir}/inside.txt`, "in");
mkdirSync(`${rootDir}/a`);

const store = new LocalArtifactStore({ path: rootDir });
const server = await serveOnRuntime(
  artifactStoreApp(store, { tokens: [TOKEN], hostname: "127.0.0.1" }).fetch,
);
const readOnlyServer = await serveOnRuntime(
  artifactStoreApp(store, {
    tokens: [TOKEN],
    hostname: "127.0.0.1",
    readOnly: true,
  }).fetch,
);
const port = server.port;
const host = `127.0.0.1:${port}`;

function req(
  method: string,
  target: string,
  opts: { token?: string | null; body?: string; host?: string; p?: number } = {},
) {
  const token = opts.token === undefined ? TOKEN : opts.token;
  const lines = [
    `${method} ${target} HTTP/1.1`,
    `Host: ${opts.host ?? host}`,
    "Connection: close",
  ];
  if (token !== null) lines.push(`Authorization: Bearer ${token}`);
  if (opts.body !== undefined) {
    lines.push(`Content-Length: ${new TextEncoder().encode(opts.body).length}`);
    lines.push("Content-Type: application/json");
  }
  return rawRequest(
    opts.p ?? port,
    lines.join("\r\n") + "\r\n\r\n" + (opts.body ?? ""),
  );
}

/** Every way of writing "one level up" (and absolute paths) we know of. */
function escapes(name: string): string[] {
  const abs = `${base}/${name}`;
  return [
    `../${name}`,
    `../../${name}`,
    `a/../../${name}`,
    `%2e%2e/${name}`,
    `%2E%2E/${name}`,
    `.%2e/${name}`,
    `%2e./${name}`,
    `..%2f${name}`,
    `..%2F${name}`,
    `a%2f..%2f..%2f${name}`,
    `%2e%2e%2f${name}`,
    `..%5c${name}`,
    `..%5C${name}`,
    `a%5c..%5c..%5c${name}`,
    `..\\${name}`,
    `%c0%ae%c0%ae/${name}`,
    `..%00/${name}`,
    encodeURIComponent(abs),
    `/${abs.slice(1)}`,
    `%2F${abs.slice(1).split("/").map(encodeURIComponent).join("%2F")}`,
    `%5C${abs.slice(1).split("/").map(encodeURIComponent).join("%5C")}`,
    `file:%2F%2F${encodeURIComponent(abs)}`,
    `${encodeURIComponent("file://")}${encodeURIComponent(abs)}`,
    `../root-sibling/s.txt`,
    `..%2froot-sibling%2fs.txt`,
  ];
}

/**
 * Double-encoded forms: decoded once they are literal names inside the root
 * (`%2e%2e` is a name, not `..`), so they may be written — but only there.
 */
function literals(name: string): [form: string, rel: string][] {
  return [
    [`%252e%252e/${name}`, `%2e%2e/${name}`],
    [`%252e%252e%252f${name}`, `%2e%2e%2f${name}`],
    [`..%252f${name}`, `..%2f${name}`],
    [`%25252e%25252e%25252f${name}`, `%252e%252e%252f${name}`],
  ];
}

const SECRETS = /TOP-SECRET|SIBLING-SECRET/;

test("traversal: GET /files never reads outside the root", async () => {
  for (const form of escapes("secret.txt")) {
    const res = await req("GET", `/files/${form}`);
    assert.ok(
      res.status === 400 || res.status === 404,
      `GET /files/${form} → ${res.status} ${res.body}`,
    );
    assert.doesNotMatch(res.body, SECRETS, `GET /files/${form}`);
  }
  for (const [form] of literals("secret.txt")) {
    const res = await req("GET", `/files/${form}`);
    assert.equal(res.status, 404, `GET /files/${form}: ${res.body}`);
    assert.doesNotMatch(res.body, SECRETS);
  }
  // Paths that climb out and back in stay usable.
  const ok = await req("GET", "/files/a/../inside.txt");
  assert.equal(ok.status, 200);
  // (Bun.serve streams bodies chunked: "2\r\nin\r\n0\r\n\r\n".)
  assert.match(ok.body, /^in$|^2\r\nin\r\n/);
});

test("traversal: HEAD, /stat, /exists, /list, /walk, /glob never describe the outside", async () => {
  for (const form of escapes("secret.txt")) {
    for (
      const [method, target] of [
        ["HEAD", `/files/${form}`],
        ["GET", `/stat/${form}`],
        ["GET", `/exists/${form}`],
      ]
    ) {
      const res = await req(method, target);
      assert.ok(
        res.status === 400 || res.status === 404,
        `${method} ${target} → ${res.status} ${res.body}`,
      );
      assert.doesNotMatch(res.body, /"size":10|"exists":true/, target);
    }
  }
  for (const dir of ["..", "%2e%2e", "..%2f", "a%2f..%2f..", "..%5c", "%2F"]) {
    for (const route of ["list", "walk"]) {
      const res = await req("GET", `/${route}/${dir}`);
      assert.ok(
        res.status === 400 || res.status === 404,
        `/${route}/${dir} → ${res.status} ${res.body}`,
      );
      assert.doesNotMatch(res.body, /secret|root-sibling/, `/${route}/${dir}`);
    }
  }
  for (const pattern of ["../*", "../**", "a/../../*", "/*", "..\\*"]) {
    const res = await req(
      "GET",
      `/glob?pattern=${encodeURIComponent(pattern)}`,
    );
    assert.equal(res.status, 400, `glob ${pattern}: ${res.body}`);
    assert.doesNotMatch(res.body, /secret\.txt/);
  }
});

test("traversal: PUT, DELETE, POST /mkdir never write outside the root", async () => {
  const before = readdirSync(base).sort();
  for (const form of escapes("secret.txt")) {
    const put = await rawRequest(
      port,
      `PUT /files/${form} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n` +
        `Authorization: Bearer ${TOKEN}\r\nContent-Length: 5\r\n\r\npwned`,
    );
    assert.ok(
      put.status === 400 || put.status === 404,
      `PUT /files/${form} → ${put.status} ${put.body}`,
    );
    const del = await req("DELETE", `/files/${form}?recursive=true`);
    assert.ok(
      del.status === 400 || del.status === 404,
      `DELETE /files/${form} → ${del.status} ${del.body}`,
    );
    const mk = await req("POST", `/mkdir/${form}-dir?parents=true`);
    assert.ok(
      mk.status === 400 || mk.status === 404,
      `POST /mkdir/${form}-dir → ${mk.status} ${mk.body}`,
    );
  }
  // Double-encoded names are decoded once: literal names, inside the root.
  for (const [form, rel] of literals("lit.txt")) {
    const put = await rawRequest(
      port,
      `PUT /files/${form} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n` +
        `Authorization: Bearer ${TOKEN}\r\nContent-Length: 3\r\n\r\nlit`,
    );
    assert.equal(put.status, 201, `PUT /files/${form}: ${put.body}`);
    assert.equal(readFileSync(`${rootDir}/${rel}`, "utf8"), "lit", rel);
  }
  assert.equal(readFileSync(`${base}/secret.txt`, "utf8"), "TOP-SECRET");
  assert.equal(
    readFileSync(`${base}/root-sibling/s.txt`, "utf8"),
    "SIBLING-SECRET",
  );
  assert.deepEqual(readdirSync(base).sort(), before);
});

test("traversal: POST /copy and /rename refuse sources and destinations outside", async () => {
  const abs = `${base}/secret.txt`;
  const bodies = [
    { src: "../secret.txt", dst: "stolen.txt" },
    { src: "a/../../secret.txt", dst: "stolen.txt" },
    { src: "..\\secret.txt", dst: "stolen.txt" },
    { src: abs, dst: "stolen.txt" },
    { src: `file://${abs}`, dst: "stolen.txt" },
    { src: "../root-sibling/s.txt", dst: "stolen.txt" },
    { src: "inside.txt", dst: "../pwned.txt" },
    { src: "inside.txt", dst: `${base}/pwned.txt` },
    { src: "inside.txt", dst: "a/../../pwned.txt" },
  ];
  for (const route of ["copy", "rename"]) {
    for (const b of bodies) {
      const res = await req("POST", `/${route}`, { body: JSON.stringify(b) });
      assert.equal(
        res.status,
        400,
        `${route} ${JSON.stringify(b)}: ${res.body}`,
      );
      assert.match(res.body, /"InvalidPath"/);
    }
  }
  assert.equal(existsSync(`${rootDir}/stolen.txt`), false);
  assert.equal(existsSync(`${base}/pwned.txt`), false);
  assert.equal(readFileSync(`${rootDir}/inside.txt`, "utf8"), "in");
});

test("tokens over the socket: missing or wrong → 401, right → 200", async () => {
  const none = await req("GET", "/list/", { token: null });
  assert.equal(none.status, 401);
  assert.match(none.headers["www-authenticate"] ?? "", /^Bearer/);
  assert.match(none.body, /"Unauthenticated"/);
  const wrong = await req("GET", "/list/", { token: "nope" });
  assert.equal(wrong.status, 401);
  const near = await req("GET", "/list/", { token: TOKEN.slice(0, -1) });
  assert.equal(near.status, 401);
  const put = await rawRequest(
    port,
    `PUT /files/x.txt HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx`,
  );
  assert.equal(put.status, 401);
  assert.equal(existsSync(`${rootDir}/x.txt`), false);
  const ok = await req("GET", "/list/");
  assert.equal(ok.status, 200);
});

test("read-only server: reads work, writes are 403", async () => {
  const p = readOnlyServer.port;
  const h = `127.0.0.1:${p}`;
  const ok = await req("GET", "/files/inside.txt", { p, host: h });
  assert.equal(ok.status, 200);
  const put = await rawRequest(
    p,
    `PUT /files/new.txt HTTP/1.1\r\nHost: ${h}\r\nConnection: close\r\n` +
      `Authorization: Bearer ${TOKEN}\r\nContent-Length: 3\r\n\r\nnew`,
  );
  assert.equal(put.status, 403);
  assert.match(put.body, /"PermissionDenied"/);
  const del = await req("DELETE", "/files/inside.txt", { p, host: h });
  assert.equal(del.status, 403);
  const mv = await req("POST", "/rename", {
    p,
    host: h,
    body: '{"src":"inside.txt","dst":"moved.txt"}',
  });
  assert.equal(mv.status, 403);
  assert.equal(existsSync(`${rootDir}/new.txt`), false);
  assert.equal(readFileSync(`${rootDir}/inside.txt`, "utf8"), "in");
});

test("a non-loopback bind without auth is refused", () => {
  for (const hostname of ["0.0.0.0", "::", "10.0.0.7", "example.com"]) {
    assert.throws(
      () => artifactStoreApp(store, { hostname }),
      ConfigError,
      hostname,
    );
  }
  assert.throws(() => artifactStoreApp(store), ConfigError);
});

test("DNS rebinding: a non-loopback Host on a loopback bind gets 403", async () => {
  for (
    const h of [
      "evil.example",
      `evil.example:${port}`,
      "127.0.0.1.evil.example",
    ]
  ) {
    const res = await req("GET", "/files/inside.txt", { host: h });
    assert.equal(res.status, 403, h);
    assert.doesNotMatch(res.body, /^in$/m);
  }
  // An absolute-form request target naming the host as well.
  const abs = await req("GET", "http://evil.example/files/inside.txt", {
    host: "evil.example",
  });
  assert.ok(abs.status === 403 || abs.status === 400, String(abs.status));
  for (const h of [`localhost:${port}`, host, `[::1]:${port}`]) {
    const res = await req("GET", "/files/inside.txt", { host: h });
    assert.equal(res.status, 200, h);
  }
});

function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith(".stowage-"));
}

async function eventually(check: () => boolean, what: string) {
  for (let i = 0; i < 60; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(what);
}

test("an upload cut short (Content-Length) leaves nothing behind", async () => {
  mkdirSync(`${rootDir}/cut`, { recursive: true });
  await abandonUpload(
    port,
    `PUT /files/cut/partial.bin HTTP/1.1\r\nHost: ${host}\r\n` +
      `Authorization: Bearer ${TOKEN}\r\nContent-Length: 1000000\r\n\r\n`,
    new Uint8Array(300_000).fill(7),
  );
  await eventually(
    () => leftovers(`${rootDir}/cut`).length === 0,
    `temporary files left: ${leftovers(`${rootDir}/cut`)}`,
  );
  assert.equal(existsSync(`${rootDir}/cut/partial.bin`), false);
});

test("a chunked upload cut short leaves nothing behind", async () => {
  mkdirSync(`${rootDir}/cut2`, { recursive: true });
  const chunk = new Uint8Array(100_000).fill(9);
  const framed = new Uint8Array([
    ...new TextEncoder().encode(`${chunk.length.toString(16)}\r\n`),
    ...chunk,
    ...new TextEncoder().encode("\r\n"),
  ]);
  await abandonUpload(
    port,
    `PUT /files/cut2/partial.bin HTTP/1.1\r\nHost: ${host}\r\n` +
      `Authorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n`,
    framed,
  );
  await eventually(
    () => leftovers(`${rootDir}/cut2`).length === 0,
    `temporary files left: ${leftovers(`${rootDir}/cut2`)}`,
  );
  assert.equal(existsSync(`${rootDir}/cut2/partial.bin`), false);
});

test("security: stop the servers", async () => {
  await server.close();
  await readOnlyServer.close();
});
