// The stowage CLI: a session from a fresh $STOWAGE_HOME, bad input, and `serve` over a
// real socket. Commands run in-process through `main()` with captured output (same code
// path as the binary); `serve` runs as a real subprocess of the runtime under test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/mod.ts";
import { runtimeName, testTmp } from "../_env.ts";
import { tsxImport } from "../_deps.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(
  /\/$/,
  "",
);

function session() {
  const home = mkdtempSync(`${testTmp() ?? tmpdir()}/stowage-cli-`);
  const env: Record<string, string> = { STOWAGE_HOME: home, HOME: home };
  let stdin: Uint8Array = new Uint8Array();
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const bytes: Uint8Array[] = [];
    const code = await main(args, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      errRaw: () => {},
      stdout: () => new WritableStream({ write: (c) => void bytes.push(c) }),
      stdin: () => new Blob([stdin as Uint8Array<ArrayBuffer>]).stream(),
      isTTY: false,
      env: (n) => env[n],
      cwd: () => home,
    });
    const raw = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
    let off = 0;
    for (const b of bytes) raw.set(b, (off += b.length) - b.length);
    return { code, out: out.join("\n"), err: err.join("\n"), raw };
  };
  const setStdin = (b: Uint8Array) => void (stdin = b);
  return { home, run, setStdin };
}

