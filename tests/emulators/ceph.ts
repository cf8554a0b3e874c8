/**
 * Launcher for a throwaway one-node Ceph cluster serving S3 through the Ceph
 * Object Gateway (radosgw): one `ceph-mon`, one `memstore` `ceph-osd` (all
 * data in RAM) and `radosgw`, bound to 127.0.0.1 only, with every piece of
 * state in a fresh temporary directory.
 *
 * Ports: the monitor speaks msgr2 only, on a port picked free at start (no
 * fixed 3300/6789); radosgw's beast frontend gets a port picked free at start;
 * the OSD binds whatever ports are free in Ceph's own 6800–7300 range. A port
 * lost to another process between picking and binding makes the start retry.
 *
 * Runs under Deno, Bun and Node: only `node:` built-ins and `fetch` (plus
 * `aws4fetch` to sign the CreateBucket request).
 *
 * Needs Debian's packages: `apt-get install -y --no-install-recommends radosgw
 * ceph-mon ceph-osd`.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsClient } from "aws4fetch";
import { type Emulator, EmulatorUnavailableError } from "./types.ts";

export type { Emulator } from "./types.ts";

/** Access key id of the S3 user {@link startCeph} creates (test-only). */
export const CEPH_ACCESS_KEY_ID = "STOWAGETESTCEPHKEY01";

/** Secret access key of the S3 user {@link startCeph} creates (test-only). */
export const CEPH_SECRET_ACCESS_KEY = "stowageTestCephSecret0123456789abcdefABCD";

/** The bucket {@link startCeph} creates and reports in its env. */
export const CEPH_BUCKET = "stowage-test";

/** Region reported in the env and used to sign requests. */
export const CEPH_REGION = "us-east-1";

/** The apt command that installs what {@link startCeph} needs. */
export const CEPH_INSTALL_COMMAND =
  "apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd";

const BINARIES = [
  "monmaptool",
  "ceph-authtool",
  "ceph-mon",
  "ceph-osd",
  "ceph",
  "radosgw",
  "radosgw-admin",
];

/** Whole start (monitor up → radosgw answering → user and bucket made). */
const START_TIMEOUT_MS = 90_000;
/** One helper command (`ceph osd new`, `radosgw-admin user create`, …). */
const COMMAND_TIMEOUT_MS = 30_000;
/** Starts retried when a picked port was taken before the daemon bound it. */
const MAX_ATTEMPTS = 3;
const PORT_CLASH = /Address already in use|unable to bind|failed to bind/i;

/**
 * Starts a one-node Ceph cluster with radosgw on 127.0.0.1, creates an S3 user
 * ({@link CEPH_ACCESS_KEY_ID} / {@link CEPH_SECRET_ACCESS_KEY}) and the bucket
 * {@link CEPH_BUCKET}, and resolves once radosgw answers S3 requests
 * (about 1–2 s).
 *
 * The returned env holds `STOWAGE_TEST_S3_ENDPOINT` (`http://127.0.0.1:PORT`,
 * path-style), `STOWAGE_TEST_S3_BUCKET`, `STOWAGE_TEST_S3_ACCESS_KEY_ID`,
 * `STOWAGE_TEST_S3_SECRET_ACCESS_KEY`, `STOWAGE_TEST_S3_REGION` (`us-east-1`)
 * and `STOWAGE_TEST_S3_KIND` (`ceph`). `stop()` kills the three daemons
 * (SIGKILL: the cluster is disposable), waits for them to exit and removes
 * the temporary directory. Should this process die without calling `stop()`,
 * a small `sh` watchdog (which notices its stdin closing) kills the daemons.
 *
 * @throws {EmulatorUnavailableError} when the Ceph binaries are not installed
 * @throws {Error} when the cluster does not come up within 90 s (the message
 *   carries the tail of the failing daemon's log)
 */
export async function startCeph(): Promise<Emulator> {
  await requireBinaries();
  for (let attempt = 1;; attempt++) {
    try {
      return await startOnce();
    } catch (err) {
      if (
        attempt < MAX_ATTEMPTS && err instanceof Error &&
        PORT_CLASH.test(err.message)
      ) {
        continue; // a picked port was taken meanwhile: pick new ones
      }
      throw err;
    }
  }
}

