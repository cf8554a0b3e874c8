// The CLI's contract across all its commands, checked over the command table itself so a new
// command cannot skip it: each has its own help (usage, options, examples) under both
// `help CMD` and `CMD --help`; a surplus argument is a usage error naming it; `--json` makes
// stdout one JSON document; `--version` is deno.json's version. Then the process-level
// behaviour: Ctrl-C during a copy (a real subprocess) and retries against a refused endpoint.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { type AddressInfo, createServer } from "node:net";
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/mod.ts";
import { commands } from "../../src/cli/commands.ts";
import { VERSION } from "../../src/cli/version.ts";
import { runtimeName, testTmp } from "../_env.ts";
import { tsxImport } from "../_deps.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

function session() {
  const home = mkdtempSync(`${testTmp() ?? tmpdir()}/stowage-contract-`);
  const env: Record<string, string> = { STOWAGE_HOME: `${home}/.stowage`, HOME: home };
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(args, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      errRaw: (t) => err.push(t),
      stdout: () => new WritableStream(),
      stdin: () => new ReadableStream({ start: (c) => c.close() }),
      isTTY: false,
      env: (n) => env[n],
      cwd: () => home,
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  return { home, run };
}

test("cli: every command has its own help: usage, every option, an example", async () => {
  const { run } = session();
  const overview = await run("--help");
  assert.equal(overview.code, 0);
  for (const c of commands()) {
    assert.match(overview.out, new RegExp(`^  ${c.name} `, "m"), `${c.name} in the overview`);
    const a = await run("help", ...c.name.split(" "));
    const b = await run(...c.name.split(" "), "--help");
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    assert.equal(a.out, b.out, `help ${c.name} and ${c.name} --help agree`);
    assert.match(a.out, new RegExp(`^Usage: stowage ${c.name}`), c.name);
    assert.ok(a.out.split("\n").length >= 8, `${c.name}: more than a line of help`);
    assert.match(a.out, /^Options:$/m);
    assert.match(a.out, /^Examples:\n {2}stowage /m, `${c.name} has an example`);
    for (const o of [...c.options, ...(c.json ? ["json"] : [])]) {
      assert.match(
        a.out,
        new RegExp(`^  (-\\w, )?--${o}\\b.*\\S`, "m"),
        `${c.name} --${o} explained`,
      );
    }
  }
  assert.equal((await run("help", "nope")).code, 2);
});

test("cli: --version prints deno.json's version", async () => {
  const { run } = session();
  const deno = JSON.parse(readFileSync(`${ROOT}/deno.json`, "utf8"));
  assert.equal(VERSION, deno.version);
  const r = await run("--version");
  assert.equal(r.code, 0);
  assert.equal(r.out, `stowage ${deno.version}`);
  assert.equal((await run("--version", "x")).code, 2);
});

test("cli: a surplus argument on any command is a usage error naming it; nothing happens", async () => {
  const { run, home } = session();
  writeFileSync(`${home}/keep.txt`, "k");
  for (const c of commands()) {
    if (c.args[1] === Infinity) continue;
    const args = Array.from({ length: c.args[1] + 1 }, (_, i) => `arg-${i}`);
    const r = await run(...c.name.split(" "), ...args);
    assert.equal(r.code, 2, `${c.name} ${args.join(" ")}: ${r.err}`);
    assert.match(r.err, new RegExp(`Unexpected argument 'arg-${c.args[1]}'`), c.name);
  }
  // cp and mv take any number of sources: the surplus there is several sources to a file.
  for (const cmd of ["cp", "mv"]) {
    const r = await run(cmd, "keep.txt", "keep.txt", "other.txt");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /Target 'other\.txt' is not a directory/);
    assert.ok(!existsSync(`${home}/other.txt`));
  }
});

test("cli: --json makes stdout one JSON document for every command that takes it", async () => {
  const { run, home } = session();
  writeFileSync(`${home}/a.txt`, "alpha");
  mkdirSync(`${home}/dir/sub`, { recursive: true });
  for (let i = 0; i < 5; i++) writeFileSync(`${home}/dir/sub/f${i}.txt`, `file ${i}`);
  const cases: [string, string[]][] = [
    ["flavor list", []],
    ["flavor register", [`${ROOT}/examples/custom_flavor.ts`]],
    ["flavor delete", ["kv"]],
    ["artifact-store register", ["js", "--flavor", "memory", "--path", "memory://cli-json"]],
    ["artifact-store list", []],
    ["artifact-store describe", ["js"]],
    ["artifact-store set-default", ["js"]],
    ["ls", ["dir"]],
    ["stat", ["a.txt"]],
    ["tree", ["dir"]],
    ["glob", ["dir/**/*.txt"]],
    ["mkdir", ["newdir"]],
    ["cp", ["-r", "dir", "js:copy"]],
    ["mv", ["js:copy", "js:moved"]],
    ["rm", ["-r", "js:moved"]],
    ["artifact-store delete", ["js"]],
  ];
  const covered = new Set(cases.map(([c]) => c));
  for (const c of commands()) {
    if (c.json) assert.ok(covered.has(c.name), `a --json case for '${c.name}'`);
  }
  for (const [name, args] of cases) {
    if (name === "artifact-store delete") await run("artifact-store", "set-default", "default");
    const r = await run(...name.split(" "), ...args, "--json");
    assert.equal(r.code, 0, `${name}: ${r.err}`);
    assert.doesNotThrow(() => JSON.parse(r.out), `${name} --json stdout: ${r.out}`);
  }
  const takesNone = commands().filter((c) => !c.json).map((c) => c.name);
  for (const name of takesNone) {
    assert.equal((await run(...name.split(" "), "--json")).code, 2, `${name} refuses --json`);
  }
});