test("cli: flavor list, custom flavor registration, and its use", async () => {
  const { run, home } = session();
  const list = await run("flavor", "list", "--json");
  assert.equal(list.code, 0, list.err);
  const names = JSON.parse(list.out).map((f: { name: string }) => f.name);
  for (const n of ["local", "memory"]) assert.ok(names.includes(n));
  const reg = await run(
    "flavor",
    "register",
    `${ROOT}/examples/custom_flavor.ts`,
  );
  assert.equal(reg.code, 0, reg.err);
  assert.match(reg.out, /Registered flavor 'kv' \(kv:\/\/\)/);
  const cfg = JSON.parse(readFileSync(`${home}/config.json`, "utf8"));
  assert.equal(cfg.flavors[0].name, "kv");
  // A later invocation loads the remembered module.
  const table = await run("flavor", "list");
  assert.match(table.out, /^kv\s+kv:\/\/\s+file:\/\//m);
  assert.equal(
    (await run(
      "artifact-store",
      "register",
      "kvs",
      "--flavor",
      "kv",
      "--path",
      "kv://b/p",
    )).code,
    0,
  );
  writeFileSync(`${home}/in.txt`, "through the custom flavor");
  assert.equal((await run("cp", `${home}/in.txt`, "kvs:docs/in.txt")).code, 0);
  assert.equal(
    new TextDecoder().decode((await run("cat", "kvs:docs/in.txt")).raw),
    "through the custom flavor",
  );
});

test("cli: artifact-store register, list, describe (secrets masked), set-default, delete", async () => {
  const { run } = session();
  const r = await run(
    "artifact-store",
    "register",
    "scratch",
    "--flavor",
    "s3",
    "--path",
    "s3://cli-scratch/runs",
    "--secretAccessKey=hunter2",
    "--partSize=5242880",
  );
  assert.equal(r.code, 0, r.err);
  // A setting the flavor does not have is refused, with the closest one suggested.
  const typo = await run(
    "artifact-store",
    "register",
    "typo",
    "--flavor",
    "s3",
    "--path",
    "s3://b",
    "--regoin=eu-west-1",
  );
  assert.notEqual(typo.code, 0);
  assert.match(typo.err, /'regoin': did you mean 'region'\?/);
  const list = JSON.parse((await run("artifact-store", "list", "--json")).out);
  assert.deepEqual(list.map((s: { name: string }) => s.name).sort(), [
    "default",
    "scratch",
  ]);
  const d = await run("artifact-store", "describe", "scratch");
  assert.equal(d.code, 0, d.err);
  assert.match(d.out, /secretAccessKey: \*\*\*\*\*\*\*\*/);
  assert.doesNotMatch(d.out, /hunter2/);
  assert.match(d.out, /partSize: 5242880/);
  assert.equal((await run("artifact-store", "set-default", "scratch")).code, 0);
  assert.equal((await run("cp", "--help")).code, 0);
  const del = await run("artifact-store", "delete", "scratch");
  assert.equal(del.code, 1, "the default store cannot be deleted");
  assert.match(del.err, /is the default store: set another default first/);
  assert.equal((await run("artifact-store", "set-default", "default")).code, 0);
  assert.equal((await run("artifact-store", "delete", "scratch")).code, 0);
});

test("cli: file commands over the default store, memory and local paths", async () => {
  const { run, home } = session();
  const data = new Uint8Array(3 * 1024 * 1024 + 5).map((_, i) => (i * 13) & 0xff);
  writeFileSync(`${home}/big.bin`, data);
  writeFileSync(`${home}/a.txt`, "alpha");
  // The default store is a local one: like cp, a file goes only into a directory that exists.
  assert.equal((await run("cp", "big.bin", "default:runs/1/")).code, 1);
  assert.equal((await run("mkdir", "-p", "default:runs/1/notes")).code, 0);
  assert.equal((await run("cp", "big.bin", "default:runs/1/")).code, 0);
  assert.equal((await run("cp", "./a.txt", "default:runs/1/notes/a.txt")).code, 0);
  const ls = await run("ls", "default:runs/1");
  assert.deepEqual(ls.out.split("\n"), ["big.bin", "notes"]);
  const ll = await run("ls", "-l", "default:runs/1");
  assert.match(ll.out, /3\.0 MiB .* big\.bin/);
  assert.match(ll.out, /notes\/$/m);
  assert.deepEqual((await run("cat", "default:runs/1/big.bin")).raw, data);
  // Tree copy across stores (local → memory) and back, bytes identical.
  const cp = await run("cp", "-r", "default:runs", "memory://cli-files/copy", "--json");
  assert.equal(cp.code, 0, cp.err);
  assert.equal(JSON.parse(cp.out).files, 2);
  assert.equal((await run("cp", "-r", "memory://cli-files/copy", "default:back")).code, 0);
  assert.deepEqual((await run("cat", "default:back/1/big.bin")).raw, data);
  const glob = await run("glob", "--json", "memory://cli-files/**/*.txt");
  assert.deepEqual(JSON.parse(glob.out), [
    "memory://cli-files/copy/1/notes/a.txt",
  ]);
  const tree = await run("tree", "default:runs");
  assert.match(
    tree.out,
    /└── 1\/\n {4}├── notes\/\n {4}│ {3}└── a\.txt\n {4}└── big\.bin/,
  );
  const st = JSON.parse((await run("stat", "--json", "default:runs/1/big.bin")).out);
  assert.equal(st.size, data.length);
  assert.equal((await run("mv", "default:runs/1/notes/a.txt", "default:runs/moved.txt")).code, 0);
  assert.equal(new TextDecoder().decode((await run("cat", "default:runs/moved.txt")).raw), "alpha");
  assert.equal((await run("mv", "default:runs/moved.txt", "memory://cli-files/m.txt")).code, 0);
  assert.equal((await run("cat", "default:runs/moved.txt")).code, 1);
  const exists = await run("cp", `${home}/a.txt`, "memory://cli-files/m.txt");
  assert.equal(exists.code, 1);
  assert.match(exists.err, /already exists: pass --force/);
  assert.equal((await run("cp", "-f", `${home}/a.txt`, "memory://cli-files/m.txt")).code, 0);
  assert.equal((await run("rm", "default:runs")).code, 2);
  assert.equal((await run("rm", "-r", "default:runs", "default:back")).code, 0);
  assert.equal((await run("ls", "default:")).out, "");
  assert.equal((await run("mkdir", "default:x/y")).code, 1, "mkdir without -p needs the parent");
  assert.equal((await run("mkdir", "-p", "default:x/y")).code, 0);
});

test("cli: relative paths are local paths under the working directory; '-' is stdin/stdout", async () => {
  const { run, home, setStdin } = session();
  writeFileSync(`${home}/x.txt`, "ex");
  mkdirSync(`${home}/runs/1`, { recursive: true });
  writeFileSync(`${home}/runs/1/m.json`, "{}");
  assert.equal((await run("cp", "x.txt", "./a.txt")).code, 0);
  assert.equal(readFileSync(`${home}/a.txt`, "utf8"), "ex");
  assert.ok(!existsSync(`${home}/local/a.txt`), "nothing went to the default store");
  mkdirSync(`${home}/sub`);
  assert.equal((await run("cp", "../x.txt", "sub/../sub/b.txt")).code, 1, "no ../x.txt above");
  assert.equal((await run("cp", "x.txt", "sub/")).code, 0);
  assert.equal(readFileSync(`${home}/sub/x.txt`, "utf8"), "ex");
  // The README's example: a local tree into a registered store.
  assert.equal(
    (await run(
      "artifact-store",
      "register",
      "models",
      "--flavor",
      "memory",
      "--path",
      "memory://cli-rel",
    )).code,
    0,
  );
  const r = await run("cp", "-r", "./runs", "models:runs");
  assert.equal(r.code, 0, r.err);
  assert.equal(new TextDecoder().decode((await run("cat", "models:runs/1/m.json")).raw), "{}");
  // '-' is stdout as a destination, stdin as a source; no file named '-' appears.
  const out = await run("cp", "x.txt", "-");
  assert.equal(out.code, 0, out.err);
  assert.equal(new TextDecoder().decode(out.raw), "ex");
  assert.equal(out.out, "", "no report mixed into the data on stdout");
  setStdin(new TextEncoder().encode("from stdin"));
  assert.equal((await run("cp", "-", "models:in.txt")).code, 0);
  assert.equal(new TextDecoder().decode((await run("cat", "models:in.txt")).raw), "from stdin");
  assert.ok(!existsSync(`${home}/-`));
  assert.equal((await run("cp", "-", "a", "sub/")).code, 2);
  // An absolute path is local too; ls without a path lists the working directory.
  assert.equal((await run("cp", `${home}/x.txt`, `${home}/sub/abs.txt`)).code, 0);
  assert.match((await run("ls")).out, /^x\.txt$/m);
  assert.equal((await run("cp", "x.txt", "default:x.txt")).code, 0, "the default store by name");
  assert.ok(existsSync(`${home}/local/x.txt`));
});

test("cli: bad input is one line and exit code 1 (2 for usage)", async () => {
  const { run, home } = session();
  const cases: [string[], number, RegExp][] = [
    [
      ["artifact-store", "register", "s", "--flavor", "nope", "--path", "x"],
      1,
      /Unknown flavor 'nope'/,
    ],
    [
      [
        "artifact-store",
        "register",
        "s",
        "--flavor",
        "memory",
        "--path",
        "s3://b",
      ],
      1,
      /takes paths starting with 'memory:\/\/'/,
    ],
    [["ls", "nosuchstore:x"], 1, /No artifact store named 'nosuchstore'/],
    [
      ["artifact-store", "describe", "nosuch"],
      1,
      /No artifact store named 'nosuch'/,
    ],
    [["cat", "default:../../etc/passwd"], 1, /outside the store root/],
    [["stat", "missing.txt"], 1, /No such file or directory/],
    [["lss"], 2, /Unknown command 'lss': did you mean 'ls'\?/],
    [["artifact-store"], 2, /needs a subcommand/],
    [["ls", "--bogus"], 2, /Unknown option '--bogus'/],
  ];
  writeFileSync(`${home}/noflavor.ts`, "export const x = 1;\n");
  cases.push([
    ["flavor", "register", `${home}/noflavor.ts`],
    1,
    /exports no flavor/,
  ]);
  for (const [args, code, re] of cases) {
    const r = await run(...args);
    assert.equal(r.code, code, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, re, args.join(" "));
    assert.equal(r.err.split("\n").length, 1, `one line for ${args.join(" ")}`);
  }
});

test("cli: serve answers over a real socket with its token", async () => {
  const { home } = session();
  const rt = runtimeName();
  const [cmd, pre] = rt === "deno"
    ? [process.execPath, ["run", "-A"]]
    : rt === "bun"
    ? [process.execPath, []]
    : [process.execPath, ["--import", tsxImport()]];
  const child = spawn(cmd, [
    ...pre,
    `${ROOT}/src/cli/mod.ts`,
    "serve",
    "--port",
    "0",
    "--token",
    "tok-123",
  ], {
    cwd: ROOT,
    env: { ...process.env, STOWAGE_HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    const lines = await new Promise<string[]>((resolve, reject) => {
      let buf = "";
      const timer = setTimeout(
        () => reject(new Error(`serve did not start: ${buf}`)),
        30_000,
      );
      child.stdout.on("data", (d) => {
        buf += d;
        const ls = buf.split("\n");
        if (ls.length > 3) {
          clearTimeout(timer);
          resolve(ls);
        }
      });
      child.stderr.on("data", (d) => (buf += d));
      child.on("exit", (c) => reject(new Error(`serve exited ${c}: ${buf}`)));
    });
    assert.match(
      lines[0],
      /^Stowage serving .*\/local at http:\/\/127\.0\.0\.1:\d+$/,
    );
    assert.equal(lines[1], "Token: tok-123");
    assert.match(
      lines[2],
      /^curl -H "Authorization: Bearer tok-123" http:\/\/127\.0\.0\.1:\d+\//,
    );
    const url = lines[0].split(" at ")[1];
    const put = await fetch(`${url}/files/hello.txt`, {
      method: "PUT",
      headers: { authorization: "Bearer tok-123" },
      body: "served",
    });
    assert.ok(put.ok, `PUT ${put.status}`);
    await put.body?.cancel();
    const get = await fetch(`${url}/files/hello.txt`, {
      headers: { authorization: "Bearer tok-123" },
    });
    assert.equal(await get.text(), "served");
    const denied = await fetch(`${url}/files/hello.txt`);
    assert.equal(denied.status, 401);
    await denied.body?.cancel();
  } finally {
    child.kill("SIGKILL");
  }
});

test("cli: flavor list shows every config field each flavor declares", async () => {
  const { run } = session();
  const r = await run("flavor", "list", "--json");
  assert.equal(r.code, 0, r.err);
  const rows = JSON.parse(r.out) as { name: string; fields: { name: string }[] }[];
  const fields = (n: string) => rows.find((x) => x.name === n)!.fields.map((f) => f.name);
  for (
    const f of ["path", "region", "endpoint", "accessKeyId", "secretAccessKey", "partSize"]
  ) assert.ok(fields("s3").includes(f), `s3 lists ${f}: ${fields("s3")}`);
  assert.ok(fields("s3").includes("retry.maxRetries"));
  for (const f of ["accountName", "accountKey", "sasToken", "connectionString"]) {
    assert.ok(fields("azure").includes(f), `azure lists ${f}`);
  }
  for (const f of ["credentials", "endpoint", "accessToken"]) {
    assert.ok(fields("gcp").includes(f), `gcp lists ${f}`);
  }
  for (const row of rows) assert.equal(row.fields[0].name, "path", row.name);
  const table = await run("flavor", "list");
  assert.match(table.out, /^s3 .*accessKeyId.*partSize/m);
});

test("cli: describe masks every secret-ish field, showing at most the last 4 characters", async () => {
  const { run } = session();
  // Each secret on a flavor that has the field (settings are checked at register).
  const stores: [string, string, Record<string, string>][] = [
    ["s3", "s3://bucket/p", {
      accessKeyId: "AKIAABCDEFGHIJKLMNOP",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      sessionToken: "FwoGZXIvYXdzEXAMPLESESSIONTOKENVALUE1234",
    }],
    ["azure", "az://container/p", {
      accountName: "acct",
      accountKey: "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq",
    }],
    ["azure", "az://container/p", {
      accountName: "acct",
      sasToken: "sv=2022-11-02&ss=b&sig=abcdefghijklmnopqrstuv",
    }],
    ["azure", "az://container/p", {
      connectionString: "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0c2VjcmV0",
    }],
    ["azure", "az://container/p", {
      accountName: "acct",
      tenantId: "tenant",
      clientId: "client",
      clientSecret: "s3cr3t-client-secret-value-42",
    }],
    ["azure", "az://container/p", {
      accountName: "acct",
      token: "ya29.a0AfH6SMBexampleaccesstoken0001",
    }],
    ["gcp", "gs://b/p", {
      credentials: JSON.stringify({
        type: "service_account",
        client_email: "ci@proj.iam.gserviceaccount.com",
        private_key:
          "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
      }),
    }],
    ["gcp", "gs://b/p", { accessToken: "ya29.a0AfH6SMBexampleaccesstoken0002" }],
  ];
  const public_ = ["acct", "tenant", "client"];
  for (const [i, [flavor, path, secrets]] of stores.entries()) {
    const name = `sec${i}`;
    const r = await run(
      "artifact-store",
      "register",
      name,
      "--flavor",
      flavor,
      "--path",
      path,
      ...Object.entries(secrets).map(([k, v]) => `--${k}=${v}`),
      ...(flavor === "s3" ? ["--region=eu-west-1"] : []),
    );
    assert.equal(r.code, 0, r.err);
    const names = Object.keys(secrets).join(" ").toLowerCase();
    for (const form of [[], ["--json"]]) {
      const d = await run("artifact-store", "describe", name, ...form);
      assert.equal(d.code, 0, d.err);
      for (const [k, v] of Object.entries(secrets)) {
        if (public_.includes(v)) continue;
        // No run of 8 characters of the secret appears, except within its last 4.
        for (let j = 0; j + 8 <= v.length - 4; j++) {
          const w = v.slice(j, j + 8);
          if (names.includes(w.toLowerCase())) continue; // a field name, not the secret
          assert.ok(!d.out.includes(w), `${flavor} ${k} leaks ${w}`);
        }
      }
      if (flavor === "s3") assert.match(d.out, /eu-west-1/);
    }
    if (flavor === "s3") {
      const d = await run("artifact-store", "describe", name);
      assert.match(d.out, /accessKeyId: \*+MNOP$/m);
    }
  }
});

test("cli: serve with a bad port is one line naming PORT or --port, exit 2", async () => {
  const { run } = session();
  for (const bad of ["abc", "99999", "-1", "80.5"]) {
    const r = await run("serve", `--port=${bad}`);
    assert.equal(r.code, 2, `--port=${bad}`);
    assert.match(r.err, /^stowage: --port '.*' is not a port: give a whole number from 0 to 65535/);
    assert.equal(r.err.split("\n").length, 1);
  }
});

test("cli: cp -r reports the real byte total (no race among its workers)", async () => {
  const { run, home } = session();
  let total = 0;
  for (let i = 0; i < 40; i++) {
    const size = (i * 7919) % 5000 + i;
    total += size;
    writeFileSync(`${home}/f${i}.bin`, new Uint8Array(size));
  }
  for (let round = 0; round < 3; round++) {
    const r = await run("cp", "-r", "--json", home, `memory://cli-bytes-${round}/t`);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out.split("\n").pop()!);
    assert.equal(report.files, 40);
    assert.equal(report.bytes, total);
  }
});
