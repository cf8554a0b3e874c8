// Offline checks of the S3 flavor's parts: the XML reader, the error mapper on
// canned bodies, the INI reader, the credential chain order, URL styles, presign
// and pagination over canned ListObjectsV2 pages. No emulator needed.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type ArtifactStoreError,
  AuthenticationError,
  ConfigError,
  createArtifactStore,
  FileExistsError,
  FileNotFoundError,
  InvalidArgumentError,
  NotSupportedError,
  PermissionDeniedError,
  PreconditionFailedError,
} from "../../mod.ts";
import { escapeXml, parseXml, xmlSafe } from "../../src/xml.ts";
import { mapS3Error, parseS3ErrorBody } from "../../flavors/s3/errors.ts";
import { resolveS3Settings } from "../../flavors/s3/credentials.ts";
import { parseIni } from "../../flavors/s3/profile.ts";
import { refreshingCredentials } from "../../flavors/s3/providers.ts";
import { encodeKey } from "../../flavors/s3/client.ts";
import { S3ArtifactStore, s3Flavor } from "../../flavors/s3/mod.ts";

const KEYS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };

test("xml: elements, entities, CDATA, namespaces, self-closing tags", () => {
  const doc = parseXml(
    `<?xml version="1.0" encoding="UTF-8"?>\n<!-- c -->` +
      `<s3:ListBucketResult xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Name>b</Name><Contents><Key>a &amp; b &lt;c&gt; &#233;&#x1F600;</Key></Contents>` +
      `<Contents><Key><![CDATA[x<y]]></Key></Contents><Empty/><Attr a="1>2">t</Attr>` +
      `</s3:ListBucketResult>`,
  );
  assert.equal(doc.name, "ListBucketResult");
  assert.equal(doc.text("Name"), "b");
  assert.deepEqual(
    doc.all("Contents").map((c) => c.text("Key")),
    ["a & b <c> é😀", "x<y"],
  );
  assert.equal(doc.text("Empty"), "");
  assert.equal(doc.text("Attr"), "t");
  assert.equal(doc.text("Missing"), undefined);
});

test("xml: malformed documents are refused", () => {
  for (
    const bad of ["", "<a><b></a>", "<a>", "text", "<a></a><b></b>", "<a x='1"]
  ) {
    assert.throws(() => parseXml(bad), SyntaxError, JSON.stringify(bad));
  }
});

test("xml: escaping round-trips and unsafe characters are detected", () => {
  const s = `<"&'> \r tab\t`;
  assert.equal(parseXml(`<K>${escapeXml(s)}</K>`).content, s);
  assert.ok(xmlSafe("ünïcødé 😀 & <>"));
  assert.ok(!xmlSafe("bell\u0007"));
  assert.ok(!xmlSafe("lone\ud800surrogate"));
});

function errorOf(
  status: number,
  body: string,
  method = "GET",
  headers: Record<string, string> = {},
): ArtifactStoreError {
  return mapS3Error({
    status,
    headers: new Headers(),
    body,
    request: { method, url: "http://127.0.0.1/b/k", path: "s3://b/k", headers },
  });
}

const body = (code: string) =>
  `<?xml version="1.0"?><Error><Code>${code}</Code><Message>msg</Message></Error>`;

test("errors: S3 codes map to typed errors", () => {
  assert.ok(errorOf(404, body("NoSuchKey")) instanceof FileNotFoundError);
  assert.ok(errorOf(404, body("NoSuchUpload")) instanceof FileNotFoundError);
  const nb = errorOf(404, body("NoSuchBucket"));
  assert.ok(nb instanceof FileNotFoundError);
  assert.match(nb.message, /bucket 'b' does not exist/);
  assert.ok(
    errorOf(403, body("AccessDenied")) instanceof PermissionDeniedError,
  );
  for (const c of ["InvalidAccessKeyId", "SignatureDoesNotMatch"]) {
    const e = errorOf(403, body(c));
    assert.ok(e instanceof AuthenticationError, c);
    assert.equal(e.retryable, false);
    assert.equal(e.status, 403);
    assert.equal(e.path, "s3://b/k");
    assert.equal(e.flavor, "s3");
    assert.match(e.message, new RegExp(c));
  }
  const expired = errorOf(400, body("ExpiredToken"));
  assert.ok(expired instanceof AuthenticationError && expired.retryable);
  assert.ok(
    errorOf(412, body("PreconditionFailed")) instanceof PreconditionFailedError,
  );
  assert.ok(
    errorOf(412, body("PreconditionFailed"), "PUT", {
      "If-None-Match": "*",
    }) instanceof
      FileExistsError,
  );
  assert.ok(errorOf(501, body("NotImplemented")) instanceof NotSupportedError);
  assert.ok(
    errorOf(400, body("EntityTooSmall")) instanceof InvalidArgumentError,
  );
  const region = mapS3Error({
    status: 301,
    headers: new Headers({ "x-amz-bucket-region": "eu-west-1" }),
    body: "",
    request: { method: "HEAD", url: "http://x/b/k", path: "s3://b/k" },
  });
  assert.ok(region instanceof ConfigError);
  assert.match(region.message, /'eu-west-1'/);
});