async function requireBinaries(): Promise<void> {
  let found = "";
  try {
    found = await run("sh", [
      "-c",
      'for b; do command -v "$b"; done; true',
      "sh",
      ...BINARIES,
    ]);
  } catch {
    // no sh: treat as nothing installed
  }
  const have = new Set(
    found.split("\n").map((p) => p.trim().split("/").pop() ?? ""),
  );
  const missing = BINARIES.filter((b) => !have.has(b));
  if (missing.length) {
    throw new EmulatorUnavailableError(
      `Ceph RGW is not installed (missing ${missing.join(", ")}); install it ` +
        `with: ${CEPH_INSTALL_COMMAND}`,
    );
  }
}

async function startOnce(): Promise<Emulator> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const dir = await mkdtemp(join(tmpdir(), "stowage-ceph-"));
  const conf = join(dir, "ceph.conf");
  const daemons: Daemon[] = [];
  let watchdog: ChildProcess | undefined;

  const stop = once(async () => {
    // The watchdog goes first so it cannot signal a recycled pid later.
    if (watchdog) await kill(watchdog);
    await Promise.all(daemons.map((d) => kill(d.child)));
    await rm(dir, { recursive: true, force: true });
  });

  try {
    const [monPort, rgwPort] = await freePorts(2);
    const fsid = crypto.randomUUID();
    const monAddr = `[v2:127.0.0.1:${monPort}]`;
    for (const sub of ["run", "log", "mon", "osd/0"]) {
      await mkdir(join(dir, sub), { recursive: true });
    }
    await writeFile(conf, cephConf(dir, fsid, monAddr, rgwPort));

    await run("monmaptool", [
      "--create",
      "--fsid",
      fsid,
      "--addv",
      "a",
      monAddr,
      join(dir, "monmap"),
    ]);
    await run("ceph-authtool", [
      "--create-keyring",
      join(dir, "keyring"),
      "--gen-key",
      "-n",
      "mon.",
      "--cap",
      "mon",
      "allow *",
    ]);
    await run("ceph-mon", [
      "-c",
      conf,
      "--mkfs",
      "-i",
      "a",
      "--monmap",
      join(dir, "monmap"),
      "--keyring",
      join(dir, "keyring"),
    ]);

    watchdog = spawn("sh", ["-c", WATCHDOG, "sh", dir], {
      stdio: ["pipe", "ignore", "ignore"],
    });
    watchdog.on("error", () => {});
    watchdog.stdin?.on("error", () => {});
    const launch = (name: string, cmd: string, args: string[]) => {
      const d = startDaemon(name, cmd, ["-f", "-c", conf, ...args], dir);
      daemons.push(d);
      if (d.child.pid !== undefined) {
        watchdog?.stdin?.write(`${d.child.pid}\n`);
      }
      return d;
    };

    const mon = launch("mon.a", "ceph-mon", ["-i", "a"]);
    await waitFor(
      "ceph-mon to listen",
      deadline,
      [mon],
      () => listensOn(mon.child.pid, monPort),
    );

    const osdUuid = crypto.randomUUID();
    const osdId = (await run("ceph", [
      "-c",
      conf,
      "--connect-timeout",
      "30",
      "osd",
      "new",
      osdUuid,
    ], [mon])).trim();
    if (osdId !== "0") throw new Error(`ceph osd new returned "${osdId}"`);
    await run("ceph-osd", [
      "-c",
      conf,
      "-i",
      "0",
      "--mkfs",
      "--osd-uuid",
      osdUuid,
    ]);
    const osd = launch("osd.0", "ceph-osd", ["-i", "0"]);
    const rgw = launch("client.rgw", "radosgw", ["-n", "client.rgw"]);

    const endpoint = `http://127.0.0.1:${rgwPort}`;
    // radosgw creates its pools first (needs the OSD up), then serves.
    // Checking that the port is radosgw's own guards against a process that
    // took the picked port meanwhile answering in its place.
    await waitFor("radosgw to answer", deadline, [mon, osd, rgw], async () => {
      if (!await listensOn(rgw.child.pid, rgwPort)) return false;
      try {
        const res = await fetch(`${endpoint}/`, {
          signal: AbortSignal.timeout(2_000),
        });
        await res.body?.cancel();
        return res.status === 200;
      } catch {
        return false;
      }
    });

    await run("radosgw-admin", [
      "-c",
      conf,
      "user",
      "create",
      "--uid",
      "stowage-test",
      "--display-name",
      "Stowage tests",
      "--access-key",
      CEPH_ACCESS_KEY_ID,
      "--secret",
      CEPH_SECRET_ACCESS_KEY,
    ], [mon, osd, rgw]);

    const aws = new AwsClient({
      accessKeyId: CEPH_ACCESS_KEY_ID,
      secretAccessKey: CEPH_SECRET_ACCESS_KEY,
      service: "s3",
      region: CEPH_REGION,
    });
    const res = await aws.fetch(`${endpoint}/${CEPH_BUCKET}`, {
      method: "PUT",
    });
    const text = await res.text();
    if (res.status !== 200) {
      throw new Error(
        `Ceph RGW: CreateBucket ${CEPH_BUCKET} returned ${res.status}: ${text}`,
      );
    }

    return {
      name: "ceph",
      endpoint,
      env: {
        STOWAGE_TEST_S3_ENDPOINT: endpoint,
        STOWAGE_TEST_S3_BUCKET: CEPH_BUCKET,
        STOWAGE_TEST_S3_ACCESS_KEY_ID: CEPH_ACCESS_KEY_ID,
        STOWAGE_TEST_S3_SECRET_ACCESS_KEY: CEPH_SECRET_ACCESS_KEY,
        STOWAGE_TEST_S3_REGION: CEPH_REGION,
        STOWAGE_TEST_S3_KIND: "ceph",
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Reads pids (one a line) on stdin; when stdin closes — the launching process
 * ended without `stop()` — it SIGKILLs them and removes the directory `$1`.
 * `stop()` SIGKILLs the watchdog first.
 */
const WATCHDOG = `pids=""
while read -r p; do pids="$pids $p"; done
[ -n "$pids" ] && kill -9 $pids 2>/dev/null
sleep 1
rm -rf "$1"`;

function cephConf(
  dir: string,
  fsid: string,
  monAddr: string,
  rgwPort: number,
): string {
  return `[global]
fsid = ${fsid}
mon host = ${monAddr}
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
# Without this radosgw loops on "get_initial_auth_request returned -13".
ms mon client mode = crc secure
osd objectstore = memstore
memstore device bytes = 4294967296
# An overwritten or deleted object's data is freed by RGW's garbage collector,
# by default 2 hours later: in a 4 GiB memstore a few 1 GiB overwrites (the
# bench's --full tier) would fill the OSD and every write after would hang.
rgw gc obj min wait = 2
rgw gc processor period = 2
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
# Commit monitor changes at once (the default 1 s per pool makes radosgw's
# start-up, which creates its pools one by one, take ~11 s instead of ~1 s).
paxos propose interval = 0.05
paxos min wait = 0.01
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
pid file = ${dir}/run/$name.pid
log file = ${dir}/log/$name.log
mon data = ${dir}/mon/$id
osd data = ${dir}/osd/$id
keyring = ${dir}/keyring

[mon]
# Fail at once when the picked port was taken (default: 3 tries 5 s apart;
# 0 would mean no try at all).
ms bind retry count = 1

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw thread pool size = 32
rgw crypt require ssl = false
`;
}

interface Daemon {
  name: string;
  child: ChildProcess;
  /** Why it is gone (exit code, signal or spawn error), or undefined. */
  gone(): string | undefined;
  /** Its stderr tail plus the tail of its log file. */
  diagnostics(): Promise<string>;
}

function startDaemon(
  name: string,
  cmd: string,
  args: string[],
  dir: string,
): Daemon {
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  let gone: string | undefined;
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (d: string) => {
    stderr = (stderr + d).slice(-4_096);
  });
  child.on("error", (e) => {
    gone ??= `could not start: ${e.message}`;
  });
  child.on("exit", (code, signal) => {
    gone ??= signal ? `killed by ${signal}` : `exited with code ${code}`;
  });
  return {
    name,
    child,
    gone: () => gone,
    async diagnostics() {
      let log = "";
      try {
        log = (await readFile(join(dir, "log", `${name}.log`), "utf8"))
          .slice(-3_000);
      } catch {
        // no log yet
      }
      return `--- ${name} stderr ---\n${stderr.trim()}\n` +
        `--- ${name}.log (tail) ---\n${log.trim()}`;
    },
  };
}

/** Polls `ready` every 50 ms until it is true, a daemon dies or time is up. */
async function waitFor(
  what: string,
  deadline: number,
  daemons: Daemon[],
  ready: () => Promise<boolean>,
): Promise<void> {
  for (;;) {
    for (const d of daemons) {
      const why = d.gone();
      if (why) {
        throw new Error(
          `Ceph: ${d.name} ${why} while waiting for ${what}\n` +
            await d.diagnostics(),
        );
      }
    }
    if (await ready()) return;
    if (Date.now() > deadline) {
      const diags = await Promise.all(daemons.map((d) => d.diagnostics()));
      throw new Error(
        `Ceph: timed out after ${START_TIMEOUT_MS / 1000} s waiting for ` +
          `${what}\n${diags.join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Runs a command to completion; resolves with its stdout. Fails early (and
 * kills the command) if one of `watch` dies meanwhile.
 */
function run(
  cmd: string,
  args: string[],
  watch: Daemon[] = [],
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (d: string) => (out += d));
    child.stderr?.on("data", (d: string) => (err = (err + d).slice(-4_096)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")}: timed out`));
    }, COMMAND_TIMEOUT_MS);
    const poll = setInterval(() => {
      const dead = watch.find((d) => d.gone());
      if (!dead) return;
      clearInterval(poll);
      child.kill("SIGKILL");
      dead.diagnostics().then((diag) =>
        reject(
          new Error(
            `Ceph: ${dead.name} ${dead.gone()} during ${cmd} ${args.join(" ")}` +
              `\n${diag}`,
          ),
        )
      );
    }, 50);
    const done = () => {
      clearTimeout(timer);
      clearInterval(poll);
    };
    child.on("error", (e) => {
      done();
      reject(e);
    });
    child.on("close", (code, signal) => {
      done();
      if (code === 0) resolve(out);
      else {
        reject(
          new Error(
            `${cmd} ${args.join(" ")} failed ` +
              `(${signal ?? `exit ${code}`}): ${err.trim() || out.trim()}`,
          ),
        );
      }
    });
  });
}

