// The `gcp` flavor's configuration schema, credential order, error mapping,
// batch-answer parsing and registry entry: no server needed (except a refused
// loopback port for the metadata server that is not there).

import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import {
  AuthenticationError,
  ConfigError,
  FileExistsError,
  FileNotFoundError,
  PermissionDeniedError,
  PreconditionFailedError,
} from "../../src/errors.ts";
import { createArtifactStore, getFlavorForScheme, listFlavors } from "../../src/registry.ts";
import { validateConfig } from "../../src/flavor.ts";
import {
  GcsArtifactStore,
  gcsConfigSchema,
  gcsFlavor,
  resolveGcsAuth,
  type ServiceAccountKey,
} from "../../flavors/gcs/mod.ts";
import { normalizeEndpoint } from "../../flavors/gcs/endpoint.ts";
import { parseKeyFile } from "../../flavors/gcs/key_file.ts";
import { mapGcsError } from "../../flavors/gcs/errors.ts";
import { parseBatchAnswer as parseBatchResponse } from "../../flavors/gcs/batch.ts";
import { parseGoogHash } from "../../flavors/gcs/objects.ts";
import { importPrivateKey, rsaSign } from "../../flavors/gcs/signer.ts";
import { makeServiceAccount } from "./fixture.ts";

const none = () => undefined;

