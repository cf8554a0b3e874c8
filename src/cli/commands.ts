// The CLI's command table and dispatcher: help, `help CMD`, --version, argument checks, and
// running a command under the interrupt signal. The commands live in store_commands.ts and
// file_commands.ts; what they share in context.ts.

import { type ArgSpec, parseArgs, suggest, UsageError } from "./args.ts";
import { loadConfig, stowageHome } from "./config.ts";
import { table } from "./output.ts";
import { VERSION } from "./version.ts";
import { type CliIO, type Command, type Ctx, PATHS_NOTE, reportingFetch } from "./context.ts";
import { STORE_COMMANDS } from "./store_commands.ts";
import { FILE_COMMANDS } from "./file_commands.ts";

export type { CliIO } from "./context.ts";

import { loadRegisteredFlavors } from "./plugins.ts";
const COMMANDS: Record<string, Command> = { ...STORE_COMMANDS, ...FILE_COMMANDS };

/** A command's own help: usage, what it does, every option, examples. */
function commandHelp(name: string, cmd: Command): string[] {
  const lines = [`Usage: ${cmd.usage}`, "", ...cmd.description, ""];
  const opts: [string, string][] = [...cmd.options, ["-h, --help", "show this help"]];
  lines.push("Options:");
  const w = Math.max(...opts.map(([f]) => f.length));
  for (const [f, m] of opts) lines.push(`  ${f.padEnd(w)}  ${m}`);
  lines.push("", "Examples:", ...cmd.examples.map((e) => `  ${e}`));
  if (["cp", "mv", "ls", "cat", "rm", "stat", "tree", "glob", "mkdir"].includes(name)) {
    lines.push("", ...PATHS_NOTE);
  }
  return lines;
}

function help(io: CliIO): void {
  io.out("stowage — one filesystem API over local disk, memory, S3, GCS and Azure Blob");
  io.out("");
  io.out("Usage: stowage <command> [options]");
  io.out("       stowage help <command> | stowage <command> --help | stowage --version");
  io.out("");
  for (
    const l of table(
      ["COMMAND", "WHAT IT DOES"],
      Object.entries(COMMANDS).map(([n, c]) => [n, c.summary]),
    )
  ) {
    io.out(`  ${l}`);
  }
  io.out("");
  for (const l of PATHS_NOTE) io.out(l);
}

/** What a command accepts, for tests and completion: its name, options and argument counts. */
export interface CommandInfo {
  /** The command words (`cp`, `artifact-store list`). */
  name: string;
  /** Whether it takes `--json`. */
  json: boolean;
  /** Positional arguments it takes: [min, max] (`Infinity` for any number). */
  args: [number, number];
  /** Long option names it accepts (booleans and options with values). */
  options: string[];
  /** Its help text. */
  help: string[];
}

/**
 * Every command the CLI has.
 *
 * @returns one entry per command
 */
export function commands(): CommandInfo[] {
  return Object.entries(COMMANDS).map(([name, c]) => ({
    name,
    json: !!c.json,
    args: c.args,
    options: [...(c.spec.booleans ?? []), ...(c.spec.strings ?? [])],
    help: commandHelp(name, c),
  }));
}

function resolveCommand(argv: readonly string[]): [string, Command, string[]] {
  let name = argv[0];
  let rest = argv.slice(1);
  if (!COMMANDS[name] && argv.length > 1 && COMMANDS[`${argv[0]} ${argv[1]}`]) {
    name = `${argv[0]} ${argv[1]}`;
    rest = argv.slice(2);
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    const words = Object.keys(COMMANDS);
    const guess = suggest(argv.length > 1 ? `${argv[0]} ${argv[1]}` : argv[0], words) ??
      suggest(argv[0], words.map((w) => w.split(" ")[0]));
    const group = words.filter((w) => w.startsWith(`${argv[0]} `));
    throw new UsageError(
      group.length && (argv.length === 1 || argv[1].startsWith("-"))
        ? `'${argv[0]}' needs a subcommand: ${group.map((g) => g.split(" ")[1]).join(", ")}`
        : `Unknown command '${argv.slice(0, 2).join(" ")}'${
          guess ? `: did you mean '${guess}'?` : ""
        } (see stowage --help)`,
    );
  }
  return [name, cmd, rest];
}

/**
 * Runs one CLI invocation; throws on failure.
 *
 * @param argv the arguments
 * @param io output and environment
 */
export async function runCommand(argv: readonly string[], io: CliIO): Promise<void> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h") {
    help(io);
    return;
  }
  if (argv[0] === "--version" || argv[0] === "-V" || argv[0] === "version") {
    if (argv.length > 1) throw new UsageError(`Unexpected argument '${argv[1]}' after --version`);
    io.out(`stowage ${VERSION}`);
    return;
  }
  if (argv[0] === "help") {
    if (argv.length === 1) return help(io);
    const [name, cmd, rest] = resolveCommand(argv.slice(1));
    if (rest.length > 0) {
      throw new UsageError(`Unexpected argument '${rest[0]}' after 'help ${name}'`);
    }
    for (const l of commandHelp(name, cmd)) io.out(l);
    return;
  }
  const [name, cmd, rest] = resolveCommand(argv);
  const spec: ArgSpec = {
    ...cmd.spec,
    booleans: [...(cmd.spec.booleans ?? []), ...(cmd.json ? ["json"] : [])],
  };
  const args = parseArgs(rest, spec);
  if (args.options.help) {
    for (const l of commandHelp(name, cmd)) io.out(l);
    return;
  }
  const [min, max] = cmd.args;
  if (args.positionals.length > max) {
    throw new UsageError(
      `Unexpected argument '${args.positionals[max]}': usage: ${cmd.usage}`,
    );
  }
  if (args.positionals.length < min) {
    throw new UsageError(`Missing arguments: usage: ${cmd.usage}`);
  }
  const home = stowageHome(io.env);
  const ctx: Ctx = {
    io,
    home,
    cfg: await loadConfig(home),
    stores: new Map(),
    json: !!args.options.json,
    fetch: reportingFetch(io),
  };
  await loadRegisteredFlavors(ctx);
  const signal = io.signal;
  if (cmd.abortable || !signal) return await cmd.run(ctx, args);
  // A command that does not watch the signal ends as soon as it fires.
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([cmd.run(ctx, args), aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
