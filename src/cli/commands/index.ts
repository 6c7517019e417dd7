import type { Command } from "commander";

/** Every subcommand's registration function; add new commands here. */
export const commands: Array<(program: Command) => void> = [];
