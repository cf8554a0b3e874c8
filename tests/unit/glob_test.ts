import { test } from "node:test";
import assert from "node:assert/strict";
import { compileGlob, hasMagic, literalPrefix, matchGlob, mayMatchBelow } from "../../src/glob.ts";

const m = (p: string, k: string) => matchGlob(compileGlob(p), k);

test("glob: single-segment wildcards", () => {
  assert.ok(m("*.txt", "a.txt"));
  assert.ok(m("*.txt", ".hidden.txt"));
  assert.ok(!m("*.txt", "d/a.txt"));
  assert.ok(m("?.txt", "é.txt"));
  assert.ok(m("?.txt", "😀.txt"));
  assert.ok(!m("?.txt", "ab.txt"));
  assert.ok(m("[abc].bin", "b.bin") && !m("[abc].bin", "d.bin"));
  assert.ok(m("[a-c]x", "bx") && !m("[a-c]x", "dx"));
  assert.ok(m("[!a]x", "bx") && !m("[!a]x", "ax"));
  assert.ok(m("[^a]x", "bx"));
  assert.ok(m("[]]x", "]x"));
  assert.ok(m("a[b", "a[b"), "an unclosed bracket is literal");
  assert.ok(m("a.b+(c)", "a.b+(c)"), "regex specials are literal");
  assert.ok(!m("a.b", "axb"));
});

test("glob: ** matches zero or more segments", () => {
  assert.ok(m("**/*.csv", "x.csv"));
  assert.ok(m("**/*.csv", "a/b/c/x.csv"));
  assert.ok(m("a/**/z", "a/z"));
  assert.ok(m("a/**/z", "a/b/c/z"));
  assert.ok(!m("a/**/z", "b/z"));
  assert.ok(m("a/**", "a/b/c"));
  assert.ok(m("**/**/x", "q/x"));
});

test("glob: prefixes, trailing slash and pruning", () => {
  const g = compileGlob("data/train/*.csv");
  assert.equal(g.literalDir, "data/train");
  assert.equal(literalPrefix(g), "data/train/");
  assert.equal(literalPrefix(compileGlob("data/tr*.csv")), "data/tr");
  assert.equal(literalPrefix(compileGlob("*.csv")), "");
  assert.ok(compileGlob("a/*/").dirsOnly);
  assert.ok(compileGlob("a/b").literal);
  assert.ok(mayMatchBelow(g, "data") && mayMatchBelow(g, "data/train"));
  assert.ok(!mayMatchBelow(g, "other") && !mayMatchBelow(g, "data/train/x"));
  assert.ok(mayMatchBelow(compileGlob("**/x"), "any/depth/at/all"));
  assert.ok(hasMagic("a[") && !hasMagic("plain/name"));
});
