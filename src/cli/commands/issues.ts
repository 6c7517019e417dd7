/**
 * `patrol issues --run OUT_DIR [--min-tier T] [--status S] [--json]`: the tracked patches of a run
 * (its `state/issues.json`), filtered by confirmation tier and status; by default the open ones.
 */
import path from "node:path";
import type { Command } from "commander";
import { ConfigError } from "../../core/errors.js";
import {
  ISSUE_STATUSES,
  OPEN_STATUSES,
  readSeriesState,
  TIERS,
  tierRank,
  type IssueStatus,
  type Tier,
} from "../../history/index.js";

interface IssuesCliOptions {
  run: string;
  minTier: string;
  status?: string[];
  json?: boolean;
}

export function registerIssuesCommand(program: Command): void {
  program
    .command("issues")
    .description("list a run's tracked patches by confirmation tier and status (from its state/)")
    .requiredOption("--run <dir>", "output folder of the run")
    .option("--min-tier <tier>", `lowest tier listed: ${TIERS.join(", ")}`, "first")
    .option(
      "--status <status...>",
      `statuses listed (default the open ones: ${[...OPEN_STATUSES].join(", ")})`,
    )
    .option("--json", "one JSON object per line (id, status, tier, detections, feedback, properties)")
    .action(async (o: IssuesCliOptions) => {
      if (!(TIERS as readonly string[]).includes(o.minTier))
        throw new ConfigError(
          "--min-tier",
          `must be one of ${TIERS.join(", ")}, not ${JSON.stringify(o.minTier)}`,
        );
      for (const s of o.status ?? [])
        if (!(ISSUE_STATUSES as readonly string[]).includes(s))
          throw new ConfigError(
            "--status",
            `must be among ${ISSUE_STATUSES.join(", ")}, not ${JSON.stringify(s)}`,
          );
      const statuses = new Set<IssueStatus>((o.status as IssueStatus[] | undefined) ?? [...OPEN_STATUSES]);
      const min = tierRank(o.minTier as Tier);
      const state = await readSeriesState(path.resolve(o.run));
      const rows = state.issues.filter((t) => statuses.has(t.status) && tierRank(t.tier) >= min);
      for (const t of rows) {
        const p = t.feature.properties;
        process.stdout.write(
          o.json
            ? JSON.stringify({
                id: t.id,
                status: t.status,
                tier: t.tier,
                first_seen: t.first_seen,
                detections: t.detections,
                feedback: t.feedback,
                properties: p,
              }) + "\n"
            : [
                t.id,
                t.status,
                t.tier,
                p.change_type,
                p.county_adcode,
                p.area_m2,
                t.first_seen,
                p.due_county,
              ].join("\t") + "\n",
        );
      }
      if (!o.json)
        process.stderr.write(
          `${rows.length} of ${state.issues.length} tracked patches of run ${state.runId}\n`,
        );
    });
}
