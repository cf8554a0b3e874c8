// Flavor modules the user registered (`stowage flavor register MODULE`), and the
// `--key.sub=value` settings of `artifact-store register`.

import { ConfigError } from "../errors.ts";
import type { Flavor } from "../flavor.ts";
import { registerFlavor } from "../registry.ts";
import { BaseArtifactStore as Base } from "../base.ts";
import type { Ctx } from "./context.ts";
// ------------------------------------------------------------------ flavor modules

export function exportedFlavors(mod: Record<string, unknown>): (Flavor | typeof Base)[] {
  const out: (Flavor | typeof Base)[] = [];
  for (const v of Object.values(mod)) {
    if (typeof v === "function" && v.prototype instanceof Base) {
      const cls = v as unknown as { FLAVOR?: string; SUPPORTED_SCHEMES?: unknown };
      if (typeof cls.FLAVOR === "string" && cls.FLAVOR && Array.isArray(cls.SUPPORTED_SCHEMES)) {
        out.push(v as unknown as typeof Base);
      }
    } else if (
      v && typeof v === "object" && typeof (v as Flavor).create === "function" &&
      typeof (v as Flavor).name === "string" && Array.isArray((v as Flavor).supportedSchemes)
    ) out.push(v as Flavor);
  }
  return out;
}

export async function importModule(
  spec: string,
  cwd: string | undefined,
): Promise<Record<string, unknown>> {
  let url = spec;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(spec)) {
    const abs = spec.startsWith("/") ? spec : `${cwd ?? ""}/${spec}`;
    url = new URL(`file://${abs}`).href;
  }
  try {
    return await import(url);
  } catch (err) {
    if (spec.startsWith("npm:")) {
      // Node and Bun resolve bare names from node_modules, not npm: specifiers.
      const bare = spec.slice(4).replace(/^(@[^/]+\/[^@/]+|[^@/]+)@[^/]+/, "$1");
      try {
        return await import(bare);
      } catch { /* report the first error */ }
    }
    throw new ConfigError(`Cannot load module '${spec}': ${(err as Error).message}`);
  }
}

export async function loadRegisteredFlavors(ctx: Ctx): Promise<void> {
  for (const f of ctx.cfg.flavors) {
    try {
      const mod = await importModule(f.module, undefined);
      for (const x of exportedFlavors(mod)) registerFlavor(x as Flavor, { replace: true });
    } catch (err) {
      ctx.io.err(
        `stowage: warning: flavor '${f.name}' from '${f.module}' not loaded: ${
          (err as Error).message
        }`,
      );
    }
  }
}

export function coerce(v: string | true): unknown {
  if (v === true) return true;
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (v === "true" || v === "false") return v === "true";
  return v;
}

/** Sets `key` on `config`; a dotted key (`retry.maxRetries`) sets a field of a nested object. */
export function setField(config: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split(".");
  let obj = config;
  for (const p of parts.slice(0, -1)) {
    const next = obj[p];
    if (!next || typeof next !== "object") obj[p] = {};
    obj = obj[p] as Record<string, unknown>;
  }
  obj[parts[parts.length - 1]] = value;
}