test("cli: several sources: each failure printed once as it happens, the others go on, exit 1 (as GNU cp/mv)", async () => {
  const { home, run } = session();
  mkdirSync(`${home}/d`);
  mkdirSync(`${home}/out`);
  mkdirSync(`${home}/out2`);
  writeFileSync(`${home}/a.txt`, "a");
  writeFileSync(`${home}/b.txt`, "b");
  const cp = await run("cp", "d", "a.txt", "missing.txt", "out/");
  assert.equal(cp.code, 1, cp.err);
  assert.equal(readFileSync(`${home}/out/a.txt`, "utf8"), "a", "the good source was copied");
  const lines = cp.err.split("\n").filter(Boolean);
  assert.equal(lines.filter((l) => l.includes("'d' is a directory")).length, 1, cp.err);
  assert.equal(lines.filter((l) => l.includes("missing.txt")).length, 1, cp.err);
  assert.match(lines[lines.length - 1], /2 of 3 sources were not copied/);
  const mv = await run("mv", "nothere", "b.txt", "out2/");
  assert.equal(mv.code, 1, mv.err);
  assert.equal(readFileSync(`${home}/out2/b.txt`, "utf8"), "b");
  assert.equal(mv.err.split("\n").filter((l) => l.includes("nothere")).length, 1, mv.err);
});

function cliProcess(args: string[], env: Record<string, string>, cwd: string) {
  const rt = runtimeName();
  const [cmd, pre] = rt === "deno"
    ? [process.execPath, ["run", "-A"]]
    : rt === "bun"
    ? [process.execPath, []]
    : [process.execPath, ["--import", tsxImport()]];
  return spawn(cmd, [...pre, `${ROOT}/src/cli/mod.ts`, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

test("cli: a refused endpoint: a notice per retry naming it, then one typed line", {
  timeout: 60_000,
}, async () => {
  const { run } = session();
  // A port nothing listens on: bound, then closed (port 1 is on fetch's blocked list).
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const reg = await run(
    "artifact-store",
    "register",
    "dead",
    "--flavor",
    "s3",
    "--path",
    "s3://bucket/p",
    `--endpoint=${endpoint}`,
    "--region=us-east-1",
    "--accessKeyId=AKIAEXAMPLEEXAMPLE00",
    "--secretAccessKey=secretsecretsecretsecret",
    "--retry.maxRetries=2",
    "--retry.initialBackoffMs=1",
    "--retry.maxBackoffMs=5",
  );
  assert.equal(reg.code, 0, reg.err);
  const started = Date.now();
  const r = await run("ls", "dead:x");
  assert.equal(r.code, 1);
  assert.ok(Date.now() - started < 10_000, "the configured retries, not minutes");
  const lines = r.err.split("\n");
  const notices = lines.filter((l) => /retrying/.test(l));
  assert.ok(notices.length >= 2, r.err);
  assert.match(
    notices[0],
    new RegExp(
      `^stowage: retrying \\w+ ${endpoint} \\(attempt 2\\): cannot reach ${endpoint}: connection refused$`,
    ),
  );
  assert.ok(notices.some((l) => /attempt 3/.test(l)), r.err);
  const last = lines[lines.length - 1];
  assert.match(last, new RegExp(`^stowage: .*cannot reach ${endpoint}: connection refused`));
  assert.doesNotMatch(r.err, /^\s+at /m, "no stack trace");
});

test("cli: Ctrl-C during a local copy exits 130 and leaves no partial file", {
  timeout: 60_000,
}, async () => {
  const { home } = session();
  // A sparse 4 GiB source: reading it costs no disk, and the copy takes long enough to
  // interrupt while its staged write exists.
  const src = `${home}/big.bin`;
  const fd = openSync(src, "w");
  ftruncateSync(fd, 4 * 1024 ** 3);
  closeSync(fd);
  mkdirSync(`${home}/out`);
  const env = { STOWAGE_HOME: `${home}/.stowage`, HOME: home };
  const child = cliProcess(["cp", "big.bin", "out/big.bin"], env, home);
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  // Wait for the staged write to appear, then interrupt.
  const deadline = Date.now() + 30_000;
  while (readdirSync(`${home}/out`).length === 0) {
    assert.ok(Date.now() < deadline, `the copy never started: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(readdirSync(`${home}/out`)[0], /^\.stowage-[0-9a-f]+\.partial$/);
  process.kill(child.pid!, "SIGINT");
  const code = await exited;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted/);
  assert.deepEqual(readdirSync(`${home}/out`), [], "nothing left behind");
});
