// The commands that manage flavors and registered stores: flavor list|register|delete,
// artifact-store register|list|describe|delete|set-default.

import { UsageError } from "./args.ts";
import { DEFAULT_STORE, maskSecrets, saveConfig } from "./config.ts";
import { table } from "./output.ts";
import { type SchemaField, schemaFields } from "./schema.ts";
import { posix } from "node:path";
import { ConfigError } from "../errors.ts";
import type { Flavor } from "../flavor.ts";
import { validateConfig } from "../flavor.ts";
import {
  getFlavor,
  listFlavors,
  registerFlavor,
  type StoreConfig,
  unregisterFlavor,
} from "../registry.ts";
import { type Command, JSON_OPT, registeredStore, storeNamed } from "./context.ts";
import { coerce, exportedFlavors, importModule, setField } from "./plugins.ts";
export const STORE_COMMANDS: Record<string, Command> = {
  "flavor list": {
    summary: "List the flavors: name, schemes, where they come from, config fields",
    usage: "stowage flavor list [--json]",
    description: [
      "Lists every flavor, built-in and registered, with the URI schemes it serves and every",
      "configuration field its schema declares (nested ones as retry.maxRetries).",
    ],
    options: [JSON_OPT],
    examples: ["stowage flavor list", "stowage flavor list --json | jq '.[].name'"],
    args: [0, 0],
    json: true,
    spec: {},
    async run(ctx) {
      const infos = listFlavors();
      const rows: { name: string; schemes: string[]; source: string; fields: SchemaField[] }[] = [];
      for (const i of infos) {
        const mod = ctx.cfg.flavors.find((f) => f.name === i.name);
        const fl = await getFlavor(i.name).catch(() => undefined);
        rows.push({
          name: i.name,
          schemes: [...i.supportedSchemes],
          source: mod ? mod.module : i.builtin || !mod ? "built-in" : "registered",
          fields: fl ? schemaFields(fl.configSchema) : [],
        });
      }
      if (ctx.json) return ctx.io.out(JSON.stringify(rows, null, 2));
      for (
        const l of table(
          ["NAME", "SCHEMES", "SOURCE", "CONFIG FIELDS"],
          rows.map((r) => [
            r.name,
            r.schemes.join(" ") || "(paths)",
            r.source,
            r.fields.map((f) => f.name).join(", "),
          ]),
        )
      ) ctx.io.out(l);
    },
  },
  "flavor register": {
    summary: "Register the flavors a module exports (file path, URL or npm: specifier)",
    usage: "stowage flavor register [--json] MODULE",
    description: [
      "Imports MODULE and registers every flavor it exports: a flavor object",
      "{ name, type, supportedSchemes, configSchema, create } or a BaseArtifactStore subclass",
      "with static FLAVOR and SUPPORTED_SCHEMES. Later invocations load it again.",
    ],
    options: [JSON_OPT],
    examples: ["stowage flavor register ./examples/custom_flavor.ts"],
    args: [1, 1],
    json: true,
    spec: {},
    async run(ctx, a) {
      const spec = a.positionals[0];
      const cwd = ctx.io.cwd();
      const mod = await importModule(spec, cwd);
      const found = exportedFlavors(mod);
      if (found.length === 0) {
        throw new ConfigError(
          `Module '${spec}' exports no flavor: export a BaseArtifactStore subclass with static ` +
            "FLAVOR and SUPPORTED_SCHEMES, or a flavor object { name, type, supportedSchemes, configSchema, create }",
        );
      }
      const resolved = /^[a-z][a-z0-9+.-]*:/i.test(spec)
        ? spec
        : new URL(`file://${posix.resolve(cwd, spec)}`).href;
      const done: { name: string; schemes: string[]; module: string }[] = [];
      for (const x of found) {
        const f = registerFlavor(x as Flavor, { replace: true });
        ctx.cfg.flavors = ctx.cfg.flavors.filter((e) => e.name !== f.name);
        ctx.cfg.flavors.push({ name: f.name, module: resolved });
        done.push({ name: f.name, schemes: [...f.supportedSchemes], module: resolved });
      }
      await saveConfig(ctx.home, ctx.cfg);
      if (ctx.json) return ctx.io.out(JSON.stringify({ registered: done }, null, 2));
      for (const f of done) {
        ctx.io.out(`Registered flavor '${f.name}' (${f.schemes.join(", ")}) from ${f.module}`);
      }
    },
  },
  "flavor delete": {
    summary: "Forget a flavor registered from a module",
    usage: "stowage flavor delete [--json] NAME",
    description: ["Forgets a flavor registered with 'flavor register'; built-in flavors stay."],
    options: [JSON_OPT],
    examples: ["stowage flavor delete kv"],
    args: [1, 1],
    json: true,
    spec: {},
    async run(ctx, a) {
      const name = a.positionals[0];
      if (!ctx.cfg.flavors.some((f) => f.name === name)) {
        throw new ConfigError(
          `No registered flavor module named '${name}' (built-in flavors stay)`,
        );
      }
      ctx.cfg.flavors = ctx.cfg.flavors.filter((f) => f.name !== name);
      unregisterFlavor(name);
      await saveConfig(ctx.home, ctx.cfg);
      if (ctx.json) return ctx.io.out(JSON.stringify({ deleted: name }));
      ctx.io.out(`Deleted flavor '${name}'`);
    },
  },
  "artifact-store register": {
    summary: "Register a store: a name, a flavor, a root path and flavor fields",
    usage: "stowage artifact-store register NAME --flavor F --path URI [--FIELD=VALUE …] [--json]",
    description: [
      "Saves a store under NAME in $STOWAGE_HOME/config.json, after checking the fields",
      "against the flavor's schema ('stowage flavor list' shows them). Numbers and true/false",
      "are converted; a dotted field sets a nested one (--retry.maxRetries=2). Paths inside",
      "it are then written NAME:path.",
    ],
    options: [
      ["--flavor F", "the flavor (local, memory, s3, gcp, azure, http, r2, or a registered one)"],
      ["--path URI", "the store's root (s3://bucket/prefix, an absolute path, …)"],
      ["--FIELD=VALUE", "any configuration field of the flavor (--region=eu-west-1)"],
      JSON_OPT,
    ],
    examples: [
      "stowage artifact-store register models --flavor s3 --path s3://bucket/models --region=eu-west-1",
    ],
    args: [1, 1],
    json: true,
    spec: { strings: ["flavor", "path"], passThrough: true },
    async run(ctx, a) {
      const name = a.positionals[0];
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
        throw new UsageError(
          "Give the store a name of letters, digits, '.', '_' or '-'",
        );
      }
      if (ctx.cfg.stores[name] && name !== DEFAULT_STORE) {
        throw new ConfigError(
          `An artifact store named '${name}' exists: delete it first or pick another name`,
        );
      }
      const { flavor: fl, path, json: _j, help: _h, ...rest } = a.options;
      if (typeof fl !== "string") {
        throw new UsageError("Name the flavor: --flavor s3 (see 'stowage flavor list')");
      }
      if (typeof path !== "string") {
        throw new UsageError("Give the root: --path s3://bucket/prefix");
      }
      const flavor = await getFlavor(fl);
      const config: StoreConfig = { flavor: fl, path };
      for (const [k, v] of Object.entries(rest)) setField(config, k, coerce(v));
      const valid = await validateConfig(flavor, config);
      ctx.cfg.stores[name] = { ...config, path: valid.path };
      await saveConfig(ctx.home, ctx.cfg);
      if (ctx.json) {
        return ctx.io.out(JSON.stringify({ name, flavor: fl, path: valid.path }));
      }
      ctx.io.out(`Registered artifact store '${name}' (flavor ${fl}, path ${valid.path})`);
    },
  },
  "artifact-store list": {
    summary: "List the registered stores",
    usage: "stowage artifact-store list [--json]",
    description: ["Lists the registered stores; '*' marks the default one (what serve serves)."],
    options: [JSON_OPT],
    examples: ["stowage artifact-store list"],
    args: [0, 0],
    json: true,
    spec: {},
    run(ctx) {
      const rows = Object.entries(ctx.cfg.stores).map(([n, c]) => ({
        name: n,
        flavor: String(c.flavor),
        path: String(c.path),
        default: n === ctx.cfg.defaultStore,
      }));
      if (ctx.json) ctx.io.out(JSON.stringify(rows, null, 2));
      else {
        for (
          const l of table(
            ["", "NAME", "FLAVOR", "PATH"],
            rows.map((r) => [r.default ? "*" : "", r.name, r.flavor, r.path]),
          )
        ) ctx.io.out(l);
      }
      return Promise.resolve();
    },
  },
  "artifact-store describe": {
    summary: "Show a store's configuration (secrets masked)",
    usage: "stowage artifact-store describe [--json] [NAME]",
    description: [
      "Shows a store's configuration and capabilities (default: the default store). Secrets",
      "(key ids, secret keys, tokens, account keys, SAS, connection strings, service-account",
      "JSON) are masked, showing at most their last 4 characters.",
    ],
    options: [JSON_OPT],
    examples: ["stowage artifact-store describe models"],
    args: [0, 1],
    json: true,
    spec: {},
    async run(ctx, a) {
      const name = a.positionals[0] ?? ctx.cfg.defaultStore;
      const s = await storeNamed(ctx, name);
      const shown = {
        name,
        default: name === ctx.cfg.defaultStore,
        ...maskSecrets(ctx.cfg.stores[name]),
        capabilities: s.capabilities,
      };
      if (ctx.json) return ctx.io.out(JSON.stringify(shown, null, 2));
      for (const [k, v] of Object.entries(shown)) {
        ctx.io.out(`${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`);
      }
    },
  },
  "artifact-store delete": {
    summary: "Forget a registered store (its data stays)",
    usage: "stowage artifact-store delete [--json] NAME",
    description: ["Removes NAME from the configuration; no file in the store is touched."],
    options: [JSON_OPT],
    examples: ["stowage artifact-store delete models"],
    args: [1, 1],
    json: true,
    spec: {},
    async run(ctx, a) {
      const name = a.positionals[0];
      registeredStore(ctx, name);
      if (name === DEFAULT_STORE) {
        throw new ConfigError(`The embedded store '${DEFAULT_STORE}' cannot be deleted`);
      }
      if (name === ctx.cfg.defaultStore) {
        throw new ConfigError(
          `'${name}' is the default store: set another default first (artifact-store set-default)`,
        );
      }
      delete ctx.cfg.stores[name];
      await saveConfig(ctx.home, ctx.cfg);
      if (ctx.json) return ctx.io.out(JSON.stringify({ deleted: name }));
      ctx.io.out(`Deleted artifact store '${name}' (its files were not touched)`);
    },
  },
  "artifact-store set-default": {
    summary: "Make a store the default (what serve and describe use without a name)",
    usage: "stowage artifact-store set-default [--json] NAME",
    description: [
      "Makes NAME the default store: 'stowage serve' serves it and 'artifact-store describe'",
      "shows it when no name is given. Paths still name their store (NAME:path).",
    ],
    options: [JSON_OPT],
    examples: ["stowage artifact-store set-default models"],
    args: [1, 1],
    json: true,
    spec: {},
    async run(ctx, a) {
      const name = a.positionals[0];
      registeredStore(ctx, name);
      ctx.cfg.defaultStore = name;
      await saveConfig(ctx.home, ctx.cfg);
      if (ctx.json) return ctx.io.out(JSON.stringify({ default: name }));
      ctx.io.out(`Default artifact store is now '${name}'`);
    },
  },
};
