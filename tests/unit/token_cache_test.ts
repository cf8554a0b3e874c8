// The token cache every cloud flavor uses: single-flight fetches, refresh ahead of
// expiry, failures not cached, the stale fallback, on an injected clock.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type Expiring, TokenCache, type TokenCacheOptions } from "../../src/http/mod.ts";

/** A fetcher whose calls wait until released, on a fake clock. */
function harness<T>(options: Omit<TokenCacheOptions, "now"> = {}) {
  const clock = { now: 1_000_000 };
  const calls: {
    signal?: AbortSignal;
    resolve(v: Expiring<T>): void;
    reject(e: unknown): void;
  }[] = [];
  const cache = new TokenCache<T>(
    (signal) =>
      new Promise<Expiring<T>>((resolve, reject) => calls.push({ signal, resolve, reject })),
    { ...options, now: () => clock.now },
  );
  return { clock, calls, cache };
}

/** Lets pending promise callbacks run. */
const tick = () => new Promise((r) => setTimeout(r, 0));

test("token cache: concurrent callers share one fetch", async () => {
  const { clock, calls, cache } = harness<string>();
  const waiting = Promise.all([cache.get(), cache.get(), cache.get()]);
  await tick();
  assert.equal(calls.length, 1, "one fetch for three callers");
  calls[0].resolve({ value: "t1", expiresAt: clock.now + 3_600_000 });
  assert.deepEqual(await waiting, ["t1", "t1", "t1"]);
  assert.equal(await cache.get(), "t1", "cached afterwards");
  assert.equal(calls.length, 1);
  // A refresh is single-flight too.
  clock.now += 3_600_000 - 60_000;
  const again = Promise.all([cache.get(), cache.get()]);
  await tick();
  assert.equal(calls.length, 2);
  calls[1].resolve({ value: "t2", expiresAt: clock.now + 3_600_000 });
  assert.deepEqual(await again, ["t2", "t2"]);
});

test("token cache: refreshed ahead of expiry, by the capped margin or a share of the lifetime", async () => {
  const { clock, calls, cache } = harness<string>();
  let n = 0;
  const next = async (lifetime: number) => {
    const p = cache.get();
    await tick();
    calls.at(-1)!.resolve({ value: `t${++n}`, expiresAt: clock.now + lifetime });
    return await p;
  };
  assert.equal(await next(3_600_000), "t1");
  // One hour: refreshed five minutes before expiry.
  clock.now += 3_600_000 - 300_001;
  assert.equal(await cache.get(), "t1");
  assert.equal(calls.length, 1);
  clock.now += 2;
  assert.equal(await next(60_000), "t2", "inside the last five minutes: refreshed");
  assert.equal(calls.length, 2);
  // One minute: refreshed at half its lifetime.
  clock.now += 29_999;
  assert.equal(await cache.get(), "t2");
  clock.now += 2;
  assert.equal(await next(3_600_000), "t3");
  assert.equal(calls.length, 3);
});

test("token cache: the margin is configurable; a value without expiry is kept", async () => {
  const { clock, calls, cache } = harness<number>({ maxMarginMs: 1000, marginFraction: 1 / 4 });
  let p = cache.get();
  await tick();
  calls[0].resolve({ value: 1, expiresAt: clock.now + 2000 });
  await p;
  clock.now += 1499; // a quarter of 2 s before expiry: 500 ms
  assert.equal(await cache.get(), 1);
  clock.now += 2;
  p = cache.get();
  await tick();
  assert.equal(calls.length, 2);
  calls[1].resolve({ value: 2 });
  assert.equal(await p, 2);
  clock.now += 1e12;
  assert.equal(await cache.get(), 2, "no expiry: never refreshed");
  assert.equal(calls.length, 2);
  cache.invalidate();
  p = cache.get();
  await tick();
  assert.equal(calls.length, 3, "invalidate forgets it");
  calls[2].resolve({ value: 3 });
  assert.equal(await p, 3);
});

test("token cache: a failed fetch is not cached; every waiter sees the failure", async () => {
  const { clock, calls, cache } = harness<string>();
  const a = cache.get();
  const b = cache.get();
  await tick();
  assert.equal(calls.length, 1);
  calls[0].reject(new Error("endpoint down"));
  await assert.rejects(a, /endpoint down/);
  await assert.rejects(b, /endpoint down/);
  const c = cache.get();
  await tick();
  assert.equal(calls.length, 2, "the next call fetches again");
  calls[1].resolve({ value: "t1", expiresAt: clock.now + 3_600_000 });
  assert.equal(await c, "t1");
});

test("token cache: a failed refresh throws, or hands out the still-valid value with staleFallbackMs", async () => {
  for (const staleFallbackMs of [undefined, 10_000]) {
    const { clock, calls, cache } = harness<string>({ staleFallbackMs });
    const first = cache.get();
    await tick();
    calls[0].resolve({ value: "old", expiresAt: clock.now + 3_600_000 });
    await first;
    clock.now += 3_600_000 - 60_000; // in the refresh window, still valid for a minute
    const refreshing = cache.get();
    await tick();
    calls[1].reject(new Error("endpoint down"));
    if (staleFallbackMs === undefined) await assert.rejects(refreshing, /endpoint down/);
    else assert.equal(await refreshing, "old");
    // The failure is not cached: the next call tries again.
    const retry = cache.get();
    await tick();
    assert.equal(calls.length, 3);
    calls[2].resolve({ value: "new", expiresAt: clock.now + 3_600_000 });
    assert.equal(await retry, "new");
  }
  // Closer to its expiry than the fallback allows: the error.
  const { clock, calls, cache } = harness<string>({ staleFallbackMs: 10_000 });
  const first = cache.get();
  await tick();
  calls[0].resolve({ value: "old", expiresAt: clock.now + 3_600_000 });
  await first;
  clock.now += 3_600_000 - 5_000;
  const late = cache.get();
  await tick();
  calls[1].reject(new Error("endpoint down"));
  await assert.rejects(late, /endpoint down/);
});

test("token cache: the signal of the call that starts a fetch reaches the fetcher", async () => {
  const { clock, calls, cache } = harness<string>();
  const ac = new AbortController();
  const p = cache.get(ac.signal);
  await tick();
  assert.equal(calls[0].signal, ac.signal);
  calls[0].resolve({ value: "t", expiresAt: clock.now + 3_600_000 });
  assert.equal(await p, "t");
});
