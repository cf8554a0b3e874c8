// GNU cp and mv as the oracle for the CLI's argument rules. For each case, the same tree is
// made twice; GNU (/usr/bin/cp, /usr/bin/mv) runs in one copy, `stowage` (in-process through
// main(), its working directory set to the other copy) in the other; the resulting trees
// (names, kinds and bytes) must be equal, and both must succeed or both fail.
//
// One deliberate difference: stowage's cp and mv refuse to replace an existing file without
// -f, where GNU replaces it by default. The cases that overwrite pass -f to stowage only
// (`stowageArgs`) and compare with plain GNU cp/mv.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { main } from "../../src/cli/mod.ts";
import { testTmp } from "../_env.ts";

/** A tree: path → file contents, or null for a directory. */
type Tree = Record<string, string | null>;

const BASE: Tree = {
  "a.txt": "alpha\n",
  "b.txt": "bravo, longer\n",
  "c.txt": "charlie\n",
  "dir": null,
  "dir/x.txt": "x in dir\n",
  "dir/sub": null,
  "dir/sub/y.txt": "y deeper\n",
  "dir/empty": null,
  "dest": null,
  "dest/old.txt": "already there\n",
};

interface Case {
  /** GNU's command and arguments. */
  gnu: ["cp" | "mv", ...string[]];
  /** Stowage's arguments when they differ (-f where GNU overwrites by default). */
  stowageArgs?: string[];
  /** Extra files for this case. */
  extra?: Tree;
}

const CASES: Case[] = [
  // one source
  { gnu: ["cp", "a.txt", "new.txt"] },
  { gnu: ["cp", "a.txt", "b.txt"], stowageArgs: ["cp", "-f", "a.txt", "b.txt"] },
  { gnu: ["cp", "a.txt", "dest"] },
  { gnu: ["cp", "a.txt", "dest/"] },
  { gnu: ["cp", "a.txt", "./dest/renamed.txt"] },
  { gnu: ["cp", "a.txt", "missing/"] },
  { gnu: ["cp", "a.txt", "missing/x.txt"] },
  { gnu: ["cp", "a.txt", "b.txt/"] },
  { gnu: ["cp", "a.txt", "a.txt"] },
  { gnu: ["cp", "dir/sub/y.txt", "../" + "OUT/y.txt"] }, // climbs out of the tree: refused by both
  // several sources
  { gnu: ["cp", "a.txt", "b.txt", "dest"] },
  { gnu: ["cp", "a.txt", "b.txt", "dest/"] },
  { gnu: ["cp", "a.txt", "b.txt", "c.txt"] },
  { gnu: ["cp", "a.txt", "b.txt", "missing"] },
  { gnu: ["cp", "a.txt", "b.txt", "missing/"] },
  { gnu: ["cp", "-f", "a.txt", "b.txt", "c.txt"] },
  // directories
  { gnu: ["cp", "dir", "newdir"] },
  { gnu: ["cp", "a.txt", "dir", "b.txt", "dest"] },
  { gnu: ["cp", "-r", "dir", "newdir"] },
  { gnu: ["cp", "-r", "dir", "dest"] },
  { gnu: ["cp", "-r", "dir", "newdir/"] },
  { gnu: ["cp", "-r", "dir", "missing/deeper"] },
  { gnu: ["cp", "-r", "dir", "a.txt", "dest"] },
  { gnu: ["cp", "-r", "dir", "a.txt"] },
  // mv
  { gnu: ["mv", "a.txt", "new.txt"] },
  { gnu: ["mv", "a.txt", "b.txt"], stowageArgs: ["mv", "-f", "a.txt", "b.txt"] },
  { gnu: ["mv", "a.txt", "dest"] },
  { gnu: ["mv", "a.txt", "dest/"] },
  { gnu: ["mv", "a.txt", "missing/"] },
  { gnu: ["mv", "b.txt", "c.txt", "dest/"] },
  { gnu: ["mv", "b.txt", "c.txt", "a.txt"] },
  { gnu: ["mv", "b.txt", "c.txt", "missing/"] },
  { gnu: ["mv", "dir", "moved"] },
  { gnu: ["mv", "dir", "dest"] },
  { gnu: ["mv", "dir", "a.txt", "dest"] },
  { gnu: ["mv", "dir", "dir/sub"] },
  { gnu: ["mv", "missing.txt", "dest"] },
];