test("errors: retryable codes and statuses", () => {
  for (
    const [status, code] of [
      [503, "SlowDown"],
      [500, "InternalError"],
      [400, "RequestTimeout"],
      [400, "BadDigest"],
      [503, "ServiceUnavailable"],
      [409, "ConditionalRequestConflict"],
    ] as const
  ) {
    assert.equal(errorOf(status, body(code)).retryable, true, code);
  }
  for (const s of [408, 429, 500, 502, 503, 504]) {
    assert.equal(errorOf(s, "").retryable, true, String(s));
  }
  assert.equal(errorOf(404, body("NoSuchKey")).retryable, false);
  assert.equal(errorOf(403, "").retryable, false);
});

test("errors: a HEAD has no body, the status alone decides", () => {
  assert.ok(errorOf(403, "", "HEAD") instanceof PermissionDeniedError);
  assert.ok(errorOf(404, "", "HEAD") instanceof FileNotFoundError);
  assert.deepEqual(parseS3ErrorBody(""), {});
  assert.deepEqual(parseS3ErrorBody("<html>proxy error</html>"), {});
  assert.equal(
    mapS3Error({
      status: 400,
      headers: new Headers({ "x-amz-error-code": "SignatureDoesNotMatch" }),
      body: "",
      request: { method: "HEAD", url: "http://x/b/k" },
    }).constructor,
    AuthenticationError,
  );
});

test("ini: profiles, comments, nested settings", () => {
  const ini = parseIni(
    "# top\n[default]\naws_access_key_id = A1\naws_secret_access_key=S1 ; note\n" +
      "s3 =\n  addressing_style = path\nregion = eu-west-1\n\n[profile dev]\nREGION = us-west-2\n",
  );
  assert.deepEqual(ini.default, {
    aws_access_key_id: "A1",
    aws_secret_access_key: "S1",
    s3: "",
    region: "eu-west-1",
  });
  assert.equal(ini["profile dev"].region, "us-west-2");
});

test("credentials: explicit config beats env, env beats files", async () => {
  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: "ENVKEY",
    AWS_SECRET_ACCESS_KEY: "ENVSECRET",
    AWS_SESSION_TOKEN: "ENVTOKEN",
    AWS_DEFAULT_REGION: "ap-south-1",
    AWS_ENDPOINT_URL: "http://127.0.0.1:1/",
    HOME: "/home/x",
  };
  const files: Record<string, string> = {
    "/home/x/.aws/credentials":
      "[default]\naws_access_key_id=FILEKEY\naws_secret_access_key=FILESECRET\n",
    "/home/x/.aws/config": "[default]\nregion = eu-north-1\n",
  };
  const opts = {
    env: (n: string) => env[n],
    readTextFile: (p: string) => Promise.resolve(files[p]),
  };
  const explicit = await resolveS3Settings(
    { ...KEYS, region: "eu-west-3" },
    opts,
  );
  assert.equal(explicit.credentials.source, "config");
  assert.equal(explicit.region, "eu-west-3");
  assert.equal(explicit.endpoint, "http://127.0.0.1:1");
  const fromEnv = await resolveS3Settings({}, opts);
  assert.equal(fromEnv.credentials.source, "env");
  assert.equal((await fromEnv.credentials.get()).sessionToken, "ENVTOKEN");
  assert.equal(fromEnv.region, "ap-south-1");
  delete env.AWS_ACCESS_KEY_ID;
  delete env.AWS_DEFAULT_REGION;
  const fromFile = await resolveS3Settings({}, opts);
  assert.equal(fromFile.credentials.source, "profile:default");
  assert.equal((await fromFile.credentials.get()).accessKeyId, "FILEKEY");
  assert.equal(fromFile.region, "eu-north-1");
  const r2 = await resolveS3Settings({
    ...KEYS,
    endpoint: "https://0123abcd.r2.cloudflarestorage.com",
  }, opts);
  assert.equal(r2.region, "auto");
  await assert.rejects(
    resolveS3Settings({ accessKeyId: "only-half" }, opts),
    ConfigError,
  );
  await assert.rejects(
    resolveS3Settings({ profile: "missing" }, opts),
    (e: Error) => e instanceof ConfigError && /'missing'/.test(e.message),
  );
});

