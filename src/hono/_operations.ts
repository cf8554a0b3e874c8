// The JSON writes: `POST /copy` and `POST /rename` (body `{ src, dst, overwrite }`)
// and `POST /mkdir/{path}` (`?parents=true` → makedirs).

import type { Context, Hono } from "hono";
import { InvalidArgumentError } from "../errors.ts";
import { type MoveJson, QUERY } from "../http_wire.ts";
import { joinUri } from "../path.ts";
import type { Access } from "./_auth.ts";
import { boolQuery, readJson } from "./_request.ts";

/** Adds the copy, rename and mkdir routes. */
export function operationRoutes(app: Hono, access: Access): void {
  const { store, root } = access.served;

  const copyOrRename = (op: "copy" | "rename") => async (c: Context) => {
    const body = await readJson(c.req.raw);
    const { src, dst, overwrite } = (body ?? {}) as Partial<Record<keyof MoveJson, unknown>>;
    if (typeof src !== "string" || typeof dst !== "string") {
      throw new InvalidArgumentError(
        `POST /${op} takes a JSON body { "src": "<path>", "dst": "<path>", "overwrite": false }`,
      );
    }
    if (overwrite !== undefined && typeof overwrite !== "boolean") {
      throw new InvalidArgumentError(
        `'overwrite' must be true or false, got ${JSON.stringify(overwrite)}`,
      );
    }
    const s = access.served.resolveRel(src);
    const d = access.served.resolveRel(dst);
    await access.allow(c, op, s);
    await access.allow(c, op, d);
    const opts = { overwrite: overwrite ?? false };
    if (op === "copy") {
      await store.copyfile(joinUri(root, s), joinUri(root, d), opts);
    } else {
      await store.rename(joinUri(root, s), joinUri(root, d), opts);
    }
    return c.body(null, 204);
  };
  app.post("/copy", copyOrRename("copy"));
  app.post("/rename", copyOrRename("rename"));

  app.post("/mkdir/*", async (c) => {
    const { uri } = await access.target(c, "mkdir");
    if (boolQuery(c, QUERY.parents, false)) await store.makedirs(uri);
    else await store.mkdir(uri);
    return c.body(null, 204);
  });
}
