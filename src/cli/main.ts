/**
 * The `patrol` command-line program. Each subcommand lives in ./commands/<name>.ts and
 * registers itself on the program; this file only wires them and turns errors into exit codes.
 */
import { Command } from "commander";
import { ConfigError, PatrolError } from "../core/errors.js";
import { registerCrs } from "../ingest/crs.js";
import { commands } from "./commands/index.js";

export function buildProgram(): Command {
  const program = new Command("patrol")
    .description("Monthly satellite patrol of cropland: imagery in, per-county issue lists out.")
    .option(
      "--crs-def <code=proj4>",
      'a CRS that is not built in, e.g. "EPSG:2385=+proj=tmerc +lat_0=0 +lon_0=120 …" (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .showHelpAfterError()
    .exitOverride();
  program.hook("preAction", () => {
    for (const def of program.opts<{ crsDef: string[] }>().crsDef) {
      const at = def.indexOf("=");
      if (at <= 0) throw new ConfigError("--crs-def", `expected CODE=PROJ4, got ${JSON.stringify(def)}`);
      registerCrs(def.slice(0, at), def.slice(at + 1));
    }
  });
  for (const register of commands) register(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e && typeof e === "object" && "code" in e && String(e.code).startsWith("commander.")) {
      const exitCode = (e as { exitCode?: number }).exitCode ?? 2;
      return exitCode;
    }
    if (e instanceof PatrolError) {
      process.stderr.write(`patrol: ${e.name}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(
      `patrol: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return 70;
  }
}

// A command may set process.exitCode itself (3 for a partial run); keep it unless main failed.
const code = await main(process.argv);
if (code !== 0) process.exitCode = code;
