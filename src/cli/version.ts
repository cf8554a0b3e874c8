// The CLI's version, printed by `stowage --version`. It must equal deno.json's "version"
// (a unit test checks it): a JSON import of deno.json is not portable to every runtime and
// packaging the CLI runs under, so the number is kept here as well.

/** The version of Stowage this CLI belongs to (deno.json's `version`). */
export const VERSION = "0.1.0";
