// Shared by the GCS test files: stores on the firebase emulator the runner
// started, stores on the protocol fixture, small retry backoffs, fault fetches.

import { emulator, type EmulatorInfo, runtimeName } from "../_env.ts";
import {
  GcsArtifactStore,
  type GcsStoreConfig,
  type ServiceAccountKey,
} from "../../flavors/gcs/mod.ts";
import type { Capabilities } from "../../src/types.ts";
import { type GcsFixture, makeServiceAccount, startFixture } from "./fixture.ts";

/** 1 MiB. */
export const MiB = 1024 * 1024;

/** Small backoffs so that retried requests in tests are quick. */
export const FAST_RETRY = {
  maxRetries: 5,
  initialBackoffMs: 5,
  maxBackoffMs: 50,
  totalTimeoutMs: 30_000,
};

/** A unique root prefix for one test run. */
export function uniquePrefix(label: string): string {
  return `${label}-${runtimeName()}-${Date.now().toString(36)}-${
    Math.random().toString(36).slice(2, 8)
  }`;
}

/** The firebase emulator, or a skip reason. */
export function gcsEmulator(): EmulatorInfo | string {
  return emulator("gcs");
}

/** The store config of the emulator, below a fresh prefix. */
export function emulatorConfig(
  e: EmulatorInfo,
  label: string,
  extra: Partial<GcsStoreConfig> = {},
): GcsStoreConfig {
  return {
    path: `gs://${e.env.STOWAGE_TEST_GCS_BUCKET}/${uniquePrefix(label)}`,
    endpoint: e.endpoint,
    anonymous: true,
    retry: FAST_RETRY,
    ...extra,
  };
}

/**
 * The firebase emulator has no objects.compose: a store for the shared suite
 * that says so, so its append step is skipped (and "append refused" checked)
 * rather than failed. The real store's clean NotSupportedError on the emulator
 * is tested in emulator_test.ts; append itself on the fixture.
 */
export class EmulatorGcsStore extends GcsArtifactStore {
  /** As the real store, without append. */
  override get capabilities(): Capabilities {
    return { ...super.capabilities, append: false };
  }
}

/** A store on the emulator, or the reason it cannot run. */
export function emulatorStore(
  label: string,
  extra: Partial<GcsStoreConfig> = {},
): GcsArtifactStore | string {
  const e = gcsEmulator();
  if (typeof e === "string") return e;
  return new GcsArtifactStore(emulatorConfig(e, label, extra));
}

/** A fixture with a fresh service account whose tokens it issues. */
export interface FixtureSetup {
  fixture: GcsFixture;
  keyFile: ServiceAccountKey;
  clientEmail: string;
  publicKey: CryptoKey;
  /** A store on the fixture, authenticated with the service-account key. */
  store(label: string, extra?: Partial<GcsStoreConfig>): GcsArtifactStore;
}

/** Starts the fixture with a fresh service account (auth required). */
export async function fixtureSetup(
  options: {
    tokenLifetime?: (n: number) => number;
    rewriteBytesPerCall?: number;
  } = {},
): Promise<FixtureSetup> {
  const sa = await makeServiceAccount();
  const fixture = await startFixture({
    serviceAccount: { clientEmail: sa.clientEmail, publicKey: sa.publicKey },
    tokenLifetime: options.tokenLifetime,
    rewriteBytesPerCall: options.rewriteBytesPerCall,
  });
  const keyFile = sa.keyFile(fixture.tokenUri) as unknown as ServiceAccountKey;
  return {
    fixture,
    keyFile,
    clientEmail: sa.clientEmail,
    publicKey: sa.publicKey,
    store: (label, extra = {}) =>
      new GcsArtifactStore({
        path: `gs://fixture-bucket/${uniquePrefix(label)}`,
        endpoint: fixture.endpoint,
        credentials: keyFile,
        retry: FAST_RETRY,
        ...extra,
      }),
  };
}

/** A `fetch` that runs `hook` before (or instead of) the real fetch. */
export function wrapFetch(
  hook: (
    url: string,
    init: RequestInit | undefined,
    real: typeof fetch,
  ) => Promise<Response> | undefined,
): typeof fetch {
  const real: typeof fetch = (input, init) => fetch(input, init);
  return ((input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    return hook(url, init, real) ?? real(input, init);
  }) as typeof fetch;
}

/** A response whose body has one byte flipped at `at`. */
export function corruptBody(res: Response, at: number): Response {
  let pos = 0;
  const body = res.body!.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        if (at >= pos && at < pos + chunk.length) {
          const copy = chunk.slice();
          copy[at - pos] ^= 0xff;
          c.enqueue(copy);
        } else c.enqueue(chunk);
        pos += chunk.length;
      },
    }),
  );
  return new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}
