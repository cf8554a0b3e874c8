import { test } from "node:test";
import assert from "node:assert/strict";
import { joinUri, parseRoot, resolvePath } from "../../src/path.ts";
import { compareCodePoints, sortNames } from "../../src/order.ts";
import { stripQuotes } from "../../src/uri.ts";
import { ConfigError, InvalidPathError } from "../../mod.ts";

test("paths: parseRoot normalizes URIs and local paths", () => {
  assert.deepEqual(parseRoot("s3://bucket/prefix/"), {
    uri: "s3://bucket/prefix",
    scheme: "s3",
    segments: ["bucket", "prefix"],
  });
  assert.equal(parseRoot(`"gs://b/a/./c/../d"`).uri, "gs://b/a/d");
  assert.equal(parseRoot("'/data//x/'").uri, "/data/x");
  assert.equal(parseRoot("file:///tmp/a%20b").uri, "/tmp/a b");
  assert.equal(parseRoot("C:\\ignored".replace("C:", "/c")).uri, "/c/ignored");
  assert.equal(parseRoot("/").uri, "/");
  assert.equal(parseRoot("memory://").uri, "memory://");
  assert.throws(() => parseRoot(""), ConfigError);
  assert.throws(() => parseRoot("relative/dir"), ConfigError);
  assert.throws(() => parseRoot("s3://b/../.."), ConfigError);
});

test("paths: resolvePath keeps inside the root and refuses the rest", () => {
  const root = parseRoot("s3://bucket/prefix");
  assert.equal(resolvePath(root, "s3://bucket/prefix"), "");
  assert.equal(resolvePath(root, "s3://bucket/prefix/a/b.txt"), "a/b.txt");
  assert.equal(resolvePath(root, "S3://bucket/prefix/a"), "a");
  assert.equal(resolvePath(root, "a\\b\\c"), "a/b/c");
  assert.equal(resolvePath(root, "a/./b/../c"), "a/c");
  assert.equal(resolvePath(root, "pct%20.txt"), "pct%20.txt");
  assert.equal(
    resolvePath(root, "s3://bucket/prefix/sp ace+&#?.txt"),
    "sp ace+&#?.txt",
  );
  for (
    const bad of [
      "",
      "s3://bucket/prefix/../x",
      "s3://bucket/prefix2/x",
      "s3://bucket/pre",
      "s3://other/prefix/x",
      "gs://bucket/prefix/x",
      "../x",
      "a/../../x",
      "s3://bucket/prefix\\..\\x",
      "nul\0byte",
    ]
  ) {
    assert.throws(
      () => resolvePath(root, bad),
      InvalidPathError,
      JSON.stringify(bad),
    );
  }
  assert.equal(
    resolvePath(root, "az://bucket/prefix/x", { schemes: ["az://"] }),
    "x",
  );
});

test("paths: local roots take absolute paths and file URLs", () => {
  const root = parseRoot("/srv/store");
  assert.equal(resolvePath(root, "/srv/store/a/b"), "a/b");
  assert.equal(resolvePath(root, "file:///srv/store/a"), "a");
  assert.throws(() => resolvePath(root, "/srv/storefront/a"), InvalidPathError);
  assert.throws(() => resolvePath(root, "/srv/other"), InvalidPathError);
  assert.equal(joinUri(root, "x"), "/srv/store/x");
  assert.equal(joinUri(parseRoot("/"), "x"), "/x");
  assert.equal(joinUri(parseRoot("memory://"), "x"), "memory://x");
});

test("paths: error messages say what to do", () => {
  const root = parseRoot("s3://b/p");
  const e = (() => {
    try {
      resolvePath(root, "s3://b/p/../q", { flavor: "s3" });
    } catch (err) {
      return err as InvalidPathError;
    }
  })()!;
  assert.equal(e.code, "InvalidPath");
  assert.equal(e.flavor, "s3");
  assert.match(e.message, /outside the store root 's3:\/\/b\/p'/);
  assert.equal(stripQuotes(`  'x'  `), "x");
});

test("paths: names sort by code point, not UTF-16 unit", () => {
  assert.ok(compareCodePoints("\uffff", "\u{10000}") < 0);
  assert.ok(compareCodePoints("a", "ab") < 0);
  assert.deepEqual(sortNames(["\u{1f600}", "\uff61", "z", "Z"]), [
    "Z",
    "z",
    "\uff61",
    "\u{1f600}",
  ]);
});