test("credentials: nothing configured is a clear AuthenticationError", async () => {
  const env: Record<string, string> = { AWS_EC2_METADATA_DISABLED: "true" };
  const s = await resolveS3Settings({}, {
    env: (n) => env[n],
    readTextFile: () => Promise.resolve(undefined),
  });
  await assert.rejects(
    s.credentials.get(),
    (e: Error) => e instanceof AuthenticationError && /AWS_ACCESS_KEY_ID/.test(e.message),
  );
});

test("credentials: temporary ones are cached, refreshed before expiry, kept when a refresh fails", async () => {
  let calls = 0;
  let fail = false;
  const p = refreshingCredentials(() => {
    calls++;
    if (fail) return Promise.reject(new Error("endpoint down"));
    return Promise.resolve({
      accessKeyId: `K${calls}`,
      secretAccessKey: "S",
      expiration: new Date(Date.now() + 1000),
    });
  }, "test");
  const [a, b] = await Promise.all([p.get(), p.get()]);
  assert.equal(calls, 1);
  assert.equal(a.accessKeyId, "K1");
  assert.equal(b.accessKeyId, "K1");
  await new Promise((r) => setTimeout(r, 800)); // past 3/4 of the lifetime
  assert.equal((await p.get()).accessKeyId, "K2");
  await new Promise((r) => setTimeout(r, 800));
  fail = true;
  assert.equal((await p.get()).accessKeyId, "K2"); // still valid: kept
  p.invalidate();
  await assert.rejects(p.get(), /endpoint down/);
});

test("urls: virtual-hosted on AWS, path-style on endpoints, forcePathStyle, dotted buckets", async () => {
  const seen: string[] = [];
  const fetch = ((input: string | URL | Request) => {
    seen.push(String(input));
    return Promise.resolve(new Response(null, { status: 404 }));
  }) as typeof globalThis.fetch;
  const stat = async (cfg: Record<string, unknown>) => {
    const s = new S3ArtifactStore({ ...KEYS, fetch, ...cfg } as never);
    await s.exists(`${s.path}/a b+c.txt`).catch(() => {});
    return seen.splice(0)[0];
  };
  assert.equal(
    await stat({ path: "s3://bkt/p", region: "eu-west-1" }),
    "https://bkt.s3.eu-west-1.amazonaws.com/p/a%20b%2Bc.txt",
  );
  assert.equal(
    await stat({
      path: "s3://bkt/p",
      region: "eu-west-1",
      forcePathStyle: true,
    }),
    "https://s3.eu-west-1.amazonaws.com/bkt/p/a%20b%2Bc.txt",
  );
  assert.equal(
    await stat({ path: "s3://my.bkt/p", region: "us-east-1" }),
    "https://s3.us-east-1.amazonaws.com/my.bkt/p/a%20b%2Bc.txt",
  );
  assert.equal(
    await stat({ path: "s3://bkt/p", endpoint: "http://127.0.0.1:9000/" }),
    "http://127.0.0.1:9000/bkt/p/a%20b%2Bc.txt",
  );
  assert.equal(
    await stat({
      path: "s3://bkt/p",
      endpoint: "https://minio.example.com",
      forcePathStyle: false,
    }),
    "https://bkt.minio.example.com/p/a%20b%2Bc.txt",
  );
  assert.equal(encodeKey("a/b c/d#?&%+é"), "a/b%20c/d%23%3F%26%25%2B%C3%A9");
});

