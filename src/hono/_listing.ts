// The JSON reads: `GET /stat/{path}`, `/exists/{path}`, `/list/{path}`,
// `/glob?pattern=`, and `/walk/{path}?topdown=` streamed as NDJSON.

import type { Hono } from "hono";
import type { WalkEntry } from "../types.ts";
import { InvalidArgumentError } from "../errors.ts";
import { encodeWalkLine, type ExistsJson, QUERY } from "../http_wire.ts";
import { joinUri } from "../path.ts";
import type { Access } from "./_auth.ts";
import { boolQuery } from "./_request.ts";

/** Adds the listing routes. */
export function listingRoutes(
  app: Hono,
  access: Access,
  onError: (error: unknown) => void,
): void {
  const served = access.served;
  const store = served.store;

  app.get("/stat/*", async (c) => {
    const { uri } = await access.target(c, "stat");
    return c.json(served.statJson(await store.stat(uri)));
  });

  app.get("/exists/*", async (c) => {
    const { uri } = await access.target(c, "exists");
    const answer: ExistsJson = { exists: await store.exists(uri) };
    return c.json(answer);
  });

  app.get("/list/*", async (c) => {
    const { uri } = await access.target(c, "list");
    return c.json(await store.listdir(uri));
  });

  app.get("/glob", async (c) => {
    const pattern = c.req.query(QUERY.pattern);
    if (pattern === undefined) {
      throw new InvalidArgumentError(
        "Missing 'pattern': ask GET /glob?pattern=<pattern relative to the root>",
      );
    }
    const dirsOnly = /[/\\]$/.test(pattern);
    const rel = served.resolveRel(pattern);
    await access.allow(c, "glob", rel);
    const found = await store.glob(joinUri(served.root, rel) + (dirsOnly ? "/" : ""));
    return c.json(found.map((u) => served.relOf(u)));
  });

  app.get("/walk/*", async (c) => {
    const { uri } = await access.target(c, "walk");
    const topdown = boolQuery(c, QUERY.topdown, true);
    const errors: unknown[] = [];
    const it = store.walk(uri, { topdown, onerror: (e) => errors.push(e) });
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        let next: IteratorResult<WalkEntry>;
        try {
          next = await it.next();
        } catch (err) {
          errors.push(err);
          next = { done: true, value: undefined };
        }
        for (const e of errors.splice(0)) {
          controller.enqueue(encodeWalkLine(served.errorBody(e, onError)));
        }
        if (next.done) {
          controller.close();
          return;
        }
        const [dir, dirs, files] = next.value;
        controller.enqueue(encodeWalkLine([served.relOf(dir), dirs, files]));
      },
      async cancel() {
        await it.return(undefined);
      },
    }, { highWaterMark: 0 });
    return new Response(body, {
      headers: {
        "content-type": "application/x-ndjson; charset=utf-8",
        "cache-control": "no-store",
      },
    });
  });
}
