// Python as the oracle nobody here wrote: over trees that fast-check generates, with names
// drawn from the characters the clouds allow, the local store's glob, listdir and walk must
// agree with Python's `glob.glob(p, recursive=True, include_hidden=True)`, `os.listdir` and
// `os.walk`, and the memory store must agree with the local one. Seeds are printed by
// fast-check on failure (re-run with the seed to reproduce).
//
// Where the rules differ, on purpose:
// - Python returns directories matched through a trailing `/` or `**` with a trailing `/`;
//   Stowage's paths never end in `/`, so Python's are compared without it.
// - Python's `glob("f/**")` yields `f/` when `f` is a file; Stowage (like bash) matches the
//   zero-level `**` only on a directory, so such Python hits are dropped.
// - Patterns here keep `[`/`]` out of their literal parts: an unclosed `[` is a literal for
//   both, but Python's fnmatch and POSIX differ on edge cases such as `[]` and `[!]`; classes
//   are exercised as whole generated classes instead.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import fc from "fast-check";
import { ALPHABET, codePointSort, treeWithPatternsArb } from "./_arbitraries.ts";
import { LocalArtifactStore, MemoryArtifactStore } from "../../mod.ts";
import { compileGlob, matchGlob } from "../../src/glob.ts";
import { testTmp } from "../_env.ts";

const PY = `
import glob, json, os, sys
req = json.load(sys.stdin)
root = req["root"]
out = {"glob": [], "walk": [], "listdir": sorted(os.listdir(root))}
for p in req["patterns"]:
    hits = glob.glob(os.path.join(root, p), recursive=True, include_hidden=True)
    # Python yields 'f/' for 'f/**' when f is a file (the zero-level match of a path that
    # is no directory); bash and Stowage do not: a hit ending in '/' must be a directory.
    hits = [h for h in hits if not h.endswith("/") or os.path.isdir(h)]
    out["glob"].append(sorted({h[:-1] if h.endswith("/") else h for h in hits}))
for d, dirs, files in os.walk(root):
    dirs.sort()
    out["walk"].append([d, dirs, sorted(files)])
print(json.dumps(out))
`;

function python(): string | null {
  const r = spawnSync("python3", [
    "-c",
    "import sys; assert sys.version_info >= (3, 11)",
  ]);
  return r.status === 0 ? null : "python3 >= 3.11 is not installed (glob's include_hidden)";
}

test("glob compiles and matches every pattern character the clouds allow", () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...ALPHABET, "*", "?", "/"), {
        minLength: 1,
        maxLength: 12,
      }),
      (chars) => {
        const pattern = chars.join("");
        const g = compileGlob(pattern); // must not throw (a `-` once made a SyntaxError)
        // A pattern with no wildcard matches exactly its own (normalized) key.
        if (!/[*?[]/.test(pattern)) {
          const key = pattern.split("/").filter(Boolean).join("/");
          assert.ok(matchGlob(g, key), `'${pattern}' should match '${key}'`);
        }
      },
    ),
    { numRuns: 500 },
  );
});

test(
  "local glob, listdir and walk agree with Python; memory agrees with local",
  {
    skip: python() ?? false,
  },
  async () => {
    const base = mkdtempSync(`${testTmp() ?? tmpdir()}/stowage-oracle-`);
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          treeWithPatternsArb(4, 8),
          async ([tree, patterns]) => {
            const root = `${base}/t${n++}`;
            const local = new LocalArtifactStore({ path: root });
            const memory = new MemoryArtifactStore({
              path: `memory://oracle-${n}-${Date.now()}`,
            });
            for (const key of tree) {
              for (const s of [local, memory]) {
                const w = (await s.open(`${s.path}/${key}`, "wb")).getWriter();
                await w.write(new TextEncoder().encode(key));
                await w.close();
              }
            }
            const r = spawnSync("python3", ["-c", PY], {
              input: JSON.stringify({ root, patterns }),
              encoding: "utf8",
            });
            assert.equal(r.status, 0, r.stderr);
            const py = JSON.parse(r.stdout) as {
              glob: string[][];
              walk: [string, string[], string[]][];
              listdir: string[];
            };
            assert.deepEqual(
              await local.listdir(root),
              codePointSort(py.listdir),
            );
            const walked: [string, string[], string[]][] = [];
            for await (const e of local.walk(root)) walked.push(e);
            // os.walk visits in the order os.scandir yields; compare as sets of entries
            // after sorting names by code point (Stowage's order).
            const norm = (w: [string, string[], string[]][]) =>
              w.map(([d, ds, fs]) => JSON.stringify([d, codePointSort(ds), codePointSort(fs)]))
                .sort();
            assert.deepEqual(norm(walked), norm(py.walk));
            for (const [i, p] of patterns.entries()) {
              const mine = await local.glob(`${root}/${p}`);
              assert.deepEqual(
                mine,
                codePointSort(py.glob[i]),
                `glob '${p}' on ${tree.join(", ")}`,
              );
              const mem = (await memory.glob(`${memory.path}/${p}`)).map((u) =>
                u.slice(memory.path.length)
              );
              assert.deepEqual(
                mem,
                mine.map((u) => u.slice(root.length)),
                `memory glob '${p}'`,
              );
            }
          },
        ),
        { numRuns: 40 },
      );
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  },
);