test("presign: query-signed URL with expiry, session token, validation", async () => {
  const store = new S3ArtifactStore({
    path: "s3://bkt/pre",
    region: "eu-west-1",
    ...KEYS,
    sessionToken: "TOKEN",
  });
  const url = new URL(
    await store.presign("s3://bkt/pre/a b.txt", { expiresIn: 600 }),
  );
  assert.equal(url.host, "bkt.s3.eu-west-1.amazonaws.com");
  assert.equal(url.pathname, "/pre/a%20b.txt");
  assert.equal(url.searchParams.get("X-Amz-Expires"), "600");
  assert.equal(url.searchParams.get("X-Amz-Security-Token"), "TOKEN");
  assert.equal(url.searchParams.get("X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
  assert.match(
    url.searchParams.get("X-Amz-Credential")!,
    /^AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request$/,
  );
  assert.match(url.searchParams.get("X-Amz-Signature")!, /^[0-9a-f]{64}$/);
  await assert.rejects(store.presign("s3://bkt/pre", {}), /store root/);
  await assert.rejects(
    store.presign("s3://bkt/pre/x", { expiresIn: 0 }),
    InvalidArgumentError,
  );
  await assert.rejects(
    store.presign("s3://bkt/pre/x", { method: "POST" as "GET" }),
    InvalidArgumentError,
  );
  assert.equal(store.capabilities.presign, true);
});

test("config: the schema refuses bad fields with clear messages", async () => {
  assert.throws(
    () => new S3ArtifactStore({ path: "s3://b", partSize: 1024 }),
    (e: Error) => e instanceof ConfigError && /at least 5 MiB/.test(e.message),
  );
  assert.throws(
    () => new S3ArtifactStore({ path: "s3://b", endpoint: "ftp://x" }),
    ConfigError,
  );
  assert.throws(() => new S3ArtifactStore({ path: "s3://" }), ConfigError);
  const r = await s3Flavor.configSchema["~standard"].validate({
    path: "'s3://b/p'",
    concurrency: 0,
  });
  assert.ok(r.issues && /concurrency/.test(r.issues[0].message));
  await assert.rejects(
    createArtifactStore({ flavor: "s3", path: "gs://b" }),
    (e: Error) => e instanceof ConfigError && /'s3:\/\/'/.test(e.message),
  );
  const s = await createArtifactStore({
    flavor: "s3",
    path: "s3://b/p",
    ...KEYS,
  });
  assert.equal(s.flavor, "s3");
  assert.equal(s.path, "s3://b/p");
});

/** A fetch that serves canned ListObjectsV2 pages, keyed by continuation token. */
function cannedList(pages: Record<string, string>): typeof fetch {
  return ((input: string | URL | Request) => {
    const u = new URL(String(input));
    const tok = u.searchParams.get("continuation-token") ?? "";
    const page = pages[tok];
    return Promise.resolve(
      page === undefined
        ? new Response(body("InvalidArgument"), { status: 400 })
        : new Response(page, { status: 200 }),
    );
  }) as typeof fetch;
}

const listXml = (keys: string[], next?: string, encoded = false) =>
  `<ListBucketResult>${encoded ? "<EncodingType>url</EncodingType>" : ""}` +
  `<IsTruncated>${next ? "true" : "false"}</IsTruncated>` +
  (next ? `<NextContinuationToken>${next}</NextContinuationToken>` : "") +
  keys.map((k) =>
    `<Contents><Key>${k}</Key><Size>1</Size><LastModified>2024-01-01T00:00:00.000Z</LastModified></Contents>`
  ).join("") + `</ListBucketResult>`;

test("listing: pages are followed, url-encoded keys decoded", async () => {
  const store = new S3ArtifactStore({
    path: "s3://b/p",
    endpoint: "http://127.0.0.1:1",
    ...KEYS,
    fetch: cannedList({
      "": listXml(["p/a%20b", "p/c%2Bd"], "t1", true),
      t1: listXml(["p/e+f", "p/%25"], "t2", true),
      t2: listXml(["p/z"]),
    }),
  });
  assert.deepEqual(await store.listdir("s3://b/p"), [
    "%",
    "a b",
    "c+d",
    "e f",
    "z",
  ]);
});

test("listing: a repeated or missing continuation token is an error, not a loop", async () => {
  const loop = new S3ArtifactStore({
    path: "s3://b/p",
    endpoint: "http://127.0.0.1:1",
    ...KEYS,
    fetch: cannedList({
      "": listXml(["p/a"], "t1"),
      t1: listXml(["p/b"], "t1"),
    }),
  });
  await assert.rejects(loop.listdir("s3://b/p"), /repeated continuation token/);
  const cut = new S3ArtifactStore({
    path: "s3://b/p",
    endpoint: "http://127.0.0.1:1",
    ...KEYS,
    fetch: cannedList({
      "":
        `<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>p/a</Key><Size>1</Size></Contents></ListBucketResult>`,
    }),
  });
  await assert.rejects(cut.listdir("s3://b/p"), /no continuation token/);
});
