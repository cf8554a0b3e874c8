// A small argument parser for the CLI: positionals, `--name value`, `--name=value`,
// boolean flags and short flag groups (`-rl`). Unknown `--key=value` pairs are kept, so
// `artifact-store register` can pass flavor fields through.

import { closestName } from "../suggest.ts";

/** Parsed arguments. */
export interface ParsedArgs {
  /** Positional arguments, in order. */
  positionals: string[];
  /** Options by long name; booleans are `true`. */
  options: Record<string, string | true>;
}

/** What a command accepts. */
export interface ArgSpec {
  /** Long names of boolean flags. */
  booleans?: readonly string[];
  /** Long names of options that take a value. */
  strings?: readonly string[];
  /** Short letters mapped to long names. */
  aliases?: Readonly<Record<string, string>>;
  /** Keep unknown `--key value` / `--key=value` options instead of refusing them. */
  passThrough?: boolean;
}

/** A usage error (exit code 2). */
export class UsageError extends Error {
  /** @param message what is wrong and what to type instead */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses command-line arguments.
 *
 * @param argv the arguments after the command words
 * @param spec what the command accepts
 * @returns positionals and options
 */
export function parseArgs(argv: readonly string[], spec: ArgSpec = {}): ParsedArgs {
  const booleans = new Set(["help", ...(spec.booleans ?? [])]);
  const strings = new Set(spec.strings ?? []);
  const aliases = { h: "help", ...(spec.aliases ?? {}) };
  const positionals: string[] = [];
  const options: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (booleans.has(name)) {
        if (eq >= 0) throw new UsageError(`Option '--${name}' takes no value`);
        options[name] = true;
      } else if (strings.has(name) || spec.passThrough) {
        if (eq >= 0) options[name] = a.slice(eq + 1);
        else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) options[name] = argv[++i];
        else if (strings.has(name)) throw new UsageError(`Option '--${name}' needs a value`);
        else options[name] = true;
      } else {
        throw new UsageError(`Unknown option '--${name}': see --help`);
      }
      continue;
    }
    if (a.startsWith("-") && a.length > 1 && !/^-\d/.test(a)) {
      for (const ch of a.slice(1)) {
        const name = (aliases as Record<string, string>)[ch];
        if (!name) throw new UsageError(`Unknown option '-${ch}': see --help`);
        if (strings.has(name)) {
          if (i + 1 >= argv.length) throw new UsageError(`Option '-${ch}' needs a value`);
          options[name] = argv[++i];
        } else options[name] = true;
      }
      continue;
    }
    positionals.push(a);
  }
  return { positionals, options };
}

/**
 * The closest of `candidates` to `word` (at most 2 edits), for "did you mean": the
 * one implementation the configuration checks use too.
 */
export const suggest: (word: string, candidates: readonly string[]) => string | undefined =
  closestName;
