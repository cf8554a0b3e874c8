// multipart/mixed batches (src/http/batch.ts): a built body parsed back, answers shaped as
// GCS's JSON batch endpoint and Azure's Blob Batch document them, and malformed answers;
// then the per-flavor readings of the parts (GCS per key, Azure's failures).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ArtifactStoreError } from "../../mod.ts";
import {
  batchBoundary,
  buildBatchBody,
  multipartBoundary,
  parseBatchBody,
  parseBatchResponse,
} from "../../src/http/mod.ts";
import { batchResults } from "../../flavors/gcs/batch.ts";
import { batchFailures } from "../../flavors/azure/batch.ts";

const ctx = { flavor: "test", op: "delete 2 objects in", path: "test://b" };

/** Reads an answer's body and parses it, as the flavors do inside `sendAndRead`. */
const parse = async (res: Response) => parseBatchResponse(await res.text(), res, ctx);

function answer(body: string, contentType: string | null, status = 200): Response {
  const headers = new Headers();
  if (contentType !== null) headers.set("content-type", contentType);
  return new Response(body, { status, headers });
}

test("build → parse: each sub-request comes back as a part with its id, method and headers", () => {
  const boundary = batchBoundary("batch_t");
  assert.match(boundary, /^batch_t_[0-9a-f-]{36}$/);
  const body = buildBatchBody([
    { method: "DELETE", target: "/c/a%20b", contentId: "0", headers: { "x-ms-date": "now" } },
    { method: "PATCH", target: "/o/k?x=1", contentId: "<item2>", body: '{"a":1}' },
  ], boundary);
  assert.equal(
    body,
    `--${boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n` +
      `Content-ID: 0\r\n\r\nDELETE /c/a%20b HTTP/1.1\r\nx-ms-date: now\r\n\r\n\r\n` +
      `--${boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n` +
      `Content-ID: <item2>\r\n\r\nPATCH /o/k?x=1 HTTP/1.1\r\n\r\n{"a":1}\r\n--${boundary}--\r\n`,
  );
  // A service's answer has the same framing, with status lines for request lines.
  const echoed = body.replace(/DELETE \S+ HTTP\/1\.1/, "HTTP/1.1 202 Accepted")
    .replace(/PATCH \S+ HTTP\/1\.1/, "HTTP/1.1 200 OK");
  const parts = parseBatchBody(echoed, boundary);
  assert.deepEqual(
    parts.map((p) => [p.contentId, p.status, p.statusText, p.body]),
    [["0", 202, "Accepted", ""], ["item2", 200, "OK", '{"a":1}']],
  );
  assert.equal(parts[0].headers.get("x-ms-date"), "now");
});

test("GCS's documented batch answer: unquoted boundary with '=', LF line ends, JSON bodies", async () => {
  const b = "batch_pK7JBAk73-E=_AA5eFwv4m2Q=";
  const text = [
    `--${b}`,
    "Content-Type: application/http",
    "Content-ID: <response-item1>",
    "",
    "HTTP/1.1 200 OK",
    'ETag: "lGaP-E0memYDumK16YuUDM_6Gf0/V43j6azD55CPRGb9b6uytDYl61Y"',
    "Content-Type: application/json; charset=UTF-8",
    "Content-Length: 32",
    "",
    "{",
    ' "kind": "storage#object"',
    "}",
    "",
    `--${b}`,
    "Content-Type: application/http",
    "Content-ID: <response-item2>",
    "",
    "HTTP/1.1 404 Not Found",
    "Content-Type: application/json; charset=UTF-8",
    "",
    '{"error":{"code":404,"message":"No such object: b/k2"}}',
    "",
    `--${b}--`,
    "",
  ].join("\n");
  const parts = await parse(answer(text, `multipart/mixed; boundary=${b}`));
  assert.deepEqual(parts.map((p) => [p.contentId, p.status]), [
    ["response-item1", 200],
    ["response-item2", 404],
  ]);
  assert.equal(parts[0].headers.get("content-type"), "application/json; charset=UTF-8");
  assert.equal(parts[0].body.trim(), '{\n "kind": "storage#object"\n}');
  assert.deepEqual(
    batchResults(parts, ["k1", "k2", "k3"]).map((r) => [r.key, r.status]),
    [["k1", 200], ["k2", 404], ["k3", 503]],
  );
});

