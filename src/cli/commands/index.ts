import type { Command } from "commander";
import { registerInfoCommand } from "./info.js";

/** Every subcommand's registration function; add new commands here. */
export const commands: Array<(program: Command) => void> = [registerInfoCommand];
