// Serves a fetch handler on 127.0.0.1 (port 0) with the runtime running the tests:
// Deno.serve, Bun.serve, or @hono/node-server on Node.

import { runtimeName } from "../_env.ts";

/** A running server. */
export interface TestServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The port the OS picked. */
  port: number;
  /** Which server runs it. */
  kind: "Deno.serve" | "Bun.serve" | "@hono/node-server";
  /** Stops the server and drops its connections. */
  close(): Promise<void>;
}

type Handler = (req: Request) => Response | Promise<Response>;

/**
 * Starts a server for `handler` on `hostname` (default 127.0.0.1), port 0.
 *
 * @param handler the fetch handler (`app.fetch`)
 * @param hostname the address to bind
 */
export async function serveOnRuntime(
  handler: Handler,
  hostname = "127.0.0.1",
): Promise<TestServer> {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  const runtime = runtimeName();
  if (runtime === "deno") {
    const ac = new AbortController();
    const server = g.Deno.serve({
      hostname,
      port: 0,
      signal: ac.signal,
      onListen() {},
    }, handler);
    const port = server.addr.port as number;
    return {
      url: `http://${hostname}:${port}`,
      port,
      kind: "Deno.serve",
      close: async () => {
        ac.abort();
        await server.finished;
      },
    };
  }
  if (runtime === "bun") {
    const server = g.Bun.serve({
      hostname,
      port: 0,
      fetch: handler,
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      idleTimeout: 120,
    });
    const port = server.port as number;
    return {
      url: `http://${hostname}:${port}`,
      port,
      kind: "Bun.serve",
      close: async () => {
        await server.stop(true);
      },
    };
  }
  const { serve } = await import("@hono/node-server");
  let server!: ReturnType<typeof serve>;
  const port = await new Promise<number>((resolve) => {
    server = serve(
      { fetch: handler, hostname, port: 0 },
      (info) => resolve(info.port),
    );
  });
  return {
    url: `http://${hostname}:${port}`,
    port,
    kind: "@hono/node-server",
    close: () =>
      new Promise<void>((resolve) => {
        // deno-lint-ignore no-explicit-any
        (server as any).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