function make(root: string, tree: Tree): void {
  for (const [p, v] of Object.entries(tree)) {
    if (v === null) mkdirSync(`${root}/${p}`, { recursive: true });
    else {
      mkdirSync(`${root}/${p}`.replace(/\/[^/]*$/, ""), { recursive: true });
      writeFileSync(`${root}/${p}`, v);
    }
  }
}

/** The tree under `root`: relative path → contents, or `<dir>`. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(`${root}/${rel}`).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      if (statSync(`${root}/${p}`).isDirectory()) {
        out[p] = "<dir>";
        walk(p);
      } else out[p] = readFileSync(`${root}/${p}`, "utf8");
    }
  };
  walk("");
  return out;
}

const gnuThere = existsSync("/usr/bin/cp") && existsSync("/usr/bin/mv");

test("cli: cp and mv argument rules agree with GNU cp/mv", {
  skip: gnuThere ? undefined : "GNU cp/mv not at /usr/bin",
}, async () => {
  const tmp = mkdtempSync(`${testTmp() ?? tmpdir()}/stowage-gnu-`);
  const home = `${tmp}/home`;
  const disagreements: string[] = [];
  let n = 0;
  for (const c of CASES) {
    n++;
    // Each side gets its own parent so that '../OUT' lands in a place both can be checked.
    const gnuRoot = `${tmp}/${n}-gnu/tree`;
    const ourRoot = `${tmp}/${n}-stowage/tree`;
    for (const r of [gnuRoot, ourRoot]) make(r, { ...BASE, ...(c.extra ?? {}) });
    const [cmd, ...args] = c.gnu;
    const gnu = spawnSync(`/usr/bin/${cmd}`, args, { cwd: gnuRoot, encoding: "utf8" });
    const err: string[] = [];
    const code = await main(c.stowageArgs ?? c.gnu, {
      out: () => {},
      err: (l) => err.push(l),
      errRaw: () => {},
      stdout: () => new WritableStream(),
      stdin: () => new ReadableStream({ start: (ctl) => ctl.close() }),
      isTTY: false,
      env: (k) => ({ STOWAGE_HOME: home, HOME: home } as Record<string, string>)[k],
      cwd: () => ourRoot,
    });
    const label = `${c.gnu.join(" ")}${
      c.stowageArgs ? ` (stowage ${c.stowageArgs.join(" ")})` : ""
    }`;
    if ((gnu.status === 0) !== (code === 0)) {
      disagreements.push(
        `${label}: GNU exit ${gnu.status} (${gnu.stderr.trim()}), stowage exit ${code} (${
          err.join(" | ")
        })`,
      );
      continue;
    }
    for (
      const [what, a, b] of [["tree", gnuRoot, ourRoot], [
        "parent",
        `${gnuRoot}/..`,
        `${ourRoot}/..`,
      ]]
    ) {
      const want = snapshot(a);
      const got = snapshot(b);
      if (what === "parent") {
        // The parents differ only in their own name for the tree; compare what lies beside it.
        for (const s of [want, got]) {
          for (const k of Object.keys(s)) if (k === "tree" || k.startsWith("tree/")) delete s[k];
        }
      }
      try {
        assert.deepEqual(got, want);
      } catch {
        disagreements.push(
          `${label}: ${what} differs\n  GNU:     ${JSON.stringify(want)}\n  stowage: ${
            JSON.stringify(got)
          }`,
        );
      }
    }
  }
  assert.deepEqual(disagreements, [], disagreements.join("\n"));
});