test("gcp config: the schema checks every field with a message that says what to fix", async () => {
  const bad = async (cfg: Record<string, unknown>, re: RegExp) => {
    const r = await gcsConfigSchema["~standard"].validate({
      path: "gs://b",
      ...cfg,
    });
    assert.ok(r.issues, JSON.stringify(cfg));
    assert.match(r.issues!.map((i) => i.message).join("; "), re);
  };
  await bad({ partSize: 300 * 1024 }, /multiple of 256 KiB/);
  await bad({ partSize: 1024 }, /at least 256 KiB/);
  await bad({ endpoint: "ftp://x" }, /http:\/\/ or https:\/\//);
  await bad({ retryStrategy: "sometimes" }, /'conditional' or 'always'/);
  await bad({ credentials: 42 }, /key file's JSON/);
  await bad({ accessToken: "" }, /accessToken/);
  await bad({ accessToken: 5 }, /non-empty string or a function/);
  await bad({ path: "" }, /'path' is empty/);
  const ok = await gcsConfigSchema["~standard"].validate({
    path: "'gs://b/p'",
    partSize: 512 * 1024,
    accessToken: () => "t",
    retryStrategy: "always",
  });
  assert.ok(!ok.issues);
  assert.equal((ok as { value: { path: string } }).value.path, "gs://b/p");
  assert.throws(
    () => new GcsArtifactStore({ path: "gs://b", partSize: 1000 }),
    ConfigError,
  );
  assert.throws(
    () => new GcsArtifactStore({ path: "gs://" }),
    /names no bucket/,
  );
  await assert.rejects(
    validateConfig(gcsFlavor, { path: "s3://b" }),
    /'gs:\/\/'/,
  );
});

test("gcp registry: the flavor is listed without loading, and loads for gs:// on first use", async () => {
  const info = listFlavors().find((f) => f.name === "gcp");
  assert.ok(info && info.builtin && info.supportedSchemes.includes("gs://"));
  assert.equal((await getFlavorForScheme("gs")).name, "gcp");
  const store = await createArtifactStore({
    flavor: "gcp",
    path: "gs://bucket/prefix",
    accessToken: "t",
  });
  assert.ok(store instanceof GcsArtifactStore);
  assert.equal(store.path, "gs://bucket/prefix");
  assert.deepEqual(store.supportedSchemes, ["gs://"]);
});

test("gcp credentials: the order — emulator host, anonymous, token, key, env file, custom endpoint, gcloud, metadata", async () => {
  const sa = (await makeServiceAccount()).keyFile(
    "https://oauth2.googleapis.com/token",
  ) as unknown as ServiceAccountKey;
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  // STORAGE_EMULATOR_HOST wins over explicit credentials, with or without a scheme.
  let a = resolveGcsAuth({ path: "gs://b", credentials: sa }, {
    env: env({ STORAGE_EMULATOR_HOST: "localhost:9023" }),
  });
  assert.deepEqual([a.source, a.endpoint, await a.token()], [
    "emulator",
    "http://localhost:9023",
    null,
  ]);
  a = resolveGcsAuth({ path: "gs://b" }, {
    env: env({ STORAGE_EMULATOR_HOST: "https://gcs.local:4443/" }),
  });
  assert.equal(a.endpoint, "https://gcs.local:4443");
  // …but an explicit endpoint wins over the variable, and credentials apply again.
  a = resolveGcsAuth({
    path: "gs://b",
    endpoint: "http://127.0.0.1:1",
    credentials: sa,
  }, {
    env: env({ STORAGE_EMULATOR_HOST: "localhost:9023" }),
  });
  assert.deepEqual([a.source, a.endpoint, a.maySign], [
    "service-account",
    "http://127.0.0.1:1",
    true,
  ]);
  a = resolveGcsAuth({ path: "gs://b", anonymous: true, credentials: sa }, {
    env: none,
  });
  assert.equal(a.source, "anonymous");
  a = resolveGcsAuth(
    { path: "gs://b", accessToken: "ya29.x", credentials: sa },
    { env: none },
  );
  assert.deepEqual([a.source, await a.token()], ["access-token", "ya29.x"]);
  a = resolveGcsAuth({ path: "gs://b", credentials: JSON.stringify(sa) }, {
    env: none,
  });
  assert.equal(a.source, "service-account");
  assert.equal((await a.signingKey())?.clientEmail, sa.client_email);
  a = resolveGcsAuth({ path: "gs://b" }, {
    env: env({ GOOGLE_APPLICATION_CREDENTIALS: "/x/key.json" }),
  });
  assert.deepEqual([a.source, a.maySign], ["key-file", true]);
  // A custom endpoint with no credentials anywhere: anonymous (an emulator).
  a = resolveGcsAuth({ path: "gs://b", endpoint: "http://127.0.0.1:4443" }, {
    env: none,
  });
  assert.equal(a.source, "anonymous");
  assert.equal(a.customEndpoint, true);
  // Nothing at all on Google's endpoint: gcloud's file, then the metadata server, else a clear error.
  a = resolveGcsAuth({ path: "gs://b" }, {
    env: env({
      CLOUDSDK_CONFIG: "/nonexistent-stowage",
      GCE_METADATA_HOST: "127.0.0.1:1",
    }),
    retry: { maxRetries: 0 },
  });
  assert.equal(a.source, "application-default");
  await assert.rejects(
    a.token(),
    (e: Error) =>
      e instanceof AuthenticationError &&
      /No Google credentials found/.test(e.message),
  );
});

test("gcp credentials: key files are checked, with messages naming what is wrong", async () => {
  assert.throws(() => parseKeyFile("{not json", "inline"), /not valid JSON/);
  assert.throws(
    () => parseKeyFile({ type: "service_account", client_email: "x" }, "inline"),
    /'private_key'/,
  );
  assert.throws(
    () => parseKeyFile({ type: "external_account" }, "inline"),
    /'external_account'.*does not support/,
  );
  assert.throws(
    () =>
      new GcsArtifactStore({
        path: "gs://b",
        credentials: '{"type":"service_account"}',
      }),
    ConfigError,
  );
  await assert.rejects(
    importPrivateKey(
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    ),
    ConfigError,
  );
  assert.equal(normalizeEndpoint("127.0.0.1:9023"), "http://127.0.0.1:9023");
  assert.equal(
    normalizeEndpoint("https://storage.googleapis.com/storage/v1/"),
    "https://storage.googleapis.com",
  );
});

test("gcp credentials: a PKCS#1 key (BEGIN RSA PRIVATE KEY) is imported too", async () => {
  const sa = await makeServiceAccount();
  const pkcs1 = createPrivateKey(sa.privateKeyPem).export({
    type: "pkcs1",
    format: "pem",
  })
    .toString();
  assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
  const key = await importPrivateKey(pkcs1);
  const sig = await rsaSign(key, "hello");
  const ok = await crypto.subtle.verify(
    { name: "RSASSA-PKCS1-v1_5" },
    sa.publicKey,
    sig as BufferSource,
    new TextEncoder().encode("hello") as BufferSource,
  );
  assert.ok(ok);
});

test("gcp errors: statuses and reasons map to typed errors, retryable where a retry helps", () => {
  const map = (
    status: number,
    body = "",
    url = "https://storage.googleapis.com/storage/v1/b/b/o/k",
  ) =>
    mapGcsError({
      status,
      headers: new Headers(),
      body,
      request: { method: "POST", url, path: "gs://b/k" },
    });
  assert.ok(map(404) instanceof FileNotFoundError);
  assert.ok(
    map(
      412,
      "",
      "https://x/upload/storage/v1/b/b/o?uploadType=multipart&ifGenerationMatch=0",
    ) instanceof FileExistsError,
  );
  assert.ok(
    map(412, "", "https://x/b/b/o/k/compose?ifGenerationMatch=123") instanceof
      PreconditionFailedError,
  );
  const auth = map(
    401,
    '{"error":{"code":401,"message":"Invalid Credentials","errors":[{"reason":"authError"}]}}',
  );
  assert.ok(auth instanceof AuthenticationError);
  assert.match(auth.message, /Invalid Credentials/);
  assert.ok(map(403) instanceof PermissionDeniedError && !map(403).retryable);
  assert.ok(
    map(403, '{"error":{"code":403,"errors":[{"reason":"rateLimitExceeded"}]}}')
      .retryable,
  );
  assert.ok(
    map(429).retryable && map(500).retryable && map(503).retryable &&
      map(408).retryable,
  );
  assert.ok(!map(400).retryable);
  assert.ok(
    map(
      400,
      '{"error":{"code":400,"message":"Provided CRC32C \\"AAAAAA==\\" doesn\'t match calculated CRC32C"}}',
    ).retryable,
  );
  const xml = map(
    403,
    "<Error><Code>AccessDenied</Code><Message>No access</Message></Error>",
  );
  assert.match(xml.message, /AccessDenied: No access/);
});

test("gcp batch answers: per-key statuses by Content-ID, unmentioned keys counted as failed", () => {
  const b = "batch_abc";
  const text = `--${b}\r\nContent-Type: application/http\r\nContent-ID: <response-item2>\r\n\r\n` +
    `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\r\n{"error":{}}\r\n` +
    `--${b}\r\nContent-Type: application/http\r\nContent-ID: <response-item1>\r\n\r\n` +
    `HTTP/1.1 204 No Content\r\n\r\n\r\n--${b}--\r\n`;
  const r = parseBatchResponse(text, b, ["a", "b", "c"]);
  assert.deepEqual(r.map((x) => [x.key, x.status]).sort(), [["a", 204], [
    "b",
    404,
  ], ["c", 503]]);
  assert.equal(
    parseGoogHash("crc32c=yZRlqg==,md5=XrY7u+Ae7tCTyyK7j1rNww=="),
    0xc99465aa,
  );
  assert.equal(parseGoogHash("md5=XrY7u+Ae7tCTyyK7j1rNww=="), undefined);
});