test("Azure's documented Blob Batch answer: 202s, a 404 with an XML body, CRLF", async () => {
  const b = "batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed";
  const part = (id: number, head: string, body = "") =>
    `--${b}\r\nContent-Type: application/http\r\nContent-ID: ${id}\r\n\r\n${head}\r\n\r\n${body}`;
  const text = part(0, "HTTP/1.1 202 Accepted\r\nx-ms-delete-type-permanent: true") + "\r\n" +
    part(1, "HTTP/1.1 202 Accepted\r\nx-ms-version: 2018-11-09") + "\r\n" +
    part(
      2,
      "HTTP/1.1 404 The specified blob does not exist.\r\nx-ms-error-code: BlobNotFound\r\n" +
        "Content-Type: application/xml",
      '<?xml version="1.0" encoding="utf-8"?>\r\n<Error><Code>BlobNotFound</Code></Error>',
    ) + "\r\n" +
    part(3, "HTTP/1.1 403 Forbidden\r\nx-ms-error-code: AuthorizationPermissionMismatch") +
    `\r\n--${b}--`;
  const parts = await parse(answer(text, `multipart/mixed; boundary=${b}`, 202));
  assert.deepEqual(parts.map((p) => [p.contentId, p.status]), [
    ["0", 202],
    ["1", 202],
    ["2", 404],
    ["3", 403],
  ]);
  assert.equal(parts[2].statusText, "The specified blob does not exist.");
  assert.equal(parts[2].headers.get("x-ms-error-code"), "BlobNotFound");
  assert.match(parts[2].body, /^<\?xml[^]*<\/Error>$/);
  // A missing blob is no failure; the 403 is, and so is the blob the answer left out.
  assert.deepEqual(batchFailures(parts, ["a", "b", "c", "d", "e"]), [
    { key: "d", status: 403, code: "AuthorizationPermissionMismatch" },
    { key: "e", status: 500, code: "MissingSubResponse" },
  ]);
});

test("quoted boundary, preamble and epilogue, folded headers, a missing close delimiter", () => {
  assert.equal(multipartBoundary('multipart/mixed; charset=x; boundary="b c"'), "b c");
  assert.equal(multipartBoundary("Multipart/Mixed;boundary=abc"), "abc");
  assert.equal(multipartBoundary("multipart/mixed"), undefined);
  assert.equal(multipartBoundary("text/html; boundary=abc"), undefined);
  assert.equal(multipartBoundary(null), undefined);
  const text = "This is a preamble --b c not a delimiter\r\n" +
    "--b c\r\nContent-ID: <x>\r\n\r\nHTTP/1.1 204 No Content\r\nX-Long: one\r\n two\r\n\r\n" +
    "\r\n--b c--\r\nepilogue\r\n--b c\r\nContent-ID: <y>\r\n\r\nHTTP/1.1 500 Nope\r\n\r\n";
  const parts = parseBatchBody(text, "b c");
  assert.equal(parts.length, 1);
  assert.equal(parts[0].headers.get("x-long"), "one two");
  // No closing delimiter: the last part ends with the text.
  const cut = parseBatchBody("--z\n\nHTTP/1.1 200 OK\n\nbody", "z");
  assert.deepEqual(cut.map((p) => [p.status, p.body]), [[200, "body"]]);
  // Empty parts and parts without a status line are left out.
  const odd = parseBatchBody("--z\r\n--z\r\nContent-ID: 1\r\n\r\ngarbage\r\n--z--", "z");
  assert.deepEqual(odd, []);
});

test("malformed answers: not multipart is a retryable typed error; no parts is no results", async () => {
  for (const ct of ["application/json", null, "multipart/mixed"]) {
    await assert.rejects(
      parse(answer('{"error":"oops"}', ct)),
      (err: unknown) => {
        assert.ok(err instanceof ArtifactStoreError);
        assert.equal(err.retryable, true);
        assert.equal(err.flavor, "test");
        assert.match(err.message, /^Cannot delete 2 objects in 'test:\/\/b': .*not multipart/);
        return true;
      },
    );
  }
  const none = await parse(answer("<html>busy</html>", "multipart/mixed; boundary=q"));
  assert.deepEqual(none, []);
  // …which the flavors count as unanswered: tried again one by one.
  assert.deepEqual(batchResults(none, ["k"]), [{ key: "k", status: 503, body: "" }]);
  assert.deepEqual(batchFailures(none, ["k"]), [
    { key: "k", status: 500, code: "MissingSubResponse" },
  ]);
});