/** SIGKILLs a child (if still running) and waits for its exit. */
function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (
      child.pid === undefined || child.exitCode !== null ||
      child.signalCode !== null
    ) {
      resolve();
      return;
    }
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

/** `n` distinct ports that were free on 127.0.0.1 a moment ago. */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const srv = createServer();
      servers.push(srv);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          srv.once("error", reject);
          srv.listen(0, "127.0.0.1", () => {
            const addr = srv.address();
            if (addr && typeof addr === "object") resolve(addr.port);
            else reject(new Error("no port"));
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(
      servers.map((s) => new Promise((r) => s.close(() => r(undefined)))),
    );
  }
}

/**
 * Whether process `pid` holds the socket listening on 127.0.0.1:`port`
 * (Linux: /proc/net/tcp gives the socket's inode, /proc/PID/fd the owner).
 */
async function listensOn(
  pid: number | undefined,
  port: number,
): Promise<boolean> {
  if (pid === undefined) return false;
  try {
    const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
    const inodes = new Set<string>();
    for (const line of (await readFile("/proc/net/tcp", "utf8")).split("\n")) {
      const f = line.trim().split(/\s+/);
      if (f[1] === local && f[3] === "0A") inodes.add(f[9]);
    }
    if (inodes.size === 0) return false;
    for (const fd of await readdir(`/proc/${pid}/fd`)) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1])) return true;
    }
  } catch {
    // process gone, or no /proc
  }
  return false;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
