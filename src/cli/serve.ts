// `stowage serve`: the Hono adapter over one store, on whichever runtime runs the CLI.

import type { BaseArtifactStore } from "../base.ts";
import { ConfigError } from "../errors.ts";
import { artifactStoreApp } from "../hono/mod.ts";

/** Options of {@linkcode serveCommand}. */
export interface ServeOptions {
  /** Port (default `PORT` or 8000; 0 picks a free one). */
  port?: number;
  /** Address to bind (default 127.0.0.1). */
  hostname?: string;
  /** Bearer token (default: a new one for this run). */
  token?: string;
  /** Refuse writes. */
  readOnly?: boolean;
  /** Serve without a token on a non-loopback address. */
  allowAnonymous?: boolean;
  /** Prints a line. */
  log: (line: string) => void;
  /** Stops the server. */
  signal?: AbortSignal;
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

/**
 * Serves `store` until `signal` aborts (or the process ends), printing the URL, the
 * token and a curl line to try.
 *
 * @param store the store
 * @param o port, host, token, read-only, logging
 */
export async function serveCommand(store: BaseArtifactStore, o: ServeOptions): Promise<void> {
  const hostname = o.hostname ?? "127.0.0.1";
  const port = o.port ?? Number(g.Deno?.env.get("PORT") ?? g.process?.env?.PORT ?? 8000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`Port '${port}' is not a port number: use 0-65535`);
  }
  const token = o.token ?? (o.allowAnonymous ? undefined : newToken());
  const app = artifactStoreApp(store, {
    tokens: token ? [token] : undefined,
    hostname,
    readOnly: o.readOnly,
    allowAnonymous: o.allowAnonymous,
  });
  const announce = (p: number) => {
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    const url = `http://${host}:${p}`;
    o.log(`Stowage serving ${store.path} at ${url}`);
    o.log(token ? `Token: ${token}` : "Token: none (anonymous access)");
    o.log(`curl${token ? ` -H "Authorization: Bearer ${token}"` : ""} ${url}/list/`);
  };
  let stop: () => Promise<void>;
  if (g.Deno?.serve) {
    const ac = new AbortController();
    const server = g.Deno.serve(
      { hostname, port, signal: ac.signal, onListen: (a: { port: number }) => announce(a.port) },
      app.fetch,
    );
    stop = async () => {
      ac.abort();
      await server.finished;
    };
  } else if (g.Bun?.serve) {
    const server = g.Bun.serve({ hostname, port, fetch: app.fetch });
    announce(server.port);
    stop = () => Promise.resolve(server.stop(true));
  } else {
    const { serve } = await import("@hono/node-server");
    const server = await new Promise<{ close(cb: () => void): void }>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname, port }, (info) => {
        announce(info.port);
        resolve(s as unknown as { close(cb: () => void): void });
      });
    });
    stop = () => new Promise((r) => server.close(() => r()));
  }
  await new Promise<void>((resolve) => {
    if (o.signal?.aborted) return resolve();
    o.signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  await stop();
}
